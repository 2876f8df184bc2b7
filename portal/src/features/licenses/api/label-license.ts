import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import { invalidateLicenses, type License } from "./get-licenses";

export interface LabelLicenseInput {
  email: string;
  /** Blank or null clears the label. */
  label: string | null;
  sharedMailbox: boolean;
}

export async function labelLicense(subscriptionId: string, input: LabelLicenseInput): Promise<License> {
  return unwrap(
    client.PATCH("/api/subscriptions/{subscription_id}/licenses/{email}", {
      params: { path: { subscription_id: subscriptionId, email: input.email } },
      body: { label: input.label?.trim() || null, shared_mailbox: input.sharedMailbox },
    }),
  );
}

export function useLabelLicense(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: LabelLicenseInput) => labelLicense(subscriptionId, input),
    onSuccess: () => invalidateLicenses(queryClient, subscriptionId),
  });
}
