import {
  Button,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  tokens,
  Toast,
  ToastTitle,
  useToastController,
} from "@fluentui/react-components";
import { TOASTER_ID } from "@/app/provider";
import { ProblemMessageBar } from "@/components/problem-message-bar";
import type { Me } from "@/lib/api-client";
import { formatDate, permissionName } from "@/lib/format";
import { useAcceptInvitationById } from "../api/accept-invitation-by-id";

const useStyles = makeStyles({
  item: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS },
});

/** One invitation waiting for the signed-in user, accepted here or from its email. */
export function PendingInvitation({
  invitation,
  email,
}: {
  invitation: Me["invitations"][number];
  email: string;
}) {
  const styles = useStyles();
  const accept = useAcceptInvitationById();
  const { dispatchToast } = useToastController(TOASTER_ID);
  const title = `${invitation.invited_by} invited you to administer ${invitation.subscription_name}`;
  return (
    <div className={styles.item}>
      <MessageBar intent="info" layout="multiline">
        <MessageBarBody>
          <MessageBarTitle>{title}</MessageBarTitle>
          Permissions: {invitation.permissions.map(permissionName).join(", ")}. Accept it here or
          from the invitation email sent to {email}, until {formatDate(invitation.expires_at)}.
        </MessageBarBody>
        <MessageBarActions>
          <Button
            appearance="primary"
            disabled={accept.isPending}
            aria-label={`Accept invitation to ${invitation.subscription_name}`}
            onClick={() =>
              accept.mutate(invitation.token_id, {
                onSuccess: (subscription) =>
                  dispatchToast(
                    <Toast>
                      <ToastTitle>You now administer {subscription.name}</ToastTitle>
                    </Toast>,
                    { intent: "success" },
                  ),
              })
            }
          >
            {accept.isPending ? "Accepting…" : "Accept invitation"}
          </Button>
        </MessageBarActions>
      </MessageBar>
      <ProblemMessageBar error={accept.error} />
    </div>
  );
}
