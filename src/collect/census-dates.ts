// Dates, terms, ages and national curriculum (NC) year groups as the census rules use them.
// Dates are ISO calendar dates ("2025-10-02") compared as strings; no time zones are involved.

export type Term = 'AUT' | 'SPR' | 'SUM';

export const TERM_NAMES: Record<Term, string> = { AUT: 'autumn', SPR: 'spring', SUM: 'summer' };

/** The term as a sentence names it, in the reader's language ("the autumn census", "yn nhymor yr hydref"). */
export const TERM_KEYS: Record<Term, string> = {
  AUT: 'collect.refused.term.autumn',
  SPR: 'collect.refused.term.spring',
  SUM: 'collect.refused.term.summer',
};

/**
 * Months in which each term's census day may fall. Census day is normally the first Thursday of
 * October (autumn), the third Thursday of January (spring) and the third Thursday of May (summer);
 * the windows are wider so that a moved census day is not refused, yet a date from the wrong term is.
 */
export const TERM_MONTHS: Record<Term, readonly number[]> = { AUT: [9, 10, 11], SPR: [1, 2], SUM: [5, 6] };

export function isTerm(value: string | null): value is Term {
  return value === 'AUT' || value === 'SPR' || value === 'SUM';
}

/**
 * The date as YYYY-MM-DD when `value` is an XML Schema date of a real calendar day ("2025-10-02", or
 * with a time-zone suffix as xs:date allows: "2025-10-02Z", "2025-10-02+01:00"); otherwise null.
 * Other spellings (02/10/2025, a date and time) are not census dates.
 */
export function isoDate(value: string | null): string | null {
  if (value === null) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return `${match[1]}-${match[2]}-${match[3]}`;
}

function parts(date: string): [number, number, number] {
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
}

/** Whole years from `dob` to `on` (both YYYY-MM-DD); a 29 February birthday counts on 1 March. */
export function ageOn(dob: string, on: string): number {
  const [by, bm, bd] = parts(dob);
  const [oy, om, od] = parts(on);
  return oy - by - (om < bm || (om === bm && od < bd) ? 1 : 0);
}

/**
 * 31 August before census day: the start of the academic year, the date at which a pupil's age decides
 * their expected year group (the DfE's "age at start of academic year").
 */
export function academicYearStart(censusDay: string): string {
  const [year, month] = parts(censusDay);
  return `${month >= 9 ? year : year - 1}-08-31`;
}

/** Long English form for messages: "2 October 2025". */
export function longDate(date: string): string {
  const [year, month, day] = parts(date);
  const months = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ];
  return `${day} ${months[month - 1]} ${year}`;
}

/** Why the header's reference date is unusable for its term, or null when it is fine. */
export function referenceDateProblem(header: {
  term: string | null;
  year: string | null;
  referenceDate: string | null;
}): string | null {
  const { term, year, referenceDate } = header;
  if (referenceDate === null) return 'The return has no reference date (census day).';
  const date = isoDate(referenceDate);
  if (date === null) {
    return `The reference date "${referenceDate}" is not a real date written as YYYY-MM-DD.`;
  }
  if (term === null) return 'The return does not say which term it is for (AUT, SPR or SUM).';
  if (!isTerm(term)) return `The term "${term}" is not AUT, SPR or SUM.`;
  switch (referenceDateMismatch(date, term, year)) {
    case 'term':
      return `The reference date ${longDate(date)} is not in the ${TERM_NAMES[term]} term.`;
    case 'year':
      return `The reference date ${longDate(date)} is not in the collection year ${year}.`;
    default:
      return null;
  }
}

/** Whether a real reference date (YYYY-MM-DD) is outside its term's months or its year; null when in both. */
export function referenceDateMismatch(date: string, term: Term, year: string | null): 'term' | 'year' | null {
  const [dateYear, month] = parts(date);
  if (!TERM_MONTHS[term].includes(month)) return 'term';
  if (year !== null && year !== String(dateYear)) return 'year';
  return null;
}

/** Valid NC year group codes, youngest first. X: the pupil (or school) does not follow the NC. */
export const NC_YEARS = [
  'E1',
  'E2',
  'N1',
  'N2',
  'R',
  ...Array.from({ length: 14 }, (_, index) => String(index + 1)),
] as const;

export function isNcYear(value: string | null): boolean {
  return value === 'X' || (value !== null && (NC_YEARS as readonly string[]).includes(value));
}

/**
 * The age at 31 August expected for an NC year group (E1 0, E2 1, N1 2, N2 3, R 4, year 1 5 ...
 * year 14 18), which also orders year groups; null for X and for anything that is not a year group.
 */
export function expectedAge(ncYear: string | null): number | null {
  if (ncYear === null) return null;
  const index = (NC_YEARS as readonly string[]).indexOf(ncYear);
  return index < 0 ? null : index;
}

/** xs:boolean, read leniently about letter case: true for true/1, false for false/0, else null. */
export function censusBoolean(value: string | null): boolean | null {
  const lower = value?.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  return null;
}
