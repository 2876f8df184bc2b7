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

export function availableMessage(available: number, quantity: number): string {
  return `${available.toLocaleString("en-US")} of ${licenses(quantity)} available`;
}

export const SHARED_MAILBOX_HINT =
  "For a shared mailbox: people who can open it use the add-in without a license of their own";
