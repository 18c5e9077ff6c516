// Reading and checking a census return's content: the CPU work of loading one (a large return takes
// tens to hundreds of milliseconds), which on the main thread would hold up every other request on
// census day. Domain code: nothing but the bytes and what the rules need to know, and plain data out, so
// it runs on the content-check worker threads (transfers/content-check-pool.ts) as well as here.
import type { IncomingPupil } from '../lost-pupils/matching.ts';
import type { Message } from '../platform/i18n/catalogue.ts';
import { paged } from '../platform/paging.ts';
import { XmlError } from '../platform/xml/reader.ts';
import {
  CensusFormatError,
  type CensusHeader,
  type CensusPupil,
  type CensusReturn,
  type CensusSchool,
  pupilsToMatch,
  readCensusReturn,
} from './census-reader.ts';
import { type ReturnSummary, summariseReturn } from './census-summary.ts';
import { type Finding, validateReturn } from './validate.ts';

/** What a return says of itself and its school, kept with each version (no pupil data). */
export interface ReturnDetails {
  header: Pick<
    CensusHeader,
    'collection' | 'term' | 'year' | 'referenceDate' | 'softwareCode' | 'release' | 'serialNo' | 'dateTime'
  >;
  school: CensusSchool | null;
  onRoll: number;
  noLongerOnRoll: number;
}

export function returnDetails(census: CensusReturn): ReturnDetails {
  const { collection, term, year, referenceDate, softwareCode, release, serialNo, dateTime } = census.header;
  return {
    header: { collection, term, year, referenceDate, softwareCode, release, serialNo, dateTime },
    school: census.school,
    onRoll: census.pupilsOnRoll.length,
    noLongerOnRoll: census.pupilsNoLongerOnRoll.length,
  };
}

export interface CensusCheckInput {
  data: Uint8Array;
  /** The LA of the school whose return it is (the rules compare it with the file's). */
  schoolLaNumber: string;
  /** The LAs of the directory: a return may come from these. */
  currentLaNumbers: readonly string[];
}

export type CensusCheck =
  /**
   * Not XML, unsafe, or not a census return: `problem` says what (with its line and column), and
   * `whatToDo` what to do when that is not to make the return again (a file in another encoding).
   */
  | { readable: false; problem: Message; whatToDo?: Message }
  | {
      readable: true;
      header: CensusHeader;
      /** The rules' errors, then their queries. */
      findings: Finding[];
      errors: number;
      queries: number;
      /** On roll and no longer on roll. */
      pupils: number;
      details: ReturnDetails;
      /** The pupils to compare with the Lost Pupils Database. */
      pupilsToMatch: IncomingPupil[];
    };

/** A page of a stored return's pupils, on roll then no longer on roll. */
export interface CensusPupilsInput {
  data: Uint8Array;
  /** From 1; past the last page, the last page. */
  page: number;
  perPage: number;
}

export interface CensusPupilsPage {
  pupils: CensusPupil[];
  total: number;
  page: number;
  pages: number;
}

/** Where a return is read and checked: on worker threads (the app's), or in this thread. */
export interface CensusChecker {
  checkCensusReturn(input: CensusCheckInput): Promise<CensusCheck>;
  /** A stored return read again for a page of its pupils: as long to read as to check, so off the main thread too. */
  censusPupilsPage(input: CensusPupilsInput): Promise<CensusPupilsPage>;
  /** A stored return read again for its summary (its totals), off the main thread for the same reason. */
  censusSummary(input: CensusSummaryInput): Promise<ReturnSummary>;
}

/** A stored return, to be summarised. */
export interface CensusSummaryInput {
  data: Uint8Array;
}

export async function censusSummary({ data }: CensusSummaryInput): Promise<ReturnSummary> {
  return summariseReturn(await readCensusReturn(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
}

export async function censusPupilsPage({
  data,
  page,
  perPage,
}: CensusPupilsInput): Promise<CensusPupilsPage> {
  const census = await readCensusReturn(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const shown = paged([...census.pupilsOnRoll, ...census.pupilsNoLongerOnRoll], page, perPage);
  return { pupils: shown.items, total: shown.total, page: shown.page, pages: shown.pageCount };
}

export async function checkCensusReturn(input: CensusCheckInput): Promise<CensusCheck> {
  const { data } = input;
  let census: CensusReturn;
  try {
    census = await readCensusReturn(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (error) {
    if (error instanceof XmlError && error.advice) {
      return { readable: false, problem: error.text, whatToDo: error.advice };
    }
    if (error instanceof XmlError || error instanceof CensusFormatError) {
      return { readable: false, problem: error.text };
    }
    throw error;
  }
  const result = validateReturn(census, {
    schoolLaNumber: input.schoolLaNumber,
    currentLaNumbers: new Set(input.currentLaNumbers),
  });
  return {
    readable: true,
    header: census.header,
    findings: [...result.errors, ...result.queries],
    errors: result.errors.length,
    queries: result.queries.length,
    pupils: census.pupilsOnRoll.length + census.pupilsNoLongerOnRoll.length,
    details: returnDetails(census),
    pupilsToMatch: pupilsToMatch(census),
  };
}
