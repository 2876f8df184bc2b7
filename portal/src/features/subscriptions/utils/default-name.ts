import type { Subscription } from "@/lib/api-client";

// The checkout's rule (shared/billing/checkout.py, default_name): a subscription bought without
// a name is named after its owner's email domain, cut to 100 characters.
const MAX_NAME_LENGTH = 100;

export function defaultName(ownerEmail: string): string {
  return (ownerEmail.split("@").at(-1) ?? "").slice(0, MAX_NAME_LENGTH);
}

/** Whether the subscription carries a name of its own rather than the checkout's default. */
export function isNamed(subscription: Subscription): boolean {
  return subscription.name !== defaultName(subscription.owner.email);
}
