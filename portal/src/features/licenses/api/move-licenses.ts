import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";
import { invalidateLicenses } from "./get-licenses";

export type MoveResult = Schemas["MoveResult"];

/** By address, or every license of one label (blank: the unlabelled ones). */
export type MoveLicensesInput = { to: string } & ({ emails: string[] } | { label: string });

/**
 * All or nothing: 409 `not_enough_seats` (with `available`, `requested` of the target) moves
 * none. Each user keeps a working license throughout; no welcome email is sent.
 */
export async function moveLicenses(subscriptionId: string, input: MoveLicensesInput): Promise<MoveResult> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/licenses/move", {
      params: { path: { subscription_id: subscriptionId } },
      body: "emails" in input ? { to: input.to, emails: input.emails } : { to: input.to, label: input.label },
    }),
  );
}

export function useMoveLicenses(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: MoveLicensesInput) => moveLicenses(subscriptionId, input),
    onSettled: (_data, _error, input) =>
      Promise.all([
        invalidateLicenses(queryClient, subscriptionId),
        invalidateLicenses(queryClient, input.to),
      ]),
  });
}
