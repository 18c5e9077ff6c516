// Reads a school census return (the XML a school's MIS writes for COLLECT) into plain data, streaming over
// the hardened XML reader: no DOCTYPE or entities, size/depth/count caps, UTF-8 only.
//
// The structure follows the DfE school census XML as far as it is known here (CBDS names):
//
//   <Message>
//     <Header>
//       <CollectionDetails> Collection, Term (AUT|SPR|SUM), Year, ReferenceDate </CollectionDetails>
//       <Source> SourceLevel, LEA, Estab, SoftwareCode, Release, SerialNo, DateTime </Source>
//     </Header>
//     <SchoolInformation> LEA, Estab, URN, SchoolName, Phase, SchoolType, Intake, Governance,
//                         LowestNCyear, HighestNCyear ... </SchoolInformation>
//     <Pupils>
//       <PupilOnRoll> ... </PupilOnRoll>            (also accepted directly under <Message>)
//       <PupilNoLongerOnRoll> ... </PupilNoLongerOnRoll>
//     </Pupils>
//   </Message>
//
// A pupil's fields are read where they sit directly inside the pupil element or inside one of the
// grouping elements MIS suppliers use (<PupilIdentifiers>, <PupilCharacteristics>, <PupilStatus>,
// <BasicDetails>); deeper elements (addresses, FSM periods, SEN, attendance...) are not read, so their
// own child names cannot be mistaken for a pupil's. Unknown elements are ignored. Every value is trimmed
// and an empty value is read as absent (null). Both <Sex> (recent specifications) and <Gender> (older
// ones) are read. Values are kept as written: checking them is the rule engine's job (./validate.ts).
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { IncomingPupil } from '../lost-pupils/matching.ts';
import { AppError } from '../platform/errors.ts';
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { readXml, type XmlLimits } from '../platform/xml/reader.ts';

export interface CensusHeader {
  /** Collection name, e.g. "SC" (school census). */
  collection: string | null;
  /** AUT, SPR or SUM as written. */
  term: string | null;
  /** The collection's year as written, e.g. "2025". */
  year: string | null;
  /** Census day, as written (an ISO date, e.g. "2025-10-02"). */
  referenceDate: string | null;
  /** "S" for a school's own return. */
  sourceLevel: string | null;
  /** The LA number (3 digits) from <Source><LEA>. */
  laNumber: string | null;
  /** The school's 4-digit establishment number from <Source><Estab>. */
  establishment: string | null;
  softwareCode: string | null;
  release: string | null;
  serialNo: string | null;
  dateTime: string | null;
}

export interface CensusSchool {
  laNumber: string | null;
  establishment: string | null;
  urn: string | null;
  name: string | null;
  phase: string | null;
  schoolType: string | null;
  intake: string | null;
  governance: string | null;
  lowestNcYear: string | null;
  highestNcYear: string | null;
}

export interface CensusPupil {
  /** Which list the record came from. */
  onRoll: boolean;
  /** 1-based position in its list (on roll, or no longer on roll), to find the record in the file. */
  position: number;
  upn: string | null;
  formerUpn: string | null;
  uln: string | null;
  surname: string | null;
  forename: string | null;
  middleNames: string | null;
  preferredSurname: string | null;
  formerSurname: string | null;
  dob: string | null;
  /** From <Sex>, or <Gender> in older files. */
  sex: string | null;
  ethnicity: string | null;
  enrolStatus: string | null;
  entryDate: string | null;
  /** Pupils no longer on roll only. */
  leavingDate: string | null;
  ncYearActual: string | null;
  partTime: string | null;
  boarder: string | null;
}

export interface CensusReturn {
  header: CensusHeader;
  /** Null when the return has no <SchoolInformation> section at all. */
  school: CensusSchool | null;
  pupilsOnRoll: CensusPupil[];
  pupilsNoLongerOnRoll: CensusPupil[];
}

/** The pupils on roll, compared with the Lost Pupils Database: they are where a lost pupil may be now. */
export function pupilsToMatch(census: CensusReturn): IncomingPupil[] {
  return census.pupilsOnRoll.map((p) => ({
    upn: p.upn,
    formerUpn: p.formerUpn,
    surname: p.surname,
    forename: p.forename,
    dateOfBirth: p.dob,
  }));
}

/** The file is XML, but not a school census return. `text` says so for pages; `message` is its English. */
export class CensusFormatError extends AppError {
  constructor(readonly text: Message) {
    super(translateMessage('en', text));
  }
}

// Maps, not object literals, so an element named like an Object.prototype member ("constructor") is
// never mistaken for a field.
const HEADER_FIELDS = new Map<string, Map<string, keyof CensusHeader>>(
  Object.entries({
    CollectionDetails: {
      Collection: 'collection',
      Term: 'term',
      Year: 'year',
      ReferenceDate: 'referenceDate',
    },
    Source: {
      SourceLevel: 'sourceLevel',
      LEA: 'laNumber',
      Estab: 'establishment',
      SoftwareCode: 'softwareCode',
      Release: 'release',
      SerialNo: 'serialNo',
      DateTime: 'dateTime',
    },
  } satisfies Record<string, Record<string, keyof CensusHeader>>).map(([k, v]) => [
    k,
    new Map(Object.entries(v)),
  ]),
);

const SCHOOL_FIELDS = new Map<string, keyof CensusSchool>(
  Object.entries({
    LEA: 'laNumber',
    Estab: 'establishment',
    URN: 'urn',
    SchoolName: 'name',
    Phase: 'phase',
    SchoolType: 'schoolType',
    Intake: 'intake',
    Governance: 'governance',
    LowestNCyear: 'lowestNcYear',
    HighestNCyear: 'highestNcYear',
  } satisfies Record<string, keyof CensusSchool>),
);

type PupilField = Exclude<keyof CensusPupil, 'onRoll' | 'position'>;

const PUPIL_FIELDS = new Map<string, PupilField>(
  Object.entries({
    UPN: 'upn',
    FormerUPN: 'formerUpn',
    ULN: 'uln',
    Surname: 'surname',
    Forename: 'forename',
    MiddleNames: 'middleNames',
    PreferredSurname: 'preferredSurname',
    FormerSurname: 'formerSurname',
    DOB: 'dob',
    Sex: 'sex',
    Gender: 'sex',
    Ethnicity: 'ethnicity',
    EnrolStatus: 'enrolStatus',
    EntryDate: 'entryDate',
    LeavingDate: 'leavingDate',
    NCyearActual: 'ncYearActual',
    PartTime: 'partTime',
    Boarder: 'boarder',
  } satisfies Record<string, PupilField>),
);

/** Elements that only group a pupil's fields; their children are read as the pupil's own. */
const PUPIL_GROUPS = new Set(['PupilIdentifiers', 'PupilCharacteristics', 'PupilStatus', 'BasicDetails']);

const PUPIL_ELEMENTS = new Set(['PupilOnRoll', 'PupilNoLongerOnRoll']);

function emptyHeader(): CensusHeader {
  return {
    collection: null,
    term: null,
    year: null,
    referenceDate: null,
    sourceLevel: null,
    laNumber: null,
    establishment: null,
    softwareCode: null,
    release: null,
    serialNo: null,
    dateTime: null,
  };
}

function emptySchool(): CensusSchool {
  return {
    laNumber: null,
    establishment: null,
    urn: null,
    name: null,
    phase: null,
    schoolType: null,
    intake: null,
    governance: null,
    lowestNcYear: null,
    highestNcYear: null,
  };
}

function emptyPupil(onRoll: boolean, position: number): CensusPupil {
  return {
    onRoll,
    position,
    upn: null,
    formerUpn: null,
    uln: null,
    surname: null,
    forename: null,
    middleNames: null,
    preferredSurname: null,
    formerSurname: null,
    dob: null,
    sex: null,
    ethnicity: null,
    enrolStatus: null,
    entryDate: null,
    leavingDate: null,
    ncYearActual: null,
    partTime: null,
    boarder: null,
  };
}

/**
 * Reads a census return from a stream, or from the whole file in memory. Rejects with an XmlError (with
 * line and column) when the XML is unsafe or malformed, and with a CensusFormatError when the root
 * element is not <Message>.
 */
export async function readCensusReturn(
  source: Readable | AsyncIterable<Buffer | string> | Uint8Array,
  limits: Partial<XmlLimits> = {},
): Promise<CensusReturn> {
  const census: CensusReturn = {
    header: emptyHeader(),
    school: null,
    pupilsOnRoll: [],
    pupilsNoLongerOnRoll: [],
  };
  // Text of each open element, innermost last. Only leaves we read use theirs.
  const texts: string[] = [];
  // The pupil being read and the depth of its element in the path.
  let pupil: CensusPupil | null = null;
  let pupilDepth = -1;

  await readXml(
    source,
    {
      open(name, _attributes, path) {
        if (path.length === 1 && name !== 'Message') {
          throw new CensusFormatError(message('collect.reader.not-census', { name }));
        }
        texts.push('');
        if (pupil === null && PUPIL_ELEMENTS.has(name)) {
          const parent = path[path.length - 2];
          if (path.length === 2 || (path.length === 3 && parent === 'Pupils')) {
            const onRoll = name === 'PupilOnRoll';
            const list = onRoll ? census.pupilsOnRoll : census.pupilsNoLongerOnRoll;
            pupil = emptyPupil(onRoll, list.length + 1);
            list.push(pupil);
            pupilDepth = path.length;
          }
        } else if (path.length === 2 && name === 'SchoolInformation') {
          census.school ??= emptySchool();
        }
      },
      text(text) {
        texts[texts.length - 1] += text;
      },
      close(name, path) {
        const value = (texts.pop() ?? '').trim() || null;
        const depth = path.length;
        const parent = path[depth - 2];
        if (pupil !== null) {
          if (depth === pupilDepth) {
            pupil = null;
            pupilDepth = -1;
            return;
          }
          const grouped = depth === pupilDepth + 2 && parent !== undefined && PUPIL_GROUPS.has(parent);
          const field = PUPIL_FIELDS.get(name);
          if (field && (depth === pupilDepth + 1 || grouped) && pupil[field] === null) pupil[field] = value;
          return;
        }
        if (depth === 4 && path[1] === 'Header' && parent !== undefined) {
          const field = HEADER_FIELDS.get(parent)?.get(name);
          if (field && census.header[field] === null) census.header[field] = value;
          return;
        }
        if (depth === 3 && parent === 'SchoolInformation' && census.school) {
          const field = SCHOOL_FIELDS.get(name);
          if (field && census.school[field] === null) census.school[field] = value;
        }
      },
    },
    limits,
  );
  return census;
}

/** Reads a census return from a file on disk. */
export function readCensusFile(file: string, limits: Partial<XmlLimits> = {}): Promise<CensusReturn> {
  return readCensusReturn(createReadStream(file), limits);
}
