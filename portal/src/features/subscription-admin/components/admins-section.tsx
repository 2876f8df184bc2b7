import {
  Badge,
  Button,
  makeStyles,
  mergeClasses,
  Menu,
  MenuButton,
  MenuItem,
  MenuList,
  MenuPopover,
  MenuTrigger,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Table,
  TableBody,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from "@fluentui/react-components";
import {
  DeleteRegular,
  DoorArrowLeftRegular,
  KeyMultipleRegular,
  MailArrowUpRegular,
  MoreHorizontalRegular,
  PeopleTeamRegular,
} from "@fluentui/react-icons";
import { useState } from "react";
import { useNavigate } from "react-router";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { useMe } from "@/features/auth/api/get-me";
import { ApiProblem, type Subscription } from "@/lib/api-client";
import { formatDate } from "@/lib/format";
import { useAdmins, type Administrator } from "../api/get-admins";
import { useRemoveAdmin } from "../api/remove-admin";
import { useResendInvitation } from "../api/resend-invitation";
import { permissionNames } from "../utils/permissions";
import { retryAt, tryAgainWords } from "../utils/retry-after";
import { ChangePermissionsDialog } from "./change-permissions-dialog";
import { InviteAdminDialog } from "./invite-admin-dialog";
import { Cell, Panel, TableScroller, useStackedTableStyles } from "./panel";
import { useSuccessToast } from "./use-success-toast";

const useStyles = makeStyles({
  table: { minWidth: "760px" },
  email: { overflowWrap: "anywhere", fontWeight: tokens.fontWeightSemibold },
  you: { color: tokens.colorNeutralForeground2, fontWeight: tokens.fontWeightRegular },
  permissions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalXS },
  owner: { color: tokens.colorNeutralForeground2, overflowWrap: "anywhere" },
  actionsCell: { "@media (min-width: 641px)": { width: "64px" } },
  srOnly: {
    position: "absolute",
    width: "1px",
    height: "1px",
    overflow: "hidden",
    clipPath: "inset(50%)",
    whiteSpace: "nowrap",
  },
});

type Pending =
  | { kind: "permissions"; admin: Administrator }
  | { kind: "remove"; admin: Administrator }
  | { kind: "leave"; admin: Administrator };

/** A resend refused for sending too often, with when it may be tried again. */
function ResendProblem({ error }: { error: unknown }) {
  if (error instanceof ApiProblem && error.status === 429) {
    const at = retryAt(error.body.retry_after);
    return (
      <MessageBar intent="warning" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>The invitation was sent recently.</MessageBarTitle>
          {at ? tryAgainWords(at) : error.detail}
        </MessageBarBody>
      </MessageBar>
    );
  }
  return <ProblemMessageBar error={error} />;
}

/** Delegated administrators: the owner invites and manages them; a delegate may leave. */
export function AdminsSection({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const stacked = useStackedTableStyles();
  const admins = useAdmins(subscription.id);
  const me = useMe();
  const navigate = useNavigate();
  const owner = subscription.role === "owner";
  const [pending, setPending] = useState<Pending | undefined>();
  const remove = useRemoveAdmin(subscription.id);
  const resend = useResendInvitation(subscription.id);
  const toast = useSuccessToast();

  const myEmail = me.data?.email.toLowerCase();
  const mine = owner ? undefined : admins.data?.find((admin) => admin.email.toLowerCase() === myEmail);

  function close() {
    setPending(undefined);
    remove.reset();
  }

  const actions = (
    <>
      {owner ? <InviteAdminDialog subscription={subscription} /> : null}
      {mine ? (
        <Button icon={<DoorArrowLeftRegular />} onClick={() => setPending({ kind: "leave", admin: mine })}>
          Leave this subscription
        </Button>
      ) : null}
    </>
  );

  return (
    <Panel
      title="Administrators"
      description={
        owner
          ? "Delegated administrators manage this subscription with the permissions you grant."
          : "The people who manage this subscription."
      }
      actions={actions}
    >
      <Text className={styles.owner}>
        Owner: {subscription.owner.email}
        {subscription.owner.email.toLowerCase() === myEmail ? " (you)" : ""}
      </Text>
      {resend.isError ? <ResendProblem error={resend.error} /> : null}
      {admins.isPending ? <LoadingState label="Loading administrators…" /> : null}
      {admins.isError ? <ErrorState error={admins.error} onRetry={() => void admins.refetch()} /> : null}
      {admins.isSuccess && admins.data.length === 0 ? (
        <EmptyState
          icon={<PeopleTeamRegular />}
          title="No delegated administrators yet"
          description={
            owner
              ? "Invite IT staff to assign licenses, or finance to manage billing, without sharing your account."
              : undefined
          }
        />
      ) : null}
      {admins.isSuccess && admins.data.length > 0 ? (
        <TableScroller label="Administrators">
          <Table className={mergeClasses(styles.table, stacked.table)} aria-label="Delegated administrators">
            <TableHeader className={stacked.header}>
              <TableRow>
                <TableHeaderCell>Email</TableHeaderCell>
                <TableHeaderCell>Permissions</TableHeaderCell>
                <TableHeaderCell>Status</TableHeaderCell>
                <TableHeaderCell>Invited</TableHeaderCell>
                <TableHeaderCell>Accepted</TableHeaderCell>
                {owner ? (
                  <TableHeaderCell className={styles.actionsCell}>
                    <span className={styles.srOnly}>Actions</span>
                  </TableHeaderCell>
                ) : null}
              </TableRow>
            </TableHeader>
            <TableBody className={stacked.body}>
              {admins.data.map((admin) => (
                <TableRow className={stacked.row} key={admin.id}>
                  <Cell label="Email" lead>
                    <span className={styles.email}>{admin.email}</span>
                    {admin.email.toLowerCase() === myEmail ? <span className={styles.you}> (you)</span> : null}
                  </Cell>
                  <Cell label="Permissions">
                    <span className={styles.permissions}>{permissionNames(admin.permissions).join(", ")}</span>
                  </Cell>
                  <Cell label="Status">
                    <Badge
                      appearance="tint"
                      shape="rounded"
                      color={admin.status === "active" ? "success" : "informative"}
                    >
                      {admin.status === "active" ? "Active" : "Invited"}
                    </Badge>
                  </Cell>
                  <Cell label="Invited">{formatDate(admin.invited_at)}</Cell>
                  <Cell label="Accepted" empty={!admin.accepted_at}>{admin.accepted_at ? formatDate(admin.accepted_at) : "Not yet"}</Cell>
                  {owner ? (
                    <Cell label="Actions" className={styles.actionsCell}>
                      <Menu>
                        <MenuTrigger disableButtonEnhancement>
                          <MenuButton
                            appearance="subtle"
                            icon={<MoreHorizontalRegular />}
                            aria-label={`Actions for ${admin.email}`}
                            menuIcon={null}
                          />
                        </MenuTrigger>
                        <MenuPopover>
                          <MenuList>
                            <MenuItem
                              icon={<KeyMultipleRegular />}
                              onClick={() => setPending({ kind: "permissions", admin })}
                            >
                              Change permissions
                            </MenuItem>
                            {admin.status === "invited" ? (
                              <MenuItem
                                icon={<MailArrowUpRegular />}
                                disabled={resend.isPending}
                                onClick={() =>
                                  resend.mutate(admin.id, {
                                    onSuccess: () => toast(`Invitation sent again to ${admin.email}`),
                                  })
                                }
                              >
                                Resend invitation
                              </MenuItem>
                            ) : null}
                            <MenuItem
                              icon={<DeleteRegular />}
                              onClick={() => setPending({ kind: "remove", admin })}
                            >
                              Remove
                            </MenuItem>
                          </MenuList>
                        </MenuPopover>
                      </Menu>
                    </Cell>
                  ) : null}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroller>
      ) : null}

      {pending?.kind === "permissions" ? (
        <ChangePermissionsDialog subscriptionId={subscription.id} admin={pending.admin} onClose={close} />
      ) : null}
      {pending?.kind === "remove" ? (
        <ConfirmDialog
          open
          onOpenChange={(open) => (open ? undefined : close())}
          title={pending.admin.status === "invited" ? "Withdraw the invitation?" : "Remove administrator?"}
          confirmLabel="Remove"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(pending.admin.id, {
              onSuccess: () => {
                close();
                toast(`${pending.admin.email} removed`);
              },
            })
          }
        >
          {pending.admin.status === "invited"
            ? `The invitation to ${pending.admin.email} stops working.`
            : `${pending.admin.email} can no longer see or manage ${subscription.name}. Their licenses, and the licenses they assigned, stay as they are.`}
        </ConfirmDialog>
      ) : null}
      {pending?.kind === "leave" ? (
        <ConfirmDialog
          open
          onOpenChange={(open) => (open ? undefined : close())}
          title="Leave this subscription?"
          confirmLabel="Leave"
          pending={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(pending.admin.id, {
              onSuccess: () => {
                toast(`You left ${subscription.name}`);
                void navigate("/");
              },
            })
          }
        >
          You can no longer see or manage {subscription.name}. To come back, the owner must invite
          you again.
        </ConfirmDialog>
      ) : null}
    </Panel>
  );
}
