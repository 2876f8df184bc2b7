const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** A tenant as typed (domain, tenant id, or an email address of the organization), normalized. */
export function normalizeTenant(raw: string): { tenant?: string; error?: string } {
  let value = raw.trim().toLowerCase();
  if (value === "") return { error: "Enter your organization's domain or tenant ID." };
  if (value.includes("@")) value = value.slice(value.lastIndexOf("@") + 1);
  value = value.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (GUID.test(value) || DOMAIN.test(value)) return { tenant: value };
  return {
    error: "Enter a domain such as contoso.com, or a tenant ID such as 00000000-0000-0000-0000-000000000000.",
  };
}

export function adminConsentUrl(origin: string, tenant: string): string {
  return `${origin}/api/admin-consent?tenant=${encodeURIComponent(tenant)}`;
}
