import type { Subscription } from "@/lib/api-client";

export type SectionId = "licenses" | "settings" | "admins" | "api-keys" | "billing" | "activity";

export interface SectionInfo {
  id: SectionId;
  label: string;
  allowed: (subscription: Subscription) => boolean;
}

const can = (subscription: Subscription, permission: string) =>
  subscription.permissions.includes(permission);
const isOwner = (subscription: Subscription) => subscription.role === "owner";

/** The subscription page's sections, each shown only when the caller's permissions allow it. */
export const SECTIONS: SectionInfo[] = [
  { id: "licenses", label: "Licenses", allowed: (s) => can(s, "view") },
  { id: "settings", label: "Settings", allowed: (s) => isOwner(s) || can(s, "quantity") },
  { id: "admins", label: "Administrators", allowed: (s) => can(s, "view") },
  { id: "api-keys", label: "API keys", allowed: isOwner },
  { id: "billing", label: "Billing", allowed: (s) => can(s, "billing") },
  { id: "activity", label: "Activity", allowed: (s) => can(s, "view") },
];

export function visibleSections(subscription: Subscription): SectionInfo[] {
  return SECTIONS.filter((section) => section.allowed(subscription));
}
