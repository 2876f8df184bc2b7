import { describe, expect, it } from "vitest";
import {
  monthlyTotal,
  quantityError,
  tierLabel,
  tierRanges,
  unitAmount,
  type PriceTier,
} from "@/lib/pricing";

const TIERS: PriceTier[] = [
  { up_to: null, unit_amount: 400 },
  { up_to: 9, unit_amount: 500 },
];

describe("volume pricing", () => {
  it("prices every seat at the tier the quantity reaches", () => {
    expect(unitAmount(TIERS, 1)).toBe(500);
    expect(unitAmount(TIERS, 9)).toBe(500);
    expect(unitAmount(TIERS, 10)).toBe(400);
    expect(monthlyTotal(TIERS, 9)).toBe(4500);
    expect(monthlyTotal(TIERS, 10)).toBe(4000);
    expect(monthlyTotal(TIERS, 10_000)).toBe(4_000_000);
  });

  it("labels the tiers as ranges in order", () => {
    const ranges = tierRanges(TIERS);
    expect(ranges.map(tierLabel)).toEqual(["1–9 licenses", "10 or more licenses"]);
    expect(ranges.map((range) => range.unit_amount)).toEqual([500, 400]);
  });

  it("has no price without tiers", () => {
    expect(monthlyTotal([], 3)).toBeUndefined();
  });
});

describe("quantity validation", () => {
  it.each([
    ["", "Enter the number of licenses."],
    ["2.5", "Enter a whole number of licenses."],
    ["abc", "Enter a whole number of licenses."],
    ["0", "Buy at least 1 license."],
    ["10001", "You can buy at most 10,000 licenses at once."],
  ])("refuses %j", (raw, message) => {
    expect(quantityError(raw)).toBe(message);
  });

  it.each(["1", "10", "10000", " 25 "])("accepts %j", (raw) => {
    expect(quantityError(raw)).toBeUndefined();
  });
});
