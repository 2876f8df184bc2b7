import { Button, DialogActions, DialogTrigger } from "@fluentui/react-components";

type FormDialogActionsProps = {
  /** The form's request is under way: both buttons wait for its answer. */
  pending: boolean;
  submitLabel: string;
  pendingLabel: string;
};

/** The footer of every form in a Dialog: Cancel, and the button that submits the form. */
export function FormDialogActions({ pending, submitLabel, pendingLabel }: FormDialogActionsProps) {
  return (
    <DialogActions>
      <DialogTrigger disableButtonEnhancement>
        <Button appearance="secondary" disabled={pending}>
          Cancel
        </Button>
      </DialogTrigger>
      <Button type="submit" appearance="primary" disabled={pending}>
        {pending ? pendingLabel : submitLabel}
      </Button>
    </DialogActions>
  );
}
