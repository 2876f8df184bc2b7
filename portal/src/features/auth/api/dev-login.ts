import { useMutation, useQueryClient } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";

export interface DevLoginInput {
  email: string;
  name?: string;
}

/** Local mode only: sign in as any address, as if Microsoft had vouched for it. */
export async function devLogin(input: DevLoginInput): Promise<void> {
  await unwrap(client.POST("/api/dev/login", { body: input }));
}

export function useDevLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: devLogin,
    onSuccess: () => {
      queryClient.clear();
    },
  });
}
