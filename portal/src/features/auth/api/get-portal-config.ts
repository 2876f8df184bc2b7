import { queryOptions, useQuery } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type PortalConfig = Schemas["PortalConfig"];

export async function getPortalConfig(): Promise<PortalConfig> {
  return unwrap(client.GET("/api/portal-config"));
}

export function getPortalConfigQueryOptions() {
  return queryOptions({
    queryKey: ["portal-config"],
    queryFn: getPortalConfig,
    staleTime: Infinity,
  });
}

export function usePortalConfig() {
  return useQuery(getPortalConfigQueryOptions());
}
