import { useParams } from "react-router";
import { InvitationView } from "@/features/invitations/components/invitation-view";

export default function InvitationRoute() {
  const { token = "" } = useParams();
  return <InvitationView token={token} />;
}
