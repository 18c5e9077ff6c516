// Reads a Common Transfer File (CTF) as a stream, on top of the hardened XML reader: the header, each
// pupil's basic details and how many entries each of the pupil's other sections holds. Domain code:
// no HTTP, no database. Unsafe or unreadable XML is an XmlError (with line and column); everything
// else wrong with a file is a finding in the result, so a caller can show them all at once. Each finding
// is a message of the catalogue (`ctf.*`, for pages in the reader's language) with its English (the CLI,
// the REST API).
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
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { readXml, type XmlLimits } from '../platform/xml/reader.ts';
import { type ClassifiedFilename, type Party, partyWords } from '../transfers/filenames.ts';
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
   * twice adds up. Empty when read without `countSections`.
   */
  sections: Record<string, number>;
}

export type CtfSeverity = 'error' | 'warning';

/** Something wrong with a file. Errors make it invalid; warnings are flagged for a person to check. */
export interface CtfFinding {
  rule: string;
  severity: CtfSeverity;
  /** In English. */
  message: string;
  /** The same as a message of the catalogue, for pages in the reader's language. */
  text: Message;
  /** The pupil's position in the file, when the finding is about one pupil. */
  pupil?: number;
}

function finding(rule: string, severity: CtfSeverity, text: Message, pupil?: number): CtfFinding {
  return {
    rule,
    severity,
    message: translateMessage('en', text),
    text,
    ...(pupil === undefined ? {} : { pupil }),
  };
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
  /** Entries per section over all pupils (not counted in `countOnly` mode or without `countSections`). */
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
  /**
   * Count each pupil's sections and their entries (`sections`, `sectionTotals`). Default: true. An
   * upload's check does not show them, and counting them is about a tenth of reading a large CTF.
   */
  countSections?: boolean;
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
  ['Message', 'ctf.not-ctf.census-return'],
  ['ATfile', 'ctf.not-ctf.atf'],
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
  const countSections = options.countSections ?? true;
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

  /** A pupil's warning, kept (and put into English) only while there is room for it. */
  const warn = (rule: string, text: Message, pupil: number) => {
    if (findings.length < maxFindings) findings.push(finding(rule, 'warning', text, pupil));
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
    const pupil = p.index;
    if (p.upn === null) {
      warn('pupil-upn-missing', message('ctf.pupil.upn-missing', { pupil }), pupil);
    } else {
      const check = checkUpn(p.upn, { knownLaNumbers: options.knownLaNumbers });
      for (const problem of check.problems) {
        warn(
          `upn-${problem.rule}`,
          message('ctf.pupil.upn-problem', { pupil, problem: problem.text }),
          pupil,
        );
      }
      if (check.valid) {
        const first = seenUpns.get(check.upn);
        if (first !== undefined) {
          warn('pupil-upn-duplicate', message('ctf.pupil.upn-duplicate', { pupil, first }), pupil);
        } else seenUpns.set(check.upn, pupil);
      }
    }
    if (p.formerUpn !== null && !checkUpn(p.formerUpn, { knownLaNumbers: options.knownLaNumbers }).valid) {
      warn('pupil-former-upn', message('ctf.pupil.former-upn', { pupil }), pupil);
    }
    const missing = [
      p.surname === null ? message('ctf.pupil.detail.surname') : null,
      p.forename === null ? message('ctf.pupil.detail.forename') : null,
      p.dob === null ? message('ctf.pupil.detail.date-of-birth') : null,
    ].filter((detail) => detail !== null);
    const [firstMissing, ...moreMissing] = missing;
    if (firstMissing) {
      const details = moreMissing.reduce(
        (list, detail) => message('ctf.list', { first: list, rest: detail }),
        firstMissing,
      );
      warn('pupil-details-missing', message('ctf.pupil.details-missing', { pupil, details }), pupil);
    }
    if (p.dob !== null && !isIsoDate(p.dob)) {
      warn('pupil-dob-format', message('ctf.pupil.dob-format', { pupil }), pupil);
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
          else if (countSections && !NOT_SECTIONS.has(name)) {
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
      wantsText(path) {
        return captureDepth === path.length || (section !== null && path.length === 4 && !sectionHasValues);
      },
      text(text, path) {
        if (captureDepth === path.length) buffer += text;
        else if (NOT_BLANK.test(text)) sectionHasValues = true;
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
      readsInside(path) {
        const depth = path.length;
        // Nothing inside a section's records (CTfile/CTFpupilData/Pupil/section/group/record) is read
        // but the text of a field captured there (the address's town): the rest is only checked.
        if (depth >= 6) return captureDepth === depth;
        // Without sections to count, nothing of a pupil's other sections is read but the address.
        if (depth === 4 && area === 'pupils' && !countSections) {
          const name = path[3] as string;
          return PUPIL_FIELDS.has(name) || name === 'BasicDetails' || name === 'Address';
        }
        return true;
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
    const other = OTHER_ROOTS.get(doc.root);
    const hint =
      doc.root.toLowerCase() === CTF_ROOT.toLowerCase()
        ? message('ctf.not-ctf.case', { root: shown(doc.root) })
        : other
          ? message(other)
          : null;
    const text = hint
      ? message('ctf.not-ctf.with-hint', { root: shown(doc.root), hint })
      : message('ctf.not-ctf', { root: shown(doc.root) });
    out.push(finding('not-ctf', 'error', text));
    return out;
  }
  const h = doc.header;
  if (!sawHeader) {
    out.push(finding('header-missing', 'error', message('ctf.header.missing')));
  } else {
    if (h.version === null) {
      out.push(finding('header-version', 'warning', message('ctf.header.no-version')));
    } else if (!/^\d{1,2}\.\d+$/.test(h.version)) {
      out.push(finding('header-version', 'warning', message('ctf.header.version', { version: h.version })));
    }
    if (h.documentName !== null && h.documentName !== 'Common Transfer File') {
      out.push(
        finding(
          'header-document-name',
          'warning',
          message('ctf.header.document-name', { name: h.documentName }),
        ),
      );
    }
    if (h.documentQualifier !== null) {
      const lower = h.documentQualifier.toLowerCase();
      if (lower === 'full' || lower === 'partial') h.documentQualifier = lower;
      else {
        out.push(
          finding(
            'header-qualifier',
            'warning',
            message('ctf.header.qualifier', { qualifier: h.documentQualifier }),
          ),
        );
      }
    }
    for (const [school, element] of [
      [h.source, 'SourceSchool'],
      [h.destination, 'DestSchool'],
    ] as const) {
      if (school === null || school.lea === null || school.estab === null) {
        const key =
          school === null
            ? 'ctf.header.school-missing'
            : school.lea === null
              ? 'ctf.header.no-lea'
              : 'ctf.header.no-estab';
        out.push(
          finding(
            element === 'SourceSchool' ? 'header-source' : 'header-destination',
            'warning',
            message(key, { element }),
          ),
        );
      }
    }
  }
  if (doc.pupilCount === 0) out.push(finding('no-pupils', 'error', message('ctf.no-pupils')));
  return out;
}

/** True when the findings include no error (warnings allowed). */
export function isValidCtf(findings: readonly Pick<CtfFinding, 'severity'>[]): boolean {
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

/** The most characters of a value from the file shown in a finding. */
const SHOWN_CHARACTERS = 20;

/**
 * A value from the file as a finding shows it: cut short when long. The findings go into the page, the
 * audit record and the refusal email; a file's header can hold up to a megabyte in one element.
 */
function shown(value: string): string {
  const characters = Array.from(value);
  return characters.length <= SHOWN_CHARACTERS ? value : `${characters.slice(0, SHOWN_CHARACTERS).join('')}…`;
}

/** What the header names in a school element, in words for a mismatch. */
function headerSchoolWords(school: CtfSchool | null, element: string): Message {
  if (school === null) return message('ctf.header-names.nothing', { element });
  const code = headerCode(school);
  if (code === null) {
    return message('ctf.header-names.incomplete', {
      element,
      lea: shown(school.lea ?? ''),
      estab: shown(school.estab ?? ''),
    });
  }
  return /^\d{7}$/.test(code)
    ? message('ctf.header-names.school', { element, code })
    : message('ctf.header-names.code', { element, code: shown(code) });
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
    out.push(finding('filename-not-ctf', 'warning', message('ctf.filename.not-ctf', { name: file.name })));
    return out;
  }
  const { source, destination } = file;
  const mismatch = (rule: string, party: Party, got: Message, role: 'source' | 'destination') => {
    const key = role === 'source' ? 'ctf.filename.source' : 'ctf.filename.destination';
    out.push(finding(rule, 'error', message(key, { party: partyWords(party), got })));
  };
  if (source.kind === 'school') {
    if (headerCode(doc.header.source) !== source.establishmentNumber) {
      mismatch('filename-source', source, headerSchoolWords(doc.header.source, 'SourceSchool'), 'source');
    }
    const dest = doc.header.destination;
    if (destination.kind === 'school') {
      if (headerCode(dest) !== destination.establishmentNumber) {
        mismatch('filename-destination', destination, headerSchoolWords(dest, 'DestSchool'), 'destination');
      }
    } else if (destination.kind === 'la' || destination.kind === 'la-inbox') {
      if (dest?.lea !== destination.laNumber) {
        const got =
          dest?.lea == null
            ? message('ctf.header-names.no-lea')
            : message('ctf.header-names.la', { lea: shown(dest.lea) });
        mismatch('filename-destination', destination, got, 'destination');
      }
    }
  }
  if (destination.kind === 'lost-pupils' && doc.pupilCount > 1) {
    out.push(
      finding('lost-pupil-count', 'error', message('ctf.lost-pupil-count', { pupils: doc.pupilCount })),
    );
  }
  return out;
}
