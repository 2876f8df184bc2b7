import { MAX_QUANTITY } from "@/lib/pricing";

/** Why a new seat count cannot be used (checked before asking for a price), or undefined. */
export function newQuantityProblem(raw: string, assigned: number): string | undefined {
  if (raw.trim() === "") return "Enter the number of licenses.";
  const value = Number(raw);
  if (!Number.isInteger(value)) return "Enter a whole number of licenses.";
  if (value < 1) return "A subscription needs at least 1 license.";
  if (value > MAX_QUANTITY) {
    return `A subscription can have at most ${MAX_QUANTITY.toLocaleString("en")} licenses.`;
  }
  if (value < assigned) return belowAssignedWords(assigned);
  return undefined;
}

export function belowAssignedWords(assigned: number): string {
  return `${assigned} ${assigned === 1 ? "license is" : "licenses are"} assigned; remove licenses first.`;
}

/** A quantity hint from the page address (`?quantity=30`), when it is a usable number. */
export function quantityHint(value: string | null): number | undefined {
  if (value === null || !/^\d{1,5}$/.test(value)) return undefined;
  const quantity = Number(value);
  return quantity >= 1 && quantity <= MAX_QUANTITY ? quantity : undefined;
}
