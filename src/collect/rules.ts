// The census validation rules, as data: each has the DfE rule number (queries carry a Q suffix), its
// kind and level, a plain-English message and what to do about it, and a check over the return.
// The messages and guidance are our own words for school office staff; the numbers are the DfE's,
// so schools and LAs can match them with COLLECT and their MIS. RULES.md lists them with the
// assumptions made. Rules with source 's2s' are our own load checks on the header (no DfE number).
//
// A rule that needs census day (ages, entry and leaving dates) is skipped while rule 100 fails, and a
// rule that needs a school detail is skipped while that detail fails its own rule, so that one
// mistake is reported once, under the rule that names it.
import { checkUpn, type UpnRule } from '../ctf/upn.ts';
import {
  ageOn,
  censusBoolean,
  expectedAge,
  isNcYear,
  isoDate,
  longDate,
  referenceDateProblem,
} from './census-dates.ts';
import type { CensusPupil, CensusReturn, CensusSchool } from './census-reader.ts';

export type RuleKind = 'error' | 'query';
export type RuleLevel = 'return' | 'school' | 'pupil';

/** One thing a rule found: the pupils concerned (none for a return or school finding) and specifics. */
export interface Hit {
  pupils?: readonly CensusPupil[];
  detail?: string;
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
  message: string;
  guidance: string;
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
  test: (pupil: CensusPupil, context: RuleContext) => string | boolean | null | undefined,
): Rule {
  return rule(text, function* (context) {
    for (const pupil of recordsOf(context, records)) {
      const result = test(pupil, context);
      if (result) yield { pupils: [pupil], ...(typeof result === 'string' ? { detail: result } : {}) };
    }
  });
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

function percent(count: number, total: number): string {
  return `${Math.round((count / total) * 1000) / 10}%`;
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

function upnProblems(pupil: CensusPupil, context: RuleContext, number: UpnRule): string | null {
  const found: string[] = [];
  for (const [label, value] of [
    ['UPN', pupil.upn],
    ['Former UPN', pupil.formerUpn],
  ] as const) {
    if (value === null) continue;
    for (const problem of checkUpn(value, { knownLaNumbers: context.knownLaNumbers }).problems) {
      if (problem.rule === number) found.push(`${label} ${value}: ${problem.message}`);
    }
  }
  return found.length > 0 ? found.join(' ') : null;
}

const UPN_GUIDANCE =
  'Compare the UPN with the pupil’s Common Transfer File or the records from their previous school, ' +
  'correct it in your MIS and make the return again. A former UPN is checked the same way.';

// ---------------------------------------------------------------------------------------------------
// The rules

const returnRules: Rule[] = [
  rule(
    {
      number: '100',
      kind: 'error',
      level: 'return',
      message: 'The census day (reference date) is missing, is not a real date, or does not fit the term.',
      guidance:
        'Check the census settings in your MIS: the term must be AUT, SPR or SUM and the reference date ' +
        'must be that term’s census day in the collection year. Then make the return again.',
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
      message: 'The return does not give a 3-digit LA number in its header.',
      guidance:
        'The LA number comes from the school details in your MIS. Correct it there (ask your LA if you ' +
        'are unsure of it) and make the return again.',
    },
    function* ({ census }) {
      const la = census.header.laNumber;
      if (la === null) yield { detail: 'The LA number is missing.' };
      else if (!/^[0-9]{3}$/.test(la)) yield { detail: `"${la}" is not a 3-digit LA number.` };
    },
  ),
  rule(
    {
      number: 'S2S-02',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: 'The return does not give the school’s 4-digit establishment number in its header.',
      guidance:
        'The establishment number (the last 4 digits of the DfE number) comes from the school details ' +
        'in your MIS. Correct it there and make the return again.',
    },
    function* ({ census }) {
      const estab = census.header.establishment;
      if (estab === null) yield { detail: 'The establishment number is missing.' };
      else if (!/^[0-9]{4}$/.test(estab))
        yield { detail: `"${estab}" is not a 4-digit establishment number.` };
    },
  ),
  rule(
    {
      number: 'S2S-03',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: 'The school details in the return name a different school from the return’s header.',
      guidance:
        'The return may have been made for the wrong school. Check the school details in your MIS, ' +
        'make the return again and upload the new file.',
    },
    function* ({ census, school }) {
      const { laNumber, establishment } = census.header;
      // Only a well-formed header value is compared: S2S-01 and S2S-02 report the others.
      if (school === null) return;
      if (school.laNumber !== null && /^[0-9]{3}$/.test(laNumber ?? '') && school.laNumber !== laNumber) {
        yield { detail: `The header says LA ${laNumber}; the school details say LA ${school.laNumber}.` };
      }
      if (
        school.establishment !== null &&
        /^[0-9]{4}$/.test(establishment ?? '') &&
        school.establishment !== establishment
      ) {
        yield {
          detail: `The header says establishment ${establishment}; the school details say ${school.establishment}.`,
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
      message: 'The LA number in the return’s header is not a local authority in England or Wales.',
      guidance:
        'Correct the LA number in your MIS school details (your LA can confirm it) and make the return again.',
    },
    function* ({ census, currentLaNumbers }) {
      const la = census.header.laNumber;
      if (la !== null && /^[0-9]{3}$/.test(la) && !currentLaNumbers.has(la)) {
        yield { detail: `${la} is not a current LA number.` };
      }
    },
  ),
  rule(
    {
      number: 'S2S-05',
      source: 's2s',
      kind: 'error',
      level: 'return',
      message: 'This return is for a school in a different LA from the one it is being loaded for.',
      guidance:
        'Check you chose the right file. If the LA number in your MIS school details is wrong, correct ' +
        'it and make the return again.',
    },
    function* ({ census, schoolLaNumber }) {
      const la = census.header.laNumber;
      if (schoolLaNumber !== null && la !== null && /^[0-9]{3}$/.test(la) && la !== schoolLaNumber) {
        yield { detail: `The return says LA ${la}; it is being loaded for LA ${schoolLaNumber}.` };
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
      message: 'The return has no school details section.',
      guidance:
        'Make the return again in your MIS with the school information included. If it is still ' +
        'missing, contact your MIS supplier.',
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
      message: 'The school’s name is missing.',
      guidance: 'Enter the school’s name in the school details in your MIS and make the return again.',
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
      message: 'The school’s phase is missing or is not a recognised phase.',
      guidance: `Set the phase in your MIS school details to one of ${PHASES.join(', ')} and make the return again.`,
    },
    function* ({ school }) {
      if (school === null) return;
      if (school.phase === null) yield { detail: 'The phase is missing.' };
      else if (!isOneOf(PHASES, school.phase)) yield { detail: `"${school.phase}" is not a phase code.` };
    },
  ),
  rule(
    {
      number: '140',
      kind: 'error',
      level: 'school',
      message: 'The return does not say what type of school this is (school type).',
      guidance: 'Enter the school type in your MIS school details and make the return again.',
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
      message: 'The school’s highest year group is missing or is not a valid year group.',
      guidance:
        'Set the highest national curriculum year group in your MIS school details (E1, E2, N1, N2, R, ' +
        '1 to 14, or X if the school does not follow the national curriculum).',
    },
    function* ({ school }) {
      if (school !== null && !isNcYear(school.highestNcYear)) {
        yield {
          detail: school.highestNcYear === null ? 'It is missing.' : `"${school.highestNcYear}" was given.`,
        };
      }
    },
  ),
  rule(
    {
      number: '220',
      kind: 'error',
      level: 'school',
      message: 'The school’s lowest year group is missing or is not a valid year group.',
      guidance:
        'Set the lowest national curriculum year group in your MIS school details (E1, E2, N1, N2, R, ' +
        '1 to 14, or X if the school does not follow the national curriculum).',
    },
    function* ({ school }) {
      if (school !== null && !isNcYear(school.lowestNcYear)) {
        yield {
          detail: school.lowestNcYear === null ? 'It is missing.' : `"${school.lowestNcYear}" was given.`,
        };
      }
    },
  ),
  rule(
    {
      number: '230',
      kind: 'error',
      level: 'school',
      message: 'The school’s lowest year group is above its highest year group.',
      guidance: 'The two may have been swapped: check them in your MIS school details.',
    },
    function* ({ school }) {
      const low = expectedAge(school?.lowestNcYear ?? null);
      const high = expectedAge(school?.highestNcYear ?? null);
      if (low !== null && high !== null && low > high) {
        yield { detail: `Lowest ${school?.lowestNcYear}, highest ${school?.highestNcYear}.` };
      }
    },
  ),
  rule(
    {
      number: '260',
      kind: 'error',
      level: 'school',
      message: 'The school’s governance is missing, not a recognised code, or says independent (IN).',
      guidance:
        `Set the governance in your MIS school details to one of ${GOVERNANCE.join(', ')}. Independent ` +
        'schools do not make this return.',
    },
    function* ({ school }) {
      if (school === null || isOneOf(GOVERNANCE, school.governance)) return;
      yield { detail: school.governance === null ? 'It is missing.' : `"${school.governance}" was given.` };
    },
  ),
  rule(
    {
      number: '261',
      kind: 'error',
      level: 'school',
      message: `The school type says academy (${ACADEMY_SCHOOL_TYPE}) but the governance is not academy (CA).`,
      guidance: 'Make the school type and the governance agree in your MIS school details.',
    },
    function* ({ school }) {
      if (school === null || !isOneOf(GOVERNANCE, school.governance)) return;
      if (school.schoolType === ACADEMY_SCHOOL_TYPE && school.governance !== 'CA') {
        yield { detail: `Governance is ${school.governance}.` };
      }
    },
  ),
  rule(
    {
      number: '262',
      kind: 'error',
      level: 'school',
      message: `The governance says academy (CA) but the school type is not academy (${ACADEMY_SCHOOL_TYPE}).`,
      guidance: 'Make the school type and the governance agree in your MIS school details.',
    },
    function* ({ school }) {
      if (school === null || school.schoolType === null) return;
      if (school.governance === 'CA' && school.schoolType !== ACADEMY_SCHOOL_TYPE) {
        yield { detail: `School type is ${school.schoolType}.` };
      }
    },
  ),
  rule(
    {
      number: '200',
      kind: 'error',
      level: 'pupil',
      message:
        'The school says it does not follow the national curriculum (year group X), but the pupil has a ' +
        'national curriculum year group.',
      guidance:
        'Either record the pupil’s year group as X, or, if the school does follow the national curriculum, ' +
        'correct its lowest and highest year groups in your MIS school details.',
    },
    function* (context) {
      if (!schoolIgnoresNc(context.school)) return;
      for (const pupil of context.census.pupilsOnRoll) {
        if (expectedAge(pupil.ncYearActual) !== null) {
          yield { pupils: [pupil], detail: `Year group ${pupil.ncYearActual}.` };
        }
      }
    },
  ),
  rule(
    {
      number: '5065',
      kind: 'error',
      level: 'pupil',
      message: 'A nursery school’s return should not list pupils who are no longer on roll.',
      guidance:
        'Make the return again without the pupils no longer on roll (your MIS has a setting for this).',
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
      message: 'The pupil has no UPN.',
      guidance:
        'Every pupil needs a UPN. Use the one from the pupil’s previous school; if it has not arrived, ' +
        'give the pupil a temporary UPN (ending in a letter) and replace it when the real one is known.',
    },
    'all',
    (pupil) => pupil.upn === null,
  ),
  pupilRule(
    {
      number: '1510',
      kind: 'error',
      level: 'pupil',
      message: 'The UPN or former UPN has the wrong check letter (character 1).',
      guidance: `The first letter is worked out from the other 12 characters, so one of them is probably mistyped. ${UPN_GUIDANCE}`,
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1510'),
  ),
  rule(
    {
      number: '1520',
      kind: 'error',
      level: 'pupil',
      message: 'Two or more pupil records share one UPN.',
      guidance:
        'A UPN belongs to one pupil. If these are the same pupil, remove the extra record; if not, find ' +
        'which UPN is wrong and correct it in your MIS.',
    },
    function* (context) {
      for (const [upn, group] of duplicates(context.allPupils, (p) => p.upn?.toUpperCase() ?? null)) {
        yield { pupils: group, detail: `${group.length} records have UPN ${upn}.` };
      }
    },
  ),
  pupilRule(
    {
      number: '1530',
      kind: 'error',
      level: 'pupil',
      message: 'The UPN or former UPN does not have a recognised LA number in characters 2 to 4.',
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
      message: 'The UPN or former UPN has something other than digits in characters 5 to 12.',
      guidance: `A letter O typed for a zero, or an I for a one, is a common cause. ${UPN_GUIDANCE}`,
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1540'),
  ),
  pupilRule(
    {
      number: '1550',
      kind: 'error',
      level: 'pupil',
      message:
        'The UPN or former UPN is not 13 characters long, or its last character is not a digit or an allowed letter.',
      guidance: `The last character is a digit, or a letter (never I, O or S) for a temporary UPN. ${UPN_GUIDANCE}`,
    },
    'all',
    (pupil, context) => upnProblems(pupil, context, '1550'),
  ),
  pupilRule(
    {
      number: '1570',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil is 14 or over on census day but has no unique learner number (ULN).',
      guidance:
        'Pupils aged 14 and over need a ULN. Get it from the Learning Records Service (or the pupil’s ' +
        'previous school), enter it in your MIS and make the return again.',
    },
    'on roll',
    (pupil, context) => {
      const dob = birthDate(pupil, context);
      if (dob === null || context.censusDay === null || pupil.uln !== null) return false;
      const age = ageOn(dob, context.censusDay);
      return age >= 14 && `Aged ${age} on census day.`;
    },
  ),
  pupilRule(
    {
      number: '1573',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil was 14 or over when they left but has no unique learner number (ULN).',
      guidance:
        'Pupils who left aged 14 or over need a ULN. Get it from the Learning Records Service, enter it ' +
        'in your MIS and make the return again.',
    },
    'no longer on roll',
    (pupil, context) => {
      const dob = birthDate(pupil, context);
      const left = isoDate(pupil.leavingDate);
      if (dob === null || left === null || left < dob || pupil.uln !== null) return false;
      const age = ageOn(dob, left);
      return age >= 14 && `Aged ${age} when they left on ${longDate(left)}.`;
    },
  ),
  pupilRule(
    {
      number: '1575',
      kind: 'error',
      level: 'pupil',
      message: 'The ULN is not valid: it must be 10 digits, the last one a check digit.',
      guidance:
        'A digit has probably been mistyped. Check the ULN with the Learning Records Service, correct ' +
        'it in your MIS and make the return again.',
    },
    'all',
    (pupil) => pupil.uln !== null && !ulnIsValid(pupil.uln) && `ULN "${pupil.uln}".`,
  ),
  rule(
    {
      number: '1578',
      kind: 'error',
      level: 'pupil',
      message: 'Two or more pupil records share one ULN.',
      guidance:
        'A ULN belongs to one learner. If these are the same pupil, remove the extra record; if not, ' +
        'check each ULN with the Learning Records Service and correct the wrong one.',
    },
    function* (context) {
      for (const [uln, group] of duplicates(context.allPupils, (p) => p.uln)) {
        yield { pupils: group, detail: `${group.length} records have ULN ${uln}.` };
      }
    },
  ),
  pupilRule(
    {
      number: '1580',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s surname is missing.',
      guidance: 'Enter the pupil’s legal surname in your MIS and make the return again.',
    },
    'all',
    (pupil) => pupil.surname === null,
  ),
  pupilRule(
    {
      number: '1590',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s forename is missing.',
      guidance: 'Enter the pupil’s legal forename in your MIS and make the return again.',
    },
    'all',
    (pupil) => pupil.forename === null,
  ),
  pupilRule(
    {
      number: '1600',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s date of birth is missing, is not a real date, or is after census day.',
      guidance:
        'Check the date of birth against the pupil’s records, correct it in your MIS and make the return again.',
    },
    'all',
    (pupil, context) => {
      if (pupil.dob === null) return 'It is missing.';
      const dob = isoDate(pupil.dob);
      if (dob === null) return `"${pupil.dob}" is not a real date written as YYYY-MM-DD.`;
      if (context.censusDay !== null && dob >= context.censusDay) {
        return `${longDate(dob)} is not before census day.`;
      }
      return false;
    },
  ),
  pupilRule(
    {
      number: '1601Q',
      kind: 'query',
      level: 'pupil',
      message: 'The pupil’s age is outside the range usual for this phase of school.',
      guidance:
        'Check the date of birth. If it is right, explain the pupil’s age in a note to your LA when you ' +
        'submit the return.',
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
        `Aged ${age} at the start of the school year; phase ${phase} usually has ages ${low} to ${high}.`
      );
    },
  ),
  pupilRule(
    {
      number: '1610',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s sex is missing or is not M or F.',
      guidance: 'Record the pupil’s sex as M or F in your MIS and make the return again.',
    },
    'all',
    (pupil) =>
      !isOneOf(SEXES, pupil.sex) && (pupil.sex === null ? 'It is missing.' : `"${pupil.sex}" was given.`),
  ),
  rule(
    {
      number: '1620Q',
      kind: 'query',
      level: 'pupil',
      message: 'More than one pupil has the same surname, forename, sex and date of birth.',
      guidance:
        'These may be the same pupil recorded twice: if so, merge or remove the extra record in your ' +
        'MIS. If they are different pupils (twins with the same name are rare), explain in a note to your LA.',
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
      message: 'The pupil’s ethnicity is missing or is not a 4-letter ethnicity code.',
      guidance:
        `Record the ethnicity the parent (or pupil) gave. If they have not been asked, or did not answer, ` +
        `use ${ETHNICITY_NOT_OBTAINED} (not obtained) or REFU (refused).`,
    },
    'on roll',
    (pupil) =>
      !/^[A-Z]{4}$/.test(pupil.ethnicity ?? '') &&
      (pupil.ethnicity === null ? 'It is missing.' : `"${pupil.ethnicity}" was given.`),
  ),
  rule(
    {
      number: '1700Q',
      kind: 'query',
      level: 'pupil',
      message: 'Ethnicity has not been obtained (NOBT) for more than 10% of pupils on roll.',
      guidance:
        'Ask the parents of these pupils for their child’s ethnicity and record the answers (or REFU where ' +
        'they decline). If the figure is right, explain why in a note to your LA.',
    },
    function* ({ census }) {
      const total = census.pupilsOnRoll.length;
      const notObtained = census.pupilsOnRoll.filter((p) => p.ethnicity === ETHNICITY_NOT_OBTAINED);
      if (total > 0 && notObtained.length * 10 > total) {
        yield {
          pupils: notObtained,
          detail: `${notObtained.length} of ${total} pupils (${percent(notObtained.length, total)}).`,
        };
      }
    },
  ),
  pupilRule(
    {
      number: '1860',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s enrolment status is missing or not a recognised code.',
      guidance:
        'Use C for a pupil registered only here, M or S for the main or subsidiary school of a dual ' +
        'registration. Guest pupils (G) are not included in the census.',
    },
    'on roll',
    (pupil) =>
      !isOneOf(ENROL_STATUSES, pupil.enrolStatus) &&
      (pupil.enrolStatus === null ? 'It is missing.' : `"${pupil.enrolStatus}" was given.`),
  ),
  rule(
    {
      number: '1870Q',
      kind: 'query',
      level: 'pupil',
      message: 'Fewer than 95% of pupils on roll are registered only at this school (enrolment status C).',
      guidance:
        'Check the enrolment status of the dual-registered pupils listed. If they are right, explain in ' +
        'a note to your LA.',
    },
    function* ({ census }) {
      const known = census.pupilsOnRoll.filter((p) => isOneOf(ENROL_STATUSES, p.enrolStatus));
      const others = known.filter((p) => p.enrolStatus !== 'C');
      const single = known.length - others.length;
      if (known.length > 0 && single * 100 < known.length * 95) {
        yield {
          pupils: others,
          detail: `${single} of ${known.length} pupils (${percent(single, known.length)}).`,
        };
      }
    },
  ),
  pupilRule(
    {
      number: '1880',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s entry date is missing, is not a real date, or is after census day.',
      guidance:
        'Enter the date the pupil joined the school in your MIS. Pupils who join after census day belong ' +
        'in the next census.',
    },
    'all',
    (pupil, context) => {
      if (pupil.entryDate === null) return 'It is missing.';
      const entry = isoDate(pupil.entryDate);
      if (entry === null) return `"${pupil.entryDate}" is not a real date written as YYYY-MM-DD.`;
      if (context.censusDay !== null && entry > context.censusDay)
        return `${longDate(entry)} is after census day.`;
      return false;
    },
  ),
  pupilRule(
    {
      number: '1920',
      kind: 'error',
      level: 'pupil',
      message:
        'The pupil’s leaving date is missing, not a real date, before their entry date, or not before census day.',
      guidance:
        'Check the leaving and entry dates in your MIS. A pupil who leaves on or after census day is ' +
        'still on roll for this census.',
    },
    'no longer on roll',
    (pupil, context) => {
      if (pupil.leavingDate === null) return 'It is missing.';
      const left = isoDate(pupil.leavingDate);
      if (left === null) return `"${pupil.leavingDate}" is not a real date written as YYYY-MM-DD.`;
      const entry = isoDate(pupil.entryDate);
      if (entry !== null && left < entry)
        return `Left ${longDate(left)}, before joining on ${longDate(entry)}.`;
      if (context.censusDay !== null && left >= context.censusDay) {
        return `${longDate(left)} is not before census day.`;
      }
      return false;
    },
  ),
  pupilRule(
    {
      number: '1930',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s part-time indicator is missing or is not true or false.',
      guidance: 'Record in your MIS whether the pupil attends part-time, and make the return again.',
    },
    'on roll',
    (pupil) =>
      censusBoolean(pupil.partTime) === null &&
      (pupil.partTime === null ? 'It is missing.' : `"${pupil.partTime}" was given.`),
  ),
  pupilRule(
    {
      number: '1940',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil is of compulsory school age (5 to 15) but is shown as part-time.',
      guidance:
        'Pupils of compulsory school age are full-time, even on a reduced timetable. Correct the ' +
        'part-time indicator (or the date of birth) in your MIS.',
    },
    'on roll',
    (pupil, context) => {
      const age = ageAtYearStart(pupil, context);
      return (
        censusBoolean(pupil.partTime) === true &&
        age !== null &&
        age >= 5 &&
        age <= 15 &&
        `Aged ${age} at the start of the school year.`
      );
    },
  ),
  pupilRule(
    {
      number: '1950',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil is shown as both part-time and a boarder.',
      guidance:
        'A boarder cannot be part-time: correct the part-time indicator or the boarder code in your MIS.',
    },
    'on roll',
    (pupil) =>
      censusBoolean(pupil.partTime) === true &&
      isOneOf(BOARDER_CODES, pupil.boarder) &&
      pupil.boarder !== 'N' &&
      `Boarder code ${pupil.boarder}.`,
  ),
  pupilRule(
    {
      number: '1970',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s boarder code is not a recognised value.',
      guidance: `Use N for a pupil who does not board, or one of ${BOARDER_CODES.filter((c) => c !== 'N').join(', ')} for a boarder.`,
    },
    'on roll',
    (pupil) =>
      pupil.boarder !== null && !isOneOf(BOARDER_CODES, pupil.boarder) && `"${pupil.boarder}" was given.`,
  ),
  rule(
    {
      number: '1980Q',
      kind: 'query',
      level: 'pupil',
      message: 'The return shows pupils who board.',
      guidance:
        'If the school has no boarders, correct these pupils’ boarder code to N in your MIS. If it does, ' +
        'confirm it in a note to your LA.',
    },
    function* ({ census }) {
      const boarders = census.pupilsOnRoll.filter(
        (p) => isOneOf(BOARDER_CODES, p.boarder) && p.boarder !== 'N',
      );
      if (boarders.length > 0) yield { pupils: boarders, detail: `${boarders.length} boarding pupils.` };
    },
  ),
  pupilRule(
    {
      number: '2000',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s year group is missing or is not a valid year group.',
      guidance:
        'Record the year group the pupil is taught in (E1, E2, N1, N2, R, 1 to 14, or X) in your MIS.',
    },
    'on roll',
    (pupil) =>
      !isNcYear(pupil.ncYearActual) &&
      (pupil.ncYearActual === null ? 'It is missing.' : `"${pupil.ncYearActual}" was given.`),
  ),
  pupilRule(
    {
      number: '2002',
      kind: 'error',
      level: 'pupil',
      message: 'The pupil’s year group is outside the school’s lowest to highest year groups.',
      guidance:
        'Correct the pupil’s year group, or the school’s lowest and highest year groups, in your MIS.',
    },
    'on roll',
    (pupil, context) => {
      const range = schoolYearRange(context.school);
      const year = expectedAge(pupil.ncYearActual);
      if (range === null || year === null || (year >= range[0] && year <= range[1])) return false;
      return `Year group ${pupil.ncYearActual}; the school has ${context.school?.lowestNcYear} to ${context.school?.highestNcYear}.`;
    },
  ),
  rule(
    {
      number: '2010Q',
      kind: 'query',
      level: 'pupil',
      message: '10% or more of pupils are in a year group that does not match their age.',
      guidance:
        'Check the dates of birth and year groups of the pupils listed. If they are right (for example ' +
        'pupils taught out of their age group), explain in a note to your LA.',
    },
    function* (context) {
      const measured = context.census.pupilsOnRoll.filter((p) => yearGap(p, context) !== null);
      const differing = measured.filter((p) => yearGap(p, context) !== 0);
      if (measured.length > 0 && differing.length * 10 >= measured.length) {
        yield {
          pupils: differing,
          detail: `${differing.length} of ${measured.length} pupils (${percent(differing.length, measured.length)}).`,
        };
      }
    },
  ),
  pupilRule(
    {
      number: '2020Q',
      kind: 'query',
      level: 'pupil',
      message: 'The pupil’s year group is two or more years away from the one expected for their age.',
      guidance:
        'Check the date of birth and the year group. If both are right, explain in a note to your LA why ' +
        'the pupil is taught in that year group.',
    },
    'on roll',
    (pupil, context) => {
      const gap = yearGap(pupil, context);
      if (gap === null || Math.abs(gap) < 2) return false;
      const age = ageAtYearStart(pupil, context);
      const direction = gap > 0 ? 'below' : 'above';
      return `Year group ${pupil.ncYearActual} for a pupil aged ${age} at the start of the school year: ${Math.abs(gap)} years ${direction} the usual year group for that age.`;
    },
  ),
];

/** Every rule, in the order findings are reported: the return, the school, then pupils. */
export const RULES: readonly Rule[] = [...returnRules, ...schoolRules, ...pupilRules];
