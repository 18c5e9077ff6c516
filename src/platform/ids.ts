// The ids s2s gives its rows (randomUUID: a UUID in lowercase hex, stored as text on both engines).
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether `value` has the shape of an id s2s makes: one from a URL or a form that has not is found by no
 * lookup, so a service answers "not found" without asking the database.
 */
export function isId(value: string): boolean {
  return ID.test(value);
}
