import { useMutation } from "@tanstack/react-query";
import { client, unwrap, type Permission } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

export interface InviteAdminInput {
  email: string;
  permissions: Permission[];
}

/** Invites a delegated administrator; the invitation email carries a single-use link. */
export async function inviteAdmin(id: string, input: InviteAdminInput) {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/admins", {
      params: { path: { subscription_id: id } },
      body: input,
    }),
  );
}

export function useInviteAdmin(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (input: InviteAdminInput) => inviteAdmin(id, input),
    onSuccess: () => refresh(id),
  });
}
