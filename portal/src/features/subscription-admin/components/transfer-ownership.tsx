import {
  Button,
  Dropdown,
  Field,
  makeStyles,
  Option,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useState } from "react";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ErrorState } from "@/components/states";
import type { Subscription } from "@/lib/api-client";
import { PERMISSION_NAMES } from "@/lib/format";
import { useAdmins } from "../api/get-admins";
import { useTransferOwnership } from "../api/transfer-ownership";
import { Panel } from "./panel";
import { useSuccessToast } from "./use-success-toast";

const useStyles = makeStyles({
  form: { display: "flex", flexWrap: "wrap", alignItems: "flex-end", gap: tokens.spacingHorizontalM },
  field: { flexBasis: "18rem", flexGrow: 1, minWidth: 0, maxWidth: "32rem" },
  dropdown: { minWidth: 0, width: "100%" },
  muted: { color: tokens.colorNeutralForeground2 },
});

/** Transfer ownership (owner) to an active administrator; the owner stays an administrator. */
export function TransferOwnership({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const admins = useAdmins(subscription.id);
  const [email, setEmail] = useState<string | undefined>();
  const [confirming, setConfirming] = useState(false);
  const transfer = useTransferOwnership(subscription.id);
  const toast = useSuccessToast();
  const active = (admins.data ?? []).filter((admin) => admin.status === "active");

  return (
    <Panel
      title="Transfer ownership"
      description="Make an active delegated administrator the owner of this subscription."
    >
      {admins.isError ? <ErrorState error={admins.error} onRetry={() => void admins.refetch()} /> : null}
      {admins.isSuccess && active.length === 0 ? (
        <Text className={styles.muted}>
          Ownership can move only to an administrator who has accepted an invitation. Add a
          delegated administrator first.
        </Text>
      ) : null}
      {active.length > 0 ? (
        <div className={styles.form}>
          <Field className={styles.field} label="New owner">
            <Dropdown
              className={styles.dropdown}
              placeholder="Choose an administrator"
              value={email ?? ""}
              selectedOptions={email ? [email] : []}
              onOptionSelect={(_, data) => setEmail(data.optionValue)}
            >
              {active.map((admin) => (
                <Option key={admin.id} value={admin.email}>
                  {admin.email}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <Button disabled={!email} onClick={() => setConfirming(true)}>
            Transfer ownership
          </Button>
        </div>
      ) : null}
      {email ? (
        <ConfirmDialog
          title="Transfer ownership?"
          confirmLabel="Transfer ownership"
          open={confirming}
          onOpenChange={(open) => {
            setConfirming(open);
            if (!open) transfer.reset();
          }}
          pending={transfer.isPending}
          error={transfer.error}
          onConfirm={() =>
            transfer.mutate(email, {
              onSuccess: () => {
                setConfirming(false);
                toast(`${email} now owns ${subscription.name}`);
              },
            })
          }
        >
          <p>
            {email} becomes the owner of {subscription.name}: they can rename it, manage
            administrators and API keys, and transfer it again.
          </p>
          <p>
            You stay an administrator with all permissions ({Object.values(PERMISSION_NAMES).join(", ")}),
            but you can no longer manage administrators or API keys.
          </p>
        </ConfirmDialog>
      ) : null}
    </Panel>
  );
}
