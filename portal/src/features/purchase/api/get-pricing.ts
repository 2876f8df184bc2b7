import { queryOptions, useQuery } from "@tanstack/react-query";
import { requestJson } from "@/lib/api-client";
import type { Pricing } from "@/lib/pricing";

export async function getPricing(): Promise<Pricing> {
  return requestJson<Pricing>("/api/pricing");
}

export function getPricingQueryOptions() {
  return queryOptions({ queryKey: ["pricing"], queryFn: getPricing, staleTime: 5 * 60_000 });
}

export function usePricing() {
  return useQuery(getPricingQueryOptions());
}
