import {
  Button,
  makeStyles,
  Table,
  TableBody,
  TableCell,
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
import { actionWords, actorWords } from "../utils/activity";
import { Panel, TableScroller } from "./panel";

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
  const activity = useActivity(subscription.id);
  const items = activity.data?.pages.flatMap((page) => page.items) ?? [];

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
          <Table className={styles.table} aria-label="Activity log">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>When</TableHeaderCell>
                <TableHeaderCell>Who</TableHeaderCell>
                <TableHeaderCell>What</TableHeaderCell>
                <TableHeaderCell>Affected</TableHeaderCell>
                <TableHeaderCell>Details</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((entry, index) => (
                <TableRow key={`${entry.at}-${index}`}>
                  <TableCell className={styles.when}>
                    <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                  </TableCell>
                  <TableCell className={styles.wrap}>{actorWords(entry.actor)}</TableCell>
                  <TableCell className={styles.action}>{actionWords(entry.action)}</TableCell>
                  <TableCell className={styles.wrap}>
                    {entry.target ?? <span className={styles.muted}>—</span>}
                  </TableCell>
                  <TableCell className={styles.wrap}>
                    {entry.detail ?? <span className={styles.muted}>—</span>}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroller>
      ) : null}
      {activity.hasNextPage ? (
        <Button
          className={styles.more}
          disabled={activity.isFetchingNextPage}
          onClick={() => void activity.fetchNextPage()}
        >
          {activity.isFetchingNextPage ? "Loading…" : "Load more"}
        </Button>
      ) : null}
    </Panel>
  );
}
