import {
  makeStyles,
  SearchBox,
  Text,
  tokens,
} from "@fluentui/react-components";
import { CartRegular, KeyMultipleRegular } from "@fluentui/react-icons";
import { useDeferredValue, useMemo, useState } from "react";
import { LinkButton } from "@/components/links";
import { PageHeader } from "@/components/page-header";
import { EmptyState, ErrorState, LoadingState } from "@/components/states";
import { useSubscriptions } from "@/features/subscriptions/api/get-subscriptions";
import { PendingInvitation } from "@/features/invitations/components/pending-invitation";
import { SubscriptionsTable } from "@/features/subscriptions/components/subscriptions-table";
import { countOf, summary } from "@/features/subscriptions/utils/summary";
import type { Me } from "@/lib/api-client";

const useStyles = makeStyles({
  section: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  invitations: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    marginBottom: tokens.spacingVerticalXL,
  },
  toolbar: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalM,
  },
  search: { width: "100%", maxWidth: "22rem" },
  count: { color: tokens.colorNeutralForeground2 },
  heading: { margin: 0 },
});

export function Dashboard({ me }: { me: Me }) {
  const styles = useStyles();
  const subscriptions = useSubscriptions();
  const [search, setSearch] = useState("");
  const deferredSearch = useDeferredValue(search);
  const filtered = useMemo(() => {
    const needle = deferredSearch.trim().toLowerCase();
    const items = subscriptions.data ?? [];
    return needle ? items.filter((item) => item.name.toLowerCase().includes(needle)) : items;
  }, [subscriptions.data, deferredSearch]);

  return (
    <>
      <PageHeader
        title="Your subscriptions"
        description={subscriptions.data?.length ? summary(subscriptions.data) : undefined}
        actions={
          <LinkButton to="/purchase" appearance="primary" icon={<CartRegular />}>
            Purchase
          </LinkButton>
        }
      />
      {me.invitations.length > 0 ? (
        <section className={styles.invitations} aria-labelledby="invitations-heading">
          <Text as="h2" size={500} weight="semibold" id="invitations-heading" className={styles.heading}>
            Pending invitations
          </Text>
          {me.invitations.map((invitation) => (
            <PendingInvitation key={invitation.token_id} invitation={invitation} email={me.email} />
          ))}
        </section>
      ) : null}
      {subscriptions.isPending ? (
        <LoadingState label="Loading your subscriptions…" />
      ) : subscriptions.isError ? (
        <ErrorState error={subscriptions.error} onRetry={() => void subscriptions.refetch()} />
      ) : subscriptions.data.length === 0 ? (
        <EmptyState
          icon={<KeyMultipleRegular />}
          title="You have no subscriptions yet"
          description="Buy licenses for your organization or a client, then assign them to the people who use SecureMailMerge in Outlook. If someone invited you to manage their subscription, accept the invitation here or from its email."
          action={
            <LinkButton to="/purchase" appearance="primary" icon={<CartRegular />}>
              Purchase
            </LinkButton>
          }
        />
      ) : (
        <section className={styles.section} aria-label="Subscriptions">
          <div className={styles.toolbar}>
            <SearchBox
              className={styles.search}
              aria-label="Search subscriptions by name"
              placeholder="Search by name"
              value={search}
              onChange={(_, data) => setSearch(data.value)}
            />
            {/* The header counts them all; this names the matches while searching. */}
            <Text className={styles.count} aria-live="polite">
              {filtered.length === subscriptions.data.length
                ? ""
                : `${filtered.length.toLocaleString("en-US")} of ${countOf(subscriptions.data.length, "subscription")}`}
            </Text>
          </div>
          {filtered.length === 0 ? (
            <EmptyState title="No subscription matches" description={`Nothing is named like “${search.trim()}”.`} />
          ) : (
            <SubscriptionsTable subscriptions={filtered} />
          )}
        </section>
      )}
    </>
  );
}
