import { useMutation, useQueryClient } from "@tanstack/react-query";
import { meQueryKey } from "@/features/auth/api/get-me";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { subscriptionsQueryKey } from "@/features/subscriptions/api/get-subscriptions";
import { client, unwrap } from "@/lib/api-client";

/** Accepts one of the invitations `/api/me` lists, by its `token_id` (not the link's secret). */
export async function acceptInvitationById(tokenId: string) {
  return unwrap(
    client.POST("/api/me/invitations/{token_id}/accept", { params: { path: { token_id: tokenId } } }),
  );
}

export function useAcceptInvitationById() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: acceptInvitationById,
    onSuccess: (subscription) => {
      queryClient.setQueryData(subscriptionQueryKey(subscription.id), subscription);
      void queryClient.invalidateQueries({ queryKey: subscriptionsQueryKey, exact: true });
      void queryClient.invalidateQueries({ queryKey: meQueryKey });
    },
  });
}
