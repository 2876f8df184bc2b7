import { Text } from "@fluentui/react-components";
import type { Subscription } from "@/lib/api-client";

/** API keys of the subscription (placeholder until the section lands). */
export function ApiKeysSection({ subscription }: { subscription: Subscription }) {
  return <Text>API keys of {subscription.name} will appear here.</Text>;
}
