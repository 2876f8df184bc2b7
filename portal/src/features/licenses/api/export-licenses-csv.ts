/**
 * The CSV export's address, for an `<a href download>`: the browser streams the file itself,
 * with the session cookie, however many licenses there are.
 */
export function licensesCsvUrl(subscriptionId: string, label?: string): string {
  const path = `/api/subscriptions/${encodeURIComponent(subscriptionId)}/licenses.csv`;
  return label ? `${path}?${new URLSearchParams({ label }).toString()}` : path;
}
