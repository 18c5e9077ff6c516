// Reads a Common Transfer File (CTF) as a stream, on top of the hardened XML reader: the header, each
// pupil's basic details and how many entries each of the pupil's other sections holds. Domain code:
// no HTTP, no database. Unsafe or unreadable XML is an XmlError (with line and column); everything
// else wrong with a file is a finding in the result, so a caller can show them all at once.
//
// Element names (case-sensitive, as XML is), as written by CTF versions from the 2005 era (5.0/6.0,
// `<Gender>`) to 25.0 (`<Sex>`):
//
//   <CTfile>
//     <Header>
//       <DocumentName>Common Transfer File</DocumentName>
//       <CTFversion>25.0</CTFversion>            (`<Version>` is accepted too)
//       <DateTime>2025-07-15T10:30:00</DateTime>
//       <DocumentQualifier>full|partial</DocumentQualifier>
//       <DataQualifier/> <DataDescriptor/>        (optional)
//       <SupplierID>...</SupplierID>
//       <SourceSchool><LEA/><Estab/><URN/><SchoolName/><AcademicYear/></SourceSchool>  (URN from ~2010)
//       <DestSchool><LEA/><Estab/><URN/></DestSchool>
//     </Header>
//     <CTFpupilData>
//       <Pupil>
//         <UPN/> <UniqueLearnerNumber/> <UCI/> <Surname/> <Forename/> <DOB/> <Gender/> or <Sex/>
//         <BasicDetails>                           (older files put these directly in <Pupil>)
//           <FormerUPN/> <PreferredSurname/> <FormerSurname/> <PreferredForename/> <MiddleNames/>
//           <NCyearActual/> <Ethnicity/> <Languages/> ...
//         </BasicDetails>
//         <Address><BS7666Address>...<Town/>...<PostTown/></BS7666Address> or <AddressLines/>
//                  <PostCode/> ...</Address>
//         <StageAssessments/> <Attendance/> <SENhistory/> <Contacts/> <SchoolHistory/> ...  (sections)
//       </Pupil>
//     </CTFpupilData>
//   </CTfile>
//
// Unknown elements are ignored; values are trimmed; an empty element is the same as a missing one.
import type { Readable } from 'node:stream';
import { readXml, type XmlLimits } from '../platform/xml/reader.ts';
import { type ClassifiedFilename, describeParty, type Party } from '../transfers/filenames.ts';
import { checkUpn } from './upn.ts';

/** The school (or LA) a CTF header names as its source or destination, as written. */
export interface CtfSchool {
  /** `<LEA>`: the 3-digit LA number. */
  lea: string | null;
  /** `<Estab>`: the 4-digit school number within the LA. */
  estab: string | null;
  urn: string | null;
  schoolName: string | null;
  academicYear: string | null;
}

export interface CtfHeader {
  documentName: string | null;
  /** `<CTFversion>` (or `<Version>`), e.g. "25.0". */
  version: string | null;
  dateTime: string | null;
  /** `<DocumentQualifier>`: "full" or "partial" (lower-cased when it is one of them). */
  documentQualifier: string | null;
  dataQualifier: string | null;
  dataDescriptor: string | null;
  supplierId: string | null;
  source: CtfSchool | null;
  destination: CtfSchool | null;
}

export interface CtfPupil {
  /** Position in the file, from 1. */
  index: number;
  upn: string | null;
  surname: string | null;
  forename: string | null;
  /** `<DOB>`, as written (CTF writes YYYY-MM-DD). */
  dob: string | null;
  /** `<Sex>` (recent versions) or `<Gender>` (older ones), as written: M, F... */
  sex: string | null;
  /** Which of the two elements the file used, or null when neither. */
  sexElement: 'Sex' | 'Gender' | null;
  formerUpn: string | null;
  formerSurname: string | null;
  formerForename: string | null;
  preferredSurname: string | null;
  preferredForename: string | null;
  middleNames: string | null;
  ncYearActual: string | null;
  /** The address town (`<Town>`, else `<PostTown>`), when the address is in BS7666 form. */
  town: string | null;
  postcode: string | null;
  /**
   * The pupil's other sections (children of `<Pupil>` that are not basic details), each with how many
   * entries it holds: its records, i.e. the child elements that hold elements of their own (3
   * `<YearData>` in `<Attendance>` is 3, 2 `<KeyStage>` in `<StageAssessments>` is 2); 1 for a
   * section that holds only values (`<Email>`, `<LookedAfter>`); 0 for an empty one. A section written
   * twice adds up.
   */
  sections: Record<string, number>;
}

export type CtfSeverity = 'error' | 'warning';

/** Something wrong with a file. Errors make it invalid; warnings are flagged for a person to check. */
export interface CtfFinding {
  rule: string;
  severity: CtfSeverity;
  message: string;
  /** The pupil's position in the file, when the finding is about one pupil. */
  pupil?: number;
}

export interface CtfDocument {
  /** False when the root element is not `<CTfile>`: nothing else is read from it, and a finding says why. */
  isCtf: boolean;
  /** The name of the root element. */
  root: string;
  bytes: number;
  header: CtfHeader;
  pupilCount: number;
  /** The pupils, in file order; empty when `onPupil` or `countOnly` was given. */
  pupils: CtfPupil[];
  /** Entries per section over all pupils (not counted in `countOnly` mode). */
  sectionTotals: Record<string, number>;
  findings: CtfFinding[];
  /** Findings beyond `maxFindings`, counted but not kept. */
  findingsOmitted: number;
}

export interface ReadCtfOptions {
  /**
   * Called with each pupil as soon as its `</Pupil>` is read. When given, pupils are not kept in the
   * result (`keepPupils` defaults to false), so a large bulk file is never held in memory. It runs
   * while the file is being parsed: it must be quick and synchronous (collect, then act after), and
   * if it throws, reading stops and readCtf rejects with that error.
   */
  onPupil?: (pupil: CtfPupil) => void;
  /** Keep every pupil in `pupils`. Default: true, unless `onPupil` is given. */
  keepPupils?: boolean;
  /** Only read the header and count the pupils: no pupil details, no pupil checks. */
  countOnly?: boolean;
  /** Passed to checkUpn: the LA numbers a UPN's characters 2-4 must be one of. */
  knownLaNumbers?: ReadonlySet<string>;
  /** Findings kept at most (the rest are counted in `findingsOmitted`). Default 1000. */
  maxFindings?: number;
  limits?: Partial<XmlLimits>;
}

export const CTF_ROOT = 'CTfile';

/** Distinct section names kept per pupil and per file; more are counted under OTHER_SECTIONS. */
const MAX_SECTION_NAMES = 64;
export const OTHER_SECTIONS = '(other sections)';

type PupilField = Exclude<keyof CtfPupil, 'index' | 'sections' | 'sexElement'>;

/** Basic details we keep: the same names are read directly in `<Pupil>` and in `<BasicDetails>`. */
const PUPIL_FIELDS = new Map<string, PupilField>([
  ['UPN', 'upn'],
  ['Surname', 'surname'],
  ['Forename', 'forename'],
  ['DOB', 'dob'],
  ['Sex', 'sex'],
  ['Gender', 'sex'],
  ['FormerUPN', 'formerUpn'],
  ['FormerSurname', 'formerSurname'],
  ['FormerForename', 'formerForename'],
  ['PreferredSurname', 'preferredSurname'],
  ['PreferredForename', 'preferredForename'],
  ['MiddleNames', 'middleNames'],
  ['NCyearActual', 'ncYearActual'],
]);

/** Children of `<Pupil>` that are identifiers or basic details, so not counted as sections. */
const NOT_SECTIONS = new Set([
  ...PUPIL_FIELDS.keys(),
  'BasicDetails',
  'UniqueLearnerNumber',
  'UCI',
  'ApplicationReference',
  // Basic details that older versions wrote directly in <Pupil>.
  'Ethnicity',
  'EthnicitySource',
  'Languages',
  'MedicalFlag',
  'Disabilities',
  'EnrolStatus',
]);

type HeaderField = Exclude<keyof CtfHeader, 'source' | 'destination'>;

const HEADER_FIELDS = new Map<string, HeaderField>([
  ['DocumentName', 'documentName'],
  ['CTFversion', 'version'],
  ['Version', 'version'],
  ['DateTime', 'dateTime'],
  ['DocumentQualifier', 'documentQualifier'],
  ['DataQualifier', 'dataQualifier'],
  ['DataDescriptor', 'dataDescriptor'],
  ['SupplierID', 'supplierId'],
]);

const SCHOOL_FIELDS = new Map<string, keyof CtfSchool>([
  ['LEA', 'lea'],
  ['Estab', 'estab'],
  ['URN', 'urn'],
  ['SchoolName', 'schoolName'],
  ['AcademicYear', 'academicYear'],
]);

/** Other well-known roots, to say what a file is when it is not a CTF. */
const OTHER_ROOTS = new Map([
  ['Message', 'a school census return'],
  ['ATfile', 'an Admissions Transfer File (ATF)'],
]);

function emptySchool(): CtfSchool {
  return { lea: null, estab: null, urn: null, schoolName: null, academicYear: null };
}

function emptyHeader(): CtfHeader {
  return {
    documentName: null,
    version: null,
    dateTime: null,
    documentQualifier: null,
    dataQualifier: null,
    dataDescriptor: null,
    supplierId: null,
    source: null,
    destination: null,
  };
}

function newPupil(index: number): CtfPupil {
  return {
    index,
    upn: null,
    surname: null,
    forename: null,
    dob: null,
    sex: null,
    sexElement: null,
    formerUpn: null,
    formerSurname: null,
    formerForename: null,
    preferredSurname: null,
    preferredForename: null,
    middleNames: null,
    ncYearActual: null,
    town: null,
    postcode: null,
    sections: Object.create(null) as Record<string, number>,
  };
}

/** Adds `entries` to `name` in a null-prototype record, folding names past the cap into one. */
function addSection(record: Record<string, number>, name: string, entries: number): void {
  let key = name;
  if (!Object.hasOwn(record, key) && Object.keys(record).length >= MAX_SECTION_NAMES - 1)
    key = OTHER_SECTIONS;
  record[key] = (record[key] ?? 0) + entries;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date written YYYY-MM-DD (so not 2014-02-30). */
function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
const NOT_BLANK = /\S/;

/** What a capture fills when its element closes. */
type Target = 'none' | 'header' | 'school' | 'pupil' | 'town' | 'post-town' | 'postcode';

/**
 * A copy of a value that does not share memory with the text it was cut from. V8 represents a piece of
 * a string (what the XML parser hands us) as a slice that keeps the whole parsed chunk alive; keeping
 * such slices (a UPN in a pupil or in the duplicate check) would keep most of a large file in memory.
 */
function detach(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'utf8').toString('utf8');
}

/** Which part of the file is being read. */
type Area = 'none' | 'header' | 'pupils';

/**
 * Reads a CTF from `source`, a stream or the whole file in memory. Rejects with an XmlError when the XML
 * is unsafe or unreadable; resolves with the document and its findings otherwise (a file that is not a
 * CTF included).
 */
export async function readCtf(
  source: Readable | AsyncIterable<Buffer> | Uint8Array,
  options: ReadCtfOptions = {},
): Promise<CtfDocument> {
  const countOnly = options.countOnly ?? false;
  const keepPupils = !countOnly && (options.keepPupils ?? !options.onPupil);
  const maxFindings = options.maxFindings ?? 1000;
  const header = emptyHeader();
  const pupils: CtfPupil[] = [];
  const findings: CtfFinding[] = [];
  const sectionTotals = Object.create(null) as Record<string, number>;
  const seenUpns = new Map<string, number>();
  let findingsOmitted = 0;
  let root = '';
  let bytes = 0;
  let sawHeader = false;
  let pupilCount = 0;

  const report = (finding: CtfFinding) => {
    if (findings.length < maxFindings) findings.push(finding);
    else findingsOmitted += 1;
  };

  // Reading state.
  let area: Area = 'none';
  let school: CtfSchool | null = null;
  let pupil: CtfPupil | null = null;
  let town: string | null = null;
  let postTown: string | null = null;
  let section: string | null = null;
  let sectionRecords = 0;
  let sectionHasValues = false;
  let childIsRecord = false;
  let captureDepth = 0;
  let target: Target = 'none';
  let field = '';
  let buffer = '';

  const capture = (depth: number, kind: Target, name: string) => {
    captureDepth = depth;
    target = kind;
    field = name;
    buffer = '';
  };

  const finishPupil = (done: CtfPupil) => {
    done.town = town ?? postTown;
    for (const [name, entries] of Object.entries(done.sections)) addSection(sectionTotals, name, entries);
    checkPupil(done);
    options.onPupil?.(done);
    if (keepPupils) pupils.push(done);
  };

  const checkPupil = (p: CtfPupil) => {
    const where = `Pupil ${p.index}`;
    if (p.upn === null) {
      report({
        rule: 'pupil-upn-missing',
        severity: 'warning',
        message: `${where} has no UPN.`,
        pupil: p.index,
      });
    } else {
      const check = checkUpn(p.upn, { knownLaNumbers: options.knownLaNumbers });
      for (const problem of check.problems) {
        report({
          rule: `upn-${problem.rule}`,
          severity: 'warning',
          message: `${where}: ${problem.message}`,
          pupil: p.index,
        });
      }
      if (check.valid) {
        const first = seenUpns.get(check.upn);
        if (first !== undefined) {
          report({
            rule: 'pupil-upn-duplicate',
            severity: 'warning',
            message: `${where} has the same UPN as pupil ${first}.`,
            pupil: p.index,
          });
        } else seenUpns.set(check.upn, p.index);
      }
    }
    if (p.formerUpn !== null && !checkUpn(p.formerUpn, { knownLaNumbers: options.knownLaNumbers }).valid) {
      report({
        rule: 'pupil-former-upn',
        severity: 'warning',
        message: `${where}: the former UPN is not a valid UPN.`,
        pupil: p.index,
      });
    }
    const missing = [
      p.surname === null ? 'surname' : '',
      p.forename === null ? 'forename' : '',
      p.dob === null ? 'date of birth' : '',
    ].filter(Boolean);
    if (missing.length > 0) {
      report({
        rule: 'pupil-details-missing',
        severity: 'warning',
        message: `${where} has no ${missing.join(', ')}.`,
        pupil: p.index,
      });
    }
    if (p.dob !== null && !isIsoDate(p.dob)) {
      report({
        rule: 'pupil-dob-format',
        severity: 'warning',
        message: `${where}: the date of birth is not a date written YYYY-MM-DD.`,
        pupil: p.index,
      });
    }
  };

  async function* counted(input: Readable | AsyncIterable<Buffer>) {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      bytes += data.length;
      yield data;
    }
  }
  if (source instanceof Uint8Array) bytes = source.length;

  await readXml(
    source instanceof Uint8Array ? source : counted(source),
    {
      open(name, _attributes, path) {
        const depth = path.length;
        if (depth === 1) {
          root = name;
          return;
        }
        // Not a CTF: the rest is still read, unused, so unsafe or broken XML is refused as such.
        if (root !== CTF_ROOT) return;
        if (depth === 2) {
          if (name === 'Header') {
            area = 'header';
            sawHeader = true;
          } else if (name === 'CTFpupilData') area = 'pupils';
          else area = 'none';
          return;
        }
        if (area === 'header') {
          if (depth === 3) {
            if (name === 'SourceSchool') school = header.source ??= emptySchool();
            else if (name === 'DestSchool') school = header.destination ??= emptySchool();
            else if (HEADER_FIELDS.has(name)) capture(depth, 'header', name);
          } else if (depth === 4 && school !== null && SCHOOL_FIELDS.has(name)) {
            capture(depth, 'school', name);
          }
          return;
        }
        if (area !== 'pupils') return;
        if (depth === 3) {
          if (name === 'Pupil') {
            pupilCount += 1;
            if (!countOnly) {
              pupil = newPupil(pupilCount);
              town = null;
              postTown = null;
            }
          }
          return;
        }
        if (pupil === null) return;
        if (depth === 4) {
          if (PUPIL_FIELDS.has(name)) capture(depth, 'pupil', name);
          else if (!NOT_SECTIONS.has(name)) {
            section = name;
            sectionRecords = 0;
            sectionHasValues = false;
          }
          return;
        }
        if (depth === 5) {
          const parent = path[3];
          if (parent === 'BasicDetails') {
            if (PUPIL_FIELDS.has(name)) capture(depth, 'pupil', name);
            return;
          }
          if (section !== null) {
            sectionHasValues = true;
            childIsRecord = false;
          }
          if (parent === 'Address' && name === 'PostCode') capture(depth, 'postcode', name);
          return;
        }
        if (depth === 6 && section !== null && !childIsRecord) {
          childIsRecord = true;
          sectionRecords += 1;
        }
        if (depth === 6 && path[3] === 'Address' && path[4] === 'BS7666Address') {
          if (name === 'Town') capture(depth, 'town', name);
          else if (name === 'PostTown') capture(depth, 'post-town', name);
        }
      },
      text(text, path) {
        if (captureDepth === path.length) buffer += text;
        else if (section !== null && path.length === 4 && !sectionHasValues && NOT_BLANK.test(text)) {
          sectionHasValues = true;
        }
      },
      close(name, path) {
        const depth = path.length;
        if (captureDepth === depth) {
          const value = buffer.trim() || null;
          captureDepth = 0;
          buffer = '';
          if (value !== null) store(detach(value));
          target = 'none';
          return;
        }
        if (area === 'header') {
          if (depth === 3 && (name === 'SourceSchool' || name === 'DestSchool')) school = null;
          else if (depth === 2) area = 'none';
          return;
        }
        if (area !== 'pupils') return;
        if (depth === 4 && section !== null && name === section && pupil !== null) {
          addSection(pupil.sections, section, sectionRecords > 0 ? sectionRecords : sectionHasValues ? 1 : 0);
          section = null;
        } else if (depth === 3 && name === 'Pupil') {
          if (pupil !== null) finishPupil(pupil);
          pupil = null;
          section = null;
        } else if (depth === 2) area = 'none';
      },
    },
    options.limits,
  );

  function store(value: string) {
    switch (target) {
      case 'header': {
        const key = HEADER_FIELDS.get(field);
        if (key !== undefined && header[key] === null) header[key] = value;
        return;
      }
      case 'school': {
        const key = SCHOOL_FIELDS.get(field);
        if (key !== undefined && school !== null && school[key] === null) school[key] = value;
        return;
      }
      case 'pupil': {
        const key = PUPIL_FIELDS.get(field);
        if (key === undefined || pupil === null || pupil[key] !== null) return;
        pupil[key] = value;
        if (key === 'sex') pupil.sexElement = field === 'Sex' ? 'Sex' : 'Gender';
        return;
      }
      case 'town':
        town ??= value;
        return;
      case 'post-town':
        postTown ??= value;
        return;
      case 'postcode':
        if (pupil !== null) pupil.postcode ??= value;
        return;
      default:
        return;
    }
  }

  const document: CtfDocument = {
    isCtf: root === CTF_ROOT,
    root,
    bytes,
    header,
    pupilCount,
    pupils,
    sectionTotals,
    findings,
    findingsOmitted: 0,
  };
  const documentFindings = checkDocument(document, sawHeader);
  document.findings = [...documentFindings, ...findings];
  document.findingsOmitted = findingsOmitted;
  return document;
}

/** Checks of the file as a whole, listed before the per-pupil findings. */
function checkDocument(doc: CtfDocument, sawHeader: boolean): CtfFinding[] {
  const out: CtfFinding[] = [];
  if (!doc.isCtf) {
    const hint =
      doc.root.toLowerCase() === CTF_ROOT.toLowerCase()
        ? ` Element names are case-sensitive: a CTF starts with <${CTF_ROOT}>, not <${doc.root}>.`
        : OTHER_ROOTS.has(doc.root)
          ? ` It looks like ${OTHER_ROOTS.get(doc.root)}.`
          : '';
    out.push({
      rule: 'not-ctf',
      severity: 'error',
      message: `This is not a Common Transfer File: its first element is <${doc.root}>, where a CTF has <${CTF_ROOT}>.${hint}`,
    });
    return out;
  }
  const h = doc.header;
  if (!sawHeader) {
    out.push({ rule: 'header-missing', severity: 'error', message: 'The file has no <Header>.' });
  } else {
    if (h.version === null) {
      out.push({ rule: 'header-version', severity: 'warning', message: 'The header has no <CTFversion>.' });
    } else if (!/^\d{1,2}\.\d+$/.test(h.version)) {
      out.push({
        rule: 'header-version',
        severity: 'warning',
        message: `The CTF version "${h.version}" is not a version number like 25.0.`,
      });
    }
    if (h.documentName !== null && h.documentName !== 'Common Transfer File') {
      out.push({
        rule: 'header-document-name',
        severity: 'warning',
        message: `The header's document name is "${h.documentName}", not "Common Transfer File".`,
      });
    }
    if (h.documentQualifier !== null) {
      const lower = h.documentQualifier.toLowerCase();
      if (lower === 'full' || lower === 'partial') h.documentQualifier = lower;
      else {
        out.push({
          rule: 'header-qualifier',
          severity: 'warning',
          message: `The document qualifier "${h.documentQualifier}" is neither "full" nor "partial".`,
        });
      }
    }
    for (const [school, element] of [
      [h.source, 'SourceSchool'],
      [h.destination, 'DestSchool'],
    ] as const) {
      if (school === null || school.lea === null || school.estab === null) {
        out.push({
          rule: element === 'SourceSchool' ? 'header-source' : 'header-destination',
          severity: 'warning',
          message: `The header's <${element}> ${school === null ? 'is missing' : `has no ${school.lea === null ? '<LEA>' : '<Estab>'}`}.`,
        });
      }
    }
  }
  if (doc.pupilCount === 0) {
    out.push({
      rule: 'no-pupils',
      severity: 'error',
      message: 'The file holds no pupils: there is no <Pupil> in <CTFpupilData>.',
    });
  }
  return out;
}

/** True when the findings include no error (warnings allowed). */
export function isValidCtf(findings: readonly CtfFinding[]): boolean {
  return !findings.some((finding) => finding.severity === 'error');
}

/** The 7-character code a header school stands for (LEA + Estab, upper-cased), or null if incomplete. */
function headerCode(school: CtfSchool | null): string | null {
  if (school === null || school.lea === null || school.estab === null) return null;
  const estab = school.estab.toUpperCase();
  // A few exports write the whole establishment number in <Estab>.
  if (/^\d{7}$/.test(estab) && estab.startsWith(school.lea)) return estab;
  return `${school.lea.toUpperCase()}${estab}`;
}

function describeHeaderSchool(school: CtfSchool | null, element: string): string {
  if (school === null) return `has no <${element}>`;
  const code = headerCode(school);
  if (code === null)
    return `names no complete school in <${element}> (LEA "${school.lea ?? ''}", Estab "${school.estab ?? ''}")`;
  return `names ${/^\d{7}$/.test(code) ? `school ${code}` : `"${code}"`} in <${element}>`;
}

/**
 * Compares a CTF's header with its file name (as classified by classifyFilename). Decisions:
 * - Source: a school's file must name that school (LEA + Estab) in <SourceSchool>. A file from an LA
 *   (LEALLLL) is not compared at all: LAs forward other schools' CTFs, renamed to their new
 *   destination, with the original header (LA notes 4.2 and 5), so neither end need match.
 * - Destination: a school must be named in <DestSchool>; for an LA (LEALLLL, or an LA inbox) only the
 *   LEA must match, as the Estab may be LLLL, blank or the school the LA will allocate the pupil to;
 *   for the lost pupils database (XXXXXXXX / MMMMMMMM) the header may name anything: software writes
 *   XXX/XXXX, MMM/MMMM, blanks, or the school the pupil was meant to go to.
 * - A file for the lost pupils database holds exactly one pupil (LA notes 1.3), whoever sends it.
 */
export function checkCtfAgainstFilename(doc: CtfDocument, file: ClassifiedFilename): CtfFinding[] {
  if (!doc.isCtf) return [];
  const out: CtfFinding[] = [];
  if (file.kind !== 'ctf') {
    out.push({
      rule: 'filename-not-ctf',
      severity: 'warning',
      message: `The file name ${file.name} is not the name of a CTF, so the header was not compared with it.`,
    });
    return out;
  }
  const { source, destination } = file;
  const mismatch = (rule: string, party: Party, got: string, role: 'comes from' | 'goes to') => {
    out.push({
      rule,
      severity: 'error',
      message: `The file name says this CTF ${role} ${describeParty(party)}, but its header ${got}. Check that the file was made for the right school, or correct its name.`,
    });
  };
  if (source.kind === 'school') {
    if (headerCode(doc.header.source) !== source.establishmentNumber) {
      mismatch(
        'filename-source',
        source,
        describeHeaderSchool(doc.header.source, 'SourceSchool'),
        'comes from',
      );
    }
    const dest = doc.header.destination;
    if (destination.kind === 'school') {
      if (headerCode(dest) !== destination.establishmentNumber) {
        mismatch('filename-destination', destination, describeHeaderSchool(dest, 'DestSchool'), 'goes to');
      }
    } else if (destination.kind === 'la' || destination.kind === 'la-inbox') {
      if (dest?.lea !== destination.laNumber) {
        const got =
          dest?.lea == null ? 'has no LEA in <DestSchool>' : `names LA "${dest.lea}" in <DestSchool>`;
        mismatch('filename-destination', destination, got, 'goes to');
      }
    }
  }
  if (destination.kind === 'lost-pupils' && doc.pupilCount > 1) {
    out.push({
      rule: 'lost-pupil-count',
      severity: 'error',
      message: `A file for the lost pupils database must hold exactly one pupil, and this one holds ${doc.pupilCount}. Make one CTF per pupil.`,
    });
  }
  return out;
}
