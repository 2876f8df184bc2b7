import { queryOptions, useQuery } from "@tanstack/react-query";
import { requestJson } from "@/lib/api-client";

export interface PortalConfig {
  local_mode: boolean;
  sign_in: string[];
}

export async function getPortalConfig(): Promise<PortalConfig> {
  return requestJson<PortalConfig>("/api/portal-config");
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
