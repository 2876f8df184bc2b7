/** Each action of the activity log in words, as a person would say what happened. */
const ACTION_WORDS: Record<string, string> = {
  licenses_assigned: "Assigned licenses",
  license_assigned: "Assigned license",
  license_auto_assigned: "Assigned license automatically",
  license_unassigned: "Removed license",
  license_reassigned: "Reassigned license",
  license_labelled: "Changed license label",
  licenses_moved: "Moved licenses",
  subscription_renamed: "Renamed subscription",
  quantity_changed: "Changed number of licenses",
  status_changed: "Subscription status changed",
  auto_assign_changed: "Changed auto-assign domains",
  administrator_invited: "Invited administrator",
  administrator_permissions_changed: "Changed administrator permissions",
  administrator_removed: "Removed administrator",
  invitation_accepted: "Accepted invitation",
  invitation_resent: "Resent invitation",
  invitation_revoked: "Withdrew invitation",
  api_key_created: "Created API key",
  api_key_revoked: "Revoked API key",
  ownership_transferred: "Transferred ownership",
};

/** "license.assigned" or "license_assigned" → "Assigned license"; unknown ones readable too. */
export function actionWords(action: string): string {
  const key = action.trim().toLowerCase().replace(/[.\-\s]+/g, "_");
  const known = ACTION_WORDS[key];
  if (known) return known;
  const words = key.split("_").filter(Boolean).join(" ");
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : action;
}

/** Who did it: the service's own actors in words, people by their address, keys by name. */
export function actorWords(actor: string, keyNames?: ReadonlyMap<string, string>): string {
  if (actor === "stripe") return "Payments";
  if (actor === "system") return "Licensing service";
  const key = /^api[-_]key:(.+)$/.exec(actor);
  if (key?.[1]) {
    if (!keyNames) return "API key";
    const name = keyNames.get(key[1]);
    return name ? `API key “${name}”` : "API key (revoked)";
  }
  return actor;
}
