import {
  Button,
  Card,
  Divider,
  Field,
  Input,
  makeStyles,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { PageHeader } from "@/components/page-header";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ErrorState, LoadingState } from "@/components/states";
import { useDevLogin } from "@/features/auth/api/dev-login";
import { useMe } from "@/features/auth/api/get-me";
import { usePortalConfig } from "@/features/auth/api/get-portal-config";
import { ApiProblem } from "@/lib/api-client";
import { safeNextPath } from "@/lib/next-path";

const useStyles = makeStyles({
  card: {
    maxWidth: "28rem",
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
    padding: tokens.spacingHorizontalXL,
  },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  hint: { color: tokens.colorNeutralForeground2 },
});

export default function SignInRoute() {
  const styles = useStyles();
  const [params] = useSearchParams();
  const next = safeNextPath(params.get("next"));
  const me = useMe();
  const config = usePortalConfig();
  const login = useDevLogin();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [emailError, setEmailError] = useState<string>();

  if (me.isPending || config.isPending) return <LoadingState />;
  if (me.data) return <Navigate replace to={next} />;
  if (config.isError) return <ErrorState error={config.error} onRetry={() => void config.refetch()} />;

  const methods = config.data.sign_in;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = email.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) {
      setEmailError("Enter an email address such as ann@contoso.com.");
      return;
    }
    setEmailError(undefined);
    login.mutate(
      { email: trimmed, name: name.trim() || undefined },
      { onSuccess: () => void navigate(next, { replace: true }) },
    );
  };
  const serverEmailError = login.error instanceof ApiProblem ? login.error.fieldError("email") : undefined;

  return (
    <>
      <PageHeader title="Sign in" description="Sign in to buy, assign and manage SecureMailMerge licenses." />
      <Card className={styles.card}>
        {methods.includes("microsoft") ? (
          <Button
            as="a"
            appearance="primary"
            size="large"
            href={`/api/auth/login?next=${encodeURIComponent(next)}`}
          >
            Sign in with Microsoft
          </Button>
        ) : null}
        {methods.includes("microsoft") && methods.includes("local") ? <Divider>or</Divider> : null}
        {methods.includes("local") ? (
          <form className={styles.form} onSubmit={onSubmit} noValidate aria-label="Local sign-in">
            <Text className={styles.hint}>
              Local mode: sign in with any email address, as if Microsoft had confirmed it.
            </Text>
            <Field
              label="Email"
              required
              validationMessage={emailError ?? serverEmailError}
            >
              <Input
                type="email"
                autoComplete="email"
                value={email}
                onChange={(_, data) => setEmail(data.value)}
              />
            </Field>
            <Field label="Name" hint="Optional: shown in the header and in invitations you send.">
              <Input autoComplete="name" value={name} onChange={(_, data) => setName(data.value)} />
            </Field>
            <ProblemMessageBar error={login.error} shownFields={["email"]} />
            <Button type="submit" appearance={methods.includes("microsoft") ? "secondary" : "primary"} disabled={login.isPending}>
              Sign in
            </Button>
          </form>
        ) : null}
      </Card>
    </>
  );
}
