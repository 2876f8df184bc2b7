import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Dropdown,
  Field,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Option,
  Text,
  tokens,
  Toast,
  ToastBody,
  ToastTitle,
  useToastController,
} from "@fluentui/react-components";
import { useState, type FormEvent } from "react";
import { TOASTER_ID } from "@/app/provider";
import { LoadingState } from "@/components/states";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { isProblem, type Subscription } from "@/lib/api-client";
import { useSubscriptions } from "@/features/subscriptions/api/get-subscriptions";
import { useMoveLicenses, type MoveLicensesInput } from "../api/move-licenses";
import { licenses, movedMessage, moveShortMessage } from "../lib/messages";

const useStyles = makeStyles({
  surface: { maxWidth: "min(560px, calc(100vw - 32px))" },
  content: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  fill: { width: "100%", minWidth: 0, maxWidth: "100%" },
  numbers: { fontVariantNumeric: "tabular-nums" },
});

/** What is moved: the selected addresses, or every license of one label. */
export type MoveSource = { emails: string[] } | { label: string };

function targetText(subscription: Subscription): string {
  const free = `${subscription.available.toLocaleString("en-US")} free`;
  return `${subscription.name} · ${free}`;
}

function canReceive(subscription: Subscription): boolean {
  return subscription.status === "active" || subscription.status === "past_due";
}

/**
 * Moves licenses to another of the caller's subscriptions where it may assign, all or nothing;
 * a refusal for lack of seats says how many the target is missing.
 */
export function MoveLicensesDialog({
  subscription,
  source,
  onClose,
  onMoved,
}: {
  subscription: Subscription;
  source: MoveSource;
  onClose: () => void;
  onMoved?: (moved: string[]) => void;
}) {
  const styles = useStyles();
  const subscriptions = useSubscriptions();
  const move = useMoveLicenses(subscription.id);
  const { dispatchToast } = useToastController(TOASTER_ID);
  const [to, setTo] = useState("");

  const targets = (subscriptions.data ?? []).filter(
    (candidate) => candidate.id !== subscription.id && candidate.permissions.includes("assign"),
  );
  const target = targets.find((candidate) => candidate.id === to);
  const what =
    "emails" in source
      ? licenses(source.emails.length)
      : source.label
        ? `all licenses labelled “${source.label}”`
        : "all licenses without a label";
  const error = move.error;
  const notEnough = isProblem(error, 409, "not_enough_seats");

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!target) return;
    const input: MoveLicensesInput =
      "emails" in source ? { to: target.id, emails: source.emails } : { to: target.id, label: source.label };
    move.mutate(input, {
      onSuccess: (result) => {
        const message = movedMessage(result.moved.length, target.name, result.not_assigned.length);
        dispatchToast(
          <Toast>
            <ToastTitle>{message.title}</ToastTitle>
            {message.body ? <ToastBody>{message.body}</ToastBody> : null}
          </Toast>,
          { intent: "success" },
        );
        onMoved?.(result.moved.map((license) => license.email));
        onClose();
      },
    });
  }

  let missing: string | undefined;
  if (notEnough) {
    const problem = error;
    const requested = Number(problem.body.requested);
    const available = Number(problem.body.available);
    missing =
      Number.isFinite(requested) && Number.isFinite(available) && requested > available
        ? moveShortMessage(requested, available, target?.name ?? "the target subscription")
        : problem.detail;
  }

  return (
    <Dialog
      open
      onOpenChange={(_, data) => {
        if (!data.open && !move.isPending) onClose();
      }}
    >
      <DialogSurface className={styles.surface}>
        <form onSubmit={onSubmit}>
          <DialogBody>
            <DialogTitle>Move {what} to another subscription</DialogTitle>
            <DialogContent className={styles.content}>
              <Text>Each user keeps a working license throughout; no welcome email is sent.</Text>
              {subscriptions.isPending ? (
                <LoadingState label="Loading subscriptions…" />
              ) : subscriptions.isError ? (
                <ProblemMessageBar error={subscriptions.error} />
              ) : targets.length === 0 ? (
                <MessageBar intent="info" layout="multiline">
                  <MessageBarBody>
                    You have no other subscription where you can assign licenses.
                  </MessageBarBody>
                </MessageBar>
              ) : (
                <Field label="Move to" required hint="Subscriptions where you can assign licenses, with their free seats">
                  <Dropdown
                    className={styles.fill}
                    placeholder="Choose a subscription"
                    value={target ? targetText(target) : ""}
                    selectedOptions={to ? [to] : []}
                    onOptionSelect={(_, data) => {
                      setTo(data.optionValue ?? "");
                      move.reset();
                    }}
                  >
                    {targets.map((candidate) => (
                      <Option
                        key={candidate.id}
                        value={candidate.id}
                        text={targetText(candidate)}
                        disabled={!canReceive(candidate)}
                      >
                        <span className={styles.numbers}>
                          {targetText(candidate)}
                          {canReceive(candidate) ? "" : " · not active"}
                        </span>
                      </Option>
                    ))}
                  </Dropdown>
                </Field>
              )}
              {notEnough ? (
                <MessageBar intent="warning" layout="multiline">
                  <MessageBarBody>
                    <MessageBarTitle>Not enough free seats</MessageBarTitle>
                    {missing} Nothing was moved.
                  </MessageBarBody>
                </MessageBar>
              ) : (
                <ProblemMessageBar error={error} />
              )}
            </DialogContent>
            <DialogActions>
              <DialogTrigger disableButtonEnhancement>
                <Button appearance="secondary" disabled={move.isPending}>
                  Cancel
                </Button>
              </DialogTrigger>
              <Button appearance="primary" type="submit" disabled={!target || move.isPending}>
                {move.isPending ? "Moving…" : "Move"}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
