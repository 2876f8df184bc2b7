import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";
import type { AssignResult } from "./assign-licenses";
import { invalidateLicenses } from "./get-licenses";

/** A CSV with the header `email,label`; any bad line (422, by `line N`) and nothing is assigned. */
export async function importLicensesCsv(subscriptionId: string, csv: string): Promise<AssignResult> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/licenses.csv", {
      params: { path: { subscription_id: subscriptionId } },
      body: csv,
      bodySerializer: (body: string) => body,
      headers: { "Content-Type": "text/csv" },
    }),
  );
}

export function useImportLicensesCsv(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (csv: string) => importLicensesCsv(subscriptionId, csv),
    onSuccess: () => invalidateLicenses(queryClient, subscriptionId),
  });
}
