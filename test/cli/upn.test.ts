// `s2s upn check`, run as operators run it: a separate process. It needs no database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeUpn } from '../../src/ctf/upn.ts';
import { runS2s } from '../support/cli.ts';

const s2s = (...args: string[]) => runS2s(args);

const GLOUCESTERSHIRE = 'H916540225001'; // worked by hand in test/ctf/upn.test.ts
const TEMPORARY = 'E91654022500Z';
const NORTHAMPTONSHIRE = makeUpn('928', '2001', '15', '123'); // an LA abolished in 2021: still valid

describe('s2s upn check', () => {
  test('all valid: exit 0, one line per UPN saying permanent or temporary and the LA', () => {
    const run = s2s('upn', 'check', GLOUCESTERSHIRE, ` ${TEMPORARY.toLowerCase()} `, NORTHAMPTONSHIRE);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      [
        `${GLOUCESTERSHIRE} valid (permanent, LA 916 Gloucestershire)`,
        `${TEMPORARY} valid (temporary, LA 916 Gloucestershire)`,
        `${NORTHAMPTONSHIRE} valid (permanent, LA 928 Northamptonshire, abolished April 2021)`,
        '',
      ].join('\n'),
    );
    assert.equal(run.stderr, '');
  });

  test('any invalid: exit 1, each problem with its rule number; LA numbers checked against the built-in list', () => {
    const unknownLa = makeUpn('999', '5402', '25', '001');
    const run = s2s('upn', 'check', GLOUCESTERSHIRE, `L${GLOUCESTERSHIRE.slice(1)}`, unknownLa, '');
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines[0], `${GLOUCESTERSHIRE} valid (permanent, LA 916 Gloucestershire)`);
    assert.equal(lines[1], `L${GLOUCESTERSHIRE.slice(1)} not valid:`);
    assert.match(lines[2] ?? '', /^ {2}rule 1510: The check letter \(character 1\) should be H, not L/);
    assert.equal(lines[3], `${unknownLa} not valid:`);
    assert.equal(lines[4], '  rule 1530: Characters 2 to 4 (999) are not a recognised LA number.');
    assert.equal(lines[5], '(empty) not valid:');
    assert.match(lines[6] ?? '', /^ {2}rule 1500: The UPN is missing/);
  });

  test('--json: the checks as JSON, exit code as without it', () => {
    const valid = s2s('upn', 'check', '--json', GLOUCESTERSHIRE);
    assert.equal(valid.code, 0, valid.stderr);
    assert.deepEqual(JSON.parse(valid.stdout), {
      valid: true,
      upns: [
        {
          input: GLOUCESTERSHIRE,
          upn: GLOUCESTERSHIRE,
          valid: true,
          temporary: false,
          laNumber: '916',
          problems: [],
        },
      ],
    });

    const invalid = s2s('upn', 'check', TEMPORARY, 'E91654022500I', '--json');
    assert.equal(invalid.code, 1, invalid.stderr);
    const report = JSON.parse(invalid.stdout);
    assert.equal(report.valid, false);
    assert.deepEqual(
      report.upns.map((u: { valid: boolean }) => u.valid),
      [true, false],
    );
    assert.equal(report.upns[1].problems[0].rule, '1550');
  });

  test('usage errors: exit 2 with the usage on stderr', () => {
    for (const args of [
      ['upn'],
      ['upn', 'check'],
      ['upn', 'check', '--json'],
      ['upn', 'verify', GLOUCESTERSHIRE],
      ['upn', 'check', '--la', '916', GLOUCESTERSHIRE],
    ]) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /upn check UPN\.\.\. \[--json\]/, args.join(' '));
      assert.equal(run.stdout, '');
    }
  });

  test('the s2s usage lists the command', () => {
    const run = s2s('--help');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /upn check UPN\.\.\. \[--json\]/);
  });
});
