import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
  tokens,
} from "@fluentui/react-components";
import { AddRegular, CheckmarkRegular, CopyRegular } from "@fluentui/react-icons";
import { useRef, useState, type FormEvent } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ApiProblem, type Permission, type Subscription } from "@/lib/api-client";
import { useCreateApiKey, type KeyPermission } from "../api/create-api-key";
import { withView } from "../utils/permissions";
import { PermissionCheckboxes } from "./permission-checkboxes";
import { FormDialogActions } from "@/components/form-dialog-actions";

const MAX_NAME = 100;
const KEY_OPTIONS: Permission[] = ["view", "assign", "quantity"];

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  keyRow: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalS, alignItems: "flex-end" },
  keyField: { flexGrow: 1, flexBasis: "16rem", minWidth: 0 },
  key: { fontFamily: tokens.fontFamilyMonospace },
  muted: { color: tokens.colorNeutralForeground2 },
});

type CopyState = "idle" | "copied" | "selected";

/** Create an API key (owner): a name and permissions, then the key, shown this once. */
export function CreateApiKeyDialog({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [nameProblem, setNameProblem] = useState<string | undefined>();
  const [permissions, setPermissions] = useState<Set<Permission>>(new Set(["assign"]));
  const [copy, setCopy] = useState<CopyState>("idle");
  const keyRef = useRef<HTMLInputElement>(null);
  const create = useCreateApiKey(subscription.id);
  const created = create.data;
  const serverNameProblem =
    create.error instanceof ApiProblem ? create.error.fieldError("name") : undefined;

  function openChange(next: boolean) {
    setOpen(next);
    if (!next) {
      // The key leaves memory with the dialog: it is never shown again.
      create.reset();
      setName("");
      setNameProblem(undefined);
      setPermissions(new Set(["assign"]));
      setCopy("idle");
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    const problem =
      trimmed === ""
        ? "Enter a name, such as what uses the key."
        : trimmed.length > MAX_NAME
          ? `Use at most ${MAX_NAME} characters.`
          : undefined;
    setNameProblem(problem);
    if (problem) return;
    create.mutate({ name: trimmed, permissions: withView(permissions) as KeyPermission[] });
  }

  async function copyKey(key: string) {
    try {
      await navigator.clipboard.writeText(key);
      setCopy("copied");
    } catch {
      // No clipboard (permission refused, or not a secure context): select it for Ctrl+C.
      keyRef.current?.focus();
      keyRef.current?.select();
      setCopy("selected");
    }
  }

  return (
    <Dialog open={open} modalType={created ? "alert" : "modal"} onOpenChange={(_, data) => openChange(data.open)}>
      <DialogTrigger disableButtonEnhancement>
        <Button appearance="primary" icon={<AddRegular />}>
          Create API key
        </Button>
      </DialogTrigger>
      <DialogSurface>
        {created ? (
          <DialogBody>
            <DialogTitle>Copy your API key</DialogTitle>
            <DialogContent className={styles.form}>
              <MessageBar intent="warning" layout="multiline">
                <MessageBarBody>
                  <MessageBarTitle>This is the only time the key is shown.</MessageBarTitle>
                  Copy it now and keep it somewhere safe, like a password manager. Anyone with the
                  key can use it; if it is lost, revoke it and create another.
                </MessageBarBody>
              </MessageBar>
              <div className={styles.keyRow}>
                <Field className={styles.keyField} label={`API key "${created.name}"`}>
                  <Input
                    ref={keyRef}
                    readOnly
                    value={created.key}
                    className={styles.key}
                    onFocus={(event) => event.currentTarget.select()}
                  />
                </Field>
                <Button
                  icon={copy === "copied" ? <CheckmarkRegular /> : <CopyRegular />}
                  onClick={() => void copyKey(created.key)}
                >
                  {copy === "copied" ? "Copied" : "Copy"}
                </Button>
              </div>
              <Text role="status" className={styles.muted}>
                {copy === "copied" ? "The key is on your clipboard." : null}
                {copy === "selected" ? "The key is selected: press Ctrl+C (or ⌘C) to copy it." : null}
              </Text>
            </DialogContent>
            <DialogActions>
              <Button appearance="primary" onClick={() => openChange(false)}>
                Done
              </Button>
            </DialogActions>
          </DialogBody>
        ) : (
          <form onSubmit={submit} noValidate>
            <DialogBody>
              <DialogTitle>Create API key</DialogTitle>
              <DialogContent className={styles.form}>
                <Field
                  label="Name"
                  required
                  hint="What uses the key, for example “Provisioning script”."
                  validationMessage={nameProblem ?? serverNameProblem}
                >
                  <Input
                    value={name}
                    onChange={(_, data) => {
                      setName(data.value);
                      setNameProblem(undefined);
                    }}
                  />
                </Field>
                <PermissionCheckboxes
                  legend="Permissions"
                  options={KEY_OPTIONS}
                  value={permissions}
                  onChange={setPermissions}
                />
                <Text size={200} className={styles.muted}>
                  API keys cannot manage billing: that stays with people.
                </Text>
                <ProblemMessageBar error={create.error} shownFields={["name"]} />
              </DialogContent>
              <FormDialogActions pending={create.isPending} submitLabel="Create key" pendingLabel="Creating…" />
            </DialogBody>
          </form>
        )}
      </DialogSurface>
    </Dialog>
  );
}
