// `s2s census validate FILE [--la LLL] [--json]`: checks a school census return against the census
// validation rules, without a database. Exit codes: 0 no errors (queries allowed), 1 errors or the
// file cannot be read, 2 usage.
import { basename } from 'node:path';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { formatDate } from '../platform/dates.ts';
import { translateMessage } from '../platform/i18n/catalogue.ts';
import { plural } from '../platform/words.ts';
import { XmlError } from '../platform/xml/reader.ts';
import { isoDate, isTerm, TERM_NAMES } from './census-dates.ts';
import { compareFilenameWithHeader, type FilenameComparison } from './census-filename.ts';
import { CensusFormatError, type CensusReturn, readCensusFile } from './census-reader.ts';
import { type Finding, type ValidationResult, validateReturn } from './validate.ts';

const INDENT = ' '.repeat(33);

export const CENSUS_USAGE = `  census validate FILE [--la LLL] [--json]
${INDENT}check a school census return (XML) against the census rules:
${INDENT}errors must be fixed, queries fixed or explained; --la names
${INDENT}the LA the return is for
`;

const shown = (value: string | null) => value ?? '(missing)';

function summary(file: string, census: CensusReturn): string {
  const { header, school } = census;
  const term = isTerm(header.term)
    ? `${TERM_NAMES[header.term]} term (${header.term})`
    : `term ${shown(header.term)}`;
  const day = isoDate(header.referenceDate);
  const lines = [
    `School census return: ${file}`,
    `  Collection:  ${shown(header.collection)}, ${term} ${header.year ?? ''}`.trimEnd(),
    `  Census day:  ${day ? formatDate(day) : shown(header.referenceDate)}`,
    `  School:      LA ${shown(header.laNumber)}, establishment ${shown(header.establishment)}` +
      (school ? `, ${shown(school.name)} (phase ${shown(school.phase)})` : ', no school details'),
    `  Made by:     ${shown(header.softwareCode)} ${header.release ?? ''}`.trimEnd() +
      `, serial ${shown(header.serialNo)}, ${shown(header.dateTime)}`,
    `  Pupils:      ${census.pupilsOnRoll.length} on roll, ${census.pupilsNoLongerOnRoll.length} no longer on roll`,
  ];
  return `${lines.join('\n')}\n`;
}

function describeFinding(finding: Finding): string {
  const pad = ' '.repeat(9);
  const lines = [`  ${finding.rule.padEnd(6)} ${finding.message}`];
  if (finding.detail) lines.push(`${pad}${finding.detail}`);
  for (const pupil of finding.pupils) {
    const list = pupil.onRoll ? 'on roll' : 'no longer on roll';
    lines.push(`${pad}Pupil: ${pupil.upn ?? '(no UPN)'} ${pupil.name} (${list}, record ${pupil.position})`);
  }
  lines.push(`${pad}What to do: ${finding.guidance}`);
  return `${lines.join('\n')}\n`;
}

function report(
  file: string,
  census: CensusReturn,
  result: ValidationResult,
  name: FilenameComparison,
): string {
  const { errors, queries } = result;
  // Each section ends with a newline; sections are separated by a blank line.
  const sections = [summary(file, census)];
  if (name.mismatches.length > 0) {
    sections.push(
      `The file name does not match the return: ${name.mismatches.join('; ')}. Check you chose the right file.\n`,
    );
  }
  if (errors.length === 0 && queries.length === 0) {
    sections.push('No errors and no queries: the return passes these checks.\n');
    return sections.join('\n');
  }
  sections.push(
    `${plural(errors.length, 'error', 'errors')}, ${plural(queries.length, 'query', 'queries')}.` +
      (errors.length === 0 ? ' No errors: the queries must be fixed or explained to your LA.' : '') +
      '\n',
  );
  if (errors.length > 0) {
    sections.push(
      `Errors (fix these in your MIS and make the return again):\n${errors.map(describeFinding).join('')}`,
    );
  }
  if (queries.length > 0) {
    sections.push(
      `Queries (fix these, or explain them to your LA):\n${queries.map(describeFinding).join('')}`,
    );
  }
  return sections.join('\n');
}

/** Runs `census SUBCOMMAND ...`. */
export async function runCensusCommand(args: string[], io: CommandOutput = processOutput): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'census',
    subcommand: 'validate',
    options: { json: { type: 'boolean' }, la: { type: 'string' } },
    positionals: {
      missing: 'Name the census return to check, like 9164001_SC3_916LL25_001.XML.',
      single: 'check one return at a time',
    },
    usage: CENSUS_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const [file = ''] = parsed.positionals; // parseCommand has checked there is one
  const la = parsed.values.la;
  if (la !== undefined && !/^[0-9]{3}$/.test(la))
    return parsed.usage(`--la must be a 3-digit LA number, not "${la}".`);
  const json = parsed.values.json === true;

  let census: CensusReturn;
  try {
    census = await readCensusFile(file);
  } catch (error) {
    const problem = unreadable(file, error);
    if (problem === null) throw error;
    if (json) {
      const position =
        error instanceof XmlError && error.line > 0 ? { line: error.line, column: error.column } : {};
      io.out(`${JSON.stringify({ file, valid: false, unreadable: problem, ...position }, null, 2)}\n`);
    } else {
      io.err(`${problem}\n`);
    }
    return 1;
  }

  const result = validateReturn(census, la === undefined ? {} : { schoolLaNumber: la });
  const name = compareFilenameWithHeader(basename(file), census.header);
  const valid = result.errors.length === 0 && name.mismatches.length === 0;
  if (json) {
    io.out(
      `${JSON.stringify(
        {
          file,
          valid,
          header: census.header,
          school: census.school,
          pupils: { onRoll: census.pupilsOnRoll.length, noLongerOnRoll: census.pupilsNoLongerOnRoll.length },
          // In English, as the command answers, without the messages pages use.
          filename: { censusName: name.censusName, mismatches: name.mismatches },
          errors: result.errors.map(inEnglish),
          queries: result.queries.map(inEnglish),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.out(report(file, census, result, name));
  }
  return valid ? 0 : 1;
}

/** A finding as the CLI prints it: its texts in English, without the catalogue's keys pages use. */
function inEnglish({ messages: _, ...finding }: Finding): Omit<Finding, 'messages'> {
  return finding;
}

/** What to tell the user when the file cannot be read, or null for an unexpected failure. */
function unreadable(file: string, error: unknown): string | null {
  if (error instanceof XmlError && error.advice) {
    // What to do, after it, when the problem has its own advice (a file in another encoding).
    return `${file} could not be read: ${error.message}. ${translateMessage('en', error.advice)}`;
  }
  if (error instanceof XmlError || error instanceof CensusFormatError) {
    return `${file} could not be read: ${error.message}`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `There is no file ${file}.`;
  if (code === 'EISDIR') return `${file} is a folder, not a census return.`;
  if (code === 'EACCES' || code === 'EPERM') return `${file} cannot be opened: permission denied.`;
  return null;
}
