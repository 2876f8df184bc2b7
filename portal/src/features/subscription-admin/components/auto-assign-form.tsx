import { Button, Field, makeStyles, Textarea, tokens } from "@fluentui/react-components";
import { useState, type FormEvent } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ApiProblem, type Subscription } from "@/lib/api-client";
import { useSetAutoAssign } from "../api/set-auto-assign";
import { domainProblem, MAX_DOMAINS, parseDomains } from "../utils/domains";
import { Panel } from "./panel";
import { useSuccessToast } from "./use-success-toast";

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", alignItems: "flex-start", gap: tokens.spacingVerticalM },
  field: { width: "100%", maxWidth: "32rem" },
  problems: { margin: 0, paddingInlineStart: tokens.spacingHorizontalL },
});

/** Which addresses of the text are unusable and why, by domain. */
function problemsOf(domains: string[]): string[] {
  const problems = domains.flatMap((domain) => {
    const problem = domainProblem(domain);
    return problem ? [`${domain} ${problem}`] : [];
  });
  if (domains.length > MAX_DOMAINS) problems.push(`Enter at most ${MAX_DOMAINS} domains.`);
  return problems;
}

/** The server's field errors (`domains[2]`) named by the domain they are about. */
function serverProblems(error: unknown, sent: string[]): string[] {
  if (!(error instanceof ApiProblem)) return [];
  return error.errors.flatMap((entry) => {
    const match = /^domains\[(\d+)\]/.exec(entry.field);
    if (match) return [`${sent[Number(match[1])] ?? entry.field} ${entry.message}`];
    return entry.field === "domains" ? [entry.message] : [];
  });
}

/** Auto-assign (owner): users of these domains get a free seat when they first open the add-in. */
export function AutoAssignForm({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const [text, setText] = useState(subscription.auto_assign_domains.join("\n"));
  const [sent, setSent] = useState<string[]>([]);
  const [local, setLocal] = useState<string[]>([]);
  const save = useSetAutoAssign(subscription.id);
  const toast = useSuccessToast();

  const fromServer = serverProblems(save.error, sent);
  const problems = local.length > 0 ? local : fromServer;

  function submit(event: FormEvent) {
    event.preventDefault();
    const domains = parseDomains(text);
    const found = problemsOf(domains);
    setLocal(found);
    if (found.length > 0) return;
    setSent(domains);
    save.mutate(domains, {
      onSuccess: (updated) => {
        setText(updated.auto_assign_domains.join("\n"));
        toast(
          updated.auto_assign_domains.length === 0
            ? "Auto-assign is off"
            : `Auto-assign is on for ${updated.auto_assign_domains.join(", ")}`,
        );
      },
    });
  }

  return (
    <Panel
      title="Auto-assign"
      description="A user of these email domains who opens the add-in gets a license automatically while one is free. Leave empty to turn it off."
    >
      <form className={styles.form} onSubmit={submit} noValidate>
        <Field
          className={styles.field}
          label="Auto-assign domains"
          hint="One per line, for example contoso.com"
          validationMessage={
            problems.length > 0 ? (
              <ul className={styles.problems}>
                {problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
            ) : undefined
          }
        >
          <Textarea
            value={text}
            resize="vertical"
            rows={3}
            onChange={(_, data) => {
              setText(data.value);
              setLocal([]);
            }}
          />
        </Field>
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save domains"}
        </Button>
      </form>
      {save.isError && fromServer.length === 0 ? <ProblemMessageBar error={save.error} /> : null}
    </Panel>
  );
}
