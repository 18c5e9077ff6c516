// Dates as users read them: UK style, in Europe/London time, for pages and emails alike.
// "23 November 2026" and "23 November 2026 at 2:05pm" (GOV.UK style: no space before am/pm).

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

/** "23 November 2026", or '' for no date. */
export function formatDate(value: string | Date | null | undefined): string {
  return value ? DATE_FORMAT.format(new Date(value)) : '';
}

/** "23 November 2026 at 2:05pm", or '' for no date. */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return '';
  const parts = DATE_TIME_FORMAT.formatToParts(new Date(value));
  const part = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((p) => p.type === type)?.value ?? '';
  const dayPeriod = part('dayPeriod')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  return `${part('day')} ${part('month')} ${part('year')} at ${part('hour')}:${part('minute')}${dayPeriod}`;
}
