import { useMutation } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";
import { useRefreshSubscription } from "./invalidate-subscription";

export type KeyPermission = Schemas["KeyPermission"];
export type CreatedApiKey = Schemas["CreatedApiKey"];

export interface CreateApiKeyInput {
  name: string;
  permissions: KeyPermission[];
}

/** Creates a key; the answer is the only time the key itself is ever shown. */
export async function createApiKey(id: string, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  return unwrap(
    client.POST("/api/subscriptions/{subscription_id}/api-keys", {
      params: { path: { subscription_id: id } },
      body: input,
    }),
  );
}

export function useCreateApiKey(id: string) {
  const refresh = useRefreshSubscription();
  return useMutation({
    mutationFn: (input: CreateApiKeyInput) => createApiKey(id, input),
    onSuccess: () => refresh(id),
  });
}
