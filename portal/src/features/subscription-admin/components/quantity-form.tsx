import {
  Button,
  Field,
  Input,
  makeStyles,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { isProblem, type Subscription } from "@/lib/api-client";
import { formatDate, formatMoney } from "@/lib/format";
import { MAX_QUANTITY } from "@/lib/pricing";
import { usePreviewQuantity, type QuantityPreview } from "../api/preview-quantity";
import { useUpdateSubscription } from "../api/update-subscription";
import { belowAssignedWords, newQuantityProblem, quantityHint } from "../utils/quantity";
import { Panel } from "./panel";
import { useSuccessToast } from "./use-success-toast";

const useStyles = makeStyles({
  form: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "flex-start",
    gap: tokens.spacingHorizontalM,
  },
  field: { flexBasis: "12rem", flexGrow: 0, minWidth: 0 },
  button: { marginTop: "26px" },
  facts: { color: tokens.colorNeutralForeground2, fontVariantNumeric: "tabular-nums" },
  preview: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalM,
    padding: tokens.spacingHorizontalM,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorBrandBackground2,
    color: tokens.colorNeutralForeground1,
  },
  previewText: { fontVariantNumeric: "tabular-nums", minWidth: 0 },
  // Out of the flow while empty, so it adds no gap below the form.
  idle: { position: "absolute", width: "1px", height: "1px", overflow: "hidden" },
});

/** The preview in the guide's words: what is charged now and the new monthly total. */
export function priceWords(preview: QuantityPreview): string {
  const now = formatMoney(Math.abs(preview.amount_due_now), preview.currency);
  const first =
    preview.amount_due_now < 0
      ? `Credited now (pro rata): ${now}`
      : `Charged now (pro rata): ${now}`;
  return `${first}; new monthly total: ${formatMoney(preview.next_recurring_amount, preview.currency)}`;
}

/**
 * Change the number of licenses (`quantity`): the price is shown before anything is charged,
 * and the change is billed exactly as previewed (the preview's proration date goes with it).
 * `?quantity=N` in the page's address (the Licenses section's "add licenses") fills in N.
 */
export function QuantityForm({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const [searchParams] = useSearchParams();
  const hint = quantityHint(searchParams.get("quantity"));
  const [raw, setRaw] = useState(String(hint ?? subscription.quantity));
  const [showProblem, setShowProblem] = useState(hint !== undefined);
  const [confirming, setConfirming] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const preview = usePreviewQuantity(subscription.id);
  const change = useUpdateSubscription(subscription.id);
  const toast = useSuccessToast();

  useEffect(() => {
    // Arriving from "add licenses", the field to change is the one to look at.
    if (hint !== undefined) inputRef.current?.focus();
  }, [hint]);

  const quantity = Number(raw);
  const localProblem = newQuantityProblem(raw, subscription.assigned);
  const refused = [preview.error, change.error].find((error) =>
    isProblem(error, 409, "quantity_below_assigned"),
  );
  const refusedAssigned =
    refused && typeof refused.body.assigned === "number" ? refused.body.assigned : undefined;
  const message =
    (showProblem ? localProblem : undefined) ??
    (refused ? belowAssignedWords(refusedAssigned ?? subscription.assigned) : undefined) ??
    (isProblem(preview.error) ? preview.error.fieldError("quantity") : undefined);
  const unchanged = !localProblem && quantity === subscription.quantity;
  const shownPreview = preview.data && preview.data.quantity === quantity ? preview.data : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    setShowProblem(true);
    if (localProblem || unchanged) return;
    preview.mutate(quantity);
  }

  function confirm() {
    if (!shownPreview) return;
    change.mutate(
      { quantity: shownPreview.quantity, proration_date: shownPreview.proration_date },
      {
        onSuccess: (updated) => {
          setConfirming(false);
          preview.reset();
          setRaw(String(updated.quantity));
          toast(`The subscription now has ${updated.quantity} licenses`);
        },
        onError: (error) => {
          if (isProblem(error, 409, "quantity_below_assigned")) setConfirming(false);
        },
      },
    );
  }

  const more = shownPreview ? shownPreview.quantity - subscription.quantity : 0;
  return (
    <Panel
      title="Number of licenses"
      description="Billing adjusts pro rata: you see the price before anything is charged."
    >
      <Text className={styles.facts}>
        {subscription.quantity} {subscription.quantity === 1 ? "license" : "licenses"},{" "}
        {subscription.assigned} assigned, {subscription.available} available.
      </Text>
      <form className={styles.form} onSubmit={submit} noValidate>
        <Field
          className={styles.field}
          label="New number of licenses"
          hint={unchanged ? "This is the current number." : undefined}
          validationMessage={message}
        >
          <Input
            ref={inputRef}
            type="number"
            inputMode="numeric"
            min={Math.max(1, subscription.assigned)}
            max={MAX_QUANTITY}
            step={1}
            value={raw}
            onChange={(_, data) => {
              setRaw(data.value);
              setShowProblem(true);
              preview.reset();
              change.reset();
            }}
          />
        </Field>
        <Button
          className={styles.button}
          type="submit"
          disabled={preview.isPending || unchanged}
        >
          {preview.isPending ? "Getting the price…" : "See price"}
        </Button>
      </form>
      {preview.isError && !message ? <ProblemMessageBar error={preview.error} /> : null}
      {/* The live region stays in place so the price is announced when it arrives. */}
      <div className={shownPreview ? styles.preview : styles.idle}>
        <div role="status" className={styles.previewText}>
          {shownPreview ? <Text weight="semibold">{priceWords(shownPreview)}</Text> : null}
        </div>
        {shownPreview ? (
          <Button appearance="primary" onClick={() => setConfirming(true)}>
            Change to {shownPreview.quantity} licenses
          </Button>
        ) : null}
      </div>
      {shownPreview ? (
        <ConfirmDialog
          title={`Change to ${shownPreview.quantity} licenses?`}
          confirmLabel="Confirm change"
          open={confirming}
          onOpenChange={(open) => {
            setConfirming(open);
            if (!open) change.reset();
          }}
          onConfirm={confirm}
          pending={change.isPending}
          error={isProblem(change.error, 409, "quantity_below_assigned") ? undefined : change.error}
        >
          <p>
            {more > 0
              ? `You add ${more} ${more === 1 ? "license" : "licenses"}. `
              : `You remove ${-more} ${more === -1 ? "license" : "licenses"}. `}
            {shownPreview.amount_due_now < 0
              ? `Your account is credited ${formatMoney(-shownPreview.amount_due_now, shownPreview.currency)} now (pro rata)`
              : `You are charged ${formatMoney(shownPreview.amount_due_now, shownPreview.currency)} now (pro rata)`}
            , and {formatMoney(shownPreview.next_recurring_amount, shownPreview.currency)} a month
            {subscription.current_period_end
              ? ` from ${formatDate(subscription.current_period_end)}`
              : ""}
            .
          </p>
        </ConfirmDialog>
      ) : null}
    </Panel>
  );
}
