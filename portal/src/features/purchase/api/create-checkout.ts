import { useMutation } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";

export interface CheckoutInput {
  quantity: number;
  name?: string;
}

/** Starts a checkout; the answer is the payment page to go to. */
export async function createCheckout(input: CheckoutInput): Promise<{ url: string }> {
  return unwrap(client.POST("/api/checkout", { body: input }));
}

export function useCreateCheckout() {
  return useMutation({ mutationFn: createCheckout });
}
