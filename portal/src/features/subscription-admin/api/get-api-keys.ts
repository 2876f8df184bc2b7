import { queryOptions, useQuery } from "@tanstack/react-query";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type ApiKey = Schemas["ApiKeyView"];

export const apiKeysQueryKey = (id: string) => [...subscriptionQueryKey(id), "api-keys"] as const;

/** The subscription's API keys (never the keys themselves: only a hash is stored). */
export async function getApiKeys(id: string): Promise<ApiKey[]> {
  const items: ApiKey[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      client.GET("/api/subscriptions/{subscription_id}/api-keys", {
        params: { path: { subscription_id: id }, query: { limit: 1000, cursor } },
      }),
    );
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
}

export function getApiKeysQueryOptions(id: string) {
  return queryOptions({ queryKey: apiKeysQueryKey(id), queryFn: () => getApiKeys(id) });
}

export function useApiKeys(id: string, enabled = true) {
  return useQuery({ ...getApiKeysQueryOptions(id), enabled });
}
