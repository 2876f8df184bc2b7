import {
  makeStyles,
  mergeClasses,
  Table,
  TableBody,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
} from "@fluentui/react-components";
import { HistoryRegular } from "@fluentui/react-icons";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import type { Subscription } from "@/lib/api-client";
import { formatDateTime } from "@/lib/format";
import { useActivity } from "../api/get-activity";
import { useApiKeys } from "../api/get-api-keys";
import { actionWords, actorWords } from "../utils/activity";
import { Cell, Panel, TableScroller, useStackedTableStyles } from "./panel";
import { LoadMoreButton } from "@/components/load-more-button";

const useStyles = makeStyles({
  table: { minWidth: "720px" },
  when: { whiteSpace: "nowrap", fontVariantNumeric: "tabular-nums" },
  action: { fontWeight: tokens.fontWeightSemibold },
  wrap: { overflowWrap: "anywhere" },
  muted: { color: tokens.colorNeutralForeground2 },
  more: { alignSelf: "flex-start" },
});

/** The activity log (`view`): every change to licenses, seats, administrators, keys and owner. */
export function ActivitySection({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const stacked = useStackedTableStyles();
  const activity = useActivity(subscription.id);
  const items = activity.data?.pages.flatMap((page) => page.items) ?? [];
  // Only the owner may list keys; anyone else sees a key's changes without its name.
  const keys = useApiKeys(subscription.id, subscription.role === "owner");
  const keyNames = keys.data ? new Map(keys.data.map((key) => [key.id, key.name])) : undefined;

  return (
    <Panel title="Activity" description="Every change to this subscription, newest first.">
      {activity.isPending ? <LoadingState label="Loading activity…" /> : null}
      {activity.isError ? (
        <ErrorState error={activity.error} onRetry={() => void activity.refetch()} />
      ) : null}
      {activity.isSuccess && items.length === 0 ? (
        <EmptyState icon={<HistoryRegular />} title="Nothing has happened yet" />
      ) : null}
      {items.length > 0 ? (
        <TableScroller label="Activity log">
          <Table className={mergeClasses(styles.table, stacked.table)} aria-label="Activity log">
            <TableHeader className={stacked.header}>
              <TableRow>
                <TableHeaderCell>When</TableHeaderCell>
                <TableHeaderCell>Who</TableHeaderCell>
                <TableHeaderCell>What</TableHeaderCell>
                <TableHeaderCell>Affected</TableHeaderCell>
                <TableHeaderCell>Details</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody className={stacked.body}>
              {items.map((entry, index) => (
                <TableRow className={stacked.row} key={`${entry.at}-${index}`}>
                  <Cell label="When" className={styles.when}>
                    <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                  </Cell>
                  <Cell label="Who" className={styles.wrap}>{actorWords(entry.actor, keyNames)}</Cell>
                  <Cell label="What" lead className={styles.action}>{actionWords(entry.action)}</Cell>
                  <Cell label="Affected" empty={!entry.target} className={styles.wrap}>
                    {entry.target ?? <span className={styles.muted}>—</span>}
                  </Cell>
                  <Cell label="Details" empty={!entry.detail} className={styles.wrap}>
                    {entry.detail ?? <span className={styles.muted}>—</span>}
                  </Cell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroller>
      ) : null}
      <LoadMoreButton query={activity} className={styles.more} />
    </Panel>
  );
}
