import { useQueryClient } from "@tanstack/react-query";
import { meQueryKey } from "@/features/auth/api/get-me";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { subscriptionsQueryKey } from "@/features/subscriptions/api/get-subscriptions";
import type { Subscription } from "@/lib/api-client";

/**
 * After a change: keep the Subscription the API answered with (when it answered one) and
 * refetch what the change touched. Every list of a subscription (administrators, keys,
 * invoices, activity) lives under its key, so the activity log shows the change at once.
 */
export function useRefreshSubscription() {
  const queryClient = useQueryClient();
  return (id: string, subscription?: Subscription) => {
    if (subscription) queryClient.setQueryData(subscriptionQueryKey(id), subscription);
    void queryClient.invalidateQueries({ queryKey: subscriptionQueryKey(id) });
    void queryClient.invalidateQueries({ queryKey: subscriptionsQueryKey, exact: true });
    void queryClient.invalidateQueries({ queryKey: meQueryKey });
  };
}
