import { useMutation } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

/** Makes an active administrator the owner; the caller stays with every permission. */
export async function transferOwnership(id: string, email: string) {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/transfer", {
      params: { path: { subscription_id: id } },
      body: { email },
    }),
  );
}

export function useTransferOwnership(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (email: string) => transferOwnership(id, email),
    onSuccess: (subscription) => refresh(id, subscription),
  });
}
