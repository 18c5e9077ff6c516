// A GOV.UK date input (day, month and year boxes) drawn again with what a date holds. Reading the boxes
// into a date, with its errors, is ../date-boxes.ts: domain code reads them there.

/** The day, month and year boxes' values of an ISO date, to fill a date input again. */
export function dateInputValues(isoDate: string | null): { day: string; month: string; year: string } {
  if (!isoDate) return { day: '', month: '', year: '' };
  const [year = '', month = '', day = ''] = isoDate.split('-');
  return { day: String(Number(day)), month: String(Number(month)), year };
}
