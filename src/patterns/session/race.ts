/**
 * The lost-update race, as a model: requests that each change one field of the same session, and which of their
 * changes the final session still shows. Pure: no Redis.
 */

/** One request's change: set `field` to `value`. */
export interface FieldChange {
  /** Who made it, e.g. "request A". */
  by: string;
  field: string;
  value: string | number | boolean;
}

/** The session as it would be if the requests had run one after another: every change applied. */
export function applyChanges<T extends Record<string, unknown>>(base: T, changes: readonly FieldChange[]): T {
  const out: Record<string, unknown> = { ...base };
  for (const change of changes) out[change.field] = change.value;
  return out as T;
}

/**
 * The changes the final session does not show (compared as strings, so a hash's "1" equals a JSON 1). Empty when
 * every change survived; a missing session loses all of them.
 */
export function missingChanges(final: Record<string, unknown> | null, changes: readonly FieldChange[]): FieldChange[] {
  return changes.filter(
    (c) => final === null || final[c.field] === undefined || String(final[c.field]) !== String(c.value),
  );
}
