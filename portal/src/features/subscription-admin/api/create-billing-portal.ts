import { useMutation } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";

/** A billing portal session (payment methods, billing details); the answer is its page. */
export async function createBillingPortal(id: string): Promise<{ url: string }> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/billing-portal", {
      params: { path: { subscription_id: id } },
    }),
  );
}

export function useCreateBillingPortal(id: string) {
  return useMutation({ mutationFn: () => createBillingPortal(id) });
}
