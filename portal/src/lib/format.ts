const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "—" : dateFormat.format(date);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "—" : dateTimeFormat.format(date);
}

/** An amount in the currency's minor unit (cents), e.g. 500 "eur" → "€5.00". */
export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat("en-IE", {
    style: "currency",
    currency: currency.toUpperCase(),
  }).format(minor / 100);
}

export const PERMISSION_NAMES: Record<string, string> = {
  assign: "Assign/Unassign licenses",
  view: "View subscription",
  quantity: "Manage quantity",
  billing: "Manage billing",
};

export function permissionName(permission: string): string {
  return PERMISSION_NAMES[permission] ?? permission;
}

export const ROLE_NAMES: Record<string, string> = {
  owner: "Owner",
  administrator: "Delegated administrator",
  api_key: "API key",
};

export function roleName(role: string): string {
  return ROLE_NAMES[role] ?? role.charAt(0).toUpperCase() + role.slice(1);
}
