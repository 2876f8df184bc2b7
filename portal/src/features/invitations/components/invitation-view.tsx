import {
  Button,
  Card,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
  tokens,
} from "@fluentui/react-components";
import { CheckmarkRegular } from "@fluentui/react-icons";
import { useEffect, useRef } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { LinkButton } from "@/components/links";
import { PageHeader } from "@/components/page-header";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ErrorState, LoadingState } from "@/components/states";
import { useMe } from "@/features/auth/api/get-me";
import { useLogout } from "@/features/auth/api/logout";
import { useAcceptInvitation } from "@/features/invitations/api/accept-invitation";
import { useInvitation } from "@/features/invitations/api/get-invitation";
import { isProblem } from "@/lib/api-client";
import { formatDate, permissionName } from "@/lib/format";
import { signInPath } from "@/lib/next-path";

const useStyles = makeStyles({
  card: {
    maxWidth: "36rem",
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
    padding: tokens.spacingHorizontalXL,
  },
  facts: {
    display: "grid",
    gridTemplateColumns: "max-content 1fr",
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalS,
    margin: 0,
    "@media (max-width: 480px)": { gridTemplateColumns: "1fr", rowGap: tokens.spacingVerticalXXS },
  },
  term: { color: tokens.colorNeutralForeground2 },
  definition: { margin: 0, overflowWrap: "anywhere", "@media (max-width: 480px)": { marginBottom: tokens.spacingVerticalS } },
  permissions: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
  actions: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS },
});

function Dead({ title, children }: { title: string; children: string }) {
  return (
    <>
      <PageHeader title={title} />
      <MessageBar intent="warning" layout="multiline">
        <MessageBarBody>{children}</MessageBarBody>
      </MessageBar>
      <p>
        <LinkButton to="/" appearance="primary">
          Go to your subscriptions
        </LinkButton>
      </p>
    </>
  );
}

export function InvitationView({ token }: { token: string }) {
  const styles = useStyles();
  const location = useLocation();
  const navigate = useNavigate();
  const invitation = useInvitation(token);
  const me = useMe();
  const accept = useAcceptInvitation();
  const logout = useLogout();
  const [params] = useSearchParams();
  const autoAccepted = useRef(false);

  // Back from signing in to accept: accept once, as the visitor asked before signing in.
  const wantsAccept = params.get("accept") === "1";
  const canAutoAccept =
    wantsAccept &&
    invitation.isSuccess &&
    me.data != null &&
    me.data.email === invitation.data.email.toLowerCase();
  useEffect(() => {
    if (!canAutoAccept || autoAccepted.current) return;
    autoAccepted.current = true;
    accept.mutate(token, {
      onSuccess: (subscription) =>
        void navigate(`/subscriptions/${subscription.id}?welcome=1`, { replace: true }),
    });
  }, [canAutoAccept, accept, token, navigate]);

  if (invitation.isPending || me.isPending) return <LoadingState />;
  if (invitation.isError) {
    const error = invitation.error;
    if (isProblem(error, 404)) {
      return (
        <Dead title="Invitation not found">
          This invitation link is not valid. Check that you opened the whole link from the email, or
          ask the subscription's owner to send a new invitation.
        </Dead>
      );
    }
    if (isProblem(error, 410, "invitation_used")) {
      return (
        <Dead title="Invitation already used">
          This invitation has already been accepted. If it was you, the subscription is in your list;
          otherwise ask the subscription's owner to invite you again.
        </Dead>
      );
    }
    if (isProblem(error, 410)) {
      return (
        <Dead title="Invitation expired">
          This invitation link has expired or was replaced by a newer one. Ask the subscription's
          owner to resend the invitation.
        </Dead>
      );
    }
    return <ErrorState error={error} onRetry={() => void invitation.refetch()} />;
  }

  const details = invitation.data;
  const here = location.pathname;
  const wrongAccount = isProblem(accept.error, 403, "invitation_email_mismatch");
  const signedInAs = me.data?.email;
  const mismatch = wrongAccount || (signedInAs !== undefined && signedInAs !== details.email.toLowerCase());

  const acceptNow = () =>
    accept.mutate(token, {
      onSuccess: (subscription) =>
        void navigate(`/subscriptions/${subscription.id}?welcome=1`, { replace: true }),
    });

  const switchAccount = () =>
    logout.mutate(undefined, { onSuccess: () => void navigate(signInPath(here)) });

  return (
    <>
      <PageHeader
        title={`Join ${details.subscription_name}`}
        description={`${details.invited_by} invited you to administer this SecureMailMerge subscription.`}
      />
      <Card className={styles.card}>
        <dl className={styles.facts}>
          <dt className={styles.term}>Subscription</dt>
          <dd className={styles.definition}>{details.subscription_name}</dd>
          <dt className={styles.term}>Invited by</dt>
          <dd className={styles.definition}>{details.invited_by}</dd>
          <dt className={styles.term}>For</dt>
          <dd className={styles.definition}>{details.email}</dd>
          <dt className={styles.term}>Permissions</dt>
          <dd className={styles.definition}>
            <ul className={styles.permissions}>
              {details.permissions.map((permission) => (
                <li key={permission}>{permissionName(permission)}</li>
              ))}
            </ul>
          </dd>
          <dt className={styles.term}>Valid until</dt>
          <dd className={styles.definition}>{formatDate(details.expires_at)}</dd>
        </dl>
        {mismatch && signedInAs ? (
          <MessageBar intent="warning" layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>Wrong account</MessageBarTitle>
              You are signed in as {signedInAs}; this invitation is for {details.email}. Sign out and
              sign in as {details.email} to accept it.
            </MessageBarBody>
          </MessageBar>
        ) : null}
        {accept.error && !wrongAccount ? <ProblemMessageBar error={accept.error} /> : null}
        <div className={styles.actions}>
          {!me.data ? (
            <LinkButton to={signInPath(`${here}?accept=1`)} appearance="primary" icon={<CheckmarkRegular />}>
              Accept invitation
            </LinkButton>
          ) : mismatch ? (
            <Button appearance="primary" onClick={switchAccount} disabled={logout.isPending}>
              Sign out and switch account
            </Button>
          ) : (
            <Button
              appearance="primary"
              icon={<CheckmarkRegular />}
              disabled={accept.isPending}
              onClick={acceptNow}
            >
              Accept invitation
            </Button>
          )}
        </div>
        {!me.data ? (
          <Text size={200}>You will sign in first, as {details.email}, and come back here.</Text>
        ) : null}
      </Card>
    </>
  );
}
