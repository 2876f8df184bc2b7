import { Button, Field, Input, makeStyles, tokens } from "@fluentui/react-components";
import { useState, type FormEvent } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ApiProblem, type Subscription } from "@/lib/api-client";
import { useUpdateSubscription } from "../api/update-subscription";
import { Panel } from "./panel";
import { useSuccessToast } from "./use-success-toast";

const MAX_NAME = 100;

const useStyles = makeStyles({
  form: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
  },
  field: { flexGrow: 1, flexBasis: "18rem", minWidth: 0, maxWidth: "32rem" },
});

/** Rename the subscription (owner), e.g. after the client it is for. */
export function RenameForm({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const [name, setName] = useState(subscription.name);
  const [shown, setShown] = useState<string | undefined>();
  const rename = useUpdateSubscription(subscription.id);
  const toast = useSuccessToast();

  const trimmed = name.trim();
  const problem =
    trimmed === ""
      ? "Enter a name."
      : trimmed.length > MAX_NAME
        ? `Use at most ${MAX_NAME} characters.`
        : undefined;
  const serverProblem =
    rename.error instanceof ApiProblem ? rename.error.fieldError("name") : undefined;
  const message = shown ?? serverProblem;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (problem) {
      setShown(problem);
      return;
    }
    setShown(undefined);
    rename.mutate(
      { name: trimmed },
      { onSuccess: (updated) => toast(`Renamed to ${updated.name}`) },
    );
  }

  return (
    <Panel
      title="Name"
      description="Shown on your dashboard and in emails. Resellers often use the client's name."
    >
      <form className={styles.form} onSubmit={submit} noValidate>
        <Field
          className={styles.field}
          label="Subscription name"
          required
          validationMessage={message}
        >
          <Input
            value={name}
            maxLength={MAX_NAME + 20}
            onChange={(_, data) => {
              setName(data.value);
              setShown(undefined);
            }}
          />
        </Field>
        <Button
          type="submit"
          appearance="primary"
          disabled={rename.isPending || trimmed === subscription.name}
        >
          {rename.isPending ? "Saving…" : "Save name"}
        </Button>
      </form>
      {rename.isError && !serverProblem ? <ProblemMessageBar error={rename.error} /> : null}
    </Panel>
  );
}
