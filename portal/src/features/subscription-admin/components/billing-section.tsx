import {
  Badge,
  Button,
  Link,
  makeStyles,
  mergeClasses,
  Table,
  TableBody,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
  type BadgeProps,
} from "@fluentui/react-components";
import { DocumentRegular, PaymentRegular } from "@fluentui/react-icons";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import type { Subscription } from "@/lib/api-client";
import { formatDate, formatMoney } from "@/lib/format";
import { useCreateBillingPortal } from "../api/create-billing-portal";
import { useInvoices, type Invoice } from "../api/get-invoices";
import { Cell, Panel, TableScroller, useStackedTableStyles } from "./panel";
import { LoadMoreButton } from "@/components/load-more-button";

const STATUS: Record<string, { label: string; color: BadgeProps["color"] }> = {
  paid: { label: "Paid", color: "success" },
  open: { label: "Due", color: "warning" },
  draft: { label: "Draft", color: "informative" },
  uncollectible: { label: "Uncollectible", color: "danger" },
  void: { label: "Void", color: "subtle" },
};

const useStyles = makeStyles({
  table: { minWidth: "640px" },
  number: { fontVariantNumeric: "tabular-nums" },
  links: { display: "flex", flexWrap: "wrap", columnGap: tokens.spacingHorizontalM },
  more: { alignSelf: "flex-start" },
});

function InvoiceStatus({ status }: { status: string | null }) {
  const known = status ? STATUS[status] : undefined;
  const label = known?.label ?? (status ? status.charAt(0).toUpperCase() + status.slice(1) : "—");
  return (
    <Badge appearance="tint" shape="rounded" color={known?.color ?? "subtle"}>
      {label}
    </Badge>
  );
}

function InvoiceLinks({ invoice }: { invoice: Invoice }) {
  const styles = useStyles();
  const which = invoice.number ?? formatDate(invoice.created_at);
  return (
    <span className={styles.links}>
      {invoice.hosted_invoice_url ? (
        <Link
          href={invoice.hosted_invoice_url}
          target="_blank"
          rel="noopener noreferrer"
          aria-label={`View invoice ${which} (opens in a new tab)`}
        >
          View invoice
        </Link>
      ) : null}
      {invoice.pdf_url ? (
        <Link
          href={invoice.pdf_url}
          target="_blank"
          rel="noopener noreferrer"
          aria-label={`Download PDF of invoice ${which} (opens in a new tab)`}
        >
          Download PDF
        </Link>
      ) : null}
    </span>
  );
}

/** Billing (`billing`): invoices, and the billing portal for payment methods. */
export function BillingSection({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const stacked = useStackedTableStyles();
  const invoices = useInvoices(subscription.id);
  const portal = useCreateBillingPortal(subscription.id);
  const items = invoices.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Panel
      title="Billing"
      description="Invoices of this subscription. Payment methods and billing details are managed on the payment provider's secure page."
      actions={
        <Button
          icon={<PaymentRegular />}
          disabled={portal.isPending || portal.isSuccess}
          onClick={() =>
            portal.mutate(undefined, { onSuccess: ({ url }) => window.location.assign(url) })
          }
        >
          {portal.isPending || portal.isSuccess ? "Opening…" : "Manage payment methods"}
        </Button>
      }
    >
      <ProblemMessageBar error={portal.error} />
      {invoices.isPending ? <LoadingState label="Loading invoices…" /> : null}
      {invoices.isError ? (
        <ErrorState error={invoices.error} onRetry={() => void invoices.refetch()} />
      ) : null}
      {invoices.isSuccess && items.length === 0 ? (
        <EmptyState
          icon={<DocumentRegular />}
          title="No invoices yet"
          description="Each payment's invoice appears here, with a link to view it and to download it."
        />
      ) : null}
      {items.length > 0 ? (
        <TableScroller label="Invoices">
          <Table className={mergeClasses(styles.table, stacked.table)} aria-label="Invoices">
            <TableHeader className={stacked.header}>
              <TableRow>
                <TableHeaderCell>Invoice</TableHeaderCell>
                <TableHeaderCell>Date</TableHeaderCell>
                <TableHeaderCell>Amount</TableHeaderCell>
                <TableHeaderCell>Status</TableHeaderCell>
                <TableHeaderCell>Links</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody className={stacked.body}>
              {items.map((invoice) => (
                <TableRow className={stacked.row} key={invoice.id}>
                  <Cell label="Invoice" lead className={styles.number}>{invoice.number ?? "—"}</Cell>
                  <Cell label="Date">{formatDate(invoice.created_at)}</Cell>
                  <Cell label="Amount" className={styles.number}>
                    {formatMoney(invoice.amount_due, invoice.currency)}
                  </Cell>
                  <Cell label="Status">
                    <InvoiceStatus status={invoice.status} />
                  </Cell>
                  <Cell label="Links">
                    <InvoiceLinks invoice={invoice} />
                  </Cell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroller>
      ) : null}
      <LoadMoreButton query={invoices} className={styles.more} />
    </Panel>
  );
}
