import { useMutation } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

/** Removes an administrator (or withdraws an invitation); a delegate may remove itself. */
export async function removeAdmin(id: string, adminId: string): Promise<void> {
  await unwrap(
    client.DELETE("/api/subscriptions/{subscription_id}/admins/{admin_id}", {
      params: { path: { subscription_id: id, admin_id: adminId } },
    }),
  );
}

export function useRemoveAdmin(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (adminId: string) => removeAdmin(id, adminId),
    onSuccess: () => refresh(id),
  });
}
