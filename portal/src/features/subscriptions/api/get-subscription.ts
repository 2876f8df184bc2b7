import { queryOptions, useQuery } from "@tanstack/react-query";
import { client, unwrap, type Subscription } from "@/lib/api-client";

/**
 * The query key of one subscription. After a change, invalidate it (and the dashboard's list):
 * `queryClient.invalidateQueries({ queryKey: subscriptionQueryKey(id) })`, or put the
 * Subscription the API answered with `queryClient.setQueryData(subscriptionQueryKey(id), s)`.
 */
export const subscriptionQueryKey = (id: string) => ["subscriptions", id] as const;

export async function getSubscription(id: string): Promise<Subscription> {
  return unwrap(
    client.GET("/api/subscriptions/{subscription_id}", {
      params: { path: { subscription_id: id } },
    }),
  );
}

export function getSubscriptionQueryOptions(id: string) {
  return queryOptions({
    queryKey: subscriptionQueryKey(id),
    queryFn: () => getSubscription(id),
    // A pending subscription turns active when the payment is confirmed: look again every 2 s.
    refetchInterval: (query) => (query.state.data?.status === "pending" ? 2000 : false),
  });
}

export function useSubscription(id: string) {
  return useQuery(getSubscriptionQueryOptions(id));
}
