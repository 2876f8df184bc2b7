import { useMutation } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

/** The email domains whose users get a free seat when they first check their license. */
export async function setAutoAssign(id: string, domains: string[]) {
  return unwrap(
    client.PUT("/api/subscriptions/{subscription_id}/auto-assign", {
      params: { path: { subscription_id: id } },
      body: { domains },
    }),
  );
}

export function useSetAutoAssign(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (domains: string[]) => setAutoAssign(id, domains),
    onSuccess: (subscription) => refresh(id, subscription),
  });
}
