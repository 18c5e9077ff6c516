// `s2s census validate`, run as users run it: a separate process reading a file.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cliSandbox } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CENSUS = join(ROOT, 'test', 'fixtures', 'census');
const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile');
const VALID = join(CENSUS, 'valid-autumn.xml');

describe('s2s census validate', () => {
  const sandbox = cliSandbox('census');
  const { s2s } = sandbox;

  /** Writes the valid return with text replacements applied, each of which must match. */
  function variant(name: string, ...replacements: [string, string][]): string {
    let xml = readFileSync(VALID, 'utf8');
    for (const [from, to] of replacements) {
      assert.ok(xml.includes(from), `the fixture contains ${from}`);
      xml = xml.replace(from, to);
    }
    const file = join(sandbox.dir, name);
    writeFileSync(file, xml);
    return file;
  }

  const WRONG_CHECK_LETTER: [string, string] = ['<UPN>A916201319117</UPN>', '<UPN>B916201319117</UPN>'];
  const ONE_BOARDER: [string, string] = ['<Boarder>N</Boarder>', '<Boarder>7</Boarder>'];

  test('a valid return: the header summary, no findings, exit 0', () => {
    const run = s2s('census', 'validate', VALID);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /School census return: .*valid-autumn\.xml/);
    assert.match(run.stdout, /Collection: +SC, autumn term \(AUT\) 2025/);
    assert.match(run.stdout, /Census day: +2 October 2025/);
    assert.match(run.stdout, /School: +LA 916, establishment 4001, Severn Vale Academy \(phase SS\)/);
    assert.match(run.stdout, /Made by: +EXAMPLE MIS 7\.212, serial 001, 2025-10-02T14:05:33/);
    assert.match(run.stdout, /Pupils: +11 on roll, 2 no longer on roll/);
    assert.match(run.stdout, /No errors and no queries/);
    assert.equal(run.stderr, '');
  });

  test('a messy return (BOM, CRLF, padding) is read and passes', () => {
    const run = s2s('census', 'validate', join(CENSUS, 'messy-whitespace-bom.xml'));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /3 on roll, 0 no longer on roll/);
  });

  test('errors and queries: counts, then each finding with its rule, message, pupils and what to do; exit 1', () => {
    const run = s2s('census', 'validate', variant('errors.xml', WRONG_CHECK_LETTER, ONE_BOARDER));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^1 error, 1 query\.$/m);
    assert.match(
      run.stdout,
      /Errors \(fix these in your MIS and make the return again\):\n {2}1510 +The UPN or former UPN has the wrong check letter/,
    );
    assert.match(run.stdout, /should be A, not B/);
    assert.match(run.stdout, /Pupil: B916201319117 Bennett, Oliver \(on roll, record 2\)/);
    assert.match(
      run.stdout,
      /Queries \(fix these, or explain them to your LA\):\n {2}1980Q +The return shows pupils who board/,
    );
    assert.match(run.stdout, /Pupil: Q916201119004 Khan, Amira \(on roll, record 1\)/);
    assert.match(run.stdout, /What to do: /);
    // Errors are listed before queries.
    assert.ok(run.stdout.indexOf('1510') < run.stdout.indexOf('1980Q'));
  });

  test('queries alone do not fail the return: exit 0', () => {
    const run = s2s('census', 'validate', variant('queries.xml', ONE_BOARDER));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^0 errors, 1 query\. No errors: the queries must be fixed or explained/m);
  });

  test('--json gives the header, counts and findings', () => {
    const ok = s2s('census', 'validate', VALID, '--json');
    assert.equal(ok.code, 0, ok.stderr);
    const valid = JSON.parse(ok.stdout);
    assert.equal(valid.valid, true);
    assert.equal(valid.header.term, 'AUT');
    assert.equal(valid.header.referenceDate, '2025-10-02');
    assert.equal(valid.school.name, 'Severn Vale Academy');
    assert.deepEqual(valid.pupils, { onRoll: 11, noLongerOnRoll: 2 });
    assert.deepEqual([valid.errors, valid.queries], [[], []]);

    const bad = s2s(
      'census',
      'validate',
      '--json',
      variant('errors-json.xml', WRONG_CHECK_LETTER, ONE_BOARDER),
    );
    assert.equal(bad.code, 1);
    const result = JSON.parse(bad.stdout);
    assert.equal(result.valid, false);
    assert.deepEqual(
      result.errors.map((e: { rule: string; pupils: { name: string }[] }) => [
        e.rule,
        e.pupils.map((p) => p.name),
      ]),
      [['1510', ['Bennett, Oliver']]],
    );
    assert.equal(result.queries[0].rule, '1980Q');
    assert.equal(result.queries[0].kind, 'query');
    assert.deepEqual(Object.keys(result.queries[0]).sort(), [
      'detail',
      'guidance',
      'kind',
      'level',
      'message',
      'pupils',
      'rule',
    ]);
    assert.equal(result.queries[0].detail, '1 boarding pupil.', 'in English, without catalogue keys');
  });

  test('an unreadable file: a clear message with line and column, exit 1', () => {
    const file = join(sandbox.dir, 'broken.xml');
    writeFileSync(file, '<Message>\n  <Header>\n    <Source><LEA>916</Source>\n</Message>\n');
    const run = s2s('census', 'validate', file);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /broken\.xml could not be read: The file is not well-formed XML.*\(line 3, column \d+\)/,
    );
    assert.equal(run.stdout, '');

    const json = s2s('census', 'validate', file, '--json');
    assert.equal(json.code, 1);
    const result = JSON.parse(json.stdout);
    assert.equal(result.valid, false);
    assert.equal(result.line, 3);
    assert.match(result.unreadable, /not well-formed/);
  });

  test('a return saved as UTF-16: what it is, then how to save it as UTF-8, exit 1', () => {
    const file = join(sandbox.dir, 'utf16.xml');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('<Message/>', 'utf16le').swap16()]),
    );
    const run = s2s('census', 'validate', file);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /utf16\.xml could not be read: The file is saved as UTF-16 text, and s2s takes XML files only in UTF-8\. Save it as UTF-8 from your MIS/,
    );
  });

  test('hostile files are refused: exit 1 with the reason', () => {
    const xxe = s2s('census', 'validate', join(HOSTILE, 'xxe-external-entity.xml'));
    assert.equal(xxe.code, 1);
    assert.match(xxe.stderr, /DOCTYPE/);
    const binary = s2s('census', 'validate', join(HOSTILE, 'invalid-utf8.xml'));
    assert.equal(binary.code, 1);
    assert.match(binary.stderr, /UTF-8/);
  });

  test('a CTF is not a census return: exit 1', () => {
    const run = s2s('census', 'validate', join(CENSUS, 'not-a-census-ctf.xml'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not a school census return: it starts with <CTfile>/);
  });

  test('a missing file: exit 1', () => {
    const run = s2s('census', 'validate', join(sandbox.dir, 'no-such-file.xml'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /There is no file .*no-such-file\.xml/);
  });

  test('--la names the LA the return must come from', () => {
    assert.equal(s2s('census', 'validate', VALID, '--la', '916').code, 0);
    const run = s2s('census', 'validate', VALID, '--la', '917');
    assert.equal(run.code, 1);
    assert.match(run.stdout, /S2S-05 +This return is for a school in a different LA/);
  });

  test('a census file name is compared with the header', () => {
    const right = join(sandbox.dir, '9164001_SC3_916LL25_001.XML');
    copyFileSync(VALID, right);
    const ok = s2s('census', 'validate', right, '--json');
    assert.equal(ok.code, 0, ok.stdout);
    assert.deepEqual(JSON.parse(ok.stdout).filename, { censusName: true, mismatches: [] });

    const wrong = join(sandbox.dir, '9164002_SC1_916LL25_001.XML');
    copyFileSync(VALID, wrong);
    const run = s2s('census', 'validate', wrong);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /The file name does not match the return: the file name is for school 9164002/);
    assert.match(run.stdout, /\(SC1\) is for the spring census, the return for the autumn census/);
  });

  test('usage errors: exit 2', () => {
    for (const args of [
      ['census'],
      ['census', 'check', VALID],
      ['census', 'validate'],
      ['census', 'validate', VALID, VALID],
      ['census', 'validate', VALID, '--verbose'],
      ['census', 'validate', VALID, '--la', '91'],
    ]) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /census validate FILE/, args.join(' '));
    }
  });

  test('the command is listed in the s2s usage', () => {
    const run = s2s('--help');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /census validate FILE/);
  });
});
