import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { subscriptionQueryKey } from "@/features/subscriptions/api/get-subscription";
import { client, unwrap, type Schemas } from "@/lib/api-client";

export type Invoice = Schemas["InvoiceView"];
export type InvoicePage = Schemas["InvoicePage"];

export const invoicesQueryKey = (id: string) => [...subscriptionQueryKey(id), "invoices"] as const;

const PAGE_SIZE = 24;

/** One page of the subscription's invoices, newest first (`billing`). */
export async function getInvoices(id: string, cursor?: string): Promise<InvoicePage> {
  return unwrap(
    client.GET("/api/subscriptions/{subscription_id}/invoices", {
      params: { path: { subscription_id: id }, query: { limit: PAGE_SIZE, cursor } },
    }),
  );
}

export function getInvoicesQueryOptions(id: string) {
  return infiniteQueryOptions({
    queryKey: invoicesQueryKey(id),
    queryFn: ({ pageParam }) => getInvoices(id, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useInvoices(id: string) {
  return useInfiniteQuery(getInvoicesQueryOptions(id));
}
