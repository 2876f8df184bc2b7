import type { Subscription } from "@/lib/api-client";

export function countOf(count: number, noun: string): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? noun : `${noun}s`}`;
}

/** "3 subscriptions · 42 of 60 licenses assigned". */
export function summary(subscriptions: Pick<Subscription, "assigned" | "quantity">[]): string {
  const assigned = subscriptions.reduce((sum, item) => sum + item.assigned, 0);
  const quantity = subscriptions.reduce((sum, item) => sum + item.quantity, 0);
  return `${countOf(subscriptions.length, "subscription")} · ${assigned.toLocaleString("en-US")} of ${countOf(quantity, "license")} assigned`;
}
