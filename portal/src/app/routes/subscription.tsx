import { useParams } from "react-router";
import { RequireUser } from "@/features/auth/components/require-user";
import { SubscriptionPage } from "@/features/subscriptions/components/subscription-page";

export default function SubscriptionRoute() {
  const { subscriptionId = "" } = useParams();
  return <RequireUser>{() => <SubscriptionPage id={subscriptionId} />}</RequireUser>;
}
