import { queryOptions, useQuery } from "@tanstack/react-query";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type Administrator = Schemas["AdministratorView"];

export const adminsQueryKey = (id: string) => [...subscriptionQueryKey(id), "admins"] as const;

/** Every delegated administrator of the subscription, invited or active (all pages). */
export async function getAdmins(id: string): Promise<Administrator[]> {
  const items: Administrator[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      client.GET("/api/subscriptions/{subscription_id}/admins", {
        params: { path: { subscription_id: id }, query: { limit: 1000, cursor } },
      }),
    );
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

export function getAdminsQueryOptions(id: string) {
  return queryOptions({ queryKey: adminsQueryKey(id), queryFn: () => getAdmins(id) });
}

export function useAdmins(id: string) {
  return useQuery(getAdminsQueryOptions(id));
}
