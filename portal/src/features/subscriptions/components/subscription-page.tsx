import {
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Tab,
  TabList,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useSearchParams } from "react-router";
import { LinkButton } from "@/components/links";
import { PageHeader } from "@/components/page-header";
import { StatusBadge } from "@/components/status-badge";
import { ErrorState, LoadingState } from "@/components/states";
import { useSubscription } from "@/features/subscriptions/api/get-subscription";
import { FinishSetup } from "@/features/subscriptions/components/finish-setup";
import { SectionPanel } from "@/features/subscriptions/components/section-panel";
import { visibleSections, type SectionId } from "@/features/subscriptions/sections";
import { isProblem, type Subscription } from "@/lib/api-client";
import { formatDate, roleName } from "@/lib/format";

const useStyles = makeStyles({
  facts: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalXS,
    color: tokens.colorNeutralForeground2,
  },
  tabs: {
    marginBlock: tokens.spacingVerticalL,
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    // On a narrow screen the sections wrap onto a second row rather than scroll out of sight.
    flexWrap: "wrap",
  },
  panel: { paddingBlock: tokens.spacingVerticalM },
  notice: { marginBottom: tokens.spacingVerticalM },
});

function renewalText(subscription: Subscription): string {
  switch (subscription.status) {
    case "expired":
      return "Expired: its licenses no longer work";
    case "pending":
      return "Waiting for payment";
    case "past_due":
      return `Payment failed; licenses work until the payment is settled`;
    default:
      return subscription.current_period_end
        ? `Renews on ${formatDate(subscription.current_period_end)}`
        : "Active";
  }
}

export function SubscriptionPage({ id }: { id: string }) {
  const styles = useStyles();
  const [params, setParams] = useSearchParams();
  const query = useSubscription(id);

  if (query.isPending) return <LoadingState label="Loading the subscription…" />;
  if (query.isError) {
    if (isProblem(query.error, 404)) {
      return (
        <>
          <PageHeader
            title="Subscription not found"
            description="It does not exist, or your account has no access to it."
          />
          <LinkButton to="/" appearance="primary">
            Go to your subscriptions
          </LinkButton>
        </>
      );
    }
    return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  }

  const subscription = query.data;
  const sections = visibleSections(subscription);
  const requested = params.get("section");
  const current = sections.find((section) => section.id === requested) ?? sections[0];
  const showSetup =
    subscription.status !== "pending" &&
    subscription.role === "owner" &&
    (params.get("welcome") === "1" || subscription.assigned === 0);

  const select = (section: SectionId) => {
    const next = new URLSearchParams(params);
    next.set("section", section);
    next.delete("welcome");
    setParams(next, { replace: true });
  };

  return (
    <>
      <PageHeader title={subscription.name}>
        <div className={styles.facts}>
          <StatusBadge status={subscription.status} />
          <Text>
            {subscription.assigned} of {subscription.quantity} licenses assigned
          </Text>
          <Text>{renewalText(subscription)}</Text>
          <Text>Your role: {roleName(subscription.role)}</Text>
        </div>
      </PageHeader>
      {subscription.status === "pending" ? (
        <MessageBar intent="info" className={styles.notice} layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Payment is being confirmed</MessageBarTitle>
            This page updates by itself as soon as the payment is confirmed; it usually takes a few
            seconds.
          </MessageBarBody>
          <Spinner size="tiny" aria-label="Waiting for the payment" />
        </MessageBar>
      ) : null}
      {subscription.status === "past_due" ? (
        <MessageBar intent="warning" className={styles.notice}>
          <MessageBarBody>
            <MessageBarTitle>Payment failed</MessageBarTitle>
            Licenses keep working for now. Update the payment method under Billing.
          </MessageBarBody>
        </MessageBar>
      ) : null}
      {subscription.status === "expired" ? (
        <MessageBar intent="error" className={styles.notice}>
          <MessageBarBody>
            <MessageBarTitle>This subscription has expired</MessageBarTitle>
            Its licenses no longer work in Outlook.
          </MessageBarBody>
        </MessageBar>
      ) : null}
      {showSetup ? <FinishSetup subscription={subscription} onSelect={select} /> : null}
      {current ? (
        <>
          <TabList
            className={styles.tabs}
            selectedValue={current.id}
            onTabSelect={(_, data) => select(data.value as SectionId)}
            aria-label="Subscription sections"
          >
            {sections.map((section) => (
              <Tab key={section.id} value={section.id} id={`tab-${section.id}`} aria-controls="section-panel">
                {section.label}
              </Tab>
            ))}
          </TabList>
          <div
            className={styles.panel}
            role="tabpanel"
            id="section-panel"
            aria-labelledby={`tab-${current.id}`}
          >
            <SectionPanel key={current.id} section={current.id} subscription={subscription} />
          </div>
        </>
      ) : null}
    </>
  );
}
