import { Text } from "@fluentui/react-components";
import type { Subscription } from "@/lib/api-client";

/** Settings of the subscription (placeholder until the section lands). */
export function SettingsSection({ subscription }: { subscription: Subscription }) {
  return <Text>Settings of {subscription.name} will appear here.</Text>;
}
