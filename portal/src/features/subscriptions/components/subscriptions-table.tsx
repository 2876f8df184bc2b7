import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from "@fluentui/react-components";
import { AppLink } from "@/components/links";
import { StatusBadge } from "@/components/status-badge";
import type { Subscription } from "@/lib/api-client";
import { formatDate, roleName } from "@/lib/format";

const useStyles = makeStyles({
  scroller: { overflowX: "auto", maxWidth: "100%" },
  table: { minWidth: "640px", "@media (max-width: 640px)": { minWidth: 0 } },
  // Narrow screens keep name, status and seats; renewal and role are on the subscription page.
  wide: { "@media (max-width: 640px)": { display: "none" } },
  name: { fontWeight: tokens.fontWeightSemibold, overflowWrap: "anywhere" },
  number: { fontVariantNumeric: "tabular-nums" },
});

export function SubscriptionsTable({ subscriptions }: { subscriptions: Subscription[] }) {
  const styles = useStyles();
  return (
    <div className={styles.scroller} role="region" aria-label="Subscriptions" tabIndex={0}>
      <Table className={styles.table} aria-label="Your subscriptions" size="medium">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Status</TableHeaderCell>
            <TableHeaderCell>Licenses assigned</TableHeaderCell>
            <TableHeaderCell className={styles.wide}>Renews</TableHeaderCell>
            <TableHeaderCell className={styles.wide}>Your role</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {subscriptions.map((subscription) => (
            <TableRow key={subscription.id}>
              <TableCell>
                <AppLink to={`/subscriptions/${subscription.id}`} className={styles.name}>
                  {subscription.name}
                </AppLink>
              </TableCell>
              <TableCell>
                <StatusBadge status={subscription.status} />
              </TableCell>
              <TableCell>
                <Text className={styles.number}>
                  {subscription.assigned} of {subscription.quantity}
                </Text>
              </TableCell>
              <TableCell className={styles.wide}>
                {subscription.status === "expired" ? "—" : formatDate(subscription.current_period_end)}
              </TableCell>
              <TableCell className={styles.wide}>{roleName(subscription.role)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
