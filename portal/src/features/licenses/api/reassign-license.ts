import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import { invalidateLicenses, type License } from "./get-licenses";

export interface ReassignLicenseInput {
  from: string;
  to: string;
}

/** Moves the seat to another address in one step; the new holder gets a welcome email. */
export async function reassignLicense(
  subscriptionId: string,
  input: ReassignLicenseInput,
): Promise<License> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/licenses/{email}/reassign", {
      params: { path: { subscription_id: subscriptionId, email: input.from } },
      body: { email: input.to },
    }),
  );
}

export function useReassignLicense(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ReassignLicenseInput) => reassignLicense(subscriptionId, input),
    onSuccess: () => invalidateLicenses(queryClient, subscriptionId),
  });
}
