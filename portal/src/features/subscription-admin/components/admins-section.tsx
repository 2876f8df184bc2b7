import { Text } from "@fluentui/react-components";
import type { Subscription } from "@/lib/api-client";

/** Administrators of the subscription (placeholder until the section lands). */
export function AdminsSection({ subscription }: { subscription: Subscription }) {
  return <Text>Administrators of {subscription.name} will appear here.</Text>;
}
