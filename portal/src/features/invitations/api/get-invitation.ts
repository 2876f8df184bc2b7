import { queryOptions, useQuery } from "@tanstack/react-query";
import { client, unwrap } from "@/lib/api-client";

export const invitationQueryKey = (token: string) => ["invitations", token] as const;

export async function getInvitation(token: string) {
  return unwrap(client.GET("/api/invitations/{token}", { params: { path: { token } } }));
}

export function getInvitationQueryOptions(token: string) {
  return queryOptions({ queryKey: invitationQueryKey(token), queryFn: () => getInvitation(token) });
}

export function useInvitation(token: string) {
  return useQuery(getInvitationQueryOptions(token));
}
