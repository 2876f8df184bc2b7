import { lazy, Suspense } from "react";
import { LoadingState } from "@/components/states";
import type { SectionId } from "@/features/subscriptions/sections";
import type { Subscription } from "@/lib/api-client";

// Each section is its own chunk, loaded when its tab is first opened.
const PANELS = {
  licenses: lazy(() =>
    import("@/features/licenses/components/licenses-section").then((m) => ({
      default: m.LicensesSection,
    })),
  ),
  settings: lazy(() =>
    import("@/features/subscription-admin/components/settings-section").then((m) => ({
      default: m.SettingsSection,
    })),
  ),
  admins: lazy(() =>
    import("@/features/subscription-admin/components/admins-section").then((m) => ({
      default: m.AdminsSection,
    })),
  ),
  "api-keys": lazy(() =>
    import("@/features/subscription-admin/components/api-keys-section").then((m) => ({
      default: m.ApiKeysSection,
    })),
  ),
  billing: lazy(() =>
    import("@/features/subscription-admin/components/billing-section").then((m) => ({
      default: m.BillingSection,
    })),
  ),
  activity: lazy(() =>
    import("@/features/subscription-admin/components/activity-section").then((m) => ({
      default: m.ActivitySection,
    })),
  ),
} satisfies Record<SectionId, unknown>;

export function SectionPanel({ section, subscription }: { section: SectionId; subscription: Subscription }) {
  const Panel = PANELS[section];
  return (
    <Suspense fallback={<LoadingState />}>
      <Panel subscription={subscription} />
    </Suspense>
  );
}
