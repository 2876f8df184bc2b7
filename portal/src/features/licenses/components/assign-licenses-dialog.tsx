import {
  Button,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Field,
  Input,
  makeStyles,
  Text,
  Textarea,
  tokens,
  Toast,
  ToastBody,
  ToastTitle,
  useToastController,
} from "@fluentui/react-components";
import { PersonAddRegular } from "@fluentui/react-icons";
import { useMemo, useState, type FormEvent, type ReactNode } from "react";
import { TOASTER_ID } from "@/app/provider";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { isProblem, type Subscription } from "@/lib/api-client";
import { useAssignLicenses } from "../api/assign-licenses";
import { assignedMessage, availableMessage, licenses } from "../lib/messages";
import { parseAddresses, type InvalidAddress } from "../lib/parse-addresses";
import { NotEnoughSeats } from "./not-enough-seats";
import { FormDialogActions } from "@/components/form-dialog-actions";
import { SharedMailboxField } from "./shared-mailbox-field";

// The API takes at most 1,000 addresses in one all-or-nothing request.
const MAX_ADDRESSES = 1000;
const SHOWN_INVALID = 25;

const useStyles = makeStyles({
  surface: { maxWidth: "min(640px, calc(100vw - 32px))" },
  content: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  textarea: { minHeight: "160px" },
  seats: { color: tokens.colorNeutralForeground2 },
  summary: { fontVariantNumeric: "tabular-nums" },
  invalid: { margin: 0, paddingInlineStart: tokens.spacingHorizontalL },
  original: { fontWeight: tokens.fontWeightSemibold, overflowWrap: "anywhere" },
});

function InvalidList({ invalid }: { invalid: InvalidAddress[] }) {
  const styles = useStyles();
  const shown = invalid.slice(0, SHOWN_INVALID);
  return (
    <>
      {invalid.length === 1
        ? "This entry is not a usable address; fix or remove it:"
        : `These ${invalid.length} entries are not usable addresses; fix or remove them:`}
      <ul className={styles.invalid}>
        {shown.map((entry, index) => (
          <li key={index}>
            <span className={styles.original}>{entry.original}</span> {entry.reason}
          </li>
        ))}
        {invalid.length > shown.length ? <li>and {invalid.length - shown.length} more</li> : null}
      </ul>
    </>
  );
}

/** "Assign licenses": addresses pasted as people paste them, checked before anything is sent. */
export function AssignLicensesDialog({
  subscription,
  disabledReasonId,
}: {
  subscription: Subscription;
  /** When assigning is not possible: the id of the text that says why. */
  disabledReasonId?: string;
}) {
  const styles = useStyles();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [label, setLabel] = useState("");
  const [sharedMailbox, setSharedMailbox] = useState(false);
  const [checked, setChecked] = useState(false);
  const assign = useAssignLicenses(subscription.id);
  const { dispatchToast } = useToastController(TOASTER_ID);
  const parsed = useMemo(() => parseAddresses(text), [text]);

  // The server's 422 names `emails[i]`: point at the address as it was pasted.
  const serverInvalid: InvalidAddress[] = [];
  const sent = assign.variables?.emails ?? [];
  if (assign.error && isProblem(assign.error, 422)) {
    for (const entry of assign.error.errors) {
      const match = /^emails\[(\d+)\]$/.exec(entry.field);
      const email = match ? sent[Number(match[1])] : undefined;
      if (email !== undefined && Object.hasOwn(parsed.originals, email)) {
        serverInvalid.push({ original: parsed.originals[email] ?? email, reason: entry.message });
      }
    }
  }
  const invalid = [...parsed.invalid, ...serverInvalid];
  const showProblems = checked || serverInvalid.length > 0;
  const tooMany = parsed.addresses.length > MAX_ADDRESSES;
  const empty = parsed.addresses.length === 0 && parsed.invalid.length === 0;

  let addressesMessage: ReactNode = undefined;
  if (showProblems && invalid.length > 0) addressesMessage = <InvalidList invalid={invalid} />;
  else if (showProblems && empty) addressesMessage = "Enter at least one email address.";
  else if (showProblems && tooMany)
    addressesMessage = `At most ${MAX_ADDRESSES.toLocaleString("en-US")} addresses can be assigned at once; import the rest from a CSV file in a second step.`;

  const notEnough = isProblem(assign.error, 409, "not_enough_seats") ? assign.error : undefined;
  const labelError = isProblem(assign.error, 422) ? assign.error.fieldError("label") : undefined;
  const otherError =
    assign.error && !notEnough && !(isProblem(assign.error, 422) && (serverInvalid.length > 0 || labelError))
      ? assign.error
      : undefined;

  function reset() {
    setText("");
    setLabel("");
    setSharedMailbox(false);
    setChecked(false);
    assign.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setChecked(true);
    if (parsed.invalid.length > 0 || parsed.addresses.length === 0 || tooMany) return;
    assign.mutate(
      { emails: parsed.addresses, label: label.trim() || undefined, sharedMailbox },
      {
        onSuccess: (result) => {
          const message = assignedMessage(result.assigned.length, result.already_assigned.length);
          dispatchToast(
            <Toast>
              <ToastTitle>{message.title}</ToastTitle>
              {message.body ? <ToastBody>{message.body}</ToastBody> : null}
            </Toast>,
            { intent: "success" },
          );
          setOpen(false);
          reset();
        },
      },
    );
  }

  const counted =
    parsed.addresses.length === 0
      ? null
      : `${licenses(parsed.addresses.length)} to assign` +
        (parsed.duplicates > 0
          ? ` (${parsed.duplicates.toLocaleString("en-US")} ${parsed.duplicates === 1 ? "duplicate" : "duplicates"} removed)`
          : "");

  return (
    <Dialog
      open={open}
      onOpenChange={(_, data) => {
        setOpen(data.open);
        if (!data.open) reset();
      }}
    >
      <DialogTrigger disableButtonEnhancement>
        <Button
          appearance="primary"
          icon={<PersonAddRegular />}
          disabled={disabledReasonId !== undefined}
          aria-describedby={disabledReasonId}
        >
          Assign licenses
        </Button>
      </DialogTrigger>
      <DialogSurface className={styles.surface}>
        <form onSubmit={submit} noValidate>
          <DialogBody>
            <DialogTitle>Assign licenses</DialogTitle>
            <DialogContent className={styles.content}>
              <Text className={styles.seats}>
                {availableMessage(subscription.available, subscription.quantity)}. Each person gets a
                welcome email with installation steps.
              </Text>
              <Field
                label="Email addresses"
                hint="One per line, or separated by commas or semicolons. You can paste straight from Outlook's To line."
                validationState={addressesMessage ? "error" : "none"}
                validationMessage={addressesMessage}
              >
                <Textarea
                  value={text}
                  onChange={(_, data) => {
                    setText(data.value);
                    if (assign.error) assign.reset();
                  }}
                  onBlur={() => {
                    if (text.trim()) setChecked(true);
                  }}
                  textarea={{ className: styles.textarea }}
                  resize="vertical"
                  placeholder={"Ann Lee <ann@contoso.com>; bob@contoso.com"}
                />
              </Field>
              {counted ? (
                <Text className={styles.summary} aria-live="polite">
                  {counted}
                </Text>
              ) : null}
              <Field
                label="Label (optional)"
                hint="For example the client's or department's name, to filter by later."
                validationState={labelError ? "error" : "none"}
                validationMessage={labelError}
              >
                <Input value={label} maxLength={100} onChange={(_, data) => setLabel(data.value)} />
              </Field>
              <SharedMailboxField checked={sharedMailbox} onChange={setSharedMailbox} />
              {notEnough ? (
                <NotEnoughSeats
                  problem={notEnough}
                  subscription={subscription}
                  onAddSeats={() => {
                    setOpen(false);
                    reset();
                  }}
                />
              ) : null}
              <ProblemMessageBar error={otherError} shownFields={["emails", "label"]} />
            </DialogContent>
            <FormDialogActions pending={assign.isPending} submitLabel="Assign" pendingLabel="Assigning…" />
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
