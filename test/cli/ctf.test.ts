// `s2s ctf inspect`, run as operators run it: a separate process reading a file.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeUpn } from '../../src/ctf/upn.ts';
import { CTF25, ctfXml } from '../fixtures/ctf/generate.ts';
import { cliSandbox } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'ctf');
const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile');

describe('s2s ctf inspect', () => {
  const sandbox = cliSandbox('ctf');
  const { s2s } = sandbox;

  test('a valid CTF: header summary, pupil table, exit 0', () => {
    const run = s2s('ctf', 'inspect', join(FIXTURES, '9162001_CTF_8013456_003.XML'));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const out = run.stdout;
    assert.match(out, /9162001_CTF_8013456_003\.XML: Common Transfer File, 12\.1 KB/);
    assert.match(out, /Version: {4}25\.0\n/);
    assert.match(out, /Written: {4}2025-07-15T10:30:00 by Fictional MIS 7\.2\n/);
    assert.match(out, /Qualifier: {2}full\n/);
    assert.match(
      out,
      /From: {7}LEA 916, Estab 2001, Oakfield Primary School \(URN 115001\), academic year 2025\n/,
    );
    assert.match(out, /To: {9}LEA 801, Estab 3456 \(URN 138765\)\n/);
    assert.match(
      out,
      /File name: {2}CTF from school 9162001 to school 8013456, file number 003, as the header says\n/,
    );
    assert.match(out, /Pupils: {5}3\n/);
    assert.match(out, / {2}UPN {12}Surname {2}Forename {2}DOB {9}Sex\n/);
    assert.match(out, / {2}Q916200119001 {2}Smith {4}Amelia {4}2014-03-02 {2}F\n/);
    assert.match(out, / {2}E916200119002 {2}Evans {4}Oliver {4}2013-11-30 {2}M\n/);
    assert.match(out, / {2}U916200119003 {2}Nowak {4}Zofia {5}2014-06-17 {2}F\n/);
    assert.match(out, /No problems found\.\n\nThe file is a valid CTF\.\n$/);
  });

  test('--json gives the whole reading, with the file name check', () => {
    const run = s2s('ctf', 'inspect', join(FIXTURES, '9162001_CTF_8013456_003.XML'), '--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.valid, true);
    assert.equal(report.isCtf, true);
    assert.equal(report.header.version, '25.0');
    assert.equal(report.header.source.lea, '916');
    assert.equal(report.pupilCount, 3);
    assert.deepEqual(
      report.pupils.map((p: { upn: string; sex: string }) => `${p.upn} ${p.sex}`),
      ['Q916200119001 F', 'E916200119002 M', 'U916200119003 F'],
    );
    assert.deepEqual(report.pupils[0].sections.Attendance, 2);
    assert.deepEqual(report.filename, {
      checked: true,
      name: '9162001_CTF_8013456_003.XML',
      description: 'CTF from school 9162001 to school 8013456, file number 003',
      matchesHeader: true,
    });
    assert.deepEqual(report.findings, []);
  });

  test('an old CTF with <Gender> is read the same way', () => {
    const run = s2s('ctf', 'inspect', join(FIXTURES, 'ctf06-gender-old-layout.xml'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Version: {4}6\.0\n/);
    assert.match(run.stdout, /K916200198041 {2}Hughes {3}Gareth {4}1994-02-11 {2}M\n/);
    assert.match(run.stdout, /File name: {2}not checked: the name is not a CTF name/);
  });

  test('a header that disagrees with the file name: both ends reported, exit 1', () => {
    const run = s2s('ctf', 'inspect', join(FIXTURES, '9162001_CTF_8013456_007.XML'));
    assert.equal(run.code, 1);
    assert.match(run.stdout, /file number 007, which the header does not agree with/);
    assert.match(
      run.stdout,
      /error {4}The file name says this CTF comes from school 9162001, but its header names school 9162002 in <SourceSchool>/,
    );
    assert.match(
      run.stdout,
      /error {4}The file name says this CTF goes to school 8013456, but its header names school 8013457/,
    );
    assert.match(run.stdout, /The file is not a valid CTF: 2 errors\.\n$/);
  });

  test('a lost pupil file with two pupils: exit 1', () => {
    const run = s2s('ctf', 'inspect', join(FIXTURES, '9162001_CTF_XXXXXXXX_008.XML'), '--json');
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout);
    assert.equal(report.valid, false);
    assert.deepEqual(
      report.findings.map((f: { rule: string }) => f.rule),
      ['lost-pupil-count'],
    );
    const one = s2s('ctf', 'inspect', join(FIXTURES, '9162001_CTF_MMMMMMMM_009.XML'));
    assert.equal(one.code, 0, one.stdout);
  });

  test('a wrong check letter is a warning: reported, exit 0', () => {
    const run = s2s('ctf', 'inspect', join(FIXTURES, 'ctf25-wrong-check-letter.xml'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /warning {2}Pupil 2: The check letter \(character 1\) should be Q, not A/);
    assert.match(run.stdout, /The file is a valid CTF, with 1 warning to check\.\n$/);
  });

  test('UPNs are checked against the known LA numbers', () => {
    const file = join(sandbox.dir, 'unknown-la.xml');
    writeFileSync(
      file,
      ctfXml(CTF25, [
        {
          upn: makeUpn('999', '2001', '21', '100'),
          surname: 'Khan',
          forename: 'Ava',
          dob: '2016-05-04',
          sex: 'F',
        },
      ]),
    );
    const run = s2s('ctf', 'inspect', file);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /warning {2}Pupil 1: Characters 2 to 4 \(999\) are not a recognised LA number/);
  });

  test('not a CTF, no pupils: exit 1 with the reason', () => {
    const census = s2s('ctf', 'inspect', join(FIXTURES, 'not-a-ctf-census.xml'));
    assert.equal(census.code, 1);
    assert.match(census.stdout, /This is not a Common Transfer File: its first element is <Message>/);
    const empty = s2s('ctf', 'inspect', join(FIXTURES, 'ctf25-no-pupils.xml'));
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /The file holds no pupils/);
  });

  test('unsafe or unreadable XML: a clear message with line and column, no stack trace, exit 1', () => {
    for (const file of ['xxe-external-entity.xml', 'truncated.xml', 'invalid-utf8.xml', 'deep-nesting.xml']) {
      const run = s2s('ctf', 'inspect', join(HOSTILE, file));
      assert.equal(run.code, 1, file);
      assert.equal(run.stdout, '', file);
      assert.match(run.stderr, /cannot be read as a CTF: .*\(line \d+, column \d+\)\.( .*)?\n$/, file);
      assert.doesNotMatch(run.stderr, /\n\s+at /, file);
    }
    const xxe = s2s('ctf', 'inspect', join(HOSTILE, 'xxe-external-entity.xml'));
    assert.match(xxe.stderr, /DOCTYPE.*refused for safety \(line 2, column \d+\)/);

    const json = s2s('ctf', 'inspect', join(HOSTILE, 'truncated.xml'), '--json');
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout);
    assert.equal(report.valid, false);
    assert.equal(report.error.problem, 'malformed');
    assert.equal(report.error.line, 2);
    assert.equal(typeof report.error.column, 'number');
  });

  test('a CTF saved as UTF-16 or that is a PDF: what it is, then what to do, exit 1', () => {
    const utf16 = join(sandbox.dir, 'utf16.xml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<CTfile/>', 'utf16le')]));
    const run = s2s('ctf', 'inspect', utf16);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /cannot be read as a CTF: The file is saved as UTF-16 text, and s2s takes XML files only in UTF-8\. Save it as UTF-8 from your MIS/,
    );
    const json = JSON.parse(s2s('ctf', 'inspect', utf16, '--json').stdout);
    assert.equal(json.error.problem, 'encoding');
    assert.match(json.error.advice, /text editor/);
    const pdf = join(sandbox.dir, 'report.xml');
    writeFileSync(pdf, '%PDF-1.4\n1 0 obj\n');
    assert.match(
      s2s('ctf', 'inspect', pdf).stderr,
      /The file is not XML: it is a PDF document\. Check you chose the right file/,
    );
  });

  test('a missing file or a folder: exit 1 with a plain message', () => {
    const missing = s2s('ctf', 'inspect', join(sandbox.dir, 'nothing-here.xml'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing-here\.xml cannot be read: there is no such file\.\n$/);
    const folder = s2s('ctf', 'inspect', sandbox.dir);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /cannot be read: it is a folder, not a file\.\n$/);
  });

  test('a file named like a CTF but not validly: the name problem is a warning', () => {
    const file = join(sandbox.dir, '9162001_CTF_8013456.XML');
    copyFileSync(join(FIXTURES, '9162001_CTF_8013456_003.XML'), file);
    const run = s2s('ctf', 'inspect', file, '--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.filename.checked, false);
    assert.ok(report.findings.length > 0);
    for (const finding of report.findings) {
      assert.equal(finding.rule, 'filename');
      assert.equal(finding.severity, 'warning');
      assert.match(finding.message, /^The file name cannot be used on s2s: /);
    }
  });

  test('control characters from the file never reach the terminal', () => {
    const file = join(sandbox.dir, 'escapes.xml');
    writeFileSync(
      file,
      ctfXml(CTF25, [
        {
          upn: makeUpn('916', '2001', '21', '100'),
          surname: 'Evil\u009b31mRED\u202e',
          forename: 'Ava',
          dob: '2016-05-04',
          sex: 'F',
        },
      ]),
    );
    const run = s2s('ctf', 'inspect', file);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Evil\?31mRED\? /);
    assert.doesNotMatch(run.stdout, /[\u009b\u202e]/);
  });

  test('usage errors: exit 2 with the usage', () => {
    for (const args of [
      ['ctf'],
      ['ctf', 'check', 'x.xml'],
      ['ctf', 'inspect'],
      ['ctf', 'inspect', 'a.xml', 'b.xml'],
      ['ctf', 'inspect', 'a.xml', '--verbose'],
    ]) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /Usage:\n {2}ctf inspect FILE \[--json\]/, args.join(' '));
    }
    const help = s2s('--help');
    assert.match(help.stdout, /ctf inspect FILE \[--json\]/);
  });
});
