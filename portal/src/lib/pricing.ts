export interface PriceTier {
  up_to: number | null;
  unit_amount: number;
}

export interface Pricing {
  currency: string;
  interval: string;
  tiers: PriceTier[];
}

export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 10_000;

/** The tier a quantity reaches (volume pricing: every seat costs that tier's unit amount). */
export function tierFor(tiers: PriceTier[], quantity: number): PriceTier | undefined {
  const sorted = [...tiers].sort((a, b) => (a.up_to ?? Infinity) - (b.up_to ?? Infinity));
  return sorted.find((tier) => tier.up_to === null || quantity <= tier.up_to) ?? sorted.at(-1);
}

export function unitAmount(tiers: PriceTier[], quantity: number): number | undefined {
  return tierFor(tiers, quantity)?.unit_amount;
}

export function monthlyTotal(tiers: PriceTier[], quantity: number): number | undefined {
  const unit = unitAmount(tiers, quantity);
  return unit === undefined ? undefined : unit * quantity;
}

/** Each tier with the quantities it covers: "1–9", "10 or more". */
export function tierRanges(tiers: PriceTier[]): { from: number; to: number | null; unit_amount: number }[] {
  const sorted = [...tiers].sort((a, b) => (a.up_to ?? Infinity) - (b.up_to ?? Infinity));
  let from = 1;
  return sorted.map((tier) => {
    const range = { from, to: tier.up_to, unit_amount: tier.unit_amount };
    from = (tier.up_to ?? from) + 1;
    return range;
  });
}

export function tierLabel(range: { from: number; to: number | null }): string {
  if (range.to === null) return `${range.from} or more licenses`;
  if (range.to === range.from) return `${range.from} ${range.from === 1 ? "license" : "licenses"}`;
  return `${range.from}–${range.to} licenses`;
}

/** A validation message for the quantity field, or undefined when it is usable. */
export function quantityError(raw: string): string | undefined {
  if (raw.trim() === "") return "Enter the number of licenses.";
  const value = Number(raw);
  if (!Number.isInteger(value)) return "Enter a whole number of licenses.";
  if (value < MIN_QUANTITY) return `Buy at least ${MIN_QUANTITY} license.`;
  if (value > MAX_QUANTITY) return `You can buy at most ${MAX_QUANTITY.toLocaleString("en")} licenses at once.`;
  return undefined;
}
