// A GOV.UK date input (day, month and year boxes) read into a date, its errors as the GOV.UK date input
// pattern says (design-system.service.gov.uk/components/date-input/#error-messages): one message for the
// date, the highest in priority (missing boxes and a year without 4 numbers, then boxes that cannot be
// right, then a day its month does not have); it marks the boxes the problem is in, or all three when it
// is the whole date or more than one box; its field, where the error summary links, is the first of them.
//
// Domain code reads the boxes here, as it reads any other field (a search's date of birth, a collection's
// dates); the page that draws them is the web edge's (web/date-input.ts fills them again).
import { monthOfName } from './dates.ts';
import type { DateBox, FieldError } from './errors.ts';
import { keyedError, type Message } from './i18n/catalogue.ts';

const BOXES: readonly DateBox[] = ['day', 'month', 'year'];

/** The years a date input takes: a report's or a collection's dates. */
export const DATE_INPUT_YEARS = { min: 2000, max: 2100 };

/** The message naming the boxes left blank: "The From date must include a day and month". */
const MISSING: Record<string, string> = {
  day: 'errors.date-input.missing-day',
  month: 'errors.date-input.missing-month',
  year: 'errors.date-input.missing-year',
  'day-month': 'errors.date-input.missing-day-month',
  'day-year': 'errors.date-input.missing-day-year',
  'month-year': 'errors.date-input.missing-month-year',
};

/** The message of one box that cannot be right: it names the box. */
const WRONG: Record<DateBox, string> = {
  day: 'errors.date-input.wrong-day',
  month: 'errors.date-input.wrong-month',
  year: 'errors.date-input.wrong-year',
};

/** The date's parts, each null where its box is blank (only a `partial` date input leaves boxes blank). */
export interface DateParts {
  day: number | null;
  month: number | null;
  year: number | null;
}

/** The error marking `boxes`, linked to the box `first`. */
function problem(
  name: string,
  first: DateBox,
  boxes: DateBox[],
  key: string,
  params: Message['params'],
): { error: FieldError } {
  return { error: { ...keyedError(`${name}-${first}`, key, params), boxes } };
}

/**
 * Reads the boxes of the date input `name` (fields `${name}-day`, `-month`, `-year`) whose label is
 * `label` ("From date", "date of birth"): its parts, or its one error. Each box of a `partial` date input
 * may be blank (a search by what is known of a date); otherwise all or none are filled. A month may be
 * a number or a name. Years are those from `years.min` to `years.max`.
 */
export function readDateBoxes(
  name: string,
  label: Message,
  texts: (string | undefined)[],
  options: { partial?: boolean; years?: { min: number; max: number } } = {},
): { parts: DateParts } | { error: FieldError } {
  const { partial = false, years = DATE_INPUT_YEARS } = options;
  const [day = '', month = '', year = ''] = texts.map((text) => (text ?? '').trim());
  const blank = BOXES.filter((_, at) => [day, month, year][at] === '');
  if (!partial && blank.length > 0 && blank.length < 3) {
    return problem(name, blank[0] as DateBox, blank, MISSING[blank.join('-')] as string, { label });
  }
  if (year !== '' && !/^\d{4}$/.test(year))
    return problem(name, 'year', ['year'], 'errors.date-input.short-year', { label });
  const parts: DateParts = {
    day: /^\d{1,2}$/.test(day) ? Number(day) : null,
    month: /^\d{1,2}$/.test(month) ? Number(month) : monthOfName(month),
    year: year === '' ? null : Number(year),
  };
  const wrong = BOXES.filter((box) => {
    const text = { day, month, year }[box];
    const value = parts[box];
    if (text === '') return false;
    if (value === null) return true;
    if (box === 'day') return value < 1 || value > 31;
    if (box === 'month') return value < 1 || value > 12;
    return value < years.min || value > years.max;
  });
  const [box] = wrong;
  if (box && wrong.length > 1) return problem(name, box, [...BOXES], 'errors.date-input.not-real', { label });
  if (box) return problem(name, box, [box], WRONG[box], { label, ...years });
  // Whether the day or the month is wrong is not clear: the whole date. With no year, 29 February is real.
  if (parts.day !== null && parts.month !== null) {
    const days = new Date(Date.UTC(parts.year ?? 2000, parts.month, 0)).getUTCDate();
    if (parts.day > days) {
      const key = parts.month === 2 ? 'errors.date-input.not-in-february' : 'errors.date-input.not-in-month';
      return problem(name, 'day', [...BOXES], key, { label, day: parts.day });
    }
  }
  return { parts };
}

/**
 * Reads a whole date from the boxes of the date input `name`: null when all three are blank, the ISO
 * date when they make a real date, otherwise null with its error in `errors`.
 */
export function readDateInput(
  name: string,
  label: Message,
  texts: (string | undefined)[],
  errors: FieldError[],
): string | null {
  const read = readDateBoxes(name, label, texts);
  if ('error' in read) {
    errors.push(read.error);
    return null;
  }
  const { day, month, year } = read.parts;
  if (day === null || month === null || year === null) return null;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
