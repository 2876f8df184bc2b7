/**
 * When a rate-limited request may be tried again, from a Retry-After value: delay-seconds or an
 * HTTP date (RFC 9110 §10.2.3). Undefined when the value says neither.
 */
export function retryAt(value: unknown, now: Date = new Date()): Date | undefined {
  if (typeof value === "number" && Number.isFinite(value)) {
    return new Date(now.getTime() + Math.max(0, value) * 1000);
  }
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return new Date(now.getTime() + Number(trimmed) * 1000);
  const date = new Date(trimmed);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** "try again after 14:32" (or "in 40 seconds" when it is that soon). */
export function tryAgainWords(at: Date, now: Date = new Date()): string {
  const seconds = Math.ceil((at.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) return "Try again now.";
  if (seconds < 90) return `Try again after ${seconds} ${seconds === 1 ? "second" : "seconds"}.`;
  const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short" }).format(at);
  return `Try again after ${time}.`;
}
