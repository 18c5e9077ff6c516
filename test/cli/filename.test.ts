// `s2s filename check`, run as people run it: a separate process, with and without a database.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import type { FilenameCheck } from '../../src/transfers/cli.ts';
import { cliSandbox } from '../support/cli.ts';
import { makeLa, makeSchool } from '../support/factories.ts';

describe('s2s filename check', () => {
  const sandbox = cliSandbox('filename', { database: true });
  const { s2s } = sandbox;

  before(async () => {
    await migrateToLatest(sandbox.db());
  });

  test('valid names: exit 0 and the classification in words', () => {
    const run = s2s('filename', 'check', '9165402_CTF_8171234_003.XML', '9165402_916LLLL_SENLIST.ZIP');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        '9165402_CTF_8171234_003.XML: valid: CTF from school 9165402 to school 8171234, file number 003',
        '9165402_916LLLL_SENLIST.ZIP: valid: generic file from school 9165402 to LA 916, description SENLIST, type .ZIP',
        '',
      ].join('\n'),
    );
  });

  test('any invalid name: exit 1 and each reason on a line of its own', () => {
    const run = s2s('filename', 'check', '9165402_CTF_8171234_003.XML', '9165402_CTF_81712_3.XML');
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      [
        '9165402_CTF_8171234_003.XML: valid: CTF from school 9165402 to school 8171234, file number 003',
        "9165402_CTF_81712_3.XML: the destination '81712' is not a 7-digit DfE number, LEALLLL, XXXXXXXX or MMMMMMMM",
        "9165402_CTF_81712_3.XML: the file number '3' must be 3 digits, like 001",
        '',
      ].join('\n'),
    );
  });

  test('names are printed safely: control characters never reach the terminal', () => {
    const run = s2s('filename', 'check', 'a\u001b[2Jb.XML');
    assert.equal(run.code, 1);
    assert.ok(!run.stdout.includes('\u001b'), run.stdout);
    assert.match(
      run.stdout,
      /^a\\u\{1B\}\[2Jb\.XML: the file name contains an invisible control character \(U\+001B\)$/m,
    );
  });

  test('--json prints one parsable document', () => {
    const run = s2s('filename', 'check', '--json', '9165402_ASC_916LL06_001.xml', 'bad name.XML');
    assert.equal(run.code, 1);
    const output = JSON.parse(run.stdout) as {
      valid: boolean;
      directoryChecked: boolean;
      results: FilenameCheck[];
    };
    assert.equal(output.valid, false);
    assert.equal(output.directoryChecked, false);
    assert.equal(output.results.length, 2);
    const [census, bad] = output.results;
    assert.equal(census?.valid, true);
    assert.equal(census?.file?.kind, 'census');
    assert.equal(census?.file?.typeCode, 'ASC');
    assert.equal(census?.file?.censusYear, '06');
    assert.deepEqual(census?.file?.destination, { kind: 'la', laNumber: '916' });
    assert.equal(census?.file?.extension, 'XML');
    assert.deepEqual(census?.problems, []);
    assert.equal(bad?.valid, false);
    assert.equal(bad?.file, null);
    assert.deepEqual(bad?.problems, ['spaces are not allowed in file names']);

    const allValid = s2s('filename', 'check', '9165402_CTF_8171234_003.XML', '--json');
    assert.equal(allValid.code, 0);
    assert.equal(JSON.parse(allValid.stdout).valid, true);
  });

  test('--directory also checks the schools and LAs against the database', async () => {
    const db = sandbox.db();
    const la = await makeLa(db);
    const source = await makeSchool(db, la.number);
    const open = await makeSchool(db, la.number);
    const offline = await makeSchool(db, la.number, { uses_s2s: 0 });
    const good = `${source.number}_CTF_${open.number}_001.XML`;
    const toOffline = `${source.number}_CTF_${offline.number}_002.XML`;

    const fine = s2s('filename', 'check', '--directory', good);
    assert.equal(fine.code, 0, fine.stdout + fine.stderr);
    assert.match(
      fine.stdout,
      new RegExp(`^${good}: valid: CTF from school ${source.number} to school ${open.number}`),
    );

    const refused = s2s('filename', 'check', '--directory', good, toOffline);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stdout,
      new RegExp(
        `^${toOffline}: the destination school ${offline.number} does not use s2s: use MMMMMMMM as the destination \\(handbook §9\\)$`,
        'm',
      ),
    );

    const json = s2s('filename', 'check', '--directory', '--json', toOffline);
    assert.equal(json.code, 1);
    const output = JSON.parse(json.stdout) as { directoryChecked: boolean; results: FilenameCheck[] };
    assert.equal(output.directoryChecked, true);
    assert.equal(output.results[0]?.valid, false);
    assert.equal(output.results[0]?.file?.kind, 'ctf', 'the form was valid: the classification is kept');

    // the same names pass the form check alone: the directory is only read with --directory
    assert.equal(s2s('filename', 'check', toOffline).code, 0);
  });

  test('usage errors: exit 2 with the usage', () => {
    for (const args of [
      ['filename'],
      ['filename', 'rename', 'x.XML'],
      ['filename', 'check'],
      ['filename', 'check', '--json'],
      ['filename', 'check', '--colour', 'red', '9165402_CTF_8171234_003.XML'],
    ]) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /filename check NAME\.\.\. \[--json\] \[--directory\]/, args.join(' '));
      assert.equal(run.stdout, '', args.join(' '));
    }
    const help = s2s('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /filename check NAME\.\.\. \[--json\] \[--directory\]/);
  });
});
