import { useMutation, useQueryClient } from "@tanstack/react-query";
import { meQueryKey } from "@/features/auth/api/get-me";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { subscriptionsQueryKey } from "@/features/subscriptions/api/get-subscriptions";
import { client, unwrap } from "@/lib/api-client";

export async function acceptInvitation(token: string) {
  return unwrap(
    client.POST("/api/invitations/{token}/accept", { params: { path: { token } } }),
  );
}

export function useAcceptInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: acceptInvitation,
    onSuccess: (subscription) => {
      queryClient.setQueryData(subscriptionQueryKey(subscription.id), subscription);
      void queryClient.invalidateQueries({ queryKey: subscriptionsQueryKey, exact: true });
      void queryClient.invalidateQueries({ queryKey: meQueryKey });
    },
  });
}
