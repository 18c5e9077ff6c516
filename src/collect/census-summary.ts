// A census return's summary (census guide: "We will send you a summary of your data to confirm before this
// happens"; "A Summary Report should have been run off"): the totals a school checks against its MIS and
// an LA sends it to confirm before approving. Counted from what census-reader.ts reads, nothing more:
// the pupils on roll by each field a school's census summary counts them by, and the leavers the return
// holds. Values are kept as written (a code the census does not define is counted under itself); the
// pages put them in words.
import { academicYearStart, ageOn, censusBoolean, expectedAge, isoDate } from './census-dates.ts';
import type { CensusPupil, CensusReturn } from './census-reader.ts';

/** How many pupils have one value of a field; `value` null: the return gives none. */
export interface Tally<V> {
  value: V | null;
  pupils: number;
}

export interface ReturnSummary {
  onRoll: number;
  /** Leavers: the records of pupils no longer on roll the return holds. */
  noLongerOnRoll: number;
  /** On roll and part-time (PartTime true or 1). */
  partTimePupils: number;
  /** On roll and boarding (any Boarder code but N). */
  boarders: number;
  // Each of the pupils on roll by one field; the tallies of a field add up to onRoll.
  ncYear: Tally<string>[];
  sex: Tally<string>[];
  enrolStatus: Tally<string>[];
  /** "true", "false" (however the file spells them), or another value as written. */
  partTime: Tally<string>[];
  boarder: Tally<string>[];
  /** 31 August before census day, the date ages are counted at; null when census day is not a date. */
  ageDate: string | null;
  /** Whole years at ageDate; empty when ageDate is null. */
  age: Tally<number>[];
  ethnicity: Tally<string>[];
}

/** Boarder codes other than N ("not a boarder") all say the pupil boards. */
export function isBoarder(code: string | null): boolean {
  return code !== null && code !== 'N';
}

/**
 * Counts each value of `field` among `pupils`: the values `known` names first in its order, then any
 * other value in `compare`'s order, then the pupils without one.
 */
function tally<V extends string | number>(
  pupils: readonly CensusPupil[],
  field: (pupil: CensusPupil) => V | null,
  compare: (a: V, b: V) => number,
): Tally<V>[] {
  const counts = new Map<V | null, number>();
  for (const pupil of pupils) {
    const value = field(pupil);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : compare(a, b)))
    .map(([value, count]) => ({ value, pupils: count }));
}

/** Orders the codes `known` lists in its order, before any other, which go in alphabetical order. */
function knownFirst(known: readonly string[]) {
  const rank = (code: string) => {
    const index = known.indexOf(code);
    return index < 0 ? known.length : index;
  };
  return (a: string, b: string) => rank(a) - rank(b) || a.localeCompare(b);
}

const alphabetical = (a: string, b: string) => a.localeCompare(b);

/** Youngest year group first (E1 ... R, 1 ... 14), then X, then anything else. */
function byYearGroup(a: string, b: string): number {
  const rank = (code: string) => expectedAge(code) ?? (code === 'X' ? 100 : 101);
  return rank(a) - rank(b) || a.localeCompare(b);
}

export function summariseReturn(census: CensusReturn): ReturnSummary {
  const pupils = census.pupilsOnRoll;
  const censusDay = isoDate(census.header.referenceDate);
  const ageDate = censusDay === null ? null : academicYearStart(censusDay);
  const ageOf = (pupil: CensusPupil) => {
    const dob = isoDate(pupil.dob);
    return dob === null || ageDate === null ? null : ageOn(dob, ageDate);
  };
  const partTimeOf = (pupil: CensusPupil) => {
    const value = censusBoolean(pupil.partTime);
    return value === null ? pupil.partTime : String(value);
  };
  return {
    onRoll: pupils.length,
    noLongerOnRoll: census.pupilsNoLongerOnRoll.length,
    partTimePupils: pupils.filter((p) => censusBoolean(p.partTime) === true).length,
    boarders: pupils.filter((p) => isBoarder(p.boarder)).length,
    ncYear: tally(pupils, (p) => p.ncYearActual, byYearGroup),
    sex: tally(pupils, (p) => p.sex, knownFirst(['M', 'F'])),
    enrolStatus: tally(pupils, (p) => p.enrolStatus, knownFirst(['C', 'M', 'S'])),
    partTime: tally(pupils, partTimeOf, knownFirst(['true', 'false'])),
    boarder: tally(pupils, (p) => p.boarder, knownFirst(['N'])),
    ageDate,
    age: ageDate === null ? [] : tally(pupils, ageOf, (a, b) => a - b),
    ethnicity: tally(pupils, (p) => p.ethnicity, alphabetical),
  };
}
