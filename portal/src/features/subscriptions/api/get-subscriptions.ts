import { queryOptions, useQuery } from "@tanstack/react-query";
import { client, unwrap, type Subscription } from "@/lib/api-client";

export const subscriptionsQueryKey = ["subscriptions"] as const;

/** Every subscription the caller owns or administers (all pages of 1000). */
export async function getSubscriptions(): Promise<Subscription[]> {
  const items: Subscription[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      client.GET("/api/subscriptions", { params: { query: { limit: 1000, cursor } } }),
    );
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

export function getSubscriptionsQueryOptions() {
  return queryOptions({ queryKey: subscriptionsQueryKey, queryFn: getSubscriptions });
}

export function useSubscriptions() {
  return useQuery(getSubscriptionsQueryOptions());
}
