import { queryOptions, useQuery } from "@tanstack/react-query";
import { ApiProblem, client, unwrap, type Me } from "@/lib/api-client";

export const meQueryKey = ["me"] as const;

/** The signed-in user, or null when nobody is signed in (401). */
export async function getMe(): Promise<Me | null> {
  try {
    return await unwrap(client.GET("/api/me"));
  } catch (error) {
    if (error instanceof ApiProblem && error.status === 401) return null;
    throw error;
  }
}

export function getMeQueryOptions() {
  return queryOptions({ queryKey: meQueryKey, queryFn: getMe, staleTime: 60_000 });
}

export function useMe() {
  return useQuery(getMeQueryOptions());
}
