import { describe, expect, it } from "vitest";
import type { Subscription } from "@/lib/api-client";
import { defaultName, isNamed } from "./default-name";

const named = (name: string, owner: string) => ({ name, owner: { email: owner } }) as Subscription;

describe("defaultName", () => {
  it("is the owner's email domain", () => {
    expect(defaultName("ann@contoso.com")).toBe("contoso.com");
  });

  it("is cut to 100 characters as the checkout cuts it", () => {
    const domain = `${"a".repeat(120)}.com`;
    expect(defaultName(`ann@${domain}`)).toBe(domain.slice(0, 100));
  });
});

describe("isNamed", () => {
  it("is false while the subscription carries the checkout's default name", () => {
    expect(isNamed(named("contoso.com", "ann@contoso.com"))).toBe(false);
  });

  it("is true once it has a name of its own", () => {
    expect(isNamed(named("Contoso Ltd", "ann@contoso.com"))).toBe(true);
  });
});
