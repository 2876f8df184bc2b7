import {
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  Text,
  tokens,
  Toast,
  ToastTitle,
  useToastController,
} from "@fluentui/react-components";
import { useState, type FormEvent, type ReactNode } from "react";
import { TOASTER_ID } from "@/app/provider";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ApiProblem, isProblem } from "@/lib/api-client";
import type { License } from "../api/get-licenses";
import { useLabelLicense } from "../api/label-license";
import { useReassignLicense } from "../api/reassign-license";
import { useUnassignLicenses } from "../api/unassign-licenses";
import { licenses } from "../lib/messages";
import { addressProblem } from "../lib/parse-addresses";
import { FormDialogActions } from "@/components/form-dialog-actions";
import { SharedMailboxField } from "./shared-mailbox-field";

const useStyles = makeStyles({
  surface: { maxWidth: "min(520px, calc(100vw - 32px))" },
  content: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  email: { fontWeight: tokens.fontWeightSemibold, overflowWrap: "anywhere" },
});

function useSuccessToast() {
  const { dispatchToast } = useToastController(TOASTER_ID);
  return (title: string) =>
    dispatchToast(
      <Toast>
        <ToastTitle>{title}</ToastTitle>
      </Toast>,
      { intent: "success" },
    );
}

function FormDialog({
  title,
  open,
  onOpenChange,
  onSubmit,
  submitLabel,
  pending,
  children,
}: {
  title: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onSubmit: () => void;
  submitLabel: string;
  pending: boolean;
  children: ReactNode;
}) {
  const styles = useStyles();
  return (
    <Dialog open={open} onOpenChange={(_, data) => onOpenChange(data.open)}>
      <DialogSurface className={styles.surface}>
        <form
          noValidate
          onSubmit={(event: FormEvent) => {
            event.preventDefault();
            onSubmit();
          }}
        >
          <DialogBody>
            <DialogTitle>{title}</DialogTitle>
            <DialogContent className={styles.content}>{children}</DialogContent>
            <FormDialogActions pending={pending} submitLabel={submitLabel} pendingLabel="Working…" />
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

/** Reassign: the seat moves to another address; the new holder gets a welcome email. */
export function ReassignDialog({
  subscriptionId,
  license,
  onClose,
}: {
  subscriptionId: string;
  license: License;
  onClose: () => void;
}) {
  const styles = useStyles();
  const [email, setEmail] = useState("");
  const [checked, setChecked] = useState(false);
  const reassign = useReassignLicense(subscriptionId);
  const toast = useSuccessToast();
  const normalized = email.trim().toLowerCase();
  const local = checked ? (normalized ? addressProblem(normalized) : "is empty") : null;
  const serverField =
    isProblem(reassign.error, 422) ? reassign.error.fieldError("email") : undefined;
  const conflict = isProblem(reassign.error, 409, "already_assigned") ? reassign.error.detail : undefined;
  const fieldMessage = local
    ? normalized
      ? `This address ${local}.`
      : "Enter the new holder's email address."
    : (serverField ?? conflict);
  const other = reassign.error && !serverField && !conflict ? reassign.error : undefined;
  return (
    <FormDialog
      title="Reassign license"
      open
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      submitLabel="Reassign"
      pending={reassign.isPending}
      onSubmit={() => {
        setChecked(true);
        if (!normalized || addressProblem(normalized)) return;
        reassign.mutate(
          { from: license.email, to: normalized },
          {
            onSuccess: (moved) => {
              toast(`License reassigned to ${moved.email}; welcome email sent`);
              onClose();
            },
          },
        );
      }}
    >
      <Text>
        The license of <span className={styles.email}>{license.email}</span> moves to the new address
        at once; its label stays.
      </Text>
      <Field
        label="New email address"
        required
        validationState={fieldMessage ? "error" : "none"}
        validationMessage={fieldMessage}
      >
        <Input
          type="email"
          autoComplete="off"
          value={email}
          onChange={(_, data) => {
            setEmail(data.value);
            if (reassign.error) reassign.reset();
          }}
        />
      </Field>
      <ProblemMessageBar error={other} shownFields={["email"]} />
    </FormDialog>
  );
}

/** Edit: set, change or clear (blank) a license's label, and mark it as a shared mailbox's. */
export function EditLicenseDialog({
  subscriptionId,
  license,
  onClose,
}: {
  subscriptionId: string;
  license: License;
  onClose: () => void;
}) {
  const styles = useStyles();
  const [label, setLabel] = useState(license.label ?? "");
  const [sharedMailbox, setSharedMailbox] = useState(license.shared_mailbox === true);
  const relabel = useLabelLicense(subscriptionId);
  const toast = useSuccessToast();
  const fieldMessage = isProblem(relabel.error, 422) ? relabel.error.fieldError("label") : undefined;
  return (
    <FormDialog
      title="Edit license"
      open
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      submitLabel="Save"
      pending={relabel.isPending}
      onSubmit={() =>
        relabel.mutate(
          { email: license.email, label, sharedMailbox },
          {
            onSuccess: (saved) => {
              toast(`License of ${saved.email} saved`);
              onClose();
            },
          },
        )
      }
    >
      <Text>
        License of <span className={styles.email}>{license.email}</span>
      </Text>
      <Field
        label="Label"
        hint="Leave it empty to remove the label."
        validationState={fieldMessage ? "error" : "none"}
        validationMessage={fieldMessage}
      >
        <Input value={label} maxLength={100} onChange={(_, data) => setLabel(data.value)} />
      </Field>
      <SharedMailboxField checked={sharedMailbox} onChange={setSharedMailbox} />
      <ProblemMessageBar
        error={fieldMessage ? undefined : relabel.error}
        shownFields={["label", "shared_mailbox"]}
      />
    </FormDialog>
  );
}

function listed(emails: string[]): string {
  const shown = emails.slice(0, 3);
  const rest = emails.length - shown.length;
  return rest > 0 ? `${shown.join(", ")} and ${rest.toLocaleString("en-US")} more` : shown.join(", ");
}

/** Remove one or several licenses, after a confirmation naming how many. */
export function RemoveLicensesDialog({
  subscriptionId,
  emails,
  onClose,
  onRemoved,
}: {
  subscriptionId: string;
  emails: string[];
  onClose: () => void;
  onRemoved?: (removed: string[]) => void;
}) {
  const styles = useStyles();
  const remove = useUnassignLicenses(subscriptionId);
  const toast = useSuccessToast();
  const [failure, setFailure] = useState<ApiProblem | undefined>();
  const one = emails.length === 1;
  return (
    <ConfirmDialog
      open
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
      title={one ? "Remove license?" : `Remove ${licenses(emails.length)}?`}
      confirmLabel={one ? "Remove license" : `Remove ${licenses(emails.length)}`}
      pending={remove.isPending}
      error={failure ?? remove.error}
      onConfirm={() =>
        remove.mutate(emails, {
          onSuccess: (outcome) => {
            onRemoved?.(outcome.removed);
            if (outcome.failed.length === 0) {
              toast(one ? `License of ${emails[0]} removed` : `${licenses(outcome.removed.length)} removed`);
              onClose();
              return;
            }
            setFailure(
              new ApiProblem(outcome.failed[0]?.problem.status ?? 0, {
                title: `${licenses(outcome.failed.length)} could not be removed`,
                detail:
                  outcome.removed.length > 0 ? `${licenses(outcome.removed.length)} removed.` : undefined,
                errors: outcome.failed.map((entry) => ({ field: entry.email, message: entry.problem.detail })),
              }),
            );
          },
        })
      }
    >
      {one ? (
        <Text>
          <span className={styles.email}>{emails[0]}</span> loses the license at once: the add-in shows
          its promotional footer again, and the seat is free for someone else.
        </Text>
      ) : (
        <Text>
          {listed(emails)} lose their licenses at once, and {emails.length.toLocaleString("en-US")} seats
          become free for others.
        </Text>
      )}
    </ConfirmDialog>
  );
}
