import { describe, expect, it } from "vitest";
import { summary } from "./summary";

describe("summary", () => {
  it("counts subscriptions and the licenses assigned across them", () => {
    expect(
      summary([
        { assigned: 40, quantity: 50 },
        { assigned: 2, quantity: 5 },
        { assigned: 0, quantity: 5 },
      ]),
    ).toBe("3 subscriptions · 42 of 60 licenses assigned");
  });

  it("speaks of one subscription and one license in the singular, thousands grouped", () => {
    expect(summary([{ assigned: 1, quantity: 1 }])).toBe("1 subscription · 1 of 1 license assigned");
    expect(summary([{ assigned: 1200, quantity: 10000 }])).toBe(
      "1 subscription · 1,200 of 10,000 licenses assigned",
    );
  });
});
