import { Text } from "@fluentui/react-components";
import type { Subscription } from "@/lib/api-client";

/** Activity of the subscription (placeholder until the section lands). */
export function ActivitySection({ subscription }: { subscription: Subscription }) {
  return <Text>Activity of {subscription.name} will appear here.</Text>;
}
