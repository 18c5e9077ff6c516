// `s2s audit verify` and `s2s audit export`, run as operators run them: a separate process on a
// database. The chain's own cases are in test/audit/chain.test.ts; this is the command's edge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { acceptChainBreak } from '../../src/audit/breaks.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import { recordAudit } from '../../src/audit/repository.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { asAcceptedBefore041 } from '../support/audit.ts';
import { cliSandbox, runS2s } from '../support/cli.ts';
import { asDatabaseWriter } from '../support/databases.ts';

describe('s2s audit', () => {
  const sandbox = cliSandbox('audit', { database: true });
  const masterKey = MasterKey.generate();
  const keys = AuditKeys.fromKeyring(new MasterKeyring(masterKey));
  const s2s = (...args: string[]) => runS2s(args, { ...sandbox.env, MASTER_KEY: masterKey.toBase64() });

  test('usage errors: no subcommand, a malformed anchor, a malformed LA', () => {
    for (const [args, problem] of [
      [['audit'], /Name an audit command: verify, export or accept-break/],
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
    // Written as s2s writes them: with the audit key the command derives from the same master key.
    const db = withAuditKeys(sandbox.db(), keys);
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
    assert.match(verified.stdout, /All 3 sealed with MACs under the audit key/);
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

    const unknown = s2s('audit', 'export', '--la', '999');
    assert.equal(unknown.code, 1, 'an LA s2s does not know is refused');
    assert.equal(unknown.stdout, '');
    assert.match(
      unknown.stderr,
      /There is no LA 999 in the directory, and nothing in the audit trail for it/,
    );
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
    await db.updateTable('audit_events').set({ actor_username: 'clerk2' }).where('seq', '=', 2).execute();
    assert.equal(s2s('audit', 'verify').code, 0);
  });

  test('an event inserted without the audit key is sealed marked and named; a key not given is said as such', async () => {
    const db = sandbox.db();
    await db
      .insertInto('audit_events')
      .values({
        id: '00000000-0000-4000-8000-00000000a001',
        occurred_at: new Date(Date.UTC(2026, 9, 1)).toISOString(),
        actor_user_id: null,
        actor_username: 'intruder',
        organisation: '916',
        action: 'file-removed',
        subject_type: null,
        subject_id: null,
        detail: null,
      })
      .execute();
    const run = s2s('audit', 'verify');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /The audit trail holds 1 events that s2s did not write as they are/);
    assert.match(
      run.stderr,
      /event 4 \(id 00000000-0000-4000-8000-00000000a001\): it had no MAC when it was sealed/,
    );
    const json = JSON.parse(s2s('audit', 'verify', '--json').stdout);
    assert.deepEqual([json.ok, json.legacy, json.keyed, json.unprovenCount], [false, 0, 4, 1]);

    const otherKey = runS2s(['audit', 'verify'], {
      ...sandbox.env,
      MASTER_KEY: MasterKey.generate().toBase64(),
    });
    assert.equal(otherKey.code, 1);
    assert.match(
      otherKey.stderr,
      new RegExp(
        `4 events and the chain's head cannot be checked: their MACs were made under the master key ${masterKey.id}, which is not configured`,
      ),
    );
    assert.doesNotMatch(otherKey.stderr, /tampered/);
  });
});

describe('s2s audit accept-break', () => {
  const sandbox = cliSandbox('audit-break', { database: true });
  const masterKey = MasterKey.generate();
  const keys = AuditKeys.fromKeyring(new MasterKeyring(masterKey));
  const s2s = (...args: string[]) => runS2s(args, { ...sandbox.env, MASTER_KEY: masterKey.toBase64() });

  test('accept-break: refused while nothing is broken and without the master key; after a head is altered, it records the break, sealing resumes, and verify names the break (exit 0, or 1 with --strict)', async () => {
    for (const [args, problem] of [
      [['audit', 'accept-break', '--reason', 'x'], /--at must be the number of the event/],
      [['audit', 'accept-break', '--at', '2'], /--reason must say, in 1000 characters at most/],
      [['audit', 'accept-break', '--at', '2', '--reason', ' '], /--reason must say/],
    ] as const) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, problem);
    }
    assert.equal(s2s('audit', 'verify').code, 0); // also creates the database
    const db = withAuditKeys(sandbox.db(), keys);
    for (let minute = 1; minute <= 3; minute += 1) {
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 10, 1, 9, minute)),
        actorUsername: `clerk${minute}`,
        action: 'file-downloaded',
      });
    }
    assert.equal(s2s('audit', 'verify').code, 0);
    const whole = s2s('audit', 'accept-break', '--at', '1', '--reason', 'a test');
    assert.equal(whole.code, 1);
    assert.match(whole.stderr, /Nothing is broken: the audit chain verifies \(3 events checked\)/);

    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_chain_head').set({ seq: 1 }).where('id', '=', 1).execute(),
    );
    const stopped = s2s('audit', 'verify');
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /Nothing was sealed/);
    assert.match(stopped.stderr, /s2s audit accept-break --at 4 --reason "\.\.\."/);

    const keyless = runS2s(['audit', 'accept-break', '--at', '4', '--reason', 'INC-1'], {
      ...sandbox.env,
      MASTER_KEY_FILE: `${sandbox.dir}/no-such.key`,
    });
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /No master key/);
    assert.doesNotMatch(keyless.stderr, /\n\s+at /, 'no stack trace');
    assert.equal((await db.selectFrom('audit_chain_breaks').selectAll().execute()).length, 0);

    const accepted = s2s('audit', 'accept-break', '--at', '4', '--reason', 'INC-1: head edited by hand');
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /The break at event 4 is accepted and recorded for good/);
    assert.match(accepted.stdout, /Sealing started again at event 4: 1 events sealed now/);

    const verified = s2s('audit', 'verify');
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(
      verified.stderr,
      /The audit chain was broken at event 4, and the break accepted on \S+ by cli: "INC-1: head edited by hand"\./,
    );
    assert.match(verified.stderr, /What verify found then: the chain's head fails its MAC/);
    assert.match(
      verified.stdout,
      /The audit trail is whole but for the break accepted above: 4 events checked/,
    );
    assert.equal(s2s('audit', 'verify', '--strict').code, 1, 'a monitoring job can still tell');
    const json = JSON.parse(s2s('audit', 'verify', '--json').stdout);
    assert.deepEqual(
      json.acceptedBreaks.map((b: { at: number; reason: string }) => [b.at, b.reason]),
      [[4, 'INC-1: head edited by hand']],
    );
    assert.notEqual(head.hash, json.head.hash);
  });

  test('after an event is altered: the events kept at the break are checked as found (exit 1 once one is altered, naming the break), one accepted before that was recorded is said to be unchecked, and rotation counts the breaks it re-MACs and leaves their kept events as found', async () => {
    const db = withAuditKeys(sandbox.db(), keys);
    for (let minute = 1; minute <= 3; minute += 1) {
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 10, 2, 9, minute)),
        actorUsername: `officer${minute}`,
        action: 'file-uploaded',
      });
    }
    assert.equal(s2s('audit', 'verify').code, 0);
    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    const altered = Number(head.seq) - 1;
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_events').set({ actor_username: 'someone' }).where('seq', '=', altered).execute(),
    );
    assert.equal(s2s('audit', 'verify').code, 1);
    const accepted = s2s('audit', 'accept-break', '--at', String(altered), '--reason', 'INC-2: edited');
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.match(accepted.stdout, /2 sealed events after them are kept as they were found/);
    const verified = s2s('audit', 'verify');
    assert.equal(verified.code, 0, verified.stderr);
    assert.doesNotMatch(verified.stderr, /cannot be checked/);

    const kept = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', altered + 1)
      .executeTakeFirstOrThrow();
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_events').set({ organisation: '999' }).where('id', '=', kept.id).execute(),
    );
    const tampered = s2s('audit', 'verify');
    assert.equal(tampered.code, 1);
    assert.match(
      tampered.stderr,
      new RegExp(
        `The audit trail has been tampered with: the 2 sealed events kept, unproven, at the break accepted at event ${altered} are not as they were found when it was accepted: one of them has been altered, or replaced, since\\.`,
      ),
    );
    await asDatabaseWriter(db, () =>
      db
        .updateTable('audit_events')
        .set({ organisation: kept.organisation })
        .where('id', '=', kept.id)
        .execute(),
    );
    assert.equal(s2s('audit', 'verify').code, 0);

    // A break accepted by a version before 041: verify says its kept events cannot be checked.
    for (const minute of [4, 5]) {
      await recordAudit(db, {
        at: new Date(Date.UTC(2026, 10, 2, 9, minute)),
        actorUsername: `officer${minute}`,
        action: 'file-uploaded',
      });
    }
    assert.equal(s2s('audit', 'verify').code, 0);
    const older = Number(
      (await db.selectFrom('audit_chain_head').select('seq').executeTakeFirstOrThrow()).seq,
    );
    await asDatabaseWriter(db, () =>
      db
        .updateTable('audit_events')
        .set({ actor_username: 'someone' })
        .where('seq', '=', older - 1)
        .execute(),
    );
    await acceptChainBreak(db, keys, new ManualClock(), {
      at: older - 1,
      reason: 'INC-3',
      actorUsername: 'cli',
    });
    await asAcceptedBefore041(db, keys);
    const unchecked = s2s('audit', 'verify');
    assert.equal(unchecked.code, 0, unchecked.stderr);
    assert.match(
      unchecked.stderr,
      new RegExp(
        `broken at event ${older - 1}, .*"INC-3"\\.\n.*\n  2 sealed events from event ${older - 1} are kept as they were found, unproven; sealing started again at event ${older + 1}\\.\n` +
          '  The kept events of this break cannot be checked: it was accepted before s2s recorded what it kept \\(migration 041\\)',
      ),
    );
    assert.equal(unchecked.stderr.match(/cannot be checked/g)?.length, 1, 'that break only');

    // Three accepted breaks, their records re-MACed under the next key: the rotation counts them, and
    // names one it refuses as a break's record, not as the chain's head.
    const next = MasterKey.generate();
    const rotate = (...args: string[]) =>
      runS2s(['keys', 'rotate', ...args], {
        ...sandbox.env,
        MASTER_KEY: next.toBase64(),
        MASTER_KEY_PREVIOUS: masterKey.toBase64(),
      });
    const first = await db
      .selectFrom('audit_chain_breaks')
      .selectAll()
      .orderBy('resumes_at')
      .executeTakeFirstOrThrow();
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_chain_breaks').set({ reason: 'routine' }).where('id', '=', first.id).execute(),
    );
    const refusing = rotate();
    assert.equal(refusing.code, 1, refusing.stderr);
    // The events altered, kept at the other two breaks, are left as found, not refused (decision 42).
    assert.match(refusing.stderr, /^1 audit records did not verify under the key that made their MACs/);
    assert.match(
      refusing.stderr,
      new RegExp(
        `the record of the break accepted at event 4 \\(master key ${masterKey.id}\\): it fails its MAC`,
      ),
    );
    assert.doesNotMatch(refusing.stderr, /the chain's head|event \d+ id/);
    assert.match(
      refusing.stdout,
      new RegExp(
        `Re-MACed \\d+ audit events \\(\\d+ from ${masterKey.id}\\), the chain's head and the records of 2 accepted breaks in the chain under the current master key ${next.id}`,
      ),
    );
    assert.match(
      refusing.stdout,
      /Left as found the 4 audit events kept unproven at accepted breaks in the chain/,
    );
    await asDatabaseWriter(db, () =>
      db.updateTable('audit_chain_breaks').set({ reason: first.reason }).where('id', '=', first.id).execute(),
    );
    const rotated = rotate();
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(
      rotated.stdout,
      new RegExp(
        `Re-MACed the record of 1 accepted break in the chain under the current master key ${next.id}`,
      ),
    );
    assert.equal(JSON.parse(rotate('--json').stdout).audit.breaks, 0, 'nothing left to re-MAC');
    // The earlier key dropped: nothing needs it, and verify names the three breaks (exit 0).
    const onlyNext = { ...sandbox.env, MASTER_KEY: next.toBase64() };
    const status = runS2s(['keys', 'status'], onlyNext);
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, new RegExp(masterKey.id));
    const afterRotation = runS2s(['audit', 'verify', '--json'], onlyNext);
    assert.equal(afterRotation.code, 0, afterRotation.stderr);
    assert.equal(JSON.parse(afterRotation.stdout).acceptedBreaks.length, 3);
  });
});
