// The fields of a form or query string as the parsers give them: a field sent once is a string, a field
// sent several times (checkboxes, hidden lists, a hand-edited address) an array. Routes read them through
// these, so every route treats a repeated field the same way.
import { createHash } from 'node:crypto';
import { z } from 'zod';

const sent = z.union([z.string(), z.array(z.string())]).optional();

/** One value: the first when the field came several times; undefined when it did not come. */
export const oneValue = sent.transform((v) => (Array.isArray(v) ? v[0] : v));

/** One value, or '' when the field did not come. */
export const oneText = oneValue.transform((v) => v ?? '');

/** Every value, in the order sent (none: []). With `max`, more than that many is refused. */
export function repeatedValues(max?: number) {
  const list = max === undefined ? z.array(z.string()) : z.array(z.string()).max(max);
  return z
    .union([z.string(), list])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
}

/**
 * The id a page gave its form (a hidden formId, a UUID made as the page was drawn), for a service to
 * keep with what the form made: the same form posted again (a double click, Back and submit, a browser
 * resending) is then known as such and makes nothing new. Undefined when missing or not a UUID.
 */
export const formId = oneValue.transform((v) =>
  v !== undefined && z.uuid().safeParse(v).success ? v : undefined,
);

/** Every value, in the order sent (none: []). */
export const manyValues = repeatedValues();

/**
 * The id of one of several things a form makes, named by `key` (a file of a zip, by its name), made from
 * the form's id (formId): the same each time the form is posted, another for another key or form. A
 * UUID (RFC 9562 version 8: the form's id and the key hashed with SHA-256).
 */
export function formPartId(formId: string, key: string): string {
  const hex = createHash('sha256').update(`${formId}\n${key}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
