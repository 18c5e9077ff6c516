// A census return's values as its pages write them in the reader's language: dates written out, and the
// codes the census defines in words (any other code as written). The return page, its pupils page and its
// summary (and the summary's CSV, in English) all write them the same way.
import { formatDate, formatDateTime, londonInstant } from '../platform/dates.ts';
import type { CensusReturnStatus } from '../platform/db/schema.ts';
import type { Language, MessageParams } from '../platform/i18n/catalogue.ts';
import { censusBoolean, isoDate } from './census-dates.ts';
import { isBoarder } from './census-summary.ts';

/** A page's t(): the reader's language. */
export type Translate = (key: string, params?: MessageParams) => string;

/** Each return status's label, as its key. */
export const STATUS_KEYS: Record<CensusReturnStatus, string> = {
  loaded: 'collect.return-status.loaded',
  submitted: 'collect.return-status.submitted',
  returned: 'collect.return-status.returned',
  approved: 'collect.return-status.approved',
  replaced: 'collect.return-status.replaced',
};

/** A date a return gives, in the reader's language; as written when it is not a real date. */
export function censusDateIn(language: Language, value: string | null): string | null {
  if (value === null) return null;
  const date = isoDate(value);
  return date === null ? value : formatDate(date, language);
}

/**
 * When the MIS made the return, in the reader's language: an xs:dateTime, London's wall clock unless it
 * gives its time zone; as written when it is not one.
 */
export function madeAtIn(language: Language, value: string | null): string | null {
  if (value === null) return null;
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  const [, day = '', hours = '', minutes = '', zone] = match ?? [];
  if (!match || isoDate(day) === null || Number(hours) > 23 || Number(minutes) > 59) return value;
  const at = zone ? new Date(value) : londonInstant(day, Number(hours), Number(minutes));
  return Number.isNaN(at.getTime()) ? value : formatDateTime(at, language);
}

/** Enrolment statuses in words (the CBDS's). */
const ENROL_STATUS_KEYS: Record<string, string> = {
  C: 'collect.pupils.enrol.current',
  M: 'collect.pupils.enrol.main',
  S: 'collect.pupils.enrol.subsidiary',
};

const SEX_KEYS: Record<string, string> = { M: 'collect.pupils.sex.male', F: 'collect.pupils.sex.female' };

/** A code in words when `keys` has it (its text may show the code too); otherwise as written, '' for none. */
function coded(t: Translate, value: string | null, keys: Record<string, string>): string {
  const key = value === null ? undefined : keys[value];
  return key ? t(key, { code: value ?? '' }) : (value ?? '');
}

export const sexIn = (t: Translate, value: string | null) => coded(t, value, SEX_KEYS);

export const enrolStatusIn = (t: Translate, value: string | null) => coded(t, value, ENROL_STATUS_KEYS);

/** "Year 7", "Reception"; other year groups (N1, X...) as written. */
export function ncYearIn(t: Translate, value: string | null): string {
  return value !== null && /^\d{1,2}$/.test(value)
    ? t('collect.pupils.year-n', { year: value })
    : coded(t, value, { R: 'collect.pupils.reception' });
}

/** Yes or No for an xs:boolean however it is spelt; anything else as written. */
export function partTimeIn(t: Translate, value: string | null): string {
  const partTime = censusBoolean(value);
  if (partTime === null) return value ?? '';
  return t(partTime ? 'collect.pupils.yes' : 'collect.pupils.no');
}

/** "No (N)", or "Yes (B)" for any other boarder code. */
export function boarderIn(t: Translate, value: string | null): string {
  if (value === null) return '';
  return t(isBoarder(value) ? 'collect.pupils.boarder' : 'collect.pupils.not-boarder', { code: value });
}
