import {
  Button,
  makeStyles,
  mergeClasses,
  Table,
  TableBody,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
} from "@fluentui/react-components";
import { DeleteRegular, KeyRegular } from "@fluentui/react-icons";
import { useState } from "react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import type { Subscription } from "@/lib/api-client";
import { formatDate, formatDateTime } from "@/lib/format";
import { useApiKeys, type ApiKey } from "../api/get-api-keys";
import { useRevokeApiKey } from "../api/revoke-api-key";
import { permissionNames } from "../utils/permissions";
import { CreateApiKeyDialog } from "./create-api-key-dialog";
import { Cell, Panel, TableScroller, useStackedTableStyles } from "./panel";
import { useSuccessToast } from "./use-success-toast";

const useStyles = makeStyles({
  table: { minWidth: "680px" },
  name: { overflowWrap: "anywhere", fontWeight: tokens.fontWeightSemibold },
  never: { color: tokens.colorNeutralForeground2, fontStyle: "italic" },
});

/** API keys (owner): for scripts that assign licenses; each works on this subscription only. */
export function ApiKeysSection({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const stacked = useStackedTableStyles();
  const keys = useApiKeys(subscription.id);
  const [revoking, setRevoking] = useState<ApiKey | undefined>();
  const revoke = useRevokeApiKey(subscription.id);
  const toast = useSuccessToast();

  function close() {
    setRevoking(undefined);
    revoke.reset();
  }

  return (
    <Panel
      title="API keys"
      description="Scripts and other systems use a key to manage this subscription's licenses through the licensing API."
      actions={<CreateApiKeyDialog subscription={subscription} />}
    >
      {keys.isPending ? <LoadingState label="Loading API keys…" /> : null}
      {keys.isError ? <ErrorState error={keys.error} onRetry={() => void keys.refetch()} /> : null}
      {keys.isSuccess && keys.data.length === 0 ? (
        <EmptyState
          icon={<KeyRegular />}
          title="No API keys"
          description="Create a key to assign and remove licenses from a script, for example when staff join or leave."
        />
      ) : null}
      {keys.isSuccess && keys.data.length > 0 ? (
        <TableScroller label="API keys">
          <Table className={mergeClasses(styles.table, stacked.table)} aria-label="API keys">
            <TableHeader className={stacked.header}>
              <TableRow>
                <TableHeaderCell>Name</TableHeaderCell>
                <TableHeaderCell>Permissions</TableHeaderCell>
                <TableHeaderCell>Created</TableHeaderCell>
                <TableHeaderCell>Last used</TableHeaderCell>
                <TableHeaderCell>Revoke</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody className={stacked.body}>
              {keys.data.map((key) => (
                <TableRow className={stacked.row} key={key.id}>
                  <Cell label="Name" lead>
                    <span className={styles.name}>{key.name}</span>
                  </Cell>
                  <Cell label="Permissions">{permissionNames(key.permissions).join(", ")}</Cell>
                  <Cell label="Created">{formatDate(key.created_at)}</Cell>
                  <Cell label="Last used">
                    {key.last_used_at ? (
                      formatDateTime(key.last_used_at)
                    ) : (
                      <span className={styles.never}>Never</span>
                    )}
                  </Cell>
                  <Cell label="Revoke">
                    <Button
                      appearance="subtle"
                      icon={<DeleteRegular />}
                      aria-label={`Revoke ${key.name}`}
                      onClick={() => setRevoking(key)}
                    />
                  </Cell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroller>
      ) : null}
      {revoking ? (
        <ConfirmDialog
          open
          onOpenChange={(open) => (open ? undefined : close())}
          title="Revoke API key?"
          confirmLabel="Revoke"
          pending={revoke.isPending}
          error={revoke.error}
          onConfirm={() =>
            revoke.mutate(revoking.id, {
              onSuccess: () => {
                close();
                toast(`API key ${revoking.name} revoked`);
              },
            })
          }
        >
          “{revoking.name}” stops working at once. Whatever uses it can no longer reach this
          subscription.
        </ConfirmDialog>
      ) : null}
    </Panel>
  );
}
