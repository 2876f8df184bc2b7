import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiProblem, client, isProblem, unwrap } from "@/lib/api-client";
import { invalidateLicenses } from "./get-licenses";

export async function unassignLicense(subscriptionId: string, email: string): Promise<void> {
  await unwrap(
    client.DELETE("/api/subscriptions/{subscription_id}/licenses/{email}", {
      params: { path: { subscription_id: subscriptionId, email } },
    }),
  );
}

export interface UnassignOutcome {
  removed: string[];
  failed: { email: string; problem: ApiProblem }[];
}

// A few requests at a time: fast for a page of selections without flooding the host.
const PARALLEL = 6;

/**
 * Frees each address's seat (the API removes one license per request). A license already gone
 * (404) counts as removed; the others that fail are reported with their problem.
 */
export async function unassignLicenses(
  subscriptionId: string,
  emails: string[],
): Promise<UnassignOutcome> {
  const outcome: UnassignOutcome = { removed: [], failed: [] };
  const queue = [...emails];
  async function worker() {
    for (let email = queue.shift(); email !== undefined; email = queue.shift()) {
      try {
        await unassignLicense(subscriptionId, email);
        outcome.removed.push(email);
      } catch (error) {
        if (isProblem(error, 404)) outcome.removed.push(email);
        else outcome.failed.push({ email, problem: error instanceof ApiProblem ? error : new ApiProblem(0, {}) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, emails.length) }, worker));
  return outcome;
}

export function useUnassignLicenses(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (emails: string[]) => unassignLicenses(subscriptionId, emails),
    onSettled: () => invalidateLicenses(queryClient, subscriptionId),
  });
}
