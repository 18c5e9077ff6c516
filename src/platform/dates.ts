// Dates as users read them: UK style, in Europe/London time, for pages and emails alike, in English or
// Welsh. "23 November 2026" and "23 November 2026 at 2:05pm" (GOV.UK style: no space before am/pm);
// "23 Tachwedd 2026" and "23 Tachwedd 2026 am 2:05yh" (GOV.UK's Welsh: yb before midday, yh after).
import type { Language } from './i18n/catalogue.ts';

export const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

// hourCycle 'h12', not hour12: true: en-GB with hour12 counts 0-11, so midday came out as "0:00 pm".
export const DATE_TIME_FORMAT = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h12',
  timeZone: 'Europe/London',
});

const WELSH_DATE_FORMAT = new Intl.DateTimeFormat('cy-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

/** "23 November 2026" ("23 Tachwedd 2026" in Welsh), or '' for no date. */
export function formatDate(value: string | Date | null | undefined, language: Language = 'en'): string {
  if (!value) return '';
  return (language === 'cy' ? WELSH_DATE_FORMAT : DATE_FORMAT).format(new Date(value));
}

const MONTH_FORMATS: Record<Language, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }),
  cy: new Intl.DateTimeFormat('cy-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }),
};

/** The month of an ISO date: "June 2027" ("Mehefin 2027" in Welsh). */
export function formatMonth(isoDate: string, language: Language = 'en'): string {
  return MONTH_FORMATS[language].format(new Date(`${isoDate.slice(0, 10)}T00:00:00.000Z`));
}

/** "23 November 2026 at 2:05pm" ("23 Tachwedd 2026 am 2:05yh" in Welsh), or '' for no date. */
export function formatDateTime(value: string | Date | null | undefined, language: Language = 'en'): string {
  if (!value) return '';
  const date = new Date(value);
  const parts = DATE_TIME_FORMAT.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '';
  const dayPeriod = part('dayPeriod')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  const time = `${part('hour')}:${part('minute')}`;
  if (language === 'cy') {
    return `${formatDate(date, 'cy')} am ${time}${dayPeriod === 'am' ? 'yb' : 'yh'}`;
  }
  return `${part('day')} ${part('month')} ${part('year')} at ${time}${dayPeriod}`;
}

const MONTHS = Array.from({ length: 12 }, (_, month) => ({
  en: new Intl.DateTimeFormat('en-GB', { month: 'long', timeZone: 'UTC' }).format(Date.UTC(2000, month, 1)),
  cy: new Intl.DateTimeFormat('cy-GB', { month: 'long', timeZone: 'UTC' }).format(Date.UTC(2000, month, 1)),
}));

/** Months in three letters or so ("Nov", "Tach"), for tables and charts: CLDR's abbreviations. */
export const SHORT_MONTHS: Record<Language, readonly string[]> = {
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  cy: ['Ion', 'Chw', 'Maw', 'Ebr', 'Mai', 'Meh', 'Gor', 'Awst', 'Medi', 'Hyd', 'Tach', 'Rhag'],
};

/**
 * The month (1 to 12) a name stands for, in English or Welsh, in full or short, in any case ("September",
 * "sept", "Sep", "Medi"); null for any other text. The GOV.UK date input pattern asks that a date input
 * take a month's name: some people write months that way.
 */
export function monthOfName(text: string): number | null {
  const name = text.trim().toLowerCase();
  const at = MONTHS.findIndex(
    (month, index) =>
      [month.en, month.cy, SHORT_MONTHS.en[index], SHORT_MONTHS.cy[index]].some(
        (known) => known?.toLowerCase() === name,
      ) ||
      (index === 8 && name === 'sept'),
  );
  return at < 0 ? null : at + 1;
}

/**
 * A month in words, "June 2027", put in `language` ("Mehefin 2027"); any other text is returned as it
 * is. For months stored in words before they were stored as dates.
 */
export function monthInWords(englishMonth: string, language: Language): string {
  const match = /^([A-Z][a-z]+) (\d{4})$/.exec(englishMonth.trim());
  const month = match && MONTHS.find((m) => m.en === match[1]);
  return month && match ? `${month[language]} ${match[2]}` : englishMonth;
}

// --- calendar days in London (the weekly, daily and monthly jobs; report CSVs) --------------------------

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The instant `days` whole days (of 24 hours) before `now`, as stored: for retention periods. */
export function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

/** The instant `days` whole days (of 24 hours) after `at`, as stored. */
export function daysAfter(at: string | Date, days: number): string {
  return new Date(new Date(at).getTime() + days * DAY_MS).toISOString();
}

const LONDON_PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The wall-clock time in London at an instant, as if it were UTC (for date arithmetic). */
function londonWallClock(at: Date): number {
  const parts = Object.fromEntries(LONDON_PARTS.formatToParts(at).map((p) => [p.type, p.value]));
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
}

/** The date in London at an instant: "2026-11-23". */
export function londonDate(at: Date): string {
  return new Date(londonWallClock(at)).toISOString().slice(0, 10);
}

/** The date and time to the minute in London at an instant: "2026-11-23 14:05". */
export function londonDateTime(at: Date): string {
  return new Date(londonWallClock(at)).toISOString().slice(0, 16).replace('T', ' ');
}

export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday (London date) of the week holding an instant: the week a weekly reminder is for. */
export function weekOf(at: Date): string {
  const date = londonDate(at);
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 Sunday ... 6 Saturday
  return addDays(date, -((weekday + 6) % 7));
}

/** The instant a London date begins (midnight is never skipped or repeated in London). */
export function startOfLondonDay(isoDate: string): Date {
  return londonInstant(isoDate, 0, 0);
}

/**
 * The instant London's clock shows `hours`:`minutes` on a London date. Of a time shown twice (1:30am on
 * the last Sunday in October), the first (BST); a time the clocks skip (1:30am on the last Sunday in
 * March) is read as GMT, so it is 2:30am BST.
 */
export function londonInstant(isoDate: string, hours: number, minutes: number): Date {
  const wall = Date.parse(`${isoDate}T00:00:00Z`) + (hours * 60 + minutes) * 60_000;
  // London is UTC or an hour ahead of it.
  const summer = new Date(wall - 60 * 60_000);
  return londonWallClock(summer) === wall ? summer : new Date(wall);
}
