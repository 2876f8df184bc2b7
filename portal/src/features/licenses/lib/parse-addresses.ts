/**
 * Email addresses as people paste them: one per line, separated by commas or semicolons, or
 * copied from Outlook's address fields (`Ann Lee <ann@contoso.com>; "Lee, Bob" <bob@…>`, and
 * Outlook's own unquoted `Lee, Ann <ann@contoso.com>`). Pure: no React, no requests.
 */

/** An entry that is not a usable address, with the text as it was pasted. */
export interface InvalidAddress {
  original: string;
  reason: string;
}

export interface ParsedAddresses {
  /** Usable addresses, trimmed and lower-cased, each once, in the order first pasted. */
  addresses: string[];
  /** Entries that are not usable addresses, in the order pasted. */
  invalid: InvalidAddress[];
  /** How many entries repeated an address already in `addresses` (collapsed into it). */
  duplicates: number;
  /** The pasted text of each address in `addresses`, to name it as the person wrote it. */
  originals: Record<string, string>;
}

// The same limits the API checks (RFC 5321: 64 for the local part, 254 for the whole).
const MAX_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const LOCAL_PART = /^[a-z0-9_%+'-]+(?:\.[a-z0-9_%+'-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LABEL = /^(?:[a-z0-9][a-z0-9-]{0,61})?[a-z]$/;
// Special-use names (RFC 6761) never receive mail, and the API refuses them.
const SPECIAL_USE = new Set(["arpa", "invalid", "local", "localhost", "onion", "test"]);

/** Why `email` (already trimmed and lower-cased) is not a usable address, or null when it is. */
export function addressProblem(email: string): string | null {
  if (!email) return "is empty";
  const at = email.lastIndexOf("@");
  if (at < 0) return "has no @";
  if (/\s/.test(email)) return "has a space in it";
  if (email.indexOf("@") !== at) return "has more than one @";
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!local) return "has nothing before the @";
  if (!domain) return "has no domain after the @";
  if (email.length > MAX_LENGTH) return `is longer than ${MAX_LENGTH} characters`;
  if (local.length > MAX_LOCAL_LENGTH) return `has more than ${MAX_LOCAL_LENGTH} characters before the @`;
  if (!LOCAL_PART.test(local)) return "has characters before the @ that an address cannot hold";
  const labels = domain.split(".");
  if (labels.length < 2) return "has a domain without a period";
  const top = labels[labels.length - 1] ?? "";
  if (!labels.slice(0, -1).every((label) => DOMAIN_LABEL.test(label)) || !TOP_LABEL.test(top)) {
    return "has a domain that is not valid";
  }
  if (SPECIAL_USE.has(top)) return `has a domain (.${top}) that never receives mail`;
  return null;
}

interface Fragment {
  text: string;
  /** The separator that ended it: a comma may sit inside Outlook's unquoted "Lee, Ann". */
  endedBy: string;
}

/** The text cut at newlines, commas and semicolons outside quotes and angle brackets. */
function fragments(text: string): Fragment[] {
  const result: Fragment[] = [];
  let current = "";
  let quoted = false;
  let angled = false;
  for (const char of text) {
    if (char === '"' && !angled) quoted = !quoted;
    else if (char === "<" && !quoted) angled = true;
    else if (char === ">" && !quoted) angled = false;
    const separator = char === "\n" || char === "\r" || ((char === "," || char === ";") && !quoted && !angled);
    if (separator) {
      result.push({ text: current, endedBy: char });
      current = "";
      // A line ends any quote or bracket left open on it.
      if (char === "\n" || char === "\r") {
        quoted = false;
        angled = false;
      }
    } else {
      current += char;
    }
  }
  result.push({ text: current, endedBy: "" });
  return result;
}

/** Joins Outlook's `Lee, Ann <ann@contoso.com>` back into one entry. */
function entries(text: string): string[] {
  const parts = fragments(text);
  const result: string[] = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index] as Fragment;
    let entry = part.text;
    let next = parts[index + 1];
    let endedBy = part.endedBy;
    while (
      endedBy === "," &&
      next !== undefined &&
      !entry.includes("@") &&
      entry.trim() !== "" &&
      next.text.includes("<")
    ) {
      entry = `${entry},${next.text}`;
      endedBy = next.endedBy;
      index += 1;
      next = parts[index + 1];
    }
    const trimmed = entry.trim();
    if (trimmed) result.push(trimmed);
  }
  return result;
}

function unwrap(text: string): string {
  let value = text.trim();
  // Quotes or brackets around a bare address: 'ann@contoso.com', "ann@…", [ann@…], (ann@…).
  while (/^(["'[(<]).*(["'\])>])$/.test(value) && value.length >= 2) {
    const inner = value.slice(1, -1).trim();
    if (inner === value) break;
    value = inner;
  }
  return value.replace(/^mailto:/i, "");
}

/** The address an entry names: inside its last <…>, or the one spreadsheet cell with an @. */
function addressOf(entry: string): string {
  const angled = /<([^<>]*)>[^<>]*$/.exec(entry);
  if (angled) return unwrap(angled[1] ?? "");
  // "Ann Lee<TAB>ann@contoso.com", copied from two spreadsheet columns. Spaces are not cut:
  // "ann lee@contoso.com" is a typo, and guessing "lee@contoso.com" would license someone else.
  const cells = entry.split("\t").map((cell) => cell.trim()).filter(Boolean);
  const withAt = cells.filter((cell) => cell.includes("@"));
  if (cells.length > 1 && withAt.length === 1) return unwrap(withAt[0] as string);
  return unwrap(entry);
}

/** Every address in pasted text, the unusable ones named, repeats collapsed and counted. */
export function parseAddresses(text: string): ParsedAddresses {
  const addresses: string[] = [];
  const invalid: InvalidAddress[] = [];
  const originals: Record<string, string> = {};
  let duplicates = 0;
  for (const entry of entries(text)) {
    const email = addressOf(entry).toLowerCase();
    const problem = addressProblem(email);
    if (problem) {
      invalid.push({ original: entry, reason: problem });
    } else if (Object.hasOwn(originals, email)) {
      duplicates += 1;
    } else {
      originals[email] = entry;
      addresses.push(email);
    }
  }
  return { addresses, invalid, duplicates, originals };
}
