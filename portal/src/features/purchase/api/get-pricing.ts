import { queryOptions, useQuery } from "@tanstack/react-query";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type Pricing = Schemas["PricingView"];

export async function getPricing(): Promise<Pricing> {
  return unwrap(client.GET("/api/pricing"));
}

export function getPricingQueryOptions() {
  return queryOptions({ queryKey: ["pricing"], queryFn: getPricing, staleTime: 5 * 60_000 });
}

export function usePricing() {
  return useQuery(getPricingQueryOptions());
}
