import type { Subscription } from "@/lib/api-client";
import { AutoAssignForm } from "./auto-assign-form";
import { PanelStack } from "./panel";
import { QuantityForm } from "./quantity-form";
import { RenameForm } from "./rename-form";
import { TransferOwnership } from "./transfer-ownership";

/**
 * Settings of the subscription: name, auto-assign and transfer for the owner; the number of
 * licenses for whoever holds `quantity`. Link here with `?section=settings&quantity=N` to
 * offer N licenses in total (the price is still shown before anything changes).
 */
export function SettingsSection({ subscription }: { subscription: Subscription }) {
  const owner = subscription.role === "owner";
  return (
    <PanelStack>
      {owner ? <RenameForm subscription={subscription} /> : null}
      {subscription.permissions.includes("quantity") ? (
        <QuantityForm subscription={subscription} />
      ) : null}
      {owner ? <AutoAssignForm subscription={subscription} /> : null}
      {owner ? <TransferOwnership subscription={subscription} /> : null}
    </PanelStack>
  );
}
