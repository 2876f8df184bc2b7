/** Free mail providers: a domain anyone can sign up at must never get free seats. */
const PUBLIC_DOMAINS = new Set([
  "aol.com", "gmail.com", "gmx.com", "gmx.de", "googlemail.com", "hotmail.com", "icloud.com",
  "live.com", "mail.com", "me.com", "msn.com", "outlook.com", "proton.me", "protonmail.com",
  "yahoo.com", "yandex.com", "zoho.com",
]);

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const RESERVED_TLDS = new Set(["arpa", "invalid", "local", "localhost", "onion", "test"]);

export const MAX_DOMAINS = 20;

/** Domains as people type them: one per line or separated by commas, semicolons or spaces. */
export function parseDomains(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(/[\s,;]+/)) {
    const domain = raw.trim().toLowerCase().replace(/^@/, "").replace(/\.$/, "");
    if (domain) seen.add(domain);
  }
  return [...seen];
}

/** Why a domain cannot be used, or undefined when it can. */
export function domainProblem(domain: string): string | undefined {
  if (domain.includes("@")) return "enter only the part after @";
  if (domain.length > 253) return "is too long";
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) {
    return "is not a domain name (like contoso.com)";
  }
  const tld = labels.at(-1) ?? "";
  if (!/[a-z]/.test(tld) || RESERVED_TLDS.has(tld)) return "is not a public domain name";
  if (PUBLIC_DOMAINS.has(domain)) return "is a public email provider: anyone could take a seat";
  return undefined;
}
