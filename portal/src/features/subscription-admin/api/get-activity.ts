import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type ActivityEntry = Schemas["ActivityView"];
export type ActivityPage = Schemas["ActivityPage"];

export const activityQueryKey = (id: string) => [...subscriptionQueryKey(id), "activity"] as const;

const PAGE_SIZE = 50;

/** One page of the subscription's activity log, newest first (`view`). */
export async function getActivity(id: string, cursor?: string): Promise<ActivityPage> {
  return unwrap(
    client.GET("/api/subscriptions/{subscription_id}/activity", {
      params: { path: { subscription_id: id }, query: { limit: PAGE_SIZE, cursor } },
    }),
  );
}

export function getActivityQueryOptions(id: string) {
  return infiniteQueryOptions({
    queryKey: activityQueryKey(id),
    queryFn: ({ pageParam }) => getActivity(id, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useActivity(id: string) {
  return useInfiniteQuery(getActivityQueryOptions(id));
}
