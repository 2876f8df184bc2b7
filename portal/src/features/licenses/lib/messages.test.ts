import { describe, expect, it } from "vitest";
import {
  assignedMessage,
  availableMessage,
  movedMessage,
  moveShortMessage,
  notEnoughSeatsMessage,
} from "./messages";

describe("messages", () => {
  it("says how many were assigned and how many were there already", () => {
    expect(assignedMessage(3, 2)).toEqual({
      title: "3 licenses assigned; welcome emails sent",
      body: "2 were already assigned",
    });
    expect(assignedMessage(1, 0)).toEqual({ title: "1 license assigned; welcome email sent", body: undefined });
    expect(assignedMessage(0, 1)).toEqual({ title: "No new licenses assigned", body: "1 was already assigned" });
  });

  it("says how many seats are missing", () => {
    expect(notEnoughSeatsMessage(15, 13)).toBe(
      "You are assigning 15 licenses but only 13 are available: add 2 licenses or remove some addresses.",
    );
    expect(notEnoughSeatsMessage(2, 1)).toBe(
      "You are assigning 2 licenses but only 1 is available: add 1 license or remove some addresses.",
    );
    expect(notEnoughSeatsMessage(1, 0)).toBe(
      "You are assigning 1 license but none are available: add 1 license or remove some addresses.",
    );
  });

  it("shows the free seats", () => {
    expect(availableMessage(13, 25)).toBe("13 of 25 licenses available");
    expect(availableMessage(0, 1)).toBe("0 of 1 license available");
    expect(availableMessage(1200, 10000)).toBe("1,200 of 10,000 licenses available");
  });

  it("says how many moved, and how many were not there to move", () => {
    expect(movedMessage(3, "Contoso Europe", 0)).toEqual({ title: "3 licenses moved to Contoso Europe" });
    expect(movedMessage(1, "Fabrikam", 2)).toEqual({
      title: "1 license moved to Fabrikam",
      body: "2 were not assigned here",
    });
    expect(movedMessage(1200, "Fabrikam", 1).body).toBe("1 was not assigned here");
  });

  it("says how many seats the target is missing", () => {
    expect(moveShortMessage(3, 2, "Small")).toBe(
      "You are moving 3 licenses but Small has only 2 free: it needs 1 more seat.",
    );
    expect(moveShortMessage(1500, 0, "Small")).toBe(
      "You are moving 1,500 licenses but Small has no free seats: it needs 1,500 more seats.",
    );
  });
});
