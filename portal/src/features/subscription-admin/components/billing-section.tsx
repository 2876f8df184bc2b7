import { Text } from "@fluentui/react-components";
import type { Subscription } from "@/lib/api-client";

/** Billing of the subscription (placeholder until the section lands). */
export function BillingSection({ subscription }: { subscription: Subscription }) {
  return <Text>Billing of {subscription.name} will appear here.</Text>;
}
