import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";

export async function logout(): Promise<void> {
  await unwrap(client.POST("/api/auth/logout"));
}

/** Signs out and forgets everything cached for the previous user. */
export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logout,
    onSuccess: () => {
      queryClient.clear();
    },
  });
}
