// The fields of a form or query string as the parsers give them: a field sent once is a string, a field
// sent several times (checkboxes, hidden lists, a hand-edited address) an array. Routes read them through
// these, so every route treats a repeated field the same way.
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
