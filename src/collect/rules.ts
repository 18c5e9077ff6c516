// The census validation rules, as data: each has the DfE rule number (queries carry a Q suffix), its
// kind and level, a plain message and what to do about it, and a check over the return.
// The messages and guidance are our own words for school office staff, in English and Welsh in the
// catalogue (collect/translations.json, keys collect.rule.*), and so is what each finding says of the
// return or pupil (its detail); the numbers are the DfE's, so schools and LAs can match them with
// COLLECT and their MIS. RULES.md lists them with the assumptions made. Rules with source 's2s' are
// our own load checks on the header (no DfE number).
//
// A rule that needs census day (ages, entry and leaving dates) is skipped while rule 100 fails, and a
// rule that needs a school detail is skipped while that detail fails its own rule, so that one
// mistake is reported once, under the rule that names it.
import { checkUpn, type UpnRule } from '../ctf/upn.ts';
import { dateParam, type Message, message } from '../platform/i18n/catalogue.ts';
import {
  ageOn,
  censusBoolean,
  expectedAge,
  isNcYear,
  isoDate,
  referenceDateProblem,
} from './census-dates.ts';
import type { CensusPupil, CensusReturn, CensusSchool } from './census-reader.ts';

export type RuleKind = 'error' | 'query';
export type RuleLevel = 'return' | 'school' | 'pupil';

/** One thing a rule found: the pupils concerned (none for a return or school finding) and specifics. */
export interface Hit {
  pupils?: readonly CensusPupil[];
  detail?: Message;
}

export interface RuleContext {
  census: CensusReturn;
  school: CensusSchool | null;
  /** Pupils on roll, then pupils no longer on roll. */
  allPupils: readonly CensusPupil[];
  /** LA numbers accepted at characters 2-4 of a UPN (rule 1530). */
  knownLaNumbers: ReadonlySet<string>;
  /** LA numbers a school's return may come from (current LAs). */
  currentLaNumbers: ReadonlySet<string>;
  /** The LA the return is being loaded for, when known. */
  schoolLaNumber: string | null;
  /** Census day (YYYY-MM-DD) when rule 100 passes; null otherwise. */
  censusDay: string | null;
  /** 31 August before census day, when census day is known. */
  ageDate: string | null;
}

export interface Rule {
  /** DfE rule number, e.g. "1510"; queries end in Q ("2020Q"); our own checks start "S2S-". */
  number: string;
  kind: RuleKind;
  level: RuleLevel;
  /** 'dfe': a rule of the DfE school census catalogue; 's2s': our own check. */
  source: 'dfe' | 's2s';
  message: Message;
  guidance: Message;
  check(context: RuleContext): Iterable<Hit>;
}

type RuleText = Omit<Rule, 'check' | 'source'> & { source?: Rule['source'] };

function rule(text: RuleText, check: Rule['check']): Rule {
  return { source: 'dfe', ...text, check };
}

/** Which pupil records a per-pupil rule looks at. */
type Records = 'all' | 'on roll' | 'no longer on roll';

function recordsOf(context: RuleContext, records: Records): readonly CensusPupil[] {
  if (records === 'on roll') return context.census.pupilsOnRoll;
  if (records === 'no longer on roll') return context.census.pupilsNoLongerOnRoll;
  return context.allPupils;
}

/**
 * A rule checked one pupil at a time: `test` returns a detail (or true) when the pupil breaks it, and
 * false, null or undefined when not. Each pupil who breaks it is one finding.
 */
function pupilRule(
  text: RuleText,
  records: Records,
  test: (pupil: CensusPupil, context: RuleContext) => Message | boolean | null | undefined,
): Rule {
  return rule(text, function* (context) {
    for (const pupil of recordsOf(context, records)) {
      const result = test(pupil, context);
      if (result) yield { pupils: [pupil], ...(typeof result === 'object' ? { detail: result } : {}) };
    }
  });
}

const MISSING = message('collect.rule.detail.missing');

/** "It is missing." or '"X" was given.': what a return gave for a value that is missing or not allowed. */
function missingOrGiven(value: string | null): Message {
  return value === null ? MISSING : message('collect.rule.detail.given', { value });
}

/** A date that is not a real date written as YYYY-MM-DD. */
function notADate(value: string): Message {
  return message('collect.rule.detail.not-a-date', { value });
}

/** Pupils sharing a key (ignoring pupils without one), as groups of two or more. */
function duplicates(pupils: readonly CensusPupil[], key: (pupil: CensusPupil) => string | null) {
  const groups = new Map<string, CensusPupil[]>();
  for (const pupil of pupils) {
    const k = key(pupil);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(pupil);
    else groups.set(k, [pupil]);
  }
  return [...groups.entries()].filter(([, group]) => group.length > 1);
}

/** "10 of 11 pupils (90.9%).": a share of the pupils, for the rules about a proportion of them. */
function share(count: number, total: number): Message {
  return message('collect.rule.detail.share', {
    count,
    total,
    percent: `${Math.round((count / total) * 1000) / 10}%`,
  });
}

// ---------------------------------------------------------------------------------------------------
// Value sets

/** School phases: nursery, primary, middle (deemed primary/secondary), secondary, all-through, special, PRU. */
export const PHASES = ['NS', 'PS', 'MP', 'MS', 'SS', 'AT', 'SP', 'PR'] as const;

/** Governance: community, voluntary aided/controlled, foundation, academy, CTC, non-maintained special. */
export const GOVERNANCE = ['CO', 'VA', 'VC', 'FO', 'CA', 'CT', 'NM'] as const;

/** The census school type code for an academy (rules 261 and 262). */
export const ACADEMY_SCHOOL_TYPE = '49';

/**
 * Enrolment status: C single registration, M main and S subsidiary dual registration, F and O for
 * pupils also attending an FE college or other provider. G (guest) pupils are not census pupils.
 */
export const ENROL_STATUSES = ['C', 'M', 'S', 'F', 'O'] as const;

/** Boarder: N not a boarder; B, W, 6 and 7 the boarding codes. */
export const BOARDER_CODES = ['N', 'B', 'W', '6', '7'] as const;

export const SEXES = ['M', 'F'] as const;

/** Ethnicity "not obtained". */
export const ETHNICITY_NOT_OBTAINED = 'NOBT';

/**
 * The ages at 31 August (start of the academic year) a school of each phase normally teaches, for
 * query 1601Q. Deliberately generous: only ages that are very unlikely for the phase are queried.
 */
export const PHASE_AGE_RANGES: Record<(typeof PHASES)[number], readonly [number, number]> = {
  NS: [2, 4],
  PS: [2, 11],
  MP: [4, 13],
  MS: [7, 15],
  SS: [10, 19],
  AT: [2, 19],
  SP: [2, 19],
  PR: [4, 19],
};

function isOneOf<T extends string>(values: readonly T[], value: string | null): value is T {
  return value !== null && (values as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------------
// Derived pupil facts

/** Date of birth when it is a real date before census day (else null: rule 1600 reports it). */
function birthDate(pupil: CensusPupil, context: RuleContext): string | null {
  const dob = isoDate(pupil.dob);
  if (dob === null || context.censusDay === null || dob >= context.censusDay) return null;
  return dob;
}

/** Age at 31 August before census day, when both dates are usable. */
function ageAtYearStart(pupil: CensusPupil, context: RuleContext): number | null {
  const dob = birthDate(pupil, context);
  return dob === null || context.ageDate === null ? null : ageOn(dob, context.ageDate);
}

/** Years between the pupil's NC year and the one expected for their age (positive: older). */
function yearGap(pupil: CensusPupil, context: RuleContext): number | null {
  const age = ageAtYearStart(pupil, context);
  const expected = expectedAge(pupil.ncYearActual);
  return age === null || expected === null ? null : age - expected;
}

/** The school's year-group range when both ends are valid NC years (not X) in order; else null. */
function schoolYearRange(school: CensusSchool | null): [number, number] | null {
  const low = expectedAge(school?.lowestNcYear ?? null);
  const high = expectedAge(school?.highestNcYear ?? null);
  return low === null || high === null || low > high ? null : [low, high];
}

function schoolIgnoresNc(school: CensusSchool | null): boolean {
  return school?.lowestNcYear === 'X' || school?.highestNcYear === 'X';
}

/** The ULN check: 10 digits; weights 10..2 on the first nine; 10 - (sum mod 11) is the tenth. */
export function ulnIsValid(uln: string): boolean {
  if (!/^[0-9]{10}$/.test(uln)) return false;
  let sum = 0;
  for (let index = 0; index < 9; index++) sum += Number(uln[index]) * (10 - index);
  const remainder = sum % 11;
  return remainder !== 0 && String(10 - remainder) === uln[9];
}

/** What is wrong under rule `number` with the pupil's UPN, former UPN or both, naming each. */
function upnProblems(pupil: CensusPupil, context: RuleContext, number: UpnRule): Message | null {
  // checkUpn reports at most one problem under each rule.
  const problemOf = (upn: string | null) =>
    upn === null
      ? undefined
      : checkUpn(upn, { knownLaNumbers: context.knownLaNumbers }).problems.find((p) => p.rule === number);
  const upn = problemOf(pupil.upn);
  const former = problemOf(pupil.formerUpn);
  if (upn && former) {
    return message('collect.rule.upn.both', {
      upn: pupil.upn ?? '',
      upnProblem: upn.text,
      formerUpn: pupil.formerUpn ?? '',
      formerUpnProblem: former.text,
    });
  }
  if (upn) return message('collect.rule.upn.upn', { upn: pupil.upn ?? '', problem: upn.text });
  if (former) return message('collect.rule.upn.former', { upn: pupil.formerUpn ?? '', problem: former.text });
  return null;
}

const UPN_GUIDANCE = message('collect.rule.upn.guidance');

// ---------------------------------------------------------------------------------------------------
// The rules

const returnRules: Rule[] = [
  rule(
    {
      number: '100',
      kind: 'error',
      level: 'return',
      message: message('collect.rule.100.message'),
      guidance: message('collect.rule.100.guidance'),
    },
    function* ({ census }) {
      const problem = referenceDateProblem(census.header);
      if (problem) yield { detail: problem };
    },
  ),
  rule(
    {
      number: 'S2S-01',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: message('collect.rule.S2S-01.message'),
      guidance: message('collect.rule.S2S-01.guidance'),
    },
    function* ({ census }) {
      const la = census.header.laNumber;
      if (la === null) yield { detail: message('collect.rule.S2S-01.missing') };
      else if (!/^[0-9]{3}$/.test(la))
        yield { detail: message('collect.rule.S2S-01.not-3-digits', { value: la }) };
    },
  ),
  rule(
    {
      number: 'S2S-02',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: message('collect.rule.S2S-02.message'),
      guidance: message('collect.rule.S2S-02.guidance'),
    },
    function* ({ census }) {
      const estab = census.header.establishment;
      if (estab === null) yield { detail: message('collect.rule.S2S-02.missing') };
      else if (!/^[0-9]{4}$/.test(estab))
        yield { detail: message('collect.rule.S2S-02.not-4-digits', { value: estab }) };
    },
  ),
  rule(
    {
      number: 'S2S-03',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: message('collect.rule.S2S-03.message'),
      guidance: message('collect.rule.S2S-03.guidance'),
    },
    function* ({ census, school }) {
      const { laNumber, establishment } = census.header;
      // Only a well-formed header value is compared: S2S-01 and S2S-02 report the others.
      if (school === null) return;
      if (school.laNumber !== null && /^[0-9]{3}$/.test(laNumber ?? '') && school.laNumber !== laNumber) {
        yield {
          detail: message('collect.rule.S2S-03.la', { header: laNumber ?? '', school: school.laNumber }),
        };
      }
      if (
        school.establishment !== null &&
        /^[0-9]{4}$/.test(establishment ?? '') &&
        school.establishment !== establishment
      ) {
        yield {
          detail: message('collect.rule.S2S-03.establishment', {
            header: establishment ?? '',
            school: school.establishment,
          }),
        };
      }
    },
  ),
  rule(
    {
      number: 'S2S-04',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: message('collect.rule.S2S-04.message'),
      guidance: message('collect.rule.S2S-04.guidance'),
    },
    function* ({ census, currentLaNumbers }) {
      const la = census.header.laNumber;
      if (la !== null && /^[0-9]{3}$/.test(la) && !currentLaNumbers.has(la)) {
        yield { detail: message('collect.rule.S2S-04.not-current', { la }) };
      }
    },
  ),
  rule(
    {
      number: 'S2S-05',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: message('collect.rule.S2S-05.message'),
      guidance: message('collect.rule.S2S-05.guidance'),
    },
    function* ({ census, schoolLaNumber }) {
      const la = census.header.laNumber;
      if (schoolLaNumber !== null && la !== null && /^[0-9]{3}$/.test(la) && la !== schoolLaNumber) {
        yield { detail: message('collect.rule.S2S-05.other-la', { la, loadedFor: schoolLaNumber }) };
      }
    },
  ),
];

const schoolRules: Rule[] = [
  rule(
    {
      number: '165',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.165.message'),
      guidance: message('collect.rule.165.guidance'),
    },
    function* ({ school }) {
      if (school === null) yield {};
    },
  ),
  rule(
    {
      number: '110',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.110.message'),
      guidance: message('collect.rule.110.guidance'),
    },
    function* ({ school }) {
      if (school !== null && school.name === null) yield {};
    },
  ),
  rule(
    {
      number: '120',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.120.message'),
      guidance: message('collect.rule.120.guidance', { phases: PHASES.join(', ') }),
    },
    function* ({ school }) {
      if (school === null) return;
      if (school.phase === null) yield { detail: message('collect.rule.120.missing') };
      else if (!isOneOf(PHASES, school.phase))
        yield { detail: message('collect.rule.120.not-a-phase', { value: school.phase }) };
    },
  ),
  rule(
    {
      number: '140',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.140.message'),
      guidance: message('collect.rule.140.guidance'),
    },
    function* ({ school }) {
      if (school !== null && school.schoolType === null) yield {};
    },
  ),
  rule(
    {
      number: '210',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.210.message'),
      guidance: message('collect.rule.210.guidance'),
    },
    function* ({ school }) {
      if (school !== null && !isNcYear(school.highestNcYear)) {
        yield { detail: missingOrGiven(school.highestNcYear) };
      }
    },
  ),
  rule(
    {
      number: '220',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.220.message'),
      guidance: message('collect.rule.220.guidance'),
    },
    function* ({ school }) {
      if (school !== null && !isNcYear(school.lowestNcYear)) {
        yield { detail: missingOrGiven(school.lowestNcYear) };
      }
    },
  ),
  rule(
    {
      number: '230',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.230.message'),
      guidance: message('collect.rule.230.guidance'),
    },
    function* ({ school }) {
      const low = expectedAge(school?.lowestNcYear ?? null);
      const high = expectedAge(school?.highestNcYear ?? null);
      if (low !== null && high !== null && low > high) {
        yield {
          detail: message('collect.rule.230.lowest-highest', {
            lowest: school?.lowestNcYear ?? '',
            highest: school?.highestNcYear ?? '',
          }),
        };
      }
    },
  ),
  rule(
    {
      number: '260',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.260.message'),
      guidance: message('collect.rule.260.guidance', { codes: GOVERNANCE.join(', ') }),
    },
    function* ({ school }) {
      if (school === null || isOneOf(GOVERNANCE, school.governance)) return;
      yield { detail: missingOrGiven(school.governance) };
    },
  ),
  rule(
    {
      number: '261',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.261.message', { academy: ACADEMY_SCHOOL_TYPE }),
      guidance: message('collect.rule.academy.guidance'),
    },
    function* ({ school }) {
      if (school === null || !isOneOf(GOVERNANCE, school.governance)) return;
      if (school.schoolType === ACADEMY_SCHOOL_TYPE && school.governance !== 'CA') {
        yield { detail: message('collect.rule.261.governance', { governance: school.governance }) };
      }
    },
  ),
  rule(
    {
      number: '262',
      kind: 'error',
      level: 'school',
      message: message('collect.rule.262.message', { academy: ACADEMY_SCHOOL_TYPE }),
      guidance: message('collect.rule.academy.guidance'),
    },
    function* ({ school }) {
      if (school === null || school.schoolType === null) return;
      if (school.governance === 'CA' && school.schoolType !== ACADEMY_SCHOOL_TYPE) {
        yield { detail: message('collect.rule.262.school-type', { type: school.schoolType }) };
      }
    },
  ),
  rule(
    {
      number: '200',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.200.message'),
      guidance: message('collect.rule.200.guidance'),
    },
    function* (context) {
      if (!schoolIgnoresNc(context.school)) return;
      for (const pupil of context.census.pupilsOnRoll) {
        if (expectedAge(pupil.ncYearActual) !== null) {
          yield {
            pupils: [pupil],
            detail: message('collect.rule.200.year-group', { year: pupil.ncYearActual ?? '' }),
          };
        }
      }
    },
  ),
  rule(
    {
      number: '5065',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.5065.message'),
      guidance: message('collect.rule.5065.guidance'),
    },
    function* ({ school, census }) {
      if (school?.phase === 'NS' && census.pupilsNoLongerOnRoll.length > 0) {
        yield { pupils: census.pupilsNoLongerOnRoll };
      }
    },
  ),
];

const pupilRules: Rule[] = [
  pupilRule(
    {
      number: '1500',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1500.message'),
      guidance: message('collect.rule.1500.guidance'),
    },
    'all',
    (pupil) => pupil.upn === null,
  ),
  pupilRule(
    {
      number: '1510',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1510.message'),
      guidance: message('collect.rule.1510.guidance', { upnGuidance: UPN_GUIDANCE }),
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1510'),
  ),
  rule(
    {
      number: '1520',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1520.message'),
      guidance: message('collect.rule.1520.guidance'),
    },
    function* (context) {
      for (const [upn, group] of duplicates(context.allPupils, (p) => p.upn?.toUpperCase() ?? null)) {
        yield { pupils: group, detail: message('collect.rule.1520.shared', { count: group.length, upn }) };
      }
    },
  ),
  pupilRule(
    {
      number: '1530',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1530.message'),
      guidance: UPN_GUIDANCE,
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1530'),
  ),
  pupilRule(
    {
      number: '1540',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1540.message'),
      guidance: message('collect.rule.1540.guidance', { upnGuidance: UPN_GUIDANCE }),
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1540'),
  ),
  pupilRule(
    {
      number: '1550',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1550.message'),
      guidance: message('collect.rule.1550.guidance', { upnGuidance: UPN_GUIDANCE }),
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1550'),
  ),
  pupilRule(
    {
      number: '1570',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1570.message'),
      guidance: message('collect.rule.1570.guidance'),
    },
    'on roll',
    (pupil, context) => {
      const dob = birthDate(pupil, context);
      if (dob === null || context.censusDay === null || pupil.uln !== null) return false;
      const age = ageOn(dob, context.censusDay);
      return age >= 14 && message('collect.rule.1570.age', { age });
    },
  ),
  pupilRule(
    {
      number: '1573',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1573.message'),
      guidance: message('collect.rule.1573.guidance'),
    },
    'no longer on roll',
    (pupil, context) => {
      const dob = birthDate(pupil, context);
      const left = isoDate(pupil.leavingDate);
      if (dob === null || left === null || left < dob || pupil.uln !== null) return false;
      const age = ageOn(dob, left);
      return age >= 14 && message('collect.rule.1573.age', { age, date: dateParam(left) });
    },
  ),
  pupilRule(
    {
      number: '1575',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1575.message'),
      guidance: message('collect.rule.1575.guidance'),
    },
    'all',
    (pupil) =>
      pupil.uln !== null && !ulnIsValid(pupil.uln) && message('collect.rule.1575.uln', { uln: pupil.uln }),
  ),
  rule(
    {
      number: '1578',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1578.message'),
      guidance: message('collect.rule.1578.guidance'),
    },
    function* (context) {
      for (const [uln, group] of duplicates(context.allPupils, (p) => p.uln)) {
        yield { pupils: group, detail: message('collect.rule.1578.shared', { count: group.length, uln }) };
      }
    },
  ),
  pupilRule(
    {
      number: '1580',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1580.message'),
      guidance: message('collect.rule.1580.guidance'),
    },
    'all',
    (pupil) => pupil.surname === null,
  ),
  pupilRule(
    {
      number: '1590',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1590.message'),
      guidance: message('collect.rule.1590.guidance'),
    },
    'all',
    (pupil) => pupil.forename === null,
  ),
  pupilRule(
    {
      number: '1600',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1600.message'),
      guidance: message('collect.rule.1600.guidance'),
    },
    'all',
    (pupil, context) => {
      if (pupil.dob === null) return MISSING;
      const dob = isoDate(pupil.dob);
      if (dob === null) return notADate(pupil.dob);
      if (context.censusDay !== null && dob >= context.censusDay) {
        return message('collect.rule.detail.not-before-census-day', { date: dateParam(dob) });
      }
      return false;
    },
  ),
  pupilRule(
    {
      number: '1601Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.1601Q.message'),
      guidance: message('collect.rule.1601Q.guidance'),
    },
    'on roll',
    (pupil, context) => {
      const phase = context.school?.phase ?? null;
      if (!isOneOf(PHASES, phase)) return false;
      const age = ageAtYearStart(pupil, context);
      const [low, high] = PHASE_AGE_RANGES[phase];
      return (
        age !== null &&
        (age < low || age > high) &&
        message('collect.rule.1601Q.age', { age, phase, low, high })
      );
    },
  ),
  pupilRule(
    {
      number: '1610',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1610.message'),
      guidance: message('collect.rule.1610.guidance'),
    },
    'all',
    (pupil) => !isOneOf(SEXES, pupil.sex) && missingOrGiven(pupil.sex),
  ),
  rule(
    {
      number: '1620Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.1620Q.message'),
      guidance: message('collect.rule.1620Q.guidance'),
    },
    function* ({ census }) {
      const key = (p: CensusPupil) =>
        p.surname && p.forename && p.sex && p.dob
          ? [p.surname, p.forename, p.sex, p.dob].map((v) => v.toUpperCase()).join('\u0000')
          : null;
      for (const [, group] of duplicates(census.pupilsOnRoll, key)) yield { pupils: group };
    },
  ),
  pupilRule(
    {
      number: '1630',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1630.message'),
      guidance: message('collect.rule.1630.guidance', { notObtained: ETHNICITY_NOT_OBTAINED }),
    },
    'on roll',
    (pupil) => !/^[A-Z]{4}$/.test(pupil.ethnicity ?? '') && missingOrGiven(pupil.ethnicity),
  ),
  rule(
    {
      number: '1700Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.1700Q.message'),
      guidance: message('collect.rule.1700Q.guidance'),
    },
    function* ({ census }) {
      const total = census.pupilsOnRoll.length;
      const notObtained = census.pupilsOnRoll.filter((p) => p.ethnicity === ETHNICITY_NOT_OBTAINED);
      if (total > 0 && notObtained.length * 10 > total) {
        yield {
          pupils: notObtained,
          detail: share(notObtained.length, total),
        };
      }
    },
  ),
  pupilRule(
    {
      number: '1860',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1860.message'),
      guidance: message('collect.rule.1860.guidance'),
    },
    'on roll',
    (pupil) => !isOneOf(ENROL_STATUSES, pupil.enrolStatus) && missingOrGiven(pupil.enrolStatus),
  ),
  rule(
    {
      number: '1870Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.1870Q.message'),
      guidance: message('collect.rule.1870Q.guidance'),
    },
    function* ({ census }) {
      const known = census.pupilsOnRoll.filter((p) => isOneOf(ENROL_STATUSES, p.enrolStatus));
      const others = known.filter((p) => p.enrolStatus !== 'C');
      const single = known.length - others.length;
      if (known.length > 0 && single * 100 < known.length * 95) {
        yield {
          pupils: others,
          detail: share(single, known.length),
        };
      }
    },
  ),
  pupilRule(
    {
      number: '1880',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1880.message'),
      guidance: message('collect.rule.1880.guidance'),
    },
    'all',
    (pupil, context) => {
      if (pupil.entryDate === null) return MISSING;
      const entry = isoDate(pupil.entryDate);
      if (entry === null) return notADate(pupil.entryDate);
      if (context.censusDay !== null && entry > context.censusDay)
        return message('collect.rule.1880.after-census-day', { date: dateParam(entry) });
      return false;
    },
  ),
  pupilRule(
    {
      number: '1920',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1920.message'),
      guidance: message('collect.rule.1920.guidance'),
    },
    'no longer on roll',
    (pupil, context) => {
      if (pupil.leavingDate === null) return MISSING;
      const left = isoDate(pupil.leavingDate);
      if (left === null) return notADate(pupil.leavingDate);
      const entry = isoDate(pupil.entryDate);
      if (entry !== null && left < entry)
        return message('collect.rule.1920.before-entry', { left: dateParam(left), joined: dateParam(entry) });
      if (context.censusDay !== null && left >= context.censusDay) {
        return message('collect.rule.detail.not-before-census-day', { date: dateParam(left) });
      }
      return false;
    },
  ),
  pupilRule(
    {
      number: '1930',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1930.message'),
      guidance: message('collect.rule.1930.guidance'),
    },
    'on roll',
    (pupil) => censusBoolean(pupil.partTime) === null && missingOrGiven(pupil.partTime),
  ),
  pupilRule(
    {
      number: '1940',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1940.message'),
      guidance: message('collect.rule.1940.guidance'),
    },
    'on roll',
    (pupil, context) => {
      const age = ageAtYearStart(pupil, context);
      return (
        censusBoolean(pupil.partTime) === true &&
        age !== null &&
        age >= 5 &&
        age <= 15 &&
        message('collect.rule.1940.age', { age })
      );
    },
  ),
  pupilRule(
    {
      number: '1950',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1950.message'),
      guidance: message('collect.rule.1950.guidance'),
    },
    'on roll',
    (pupil) =>
      censusBoolean(pupil.partTime) === true &&
      isOneOf(BOARDER_CODES, pupil.boarder) &&
      pupil.boarder !== 'N' &&
      message('collect.rule.1950.boarder-code', { code: pupil.boarder }),
  ),
  pupilRule(
    {
      number: '1970',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.1970.message'),
      guidance: message('collect.rule.1970.guidance', {
        codes: BOARDER_CODES.filter((c) => c !== 'N').join(', '),
      }),
    },
    'on roll',
    (pupil) =>
      pupil.boarder !== null &&
      !isOneOf(BOARDER_CODES, pupil.boarder) &&
      message('collect.rule.detail.given', { value: pupil.boarder }),
  ),
  rule(
    {
      number: '1980Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.1980Q.message'),
      guidance: message('collect.rule.1980Q.guidance'),
    },
    function* ({ census }) {
      const boarders = census.pupilsOnRoll.filter(
        (p) => isOneOf(BOARDER_CODES, p.boarder) && p.boarder !== 'N',
      );
      if (boarders.length > 0) {
        yield {
          pupils: boarders,
          detail: message('collect.rule.1980Q.boarders', { count: boarders.length }),
        };
      }
    },
  ),
  pupilRule(
    {
      number: '2000',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.2000.message'),
      guidance: message('collect.rule.2000.guidance'),
    },
    'on roll',
    (pupil) => !isNcYear(pupil.ncYearActual) && missingOrGiven(pupil.ncYearActual),
  ),
  pupilRule(
    {
      number: '2002',
      kind: 'error',
      level: 'pupil',
      message: message('collect.rule.2002.message'),
      guidance: message('collect.rule.2002.guidance'),
    },
    'on roll',
    (pupil, context) => {
      const range = schoolYearRange(context.school);
      const year = expectedAge(pupil.ncYearActual);
      if (range === null || year === null || (year >= range[0] && year <= range[1])) return false;
      return message('collect.rule.2002.outside', {
        year: pupil.ncYearActual ?? '',
        lowest: context.school?.lowestNcYear ?? '',
        highest: context.school?.highestNcYear ?? '',
      });
    },
  ),
  rule(
    {
      number: '2010Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.2010Q.message'),
      guidance: message('collect.rule.2010Q.guidance'),
    },
    function* (context) {
      const measured = context.census.pupilsOnRoll.filter((p) => yearGap(p, context) !== null);
      const differing = measured.filter((p) => yearGap(p, context) !== 0);
      if (measured.length > 0 && differing.length * 10 >= measured.length) {
        yield {
          pupils: differing,
          detail: share(differing.length, measured.length),
        };
      }
    },
  ),
  pupilRule(
    {
      number: '2020Q',
      kind: 'query',
      level: 'pupil',
      message: message('collect.rule.2020Q.message'),
      guidance: message('collect.rule.2020Q.guidance'),
    },
    'on roll',
    (pupil, context) => {
      const gap = yearGap(pupil, context);
      if (gap === null || Math.abs(gap) < 2) return false;
      const params = {
        year: pupil.ncYearActual ?? '',
        age: ageAtYearStart(pupil, context) ?? '',
        gap: Math.abs(gap),
      };
      // A pupil older than their year group's usual age is in a year group below it.
      return gap > 0
        ? message('collect.rule.2020Q.below', params)
        : message('collect.rule.2020Q.above', params);
    },
  ),
];

/** Every rule, in the order findings are reported: the return, the school, then pupils. */
export const RULES: readonly Rule[] = [...returnRules, ...schoolRules, ...pupilRules];
