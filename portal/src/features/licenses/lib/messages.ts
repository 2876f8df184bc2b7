/** The licensing words of the section, with their counts, as people read them. */

export function licenses(count: number): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? "license" : "licenses"}`;
}

/** "3 licenses assigned; welcome emails sent" and, when some were there, "2 were already assigned". */
export function assignedMessage(assigned: number, alreadyAssigned: number): { title: string; body?: string } {
  const title =
    assigned === 0
      ? "No new licenses assigned"
      : `${licenses(assigned)} assigned; ${assigned === 1 ? "welcome email" : "welcome emails"} sent`;
  const body =
    alreadyAssigned === 0
      ? undefined
      : `${alreadyAssigned.toLocaleString("en-US")} ${alreadyAssigned === 1 ? "was" : "were"} already assigned`;
  return { title, body };
}

/** The all-or-nothing refusal, with what to do about it. */
export function notEnoughSeatsMessage(requested: number, available: number): string {
  const missing = requested - available;
  const only = available === 0 ? "none are available" : `only ${available.toLocaleString("en-US")} ${available === 1 ? "is" : "are"} available`;
  return `You are assigning ${licenses(requested)} but ${only}: add ${licenses(missing)} or remove some addresses.`;
}

/** "3 licenses moved to Contoso" and, when some were not there, "1 was not assigned here". */
export function movedMessage(moved: number, target: string, notAssigned: number): { title: string; body?: string } {
  const title = `${licenses(moved)} moved to ${target}`;
  const body =
    notAssigned === 0
      ? undefined
      : `${notAssigned.toLocaleString("en-US")} ${notAssigned === 1 ? "was" : "were"} not assigned here`;
  return { title, body };
}

/** The target's all-or-nothing refusal: how many seats it is missing. */
export function moveShortMessage(requested: number, available: number, target: string): string {
  const missing = requested - available;
  const only = available === 0 ? "has no free seats" : `has only ${available.toLocaleString("en-US")} free`;
  return `You are moving ${licenses(requested)} but ${target} ${only}: it needs ${missing.toLocaleString("en-US")} more ${missing === 1 ? "seat" : "seats"}.`;
}

export function availableMessage(available: number, quantity: number): string {
  return `${available.toLocaleString("en-US")} of ${licenses(quantity)} available`;
}

export const SHARED_MAILBOX_HINT =
  "For a shared mailbox: people who can open it use the add-in without a license of their own";
