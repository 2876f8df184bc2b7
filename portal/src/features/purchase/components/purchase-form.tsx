import {
  Button,
  Card,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { PageHeader } from "@/components/page-header";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ErrorState, LoadingState } from "@/components/states";
import { useMe } from "@/features/auth/api/get-me";
import { useCreateCheckout } from "@/features/purchase/api/create-checkout";
import { usePricing } from "@/features/purchase/api/get-pricing";
import { PriceTiers } from "@/features/purchase/components/price-tiers";
import { ApiProblem } from "@/lib/api-client";
import { formatMoney } from "@/lib/format";
import { signInPath } from "@/lib/next-path";
import { MAX_QUANTITY, MIN_QUANTITY, monthlyTotal, quantityError, unitAmount } from "@/lib/pricing";

const useStyles = makeStyles({
  layout: {
    display: "flex",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalXXL,
    alignItems: "flex-start",
  },
  card: {
    flexGrow: 1,
    flexBasis: "22rem",
    maxWidth: "34rem",
    padding: tokens.spacingHorizontalXL,
  },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  quantity: { maxWidth: "12rem" },
  total: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXXS,
    paddingBlock: tokens.spacingVerticalM,
    borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  totalAmount: { fontVariantNumeric: "tabular-nums" },
  muted: { color: tokens.colorNeutralForeground2 },
  tiers: {
    flexBasis: "18rem",
    flexGrow: 1,
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
  },
});

export function PurchaseForm() {
  const styles = useStyles();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const pricing = usePricing();
  const checkout = useCreateCheckout();
  const [quantity, setQuantity] = useState(params.get("quantity") ?? "1");
  const [name, setName] = useState(params.get("name") ?? "");
  const [touched, setTouched] = useState(false);

  const error = quantityError(quantity);
  const count = error ? undefined : Number(quantity);
  const serverProblem = checkout.error instanceof ApiProblem ? checkout.error : undefined;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (error || count === undefined || me.isPending) return;
    const trimmedName = name.trim();
    if (!me.data) {
      const query = new URLSearchParams({ quantity: String(count) });
      if (trimmedName) query.set("name", trimmedName);
      void navigate(signInPath(`/purchase?${query.toString()}`));
      return;
    }
    checkout.mutate(
      { quantity: count, name: trimmedName || undefined },
      {
        onSuccess: ({ url }) => {
          window.location.assign(url);
        },
      },
    );
  };

  return (
    <>
      <PageHeader
        title="Purchase licenses"
        description="One license per person who uses SecureMailMerge in Outlook. Billed monthly; change the number of licenses or cancel at any time."
      />
      {params.get("canceled") === "1" ? (
        <MessageBar intent="info">
          <MessageBarBody>Checkout canceled; nothing was charged.</MessageBarBody>
        </MessageBar>
      ) : null}
      {pricing.isPending ? (
        <LoadingState label="Loading prices…" />
      ) : pricing.isError ? (
        <ErrorState error={pricing.error} onRetry={() => void pricing.refetch()} />
      ) : (
        <div className={styles.layout}>
          <Card className={styles.card}>
            <form className={styles.form} onSubmit={onSubmit} noValidate aria-label="Purchase">
              <Field
                label="Number of licenses"
                required
                hint={`${MIN_QUANTITY} to ${MAX_QUANTITY.toLocaleString("en")}`}
                validationMessage={
                  (touched || quantity !== "") && error
                    ? error
                    : serverProblem?.fieldError("quantity")
                }
              >
                <Input
                  className={styles.quantity}
                  type="number"
                  inputMode="numeric"
                  min={MIN_QUANTITY}
                  max={MAX_QUANTITY}
                  step={1}
                  value={quantity}
                  onChange={(_, data) => {
                    setQuantity(data.value);
                    setTouched(true);
                  }}
                />
              </Field>
              <Field
                label="Subscription name"
                hint="Optional, e.g. the client's name. You can rename it later."
                validationMessage={serverProblem?.fieldError("name")}
              >
                <Input value={name} maxLength={100} onChange={(_, data) => setName(data.value)} />
              </Field>
              <div className={styles.total} aria-live="polite">
                {count !== undefined ? (
                  <>
                    <Text className={styles.muted}>
                      {count} × {formatMoney(unitAmount(pricing.data.tiers, count) ?? 0, pricing.data.currency)} per
                      license
                    </Text>
                    <Text size={600} weight="semibold" className={styles.totalAmount}>
                      {formatMoney(monthlyTotal(pricing.data.tiers, count) ?? 0, pricing.data.currency)} per{" "}
                      {pricing.data.interval}
                    </Text>
                  </>
                ) : (
                  <Text className={styles.muted}>Enter the number of licenses to see the total.</Text>
                )}
              </div>
              <ProblemMessageBar error={checkout.error} shownFields={["quantity", "name"]} />
              <Button type="submit" appearance="primary" size="large" disabled={checkout.isPending || me.isPending}>
                {checkout.isPending ? "Going to checkout…" : "Purchase"}
              </Button>
              {!me.isPending && !me.data ? (
                <Text size={200} className={styles.muted}>
                  You will sign in first; your choices are kept.
                </Text>
              ) : null}
            </form>
          </Card>
          <section className={styles.tiers} aria-labelledby="tiers-heading">
            <Text as="h2" size={500} weight="semibold" id="tiers-heading">
              Volume pricing
            </Text>
            <Text className={styles.muted}>
              Every license costs the price of the tier your number of licenses reaches.
            </Text>
            <PriceTiers pricing={pricing.data} quantity={count} />
          </section>
        </div>
      )}
    </>
  );
}
