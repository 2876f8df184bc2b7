import { useMutation } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

/** Revokes a key: it stops working at once. */
export async function revokeApiKey(id: string, keyId: string): Promise<void> {
  await unwrap(
    client.DELETE("/api/subscriptions/{subscription_id}/api-keys/{key_id}", {
      params: { path: { subscription_id: id, key_id: keyId } },
    }),
  );
}

export function useRevokeApiKey(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (keyId: string) => revokeApiKey(id, keyId),
    onSuccess: () => refresh(id),
  });
}
