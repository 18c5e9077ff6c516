// A small bar chart of monthly volumes, drawn on the server as SVG (no client framework): for each month,
// the CTFs uploaded and the CTFs received, side by side. The table beside it carries the same numbers.
import { SHORT_MONTHS } from '../platform/dates.ts';
import { type Language, translate } from '../platform/i18n/catalogue.ts';
import type { MonthlyVolume } from './usage-repository.ts';

/**
 * The last two years at most, ending with the latest month of the volumes: a longer range is still in
 * the table and the CSV.
 */
const MAX_MONTHS = 24;
const HEIGHT = 160;
const BAR = 10;
const GAP = 8;

export interface ChartBar {
  x: number;
  y: number;
  height: number;
  value: number;
  series: 'uploaded' | 'received';
}

export interface MonthlyChart {
  width: number;
  height: number;
  max: number;
  /** Each month: "Dec 2026" ("Rhag 2026"), drawn as its name over its year to fit its bars' width. */
  months: { label: string; name: string; year: string; x: number }[];
  bars: ChartBar[];
  /** Spoken by screen readers instead of the drawing. */
  description: string;
}

/** A month ("2026-12") as its short name and full year: "Dec 2026" alone reads as a month, "Dec 26" as a day. */
function monthParts(month: string, language: Language): { name: string; year: string } {
  const [year = '', m] = month.split('-');
  return { name: SHORT_MONTHS[language][Number(m) - 1] ?? m ?? '', year };
}

function monthLabel(month: string, language: Language): string {
  const { name, year } = monthParts(month, language);
  return `${name} ${year}`;
}

/** The month `count` months before `month` ("2026-12", 11: "2026-01"). */
function monthsBefore(month: string, count: number): string {
  const [year = 0, m = 1] = month.split('-').map(Number);
  const index = year * 12 + (m - 1) - count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/**
 * Every month from the first of `volumes` (months in order, those with CTFs) to the last, at most the last
 * MAX_MONTHS: a month with none is there with no bars, so that the bars are a timeline, evenly spaced
 * because the months are.
 */
function monthsShown(volumes: MonthlyVolume[]): MonthlyVolume[] {
  const first = volumes[0]?.month;
  const last = volumes.at(-1)?.month;
  if (!first || !last) return [];
  const byMonth = new Map(volumes.map((v) => [v.month, v]));
  const shown: MonthlyVolume[] = [];
  for (let back = MAX_MONTHS - 1; back >= 0; back--) {
    const month = monthsBefore(last, back);
    if (month >= first) shown.push(byMonth.get(month) ?? { month, uploaded: 0, received: 0 });
  }
  return shown;
}

/** The chart of `volumes`, its month names and description in `language`. */
export function monthlyChart(volumes: MonthlyVolume[], language: Language = 'en'): MonthlyChart | null {
  const shown = monthsShown(volumes);
  if (shown.length === 0) return null;
  const max = Math.max(1, ...shown.flatMap((v) => [v.uploaded, v.received]));
  const step = 2 * BAR + GAP;
  const bars: ChartBar[] = [];
  const months = shown.map((volume, i) => {
    const x = i * step;
    for (const [offset, series] of [
      [0, 'uploaded'],
      [BAR, 'received'],
    ] as const) {
      const value = volume[series];
      const height = Math.round((value / max) * HEIGHT);
      bars.push({ x: x + offset, y: HEIGHT - height, height, value, series });
    }
    return { label: monthLabel(volume.month, language), ...monthParts(volume.month, language), x };
  });
  const total = (series: 'uploaded' | 'received') => shown.reduce((sum, v) => sum + v[series], 0);
  return {
    width: shown.length * step,
    height: HEIGHT,
    max,
    months,
    bars,
    description: translate(language, 'reports.usage.chart.description', {
      from: monthLabel(shown[0]?.month ?? '', language),
      to: monthLabel(shown.at(-1)?.month ?? '', language),
      uploaded: total('uploaded'),
      received: total('received'),
      max,
    }),
  };
}
