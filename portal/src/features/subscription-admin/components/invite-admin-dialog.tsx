import {
  Button,
  Dialog,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  Field,
  Input,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { PersonAddRegular } from "@fluentui/react-icons";
import { useState, type FormEvent } from "react";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import { ApiProblem, type Permission, type Subscription } from "@/lib/api-client";
import { useInviteAdmin } from "../api/invite-admin";
import { PERMISSION_ORDER, withView } from "../utils/permissions";
import { PermissionCheckboxes } from "./permission-checkboxes";
import { useSuccessToast } from "./use-success-toast";
import { FormDialogActions } from "@/components/form-dialog-actions";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]*[a-z]$/i;

const useStyles = makeStyles({
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
});

/** "Add delegated administrator" (owner): an email and the permissions, then the invitation. */
export function InviteAdminDialog({ subscription }: { subscription: Subscription }) {
  const styles = useStyles();
  const [open, setOpen] = useState(false);
  const [email, setEmail] = useState("");
  const [permissions, setPermissions] = useState<Set<Permission>>(new Set(["assign"]));
  const [emailProblem, setEmailProblem] = useState<string | undefined>();
  const invite = useInviteAdmin(subscription.id);
  const toast = useSuccessToast();
  const serverEmailProblem =
    invite.error instanceof ApiProblem ? invite.error.fieldError("email") : undefined;

  function reset(next: boolean) {
    setOpen(next);
    if (!next) {
      setEmail("");
      setPermissions(new Set(["assign"]));
      setEmailProblem(undefined);
      invite.reset();
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const address = email.trim().toLowerCase();
    const problem = address === "" ? "Enter an email address." : EMAIL.test(address) ? undefined : `${address} is not an email address.`;
    setEmailProblem(problem);
    if (problem) return;
    invite.mutate(
      { email: address, permissions: withView(permissions) },
      {
        onSuccess: (admin) => {
          reset(false);
          toast(`Invitation sent to ${admin.email}`);
        },
      },
    );
  }

  return (
    <Dialog open={open} onOpenChange={(_, data) => reset(data.open)}>
      <DialogTrigger disableButtonEnhancement>
        <Button appearance="primary" icon={<PersonAddRegular />}>
          Add delegated administrator
        </Button>
      </DialogTrigger>
      <DialogSurface>
        <form onSubmit={submit} noValidate>
          <DialogBody>
            <DialogTitle>Add delegated administrator</DialogTitle>
            <DialogContent className={styles.form}>
              <Field
                label="Email address"
                required
                hint="They get an invitation by email; it works for 14 days."
                validationMessage={emailProblem ?? serverEmailProblem}
              >
                <Input
                  type="email"
                  autoComplete="off"
                  value={email}
                  onChange={(_, data) => {
                    setEmail(data.value);
                    setEmailProblem(undefined);
                  }}
                />
              </Field>
              <PermissionCheckboxes
                legend="Permissions"
                options={PERMISSION_ORDER}
                value={permissions}
                onChange={setPermissions}
              />
              <ProblemMessageBar error={invite.error} shownFields={["email"]} />
            </DialogContent>
            <FormDialogActions pending={invite.isPending} submitLabel="Send invitation" pendingLabel="Sending…" />
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}
