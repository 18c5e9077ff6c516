// `s2s keys status` and `s2s keys rotate`, run as operators run them: separate processes, configured by
// MASTER_KEY and MASTER_KEY_PREVIOUS(_FILES), on a database of each engine. The rotation's own cases are
// in test/platform/key-rotation.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sealAudit } from '../../src/audit/chain.ts';
import { AuditKeys, withAuditKeys } from '../../src/audit/keys.ts';
import { AuthService } from '../../src/auth/service.ts';
import { totpCodeAt } from '../../src/auth/two-factor-secrets.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { signInEvents } from '../support/audit.ts';
import { runS2s, runServe, s2sEnv } from '../support/cli.ts';
import { asDatabaseWriter, createTestDatabase, ENGINES, type TestDatabase } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { actorOf, makeTransfer, readStored, type StoredTransfer, school } from '../support/transfers.ts';

/** A DATABASE_URL a command can use to reach the test's database (on PostgreSQL, its own schema). */
function databaseUrl(database: TestDatabase): string {
  if (!database.schema) return database.url;
  const separator = database.url.includes('?') ? '&' : '?';
  return `${database.url}${separator}options=${encodeURIComponent(`-c search_path=${database.schema}`)}`;
}

describe('s2s keys: usage errors', () => {
  test('no subcommand, an unknown one, a bad batch size, an option of the other subcommand', () => {
    for (const [args, problem] of [
      [['keys'], /Name a keys command: status or rotate/],
      [['keys', 'spin'], /Unknown keys command "spin"/],
      [['keys', 'rotate', '--batch', '0'], /--batch must be a whole number from 1 to 10000/],
      [['keys', 'rotate', '--batch', 'many'], /--batch must be a whole number/],
      [['keys', 'status', '--batch', '5'], /Unknown option '--batch'/],
    ] as const) {
      const run = runS2s([...args]);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, problem);
      assert.match(run.stderr, /keys rotate \[--batch N\] \[--json\]/, 'the usage follows');
    }
  });
});

for (const engine of ENGINES) {
  describe(`s2s keys [${engine}]`, () => {
    const [keyA, keyB] = [MasterKey.generate(), MasterKey.generate()];
    let database: TestDatabase;
    let dir: string;
    let transfers: StoredTransfer[];
    let secret: string;
    let userId: string;

    /** The command's environment: this database and file store, and the master keys given. */
    const env = (keys: Record<string, string>): NodeJS.ProcessEnv => {
      return {
        ...s2sEnv(),
        DATABASE_URL: databaseUrl(database),
        FILE_STORE_DIR: join(dir, 'files'),
        // Only the keys given: not the key file the test runner shares.
        MASTER_KEY_FILE: join(dir, 'no-such.key'),
        ...keys,
      };
    };
    const onlyB = () => env({ MASTER_KEY: keyB.toBase64() });

    async function wrappings() {
      return {
        transfers: await database.db
          .selectFrom('transfers')
          .select(['id', 'wrapped_key', 'master_key_id'])
          .orderBy('id')
          .execute(),
        twoFactor: await database.db
          .selectFrom('two_factor_secrets')
          .select(['user_id', 'wrapped_key', 'master_key_id'])
          .execute(),
      };
    }

    before(async () => {
      database = await createTestDatabase(engine);
      // Made under A, audit events too.
      const db = withAuditKeys(database.db, AuditKeys.fromKeyring(new MasterKeyring(keyA)));
      dir = mkdtempSync(join(tmpdir(), 's2s-cli-keys-'));
      const files = new EncryptedFileStore(new DiskFileStore(join(dir, 'files')), new MasterKeyring(keyA));
      const la = await makeLa(db);
      const [from, to] = [await makeSchool(db, la.number), await makeSchool(db, la.number)];
      transfers = [
        await makeTransfer(db, files, { from: school(from.number), to: school(to.number) }),
        await makeTransfer(db, files, { from: school(from.number), to: school(to.number) }),
      ];
      const clock = new ManualClock();
      const user = await makeUser(db, 'la_dba', { laNumber: la.number });
      const settings = {
        session: { idleMinutes: 30, absoluteHours: 12 },
        signIn: { maxFailures: 5, lockMinutes: 15 },
      };
      const auth = new AuthService(db, clock, settings, new MasterKeyring(keyA));
      const setUp = await auth.twoFactor.setUp(actorOf(user));
      assert.ok(setUp);
      await auth.twoFactor.confirm(actorOf(user), await totpCodeAt(setUp.secret, clock.now()));
      secret = setUp.secret;
      userId = user.id;
    });

    after(async () => {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('status counts the data keys under each master key and names the current one', () => {
      const unused = MasterKey.generate();
      const run = runS2s(
        ['keys', 'status', '--json'],
        env({
          MASTER_KEY: keyB.toBase64(),
          MASTER_KEY_PREVIOUS: ` ${unused.toBase64()} , ${keyA.toBase64()},`,
        }),
      );
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        currentKeyId: keyB.id,
        configuredKeyIds: [keyB.id, unused.id, keyA.id],
        tables: { transfers: { [keyA.id]: 2 }, census_returns: {}, two_factor_secrets: { [keyA.id]: 1 } },
        // The event of the two-factor set-up, written under A.
        auditMacs: { [keyA.id]: 1 },
        auditKeptAtBreaks: 0,
        missingKeyIds: [],
      });
    });

    test('without the previous key, status and rotate say which key is missing (exit 1); nothing changes', async () => {
      const before = await wrappings();
      const status = runS2s(['keys', 'status'], onlyB());
      assert.equal(status.code, 1);
      assert.match(status.stdout, new RegExp(`stored files: 2 under ${keyA.id}\n`));
      assert.match(
        status.stderr,
        new RegExp(`wrapped by the master key ${keyA.id}, which is not configured`),
      );

      const rotate = runS2s(['keys', 'rotate'], onlyB());
      assert.equal(rotate.code, 1);
      assert.match(rotate.stderr, new RegExp(`the master key ${keyA.id}, which is not configured`));
      assert.match(rotate.stderr, /MASTER_KEY_PREVIOUS .*Nothing was re-wrapped\./);
      assert.deepEqual(await wrappings(), before);

      const malformed = runS2s(
        ['keys', 'status'],
        env({ MASTER_KEY: keyB.toBase64(), MASTER_KEY_PREVIOUS: 'c2hvcnQ=' }),
      );
      assert.equal(malformed.code, 1);
      assert.match(malformed.stderr, /MASTER_KEY_PREVIOUS: key 1 of 1 must be 32 bytes/);
    });

    test('rotate re-wraps every data key under the current key, in batches; the files stay as stored', async () => {
      const blobs = transfers.map((t) => readFileSync(join(dir, 'files', String(t.row.storage_key))));
      const previousFile = join(dir, 'previous.key');
      writeFileSync(previousFile, `${keyA.toBase64()}\n`, { mode: 0o600 });
      const run = runS2s(
        ['keys', 'rotate', '--batch', '1'],
        env({ MASTER_KEY: keyB.toBase64(), MASTER_KEY_PREVIOUS_FILES: previousFile }),
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        new RegExp(
          `Re-wrapped 3 data keys under the current master key ${keyB.id} \\(stored files 2, census returns 0, two-factor secrets 1; 3 from ${keyA.id}\\)\\. No file was read or re-encrypted\\.`,
        ),
      );
      const events = await database.db
        .selectFrom('audit_events')
        .select(['actor_username', 'subject_id'])
        .where('action', '=', 'master-key-rotated')
        .execute();
      // A batch each, and one for the audit event re-MACed under B.
      assert.deepEqual(events, Array(4).fill({ actor_username: 'cli', subject_id: keyB.id }), 'a batch each');

      // A key only: every file reads back as it was sent, from the same stored bytes.
      const files = new EncryptedFileStore(new DiskFileStore(join(dir, 'files')), new MasterKeyring(keyB));
      for (const [index, transfer] of transfers.entries()) {
        const row = await database.db
          .selectFrom('transfers')
          .selectAll()
          .where('id', '=', transfer.row.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.master_key_id, keyB.id);
        assert.deepEqual(readFileSync(join(dir, 'files', String(row.storage_key))), blobs[index]);
        assert.deepEqual(await readStored(files, row), transfer.content);
      }
      // The two-factor code still verifies with B alone.
      const clock = new ManualClock();
      clock.advanceMinutes(1);
      const auth = new AuthService(
        database.db,
        clock,
        { session: { idleMinutes: 30, absoluteHours: 12 }, signIn: { maxFailures: 5, lockMinutes: 15 } },
        new MasterKeyring(keyB),
      );
      const user = await database.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      const outcome = await auth.twoFactor.check(
        user,
        { code: await totpCodeAt(secret, clock.now()) },
        '192.0.2.30',
      );
      assert.equal(outcome.ok, true);
    });

    test('a rerun rotates nothing; status then shows every data key under the current key', async () => {
      const before = await wrappings();
      const again = runS2s(['keys', 'rotate', '--json'], onlyB());
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).rewrapped, {
        transfers: 0,
        census_returns: 0,
        two_factor_secrets: 0,
      });
      const text = runS2s(['keys', 'rotate'], onlyB());
      assert.equal(text.code, 0, text.stderr);
      assert.match(
        text.stdout,
        new RegExp(`already wrapped by the current master key ${keyB.id}: nothing to re-wrap`),
      );
      assert.deepEqual(await wrappings(), before);

      const status = runS2s(['keys', 'status'], onlyB());
      assert.equal(status.code, 0, status.stderr);
      assert.equal(
        status.stdout,
        `Current master key: ${keyB.id}\n` +
          'Earlier master keys given (MASTER_KEY_PREVIOUS, MASTER_KEY_PREVIOUS_FILES): none\n' +
          'Data keys wrapped:\n' +
          `  stored files: 2 under ${keyB.id} (current)\n` +
          '  census returns: none\n' +
          `  two-factor secrets: 1 under ${keyB.id} (current)\n` +
          // The set-up's event re-MACed and the four rotation recorded, under the current key, not sealed yet.
          `Audit trail MACs (events, the chain's head and the records of accepted breaks): 5 under ${keyB.id} (current)\n`,
      );
    });
  });
}

// An operator who accepted a break at an altered event (docs/operations.md) rotates, drops the earlier
// key and verifies: the events kept at the break are left as found and need no key (decision 42).
for (const engine of ENGINES) {
  describe(`s2s keys over an accepted break in the audit chain [${engine}]`, () => {
    const [keyA, keyB] = [MasterKey.generate(), MasterKey.generate()];
    let database: TestDatabase;
    let dir: string;
    const env = (keys: Record<string, string>): NodeJS.ProcessEnv => ({
      ...s2sEnv(),
      DATABASE_URL: databaseUrl(database),
      FILE_STORE_DIR: join(dir, 'files'),
      MASTER_KEY_FILE: join(dir, 'no-such.key'),
      ...keys,
    });
    const onlyB = () => env({ MASTER_KEY: keyB.toBase64() });

    before(async () => {
      database = await createTestDatabase(engine);
      dir = mkdtempSync(join(tmpdir(), 's2s-cli-keys-break-'));
      const underA = AuditKeys.fromKeyring(new MasterKeyring(keyA));
      const db = withAuditKeys(database.db, underA);
      await signInEvents(() => db)(4);
      await sealAudit(db, underA);
      await asDatabaseWriter(db, () =>
        db.updateTable('audit_events').set({ actor_username: 'someone' }).where('seq', '=', 2).execute(),
      );
    });

    after(async () => {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('serve given only a master key the audit trail was not sealed under refuses to start, naming the key and what to set; given the earlier key too, it starts', async () => {
      const refused = await runServe(onlyB());
      assert.deepEqual([refused.listened, refused.code], [false, 1], refused.stderr);
      assert.match(
        refused.stderr,
        new RegExp(
          `^s2s: This database's audit trail is sealed under the master key ${keyA.id}, which this node is not given: .* Set MASTER_KEY_FILE \\(or MASTER_KEY\\) .* MASTER_KEY_PREVIOUS_FILES .* Nothing was changed\\.\n$`,
        ),
      );
      const started = await runServe(
        env({ MASTER_KEY: keyB.toBase64(), MASTER_KEY_PREVIOUS: keyA.toBase64() }),
      );
      assert.equal(started.listened, true, started.stderr);
    });

    test('accept-break, rotate (exit 0, the kept events left as found), drop the earlier key: status clean, verify names the break; a kept event changed is caught', async () => {
      const underA = env({ MASTER_KEY: keyA.toBase64() });
      const accepted = runS2s(['audit', 'accept-break', '--at', '2', '--reason', 'INC-5: edited'], underA);
      assert.equal(accepted.code, 0, accepted.stderr);

      const rotate = runS2s(
        ['keys', 'rotate'],
        env({ MASTER_KEY: keyB.toBase64(), MASTER_KEY_PREVIOUS: keyA.toBase64() }),
      );
      assert.equal(rotate.code, 0, rotate.stderr);
      assert.equal(rotate.stderr, '');
      assert.match(
        rotate.stdout,
        /Left as found the 3 audit events kept unproven at accepted breaks in the chain, under the earlier key that MACed them: verify checks them against what each break recorded of them/,
      );

      const status = runS2s(['keys', 'status'], onlyB());
      assert.equal(status.code, 0, status.stderr);
      assert.match(
        status.stdout,
        new RegExp(
          `Audit trail MACs \\(events, the chain's head and the records of accepted breaks\\): \\d+ under ${keyB.id} \\(current\\)\n` +
            'Audit events kept unproven at accepted breaks, left as found: 3 \\(no master key needed',
        ),
      );
      assert.doesNotMatch(status.stdout, new RegExp(keyA.id));
      assert.equal(JSON.parse(runS2s(['keys', 'status', '--json'], onlyB()).stdout).auditKeptAtBreaks, 3);

      const verified = runS2s(['audit', 'verify'], onlyB());
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(
        verified.stderr,
        /The audit chain was broken at event 2, and the break accepted .*"INC-5: edited"/,
      );
      assert.doesNotMatch(verified.stderr, /cannot be checked/);

      await asDatabaseWriter(database.db, () =>
        database.db.updateTable('audit_events').set({ organisation: '999' }).where('seq', '=', 3).execute(),
      );
      const tampered = runS2s(['audit', 'verify'], onlyB());
      assert.equal(tampered.code, 1);
      assert.match(
        tampered.stderr,
        /the 3 sealed events kept, unproven, at the break accepted at event 2 are not as they were found/,
      );
    });
  });
}
