// `s2s import establishments FILE`, run as the real command in a child process on an SQLite file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../../src/platform/db/database.ts';
import { cliSandbox, runS2s, s2sEnv } from '../support/cli.ts';

const SAMPLE = fileURLToPath(new URL('../fixtures/gias/edubasealldata-sample.csv', import.meta.url));

const sandbox = cliSandbox('import');

/** Runs the command on its own SQLite file in the sandbox, `database`. */
function s2s(args: string[], database: string) {
  return runS2s(args, s2sEnv(sandbox.dir, database));
}

const NO_STACK = /^\s+at /m;

describe('s2s import establishments', () => {
  test('imports the extract, prints a summary and each skipped row, and exits 0', async () => {
    const run = s2s(['import', 'establishments', SAMPLE], 'summary.sqlite');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.equal(
      run.stdout,
      `Imported ${SAMPLE}: 8 rows read; 7 added, 0 updated, 0 unchanged, 1 skipped; 7 local authorities added.\n` +
        'Skipped line 7 (URN 150516): LA (code) "0" is not a 3-digit LA number\n',
    );
    const db = createDatabase(`sqlite:${join(sandbox.dir, 'summary.sqlite')}`);
    try {
      const school = await db
        .selectFrom('establishments')
        .select(['name', 'status'])
        .where('number', '=', '2021045')
        .executeTakeFirst();
      assert.deepEqual(school, { name: 'Sherborne Nursery School', status: 'closed' });
    } finally {
      await db.destroy();
    }
  });

  test('--json prints the report as JSON', () => {
    const first = s2s(['import', 'establishments', SAMPLE, '--json'], 'json.sqlite');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(JSON.parse(first.stdout).added, 7);
    const again = s2s(['import', 'establishments', '--json', SAMPLE], 'json.sqlite');
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout);
    assert.equal(report.rows, 8);
    assert.equal(report.added, 0);
    assert.equal(report.unchanged, 7);
    assert.equal(report.localAuthoritiesAdded, 0);
    assert.deepEqual(report.skippedRows, [
      { line: 7, urn: '150516', reason: 'LA (code) "0" is not a 3-digit LA number' },
    ]);
  });

  test('a file that cannot be read exits 1 with a message and no stack trace', () => {
    const missing = join(sandbox.dir, 'no-such-extract.csv');
    const run = s2s(['import', 'establishments', missing], 'missing.sqlite');
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `Cannot read ${missing}: there is no such file. Check the file name and try again.\n`,
    );
  });

  test('a file that is not a GIAS extract exits 1 and names the missing columns', () => {
    const file = join(sandbox.dir, 'pupils.csv');
    writeFileSync(file, 'UPN,Surname,Forename\r\nA123456789012,Smith,Sam\r\n');
    const run = s2s(['import', 'establishments', file], 'not-gias.sqlite');
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /does not look like a GIAS "edubasealldata" establishment extract/);
    assert.match(run.stderr, /"URN", "LA \(code\)", "LA \(name\)", "EstablishmentNumber"/);
    assert.doesNotMatch(run.stderr, /Smith/);
    assert.doesNotMatch(run.stderr, NO_STACK);
  });

  test('a row too long is refused in a short message (exit 1), with and without --json', () => {
    const file = join(sandbox.dir, 'long-row.csv');
    const [header, first] = readFileSync(SAMPLE, 'latin1').split('\n');
    writeFileSync(file, `${header}\n${first}\n${'x'.repeat(1_000_000)}\n`, 'latin1');
    for (const json of [[], ['--json']]) {
      const run = s2s(['import', 'establishments', file, ...json], 'long-row.sqlite');
      assert.equal(run.code, 1, run.stdout.slice(0, 200));
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `${file} cannot be read as CSV near line 3: a row is too long. ` +
          'Download the extract from Get Information about Schools again and import it unchanged.\n',
      );
    }
  });

  test('usage errors exit 2 and show the usage', () => {
    for (const args of [
      ['import', 'establishments'],
      ['import'],
      ['import', 'pupils', SAMPLE],
      ['import', 'establishments', SAMPLE, 'extra.csv'],
      ['import', 'establishments', SAMPLE, '--verbose'],
    ]) {
      const run = s2s(args, 'usage.sqlite');
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /Usage:\n {2}import establishments FILE \[--json\]/, args.join(' '));
    }
    const missingFile = s2s(['import', 'establishments'], 'usage.sqlite');
    assert.match(missingFile.stderr, /^Name the GIAS extract to import/);
  });

  test('the command is listed in the help', () => {
    const run = s2s(['--help'], 'help.sqlite');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /import establishments FILE \[--json\]/);
  });
});
