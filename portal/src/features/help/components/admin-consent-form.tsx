import {
  Button,
  Card,
  Field,
  Input,
  Link,
  makeStyles,
  Text,
  tokens,
} from "@fluentui/react-components";
import { CopyRegular } from "@fluentui/react-icons";
import { useState, type FormEvent } from "react";
import { adminConsentUrl, normalizeTenant } from "@/lib/tenant";

const useStyles = makeStyles({
  card: { maxWidth: "40rem", padding: tokens.spacingHorizontalXL, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  form: { display: "flex", flexWrap: "wrap", alignItems: "flex-start", gap: tokens.spacingHorizontalM },
  field: { flexGrow: 1, minWidth: "14rem" },
  // Level with the input rather than with the hint below it: past the field's label line.
  submit: {
    marginTop: `calc(${tokens.lineHeightBase300} + ${tokens.spacingVerticalXS} + ${tokens.spacingVerticalXXS})`,
  },
  result: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  link: { wordBreak: "break-all", fontFamily: tokens.fontFamilyMonospace },
  row: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS, alignItems: "center" },
});

/** Takes the organization's domain or tenant id and gives the admin-consent link to send on. */
export function AdminConsentForm() {
  const styles = useStyles();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string>();
  const [link, setLink] = useState<string>();
  const [copied, setCopied] = useState(false);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const { tenant, error: problem } = normalizeTenant(value);
    setError(problem);
    setCopied(false);
    setLink(tenant ? adminConsentUrl(window.location.origin, tenant) : undefined);
  };

  return (
    <Card className={styles.card}>
      <form className={styles.form} onSubmit={onSubmit} noValidate aria-label="Admin consent link">
        <Field
          className={styles.field}
          label="Your organization's domain or tenant ID"
          hint="For example contoso.com"
          validationMessage={error}
          required
        >
          <Input value={value} onChange={(_, data) => setValue(data.value)} autoComplete="off" />
        </Field>
        <Button type="submit" appearance="primary" className={styles.submit}>
          Get the link
        </Button>
      </form>
      {link ? (
        <div className={styles.result} aria-live="polite">
          <Text weight="semibold">Send this link to your Microsoft 365 administrator:</Text>
          <Link href={link} className={styles.link} target="_blank" rel="noopener">
            {link}
          </Link>
          <div className={styles.row}>
            <Button
              icon={<CopyRegular />}
              onClick={() => {
                void navigator.clipboard?.writeText(link).then(() => setCopied(true));
              }}
            >
              Copy link
            </Button>
            {copied ? <Text role="status">Copied.</Text> : null}
          </div>
          <Text size={200}>
            The administrator opens it, signs in, and approves SecureMailMerge for everyone in the
            organization. Nobody else needs to do anything.
          </Text>
        </div>
      ) : null}
    </Card>
  );
}
