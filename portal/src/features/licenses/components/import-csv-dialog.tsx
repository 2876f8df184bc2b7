import {
  Button,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Field,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Text,
  tokens,
  Toast,
  ToastBody,
  ToastTitle,
  useToastController,
} from "@fluentui/react-components";
import { ArrowUploadRegular } from "@fluentui/react-icons";
import { useState, type FormEvent } from "react";
import { TOASTER_ID } from "@/app/provider";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { isProblem, type ApiProblem, type Subscription } from "@/lib/api-client";
import { useImportLicensesCsv } from "../api/import-licenses-csv";
import { assignedMessage, availableMessage } from "../lib/messages";
import { NotEnoughSeats } from "./not-enough-seats";
import { FormDialogActions } from "@/components/form-dialog-actions";

// Larger files are refused by the API (413) before it reads them.
const MAX_BYTES = 1024 * 1024;

const useStyles = makeStyles({
  surface: { maxWidth: "min(600px, calc(100vw - 32px))" },
  content: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  muted: { color: tokens.colorNeutralForeground2 },
  code: { fontFamily: tokens.fontFamilyMonospace },
  file: {
    maxWidth: "100%",
    color: tokens.colorNeutralForeground1,
    fontFamily: tokens.fontFamilyBase,
    fontSize: tokens.fontSizeBase300,
    "::file-selector-button": {
      marginInlineEnd: tokens.spacingHorizontalM,
      paddingBlock: tokens.spacingVerticalXS,
      paddingInline: tokens.spacingHorizontalM,
      borderRadius: tokens.borderRadiusMedium,
      border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke1}`,
      backgroundColor: tokens.colorNeutralBackground1,
      color: tokens.colorNeutralForeground1,
      fontFamily: tokens.fontFamilyBase,
      fontWeight: tokens.fontWeightSemibold,
      cursor: "pointer",
    },
  },
  lines: { margin: 0, paddingInlineStart: tokens.spacingHorizontalL },
});

/** The 422 of an import: each bad line as the API numbers it (`line 3`). */
function LineErrors({ problem }: { problem: ApiProblem }) {
  const styles = useStyles();
  return (
    <MessageBar intent="error" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>Nothing was imported</MessageBarTitle>
        Fix these lines of the file and import it again:
        <ul className={styles.lines}>
          {problem.errors.map((entry, index) => (
            <li key={index}>
              {entry.field ? `${entry.field.charAt(0).toUpperCase()}${entry.field.slice(1)}: ` : ""}
              {entry.message}
            </li>
          ))}
        </ul>
      </MessageBarBody>
    </MessageBar>
  );
}

/** "Import CSV": a file with the header `email,label`, all or nothing. */
export function ImportCsvDialog({
  subscription,
  disabled,
}: {
  subscription: Subscription;
  disabled: boolean;
}) {
  const styles = useStyles();
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const importCsv = useImportLicensesCsv(subscription.id);
  const { dispatchToast } = useToastController(TOASTER_ID);

  const notEnough = isProblem(importCsv.error, 409, "not_enough_seats") ? importCsv.error : undefined;
  const lines =
    isProblem(importCsv.error, 422) && importCsv.error.errors.length > 0 ? importCsv.error : undefined;
  const other = importCsv.error && !notEnough && !lines ? importCsv.error : undefined;

  function reset() {
    setFile(null);
    setFileError(undefined);
    importCsv.reset();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!file) {
      setFileError("Choose a CSV file to import.");
      return;
    }
    if (file.size > MAX_BYTES) {
      setFileError("The file is larger than 1 MB; split it and import each part.");
      return;
    }
    const text = await file.text();
    importCsv.mutate(text, {
      onSuccess: (result) => {
        const message = assignedMessage(result.assigned.length, result.already_assigned.length);
        dispatchToast(
          <Toast>
            <ToastTitle>{message.title}</ToastTitle>
            {message.body ? <ToastBody>{message.body}</ToastBody> : null}
          </Toast>,
          { intent: "success" },
        );
        setOpen(false);
        reset();
      },
    });
  }

  return (
    <Dialog
      open={open}
      onOpenChange={(_, data) => {
        setOpen(data.open);
        if (!data.open) reset();
      }}
    >
      <DialogTrigger disableButtonEnhancement>
        <Button icon={<ArrowUploadRegular />} disabled={disabled}>
          Import CSV
        </Button>
      </DialogTrigger>
      <DialogSurface className={styles.surface}>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <DialogBody>
            <DialogTitle>Import licenses from CSV</DialogTitle>
            <DialogContent className={styles.content}>
              <Text>
                A CSV file whose first line is <span className={styles.code}>email,label</span>, then
                one address per line with an optional label. Every line must be usable, or nothing is
                assigned.
              </Text>
              <Text className={styles.muted}>
                {availableMessage(subscription.available, subscription.quantity)}.
              </Text>
              <Field
                label="CSV file"
                validationState={fileError ? "error" : "none"}
                validationMessage={fileError}
              >
                {(control) => (
                  <input
                    {...control}
                    type="file"
                    accept=".csv,text/csv"
                    className={styles.file}
                    onChange={(event) => {
                      setFile(event.target.files?.[0] ?? null);
                      setFileError(undefined);
                      importCsv.reset();
                    }}
                  />
                )}
              </Field>
              {lines ? <LineErrors problem={lines} /> : null}
              {notEnough ? (
                <NotEnoughSeats
                  problem={notEnough}
                  subscription={subscription}
                  onAddSeats={() => {
                    setOpen(false);
                    reset();
                  }}
                />
              ) : null}
              <ProblemMessageBar error={other} />
            </DialogContent>
            <FormDialogActions pending={importCsv.isPending} submitLabel="Import" pendingLabel="Importing…" />
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
