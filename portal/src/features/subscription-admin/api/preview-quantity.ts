import { useMutation } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type QuantityPreview = Schemas["QuantityPreview"];

/** What changing the seat count would charge now and every month after; charges nothing. */
export async function previewQuantity(id: string, quantity: number): Promise<QuantityPreview> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/quantity-preview", {
      params: { path: { subscription_id: id } },
      body: { quantity },
    }),
  );
}

export function usePreviewQuantity(id: string) {
  return useMutation({ mutationFn: (quantity: number) => previewQuantity(id, quantity) });
}
