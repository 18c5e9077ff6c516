// Compares a census return's file name (LEASSSS_SC1|SC2|SC3|ASC_LEALLyy_NNN.XML, read by
// transfers/filenames.ts) with what the return's header says: the school, the term and the year.
// A name that is not a census file name is not compared (files checked locally are often renamed).
import { classifyFilename } from '../transfers/filenames.ts';
import { isTerm, TERM_NAMES, type Term } from './census-dates.ts';
import type { CensusHeader } from './census-reader.ts';

/** The term each termly census type code is for: SC1 spring, SC2 summer, SC3 autumn (the third). */
export const TERM_OF_TYPE_CODE: Readonly<Record<string, Term>> = { SC1: 'SPR', SC2: 'SUM', SC3: 'AUT' };

export interface FilenameComparison {
  /** The name is a census return's name (and so was compared with the header). */
  censusName: boolean;
  /** Each way the name and the header disagree, in plain English. */
  mismatches: string[];
}

export function compareFilenameWithHeader(name: string, header: CensusHeader): FilenameComparison {
  const result = classifyFilename(name);
  if (!result.ok || result.file.kind !== 'census') return { censusName: false, mismatches: [] };
  const { file } = result;
  const mismatches: string[] = [];
  if (file.source.kind === 'school' && header.laNumber !== null && header.establishment !== null) {
    const inHeader = `${header.laNumber}${header.establishment}`;
    if (file.source.establishmentNumber !== inHeader) {
      mismatches.push(
        `the file name is for school ${file.source.establishmentNumber}, the return for ${inHeader}`,
      );
    }
  }
  const term = file.typeCode ? TERM_OF_TYPE_CODE[file.typeCode] : undefined;
  if (term && isTerm(header.term) && term !== header.term) {
    mismatches.push(
      `the file name (${file.typeCode}) is for the ${TERM_NAMES[term]} census, ` +
        `the return for the ${TERM_NAMES[header.term]} census`,
    );
  }
  if (file.censusYear !== null && header.year !== null && header.year.slice(-2) !== file.censusYear) {
    mismatches.push(`the file name is for the year ${file.censusYear}, the return for ${header.year}`);
  }
  return { censusName: true, mismatches };
}
