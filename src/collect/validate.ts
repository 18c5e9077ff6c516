// Runs the census rules (./rules.ts) over a return read by ./census-reader.ts. Pure: no I/O.
import { CURRENT_LA_NUMBERS, KNOWN_LA_NUMBERS } from '../ctf/la-codes.ts';
import { type Language, type Message, translate, translateMessage } from '../platform/i18n/catalogue.ts';
import { academicYearStart, isoDate, referenceDateProblem } from './census-dates.ts';
import type { CensusPupil, CensusReturn } from './census-reader.ts';
import { RULES, type Rule, type RuleContext, type RuleKind, type RuleLevel } from './rules.ts';

/** A pupil named in a finding, enough to find the record in the MIS. */
export interface PupilRef {
  upn: string | null;
  /** "Surname, Forename" as in the return, with "(no surname)"/"(no forename)" in English where missing. */
  name: string;
  /** The names as the return gives them, for a page to write a missing one in its language. */
  surname?: string | null;
  forename?: string | null;
  onRoll: boolean;
  /** 1-based position in its list in the file (on roll, or no longer on roll). */
  position: number;
}

export interface Finding {
  rule: string;
  kind: RuleKind;
  level: RuleLevel;
  /** In English (the CLI, the REST API); `messages` say the same for pages in the reader's language. */
  message: string;
  guidance: string;
  /** What exactly was found, e.g. the value given; null when the message says it all. */
  detail: string | null;
  messages: FindingMessages;
  pupils: PupilRef[];
}

export interface FindingMessages {
  message: Message;
  guidance: Message;
  detail: Message | null;
}

export interface ValidationResult {
  errors: Finding[];
  queries: Finding[];
}

export interface ValidateOptions {
  /** LA numbers accepted at characters 2-4 of a UPN (rule 1530). Default: KNOWN_LA_NUMBERS. */
  knownLaNumbers?: ReadonlySet<string>;
  /** LA numbers a school's return may come from (check S2S-04). Default: CURRENT_LA_NUMBERS. */
  currentLaNumbers?: ReadonlySet<string>;
  /** The LA the return is being loaded for; the header's LA must match it (check S2S-05). */
  schoolLaNumber?: string;
  /** The rules to run. Default: RULES. */
  rules?: readonly Rule[];
}

/** "Surname, Forename", as a finding names a pupil; a name the return does not give is said in `language`. */
export function pupilName(surname: string | null, forename: string | null, language: Language): string {
  const given = (name: string | null, missing: string) => name ?? translate(language, missing);
  return `${given(surname, 'collect.finding.no-surname')}, ${given(forename, 'collect.finding.no-forename')}`;
}

export function pupilRef(pupil: CensusPupil): PupilRef {
  return {
    upn: pupil.upn,
    name: pupilName(pupil.surname, pupil.forename, 'en'),
    surname: pupil.surname,
    forename: pupil.forename,
    onRoll: pupil.onRoll,
    position: pupil.position,
  };
}

/** Checks a census return against the rules: errors must be fixed; queries explained or fixed. */
export function validateReturn(census: CensusReturn, options: ValidateOptions = {}): ValidationResult {
  const censusDay =
    referenceDateProblem(census.header) === null ? isoDate(census.header.referenceDate) : null;
  const context: RuleContext = {
    census,
    school: census.school,
    allPupils: [...census.pupilsOnRoll, ...census.pupilsNoLongerOnRoll],
    knownLaNumbers: options.knownLaNumbers ?? KNOWN_LA_NUMBERS,
    currentLaNumbers: options.currentLaNumbers ?? CURRENT_LA_NUMBERS,
    schoolLaNumber: options.schoolLaNumber ?? null,
    censusDay,
    ageDate: censusDay === null ? null : academicYearStart(censusDay),
  };
  const result: ValidationResult = { errors: [], queries: [] };
  for (const rule of options.rules ?? RULES) {
    for (const hit of rule.check(context)) {
      const finding: Finding = {
        rule: rule.number,
        kind: rule.kind,
        level: rule.level,
        message: translateMessage('en', rule.message),
        guidance: translateMessage('en', rule.guidance),
        detail: hit.detail ? translateMessage('en', hit.detail) : null,
        messages: { message: rule.message, guidance: rule.guidance, detail: hit.detail ?? null },
        pupils: (hit.pupils ?? []).map(pupilRef),
      };
      (rule.kind === 'error' ? result.errors : result.queries).push(finding);
    }
  }
  return result;
}
