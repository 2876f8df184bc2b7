import { keepPreviousData, queryOptions, useQuery, type QueryClient } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { subscriptionsQueryKey } from "@/features/subscriptions/api/get-subscriptions";

export type License = Schemas["LicenseView"];
export type LicensePage = Schemas["LicensePage"];
export type LicenseStatus = "active" | "expired";

export interface LicensesFilter {
  /** The start of an address or of its domain. */
  q?: string;
  /** Exactly this label. */
  label?: string;
  status?: LicenseStatus;
  limit: number;
  cursor?: string;
}

/** Every licenses query of one subscription (all filters and pages) starts with this key. */
export const licensesQueryKey = (subscriptionId: string) =>
  ["subscriptions", subscriptionId, "licenses"] as const;

export async function getLicenses(subscriptionId: string, filter: LicensesFilter): Promise<LicensePage> {
  return unwrap(
    client.GET("/api/subscriptions/{subscription_id}/licenses", {
      params: {
        path: { subscription_id: subscriptionId },
        query: {
          q: filter.q || undefined,
          label: filter.label || undefined,
          status: filter.status,
          limit: filter.limit,
          cursor: filter.cursor,
        },
      },
    }),
  );
}

export function getLicensesQueryOptions(subscriptionId: string, filter: LicensesFilter) {
  return queryOptions({
    queryKey: [...licensesQueryKey(subscriptionId), filter] as const,
    queryFn: () => getLicenses(subscriptionId, filter),
    // The previous page stays on screen (dimmed) while the next one loads.
    placeholderData: keepPreviousData,
  });
}

export function useLicenses(subscriptionId: string, filter: LicensesFilter) {
  return useQuery(getLicensesQueryOptions(subscriptionId, filter));
}

/** After any change to licenses: the list, the subscription's counts and the dashboard's. */
export async function invalidateLicenses(
  queryClient: QueryClient,
  subscriptionId: string,
): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: licensesQueryKey(subscriptionId) }),
    queryClient.invalidateQueries({ queryKey: subscriptionQueryKey(subscriptionId), exact: true }),
    queryClient.invalidateQueries({ queryKey: subscriptionsQueryKey, exact: true }),
  ]);
}
