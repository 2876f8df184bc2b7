import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
} from "@fluentui/react-components";
import { formatMoney } from "@/lib/format";
import { tierLabel, tierRanges, tierFor, type Pricing } from "@/lib/pricing";

const useStyles = makeStyles({
  table: { maxWidth: "24rem" },
  current: { backgroundColor: tokens.colorBrandBackground2 },
  amount: { fontVariantNumeric: "tabular-nums" },
});

/** The volume tiers, with the one the chosen quantity reaches highlighted (and said so). */
export function PriceTiers({ pricing, quantity }: { pricing: Pricing; quantity?: number }) {
  const styles = useStyles();
  const current = quantity === undefined ? undefined : tierFor(pricing.tiers, quantity);
  return (
    <Table size="small" className={styles.table} aria-label="Price per license and month">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Licenses</TableHeaderCell>
          <TableHeaderCell>Price per license and {pricing.interval}</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {tierRanges(pricing.tiers).map((range) => {
          const selected = current !== undefined && current.up_to === range.to;
          return (
            <TableRow key={range.from} className={selected ? styles.current : undefined} aria-current={selected ? "true" : undefined}>
              <TableCell>{tierLabel(range)}</TableCell>
              <TableCell className={styles.amount}>
                {formatMoney(range.unit_amount, pricing.currency)}
                {selected ? " (your price)" : ""}
              </TableCell>
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}
