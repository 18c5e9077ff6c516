// `s2s audit verify` and `s2s audit export`, run as operators run them: a separate process on a
// database. The chain's own cases are in test/audit/chain.test.ts; this is the command's edge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { recordAudit } from '../../src/audit/repository.ts';
import { cliSandbox } from '../support/cli.ts';

describe('s2s audit', () => {
  const sandbox = cliSandbox('audit', { database: true });
  const { s2s } = sandbox;

  test('usage errors: no subcommand, a malformed anchor, a malformed LA', () => {
    for (const [args, problem] of [
      [['audit'], /Name an audit command: verify or export/],
      [
        ['audit', 'verify', '--anchor', '12:abc'],
        /--anchor must be an event number and its 64-character hash/,
      ],
      [['audit', 'export', '--la', '91'], /--la must be an LA number of three digits/],
    ] as const) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, problem);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('verify seals what is waiting and prints an anchor; a later edit is reported with exit code 1', async () => {
    const first = s2s('audit', 'verify'); // also creates the database
    assert.equal(first.code, 0, first.stderr);
    const db = sandbox.db();
    for (const [minute, organisation] of [
      [1, '916'],
      [2, '9162001'],
      [3, '917'],
    ] as const) {
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 10, 1, 9, minute)),
        actorUsername: `clerk${minute}`,
        organisation,
        action: 'file-downloaded',
      });
    }
    const verified = s2s('audit', 'verify');
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /The audit trail is whole: 3 events checked, from the first\./);
    const anchor = /anchor somewhere outside s2s, to check later: (\d+:[0-9a-f]{64})/.exec(
      verified.stdout,
    )?.[1];
    assert.equal(anchor?.split(':')[0], '3');

    const json = s2s('audit', 'verify', '--json', '--anchor', String(anchor));
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).anchor, {
      seq: 3,
      hash: anchor?.split(':')[1],
      found: true,
    });

    const csv = s2s('audit', 'export', '--la', '916');
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    assert.equal(lines.length, 3, 'the header and the two events of LA 916 and its school');
    assert.match(String(lines[1]), /^1,2026-11-01T09:01:00\.000Z,clerk1,,916,file-downloaded,/);
    assert.match(String(lines[2]), /^2,2026-11-01T09:02:00\.000Z,clerk2,,9162001,/);

    await db.updateTable('audit_events').set({ actor_username: 'nobody' }).where('seq', '=', 2).execute();
    const tampered = s2s('audit', 'verify', '--anchor', String(anchor));
    assert.equal(tampered.code, 1);
    assert.match(
      tampered.stderr,
      /The audit trail has been tampered with: event 2 has been altered since it was sealed\./,
    );
    assert.match(tampered.stderr, /Events 1 to 1 are proven/);
    assert.doesNotMatch(tampered.stderr, /\n\s+at /, 'no stack trace');
  });
});
