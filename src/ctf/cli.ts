// `s2s ctf inspect FILE [--json]`: reads a Common Transfer File on the operator's own machine and shows
// its header, its pupils (UPN, name, date of birth, sex) and everything wrong with it. Showing pupil
// details on the operator's own terminal is the purpose of the command; they are never logged.
// A file named like a CTF (9165402_CTF_8171234_003.XML) is also checked against its name.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { type CommandOutput, parseCommand, processOutput } from '../platform/cli.ts';
import { translateMessage } from '../platform/i18n/catalogue.ts';
import { XmlError } from '../platform/xml/reader.ts';
import { type ClassifiedFilename, classifyFilename, describeFile } from '../transfers/filenames.ts';
import { KNOWN_LA_NUMBERS } from './la-codes.ts';
import {
  type CtfDocument,
  type CtfFinding,
  type CtfPupil,
  type CtfSchool,
  checkCtfAgainstFilename,
  isValidCtf,
  readCtf,
} from './reader.ts';

const INDENT = ' '.repeat(33);

export const CTF_USAGE = `  ctf inspect FILE [--json]      read a Common Transfer File: its header, each pupil's UPN, name,
${INDENT}date of birth and sex, and what is wrong with it; a file named
${INDENT}like a CTF is checked against its name too
`;

/** A finding as the command gives it: in English, without its catalogue message. */
type Finding = Omit<CtfFinding, 'text'>;

function inEnglish({ text: _text, ...finding }: CtfFinding): Finding {
  return finding;
}

/** What was concluded from the file's name. */
type FilenameCheck =
  | { checked: true; name: string; description: string; matchesHeader: boolean | null }
  | { checked: false; name: string; reason: string };

/**
 * Text from the file, made safe for a terminal: control characters (including the C1 range some
 * terminals obey) and bidirectional overrides become "?", and very long values are cut short.
 */
function printable(value: string, max = 200): string {
  const safe = value.replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '?');
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

const show = (value: string | null) => (value === null ? '-' : printable(value));

function describeSchool(school: CtfSchool | null): string {
  if (school === null) return '(not given)';
  let text = `LEA ${show(school.lea)}, Estab ${show(school.estab)}`;
  if (school.schoolName !== null) text += `, ${printable(school.schoolName)}`;
  if (school.urn !== null) text += ` (URN ${printable(school.urn)})`;
  if (school.academicYear !== null) text += `, academic year ${printable(school.academicYear)}`;
  return text;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function pupilTable(pupils: CtfPupil[]): string {
  const rows = [
    ['UPN', 'Surname', 'Forename', 'DOB', 'Sex'],
    ...pupils.map((p) => [show(p.upn), show(p.surname), show(p.forename), show(p.dob), show(p.sex)]),
  ];
  const widths = [0, 1, 2, 3].map((column) =>
    Math.min(30, Math.max(...rows.map((row) => (row[column] ?? '').length))),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `  ${line}\n`)
    .join('');
}

function findingLines(findings: Finding[], omitted: number): string {
  if (findings.length === 0) return 'No problems found.\n';
  const lines = findings.map(
    (f) => `  ${f.severity === 'error' ? 'error  ' : 'warning'}  ${printable(f.message, 400)}`,
  );
  if (omitted > 0) lines.push(`  ... and ${omitted} more not listed`);
  return `Problems:\n${lines.join('\n')}\n`;
}

function humanReport(
  file: string,
  doc: CtfDocument,
  name: FilenameCheck,
  findings: Finding[],
  omitted: number,
): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const verdict =
    errors === 0
      ? `The file is a valid CTF${warnings > 0 ? `, with ${warnings} warning${warnings === 1 ? '' : 's'} to check` : ''}.\n`
      : `The file is not a valid CTF: ${errors} error${errors === 1 ? '' : 's'}${warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.\n`;
  if (!doc.isCtf)
    return `${printable(file)} (${formatSize(doc.bytes)})\n\n${findingLines(findings, omitted)}\n${verdict}`;
  const h = doc.header;
  const lines = [
    `${printable(file)}: Common Transfer File, ${formatSize(doc.bytes)}`,
    `  Version:    ${show(h.version)}`,
    `  Written:    ${show(h.dateTime)} by ${show(h.supplierId)}`,
    `  Qualifier:  ${show(h.documentQualifier)}`,
    `  From:       ${describeSchool(h.source)}`,
    `  To:         ${describeSchool(h.destination)}`,
    name.checked
      ? `  File name:  ${printable(name.description)}${name.matchesHeader === null ? ' (sent by an LA: not compared with the header)' : name.matchesHeader ? ', as the header says' : ', which the header does not agree with'}`
      : `  File name:  not checked: ${printable(name.reason)}`,
    `  Pupils:     ${doc.pupilCount}`,
  ];
  const table = doc.pupils.length > 0 ? `\n${pupilTable(doc.pupils)}` : '';
  return `${lines.join('\n')}\n${table}\n${findingLines(findings, omitted)}\n${verdict}`;
}

/** Reads the file's name: whether to compare it with the header, and any problem with it. */
function readFilename(name: string): {
  check: FilenameCheck;
  file: ClassifiedFilename | null;
  findings: Finding[];
} {
  const classified = classifyFilename(name);
  if (classified.ok && classified.file.kind === 'ctf') {
    return {
      check: { checked: true, name, description: describeFile(classified.file), matchesHeader: null },
      file: classified.file,
      findings: [],
    };
  }
  if (!classified.ok && /_CTF_/i.test(name)) {
    // Named like a CTF, but s2s would refuse the name: say why, without judging the contents by it.
    return {
      check: { checked: false, name, reason: 'the name is not a valid CTF name' },
      file: null,
      findings: classified.problems.map((problem) => ({
        rule: 'filename',
        severity: 'warning',
        message: `The file name cannot be used on s2s: ${problem}.`,
      })),
    };
  }
  return {
    check: { checked: false, name, reason: 'the name is not a CTF name like 9165402_CTF_8171234_003.XML' },
    file: null,
    findings: [],
  };
}

function errorCode(error: unknown): string | null {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return null;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'there is no such file',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission to read it is denied',
  EPERM: 'permission to read it is denied',
};

/** Runs `ctf SUBCOMMAND ...`. Exit codes: 0 a valid CTF, 1 invalid or unreadable, 2 usage. */
export async function runCtfCommand(args: string[], io: CommandOutput = processOutput): Promise<number> {
  const parsed = parseCommand(args, {
    name: 'ctf',
    subcommand: 'inspect',
    options: { json: { type: 'boolean' } },
    positionals: { missing: 'Name the CTF file to inspect.', single: 'inspect one file at a time' },
    usage: CTF_USAGE,
    io,
  });
  if (typeof parsed === 'number') return parsed;
  const [file = ''] = parsed.positionals; // parseCommand has checked there is one
  const json = parsed.values.json ?? false;

  let doc: CtfDocument;
  try {
    doc = await readCtf(createReadStream(file), { knownLaNumbers: KNOWN_LA_NUMBERS });
  } catch (error) {
    let message: string;
    let detail: Record<string, unknown>;
    if (error instanceof XmlError) {
      // What to do, after it, when the problem has its own advice (a file in another encoding).
      const advice = error.advice && translateMessage('en', error.advice);
      message = `${file} cannot be read as a CTF: ${error.message}.${advice ? ` ${advice}` : ''}`;
      detail = {
        problem: error.problem,
        message: error.message,
        line: error.line,
        column: error.column,
        ...(advice ? { advice } : {}),
      };
    } else {
      const code = errorCode(error);
      if (code === null || !(code in FILE_ERRORS)) throw error;
      message = `${file} cannot be read: ${FILE_ERRORS[code]}.`;
      detail = { problem: 'file', message: FILE_ERRORS[code] };
    }
    if (json) io.out(`${JSON.stringify({ file, valid: false, error: detail }, null, 2)}\n`);
    else io.err(`${printable(message, 1000)}\n`);
    return 1;
  }

  const name = readFilename(basename(file));
  const fromName = name.file !== null ? checkCtfAgainstFilename(doc, name.file) : [];
  if (name.check.checked && name.file !== null && name.file.source.kind === 'school') {
    name.check.matchesHeader = !fromName.some(
      (f) => f.rule === 'filename-source' || f.rule === 'filename-destination',
    );
  }
  const findings = [...doc.findings.map(inEnglish), ...name.findings, ...fromName.map(inEnglish)];
  const valid = isValidCtf(findings);
  if (json) {
    const { findings: _, ...rest } = doc;
    io.out(`${JSON.stringify({ file, valid, ...rest, filename: name.check, findings }, null, 2)}\n`);
  } else {
    io.out(humanReport(file, doc, name.check, findings, doc.findingsOmitted));
  }
  return valid ? 0 : 1;
}
