import { useMutation } from "@tanstack/react-query";
import { ApiProblem, client, toProblem } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

/**
 * Sends the invitation again with a new link. Emails are rate-limited: a 429's Retry-After
 * header is kept on the problem as `retry_after` (seconds or an HTTP date) for the message.
 */
export async function resendInvitation(id: string, adminId: string): Promise<void> {
  let result;
  try {
    result = await client.POST("/api/subscriptions/{subscription_id}/admins/{admin_id}/resend", {
      params: { path: { subscription_id: id, admin_id: adminId } },
    });
  } catch {
    throw new ApiProblem(0, {});
  }
  if (result.response.ok) return;
  const problem = toProblem(result.response.status, result.error);
  const retryAfter = result.response.headers.get("Retry-After");
  if (retryAfter === null) throw problem;
  throw new ApiProblem(problem.status, { ...problem.body, retry_after: retryAfter });
}

export function useResendInvitation(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (adminId: string) => resendInvitation(id, adminId),
    onSuccess: () => refresh(id),
  });
}
