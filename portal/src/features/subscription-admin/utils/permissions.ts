import type { Permission } from "@/lib/api-client";
import { permissionName } from "@/lib/format";

/** The guide's order: what an administrator does most first. */
export const PERMISSION_ORDER: Permission[] = ["assign", "view", "quantity", "billing"];

/** Permissions in the guide's order and words, "View subscription" always included. */
export function permissionNames(permissions: readonly string[]): string[] {
  const held = new Set([...permissions, "view"]);
  const known = PERMISSION_ORDER.filter((permission) => held.has(permission));
  const others = [...held].filter((permission) => !PERMISSION_ORDER.includes(permission as Permission));
  return [...known, ...others].map(permissionName);
}

/** What to send: the chosen permissions plus `view`, which every administrator holds. */
export function withView<T extends string>(chosen: Iterable<T>): (T | "view")[] {
  const set = new Set<T | "view">(chosen);
  set.add("view");
  return PERMISSION_ORDER.filter((permission) => set.has(permission as T | "view")) as (T | "view")[];
}
