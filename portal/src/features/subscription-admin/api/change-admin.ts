import { useMutation } from "@tanstack/react-query";
import { client, unwrap, type Permission } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

export async function changeAdmin(id: string, adminId: string, permissions: Permission[]) {
  return unwrap(
    client.PATCH("/api/subscriptions/{subscription_id}/admins/{admin_id}", {
      params: { path: { subscription_id: id, admin_id: adminId } },
      body: { permissions },
    }),
  );
}

export function useChangeAdmin(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (input: { adminId: string; permissions: Permission[] }) =>
      changeAdmin(id, input.adminId, input.permissions),
    onSuccess: () => refresh(id),
  });
}
