import { Text } from "@fluentui/react-components";
import type { Subscription } from "@/lib/api-client";

/** The subscription's licenses (placeholder until the Licenses section lands). */
export function LicensesSection({ subscription }: { subscription: Subscription }) {
  return (
    <Text>
      {subscription.assigned} of {subscription.quantity} licenses assigned.
    </Text>
  );
}
