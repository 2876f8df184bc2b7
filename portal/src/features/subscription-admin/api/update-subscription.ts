import { useMutation } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

export type SubscriptionChange = Pick<Schemas["SubscriptionChange"], "name" | "quantity" | "proration_date">;

/** Renames (owner) and/or changes the seat count (`quantity`), billed as previewed. */
export async function updateSubscription(id: string, change: SubscriptionChange) {
  return unwrap(
    client.PATCH("/api/subscriptions/{subscription_id}", {
      params: { path: { subscription_id: id } },
      body: change,
    }),
  );
}

export function useUpdateSubscription(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (change: SubscriptionChange) => updateSubscription(id, change),
    onSuccess: (subscription) => refresh(id, subscription),
  });
}
