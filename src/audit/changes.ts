// What each changed field of a record was and became, for an audit event's detail (`changes`, beside
// `fields`: decision 73): a school made inactive and active again is two different events, and a changed
// address says what it was changed to. The Audit Log page and its CSV give `name "Old" → "New"`.

/** One field's change: flags as yes/no (true/false), empty values as none (null). */
export type FieldChange = { from: string | boolean | null; to: string | boolean | null };

/** The changes of the fields `changed`, from `current` to `next`; `flags` are fields held as 0/1. */
export function changesOf<F extends object>(
  current: F,
  next: F,
  changed: readonly Extract<keyof F, string>[],
  flags: ReadonlySet<string> = new Set(),
): Record<string, FieldChange> {
  const recorded = (key: string, value: unknown): FieldChange['from'] => {
    if (value === null || value === undefined) return null;
    return flags.has(key) ? value === 1 : String(value);
  };
  return Object.fromEntries(
    changed.map((key) => [key, { from: recorded(key, current[key]), to: recorded(key, next[key]) }]),
  );
}
