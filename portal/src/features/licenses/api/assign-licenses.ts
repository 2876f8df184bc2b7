import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";
import { invalidateLicenses } from "./get-licenses";

export type AssignResult = Schemas["AssignResult"];

export interface AssignLicensesInput {
  emails: string[];
  label?: string;
  /** Licenses a shared mailbox: people who can open it use the add-in without a license of their own. */
  sharedMailbox?: boolean;
}

/** All or nothing: 409 `not_enough_seats` (with `available`, `requested`) assigns none. */
export async function assignLicenses(
  subscriptionId: string,
  input: AssignLicensesInput,
): Promise<AssignResult> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/licenses", {
      params: { path: { subscription_id: subscriptionId } },
      body: { emails: input.emails, label: input.label || null, shared_mailbox: input.sharedMailbox ?? false },
    }),
  );
}

export function useAssignLicenses(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: AssignLicensesInput) => assignLicenses(subscriptionId, input),
    onSuccess: () => invalidateLicenses(queryClient, subscriptionId),
  });
}
