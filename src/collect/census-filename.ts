// Compares a census return's file name (LEASSSS_SC1|SC2|SC3|ASC_LEALLyy_NNN.XML, read by
// transfers/filenames.ts) with what the return's header says: the school, the term and the year.
// A name that is not a census file name is not compared (files checked locally are often renamed).
import { type Message, message, translateMessage } from '../platform/i18n/catalogue.ts';
import { classifyFilename } from '../transfers/filenames.ts';
import { isTerm, TERM_KEYS, type Term } from './census-dates.ts';
import type { CensusHeader } from './census-reader.ts';

/** The term each termly census type code is for: SC1 spring, SC2 summer, SC3 autumn (the third). */
export const TERM_OF_TYPE_CODE: Readonly<Record<string, Term>> = { SC1: 'SPR', SC2: 'SUM', SC3: 'AUT' };

/** The type code of each term's census return: TERM_OF_TYPE_CODE the other way. */
const TYPE_CODE_OF_TERM: Readonly<Record<Term, string>> = { SPR: 'SC1', SUM: 'SC2', AUT: 'SC3' };

/**
 * The name a school's MIS gives its first return for a collection, to show as an example: the school's
 * number, the term's type code and the collection's year (9165402_SC2_916LL28_001.XML for summer 2028).
 */
export function censusReturnExample(establishment: string, collection: { term: Term; year: string }): string {
  const code = TYPE_CODE_OF_TERM[collection.term];
  return `${establishment}_${code}_${establishment.slice(0, 3)}LL${collection.year.slice(-2)}_001.XML`;
}

export interface FilenameComparison {
  /** The name is a census return's name (and so was compared with the header). */
  censusName: boolean;
  /** Each way the name and the header disagree, in plain English (clauses). */
  mismatches: string[];
  /** The same as messages, for pages in the reader's language. */
  messages: Message[];
}

export function compareFilenameWithHeader(name: string, header: CensusHeader): FilenameComparison {
  const result = classifyFilename(name);
  if (!result.ok || result.file.kind !== 'census') {
    return { censusName: false, mismatches: [], messages: [] };
  }
  const { file } = result;
  const messages: Message[] = [];
  if (file.source.kind === 'school' && header.laNumber !== null && header.establishment !== null) {
    const inHeader = `${header.laNumber}${header.establishment}`;
    if (file.source.establishmentNumber !== inHeader) {
      messages.push(
        message('collect.reader.name-school', {
          name: file.source.establishmentNumber,
          header: inHeader,
        }),
      );
    }
  }
  const term = file.typeCode ? TERM_OF_TYPE_CODE[file.typeCode] : undefined;
  if (term && isTerm(header.term) && term !== header.term) {
    messages.push(
      message('collect.reader.name-term', {
        code: file.typeCode ?? '',
        nameTerm: message(TERM_KEYS[term]),
        headerTerm: message(TERM_KEYS[header.term]),
      }),
    );
  }
  if (file.censusYear !== null && header.year !== null && header.year.slice(-2) !== file.censusYear) {
    messages.push(message('collect.reader.name-year', { name: file.censusYear, header: header.year }));
  }
  return {
    censusName: true,
    mismatches: messages.map((mismatch) => translateMessage('en', mismatch)),
    messages,
  };
}
