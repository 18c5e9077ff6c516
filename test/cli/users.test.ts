// `s2s users add`, run as operators run it: a separate process on its own database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AuthService } from '../../src/auth/service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { cliSandbox } from '../support/cli.ts';

describe('s2s users add', () => {
  const sandbox = cliSandbox('users', { database: true });
  const { s2s } = sandbox;

  test('creates the first national administrator with a strong issued password that must be changed', async () => {
    const run = s2s(
      'users',
      'add',
      '--username',
      'natadmin1',
      '--role',
      'national_admin',
      '--name',
      'Nia Admin',
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Added the account natadmin1 \(s2s National Administrator\)/);
    assert.match(run.stdout, /never in the same email or letter/);
    const password = /Issued password: (\S+)/.exec(run.stdout)?.[1];
    assert.ok(password);
    assert.match(password, /^[a-z]+(-[a-z]+){3}$/, 'four words joined by hyphens');

    const row = await sandbox
      .db()
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'natadmin1')
      .executeTakeFirstOrThrow();
    assert.equal(row.role, 'national_admin');
    assert.equal(row.la_number, null);
    assert.equal(row.must_change_password, 1);
    assert.ok(!row.password_hash.includes(password));
    const audit = await sandbox
      .db()
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', 'natadmin1')
      .executeTakeFirstOrThrow();
    assert.equal(audit.action, 'user-added');
    assert.equal(audit.actor_username, 'cli');
    assert.equal(audit.organisation, null);

    const auth = new AuthService(sandbox.db(), new ManualClock(), {
      session: { idleMinutes: 30, absoluteHours: 12 },
      signIn: { maxFailures: 5, lockMinutes: 15 },
    });
    const signedIn = await auth.signIn('natadmin1', password, '127.0.0.1');
    assert.ok(signedIn.ok, 'the printed password signs in');
    assert.equal(signedIn.user.must_change_password, 1);
  });

  test('prints JSON with --json, and each run issues a different password', () => {
    const first = s2s(
      'users',
      'add',
      '--username',
      'collector1',
      '--role',
      'dfe_collector',
      '--name',
      'C One',
      '--json',
    );
    const second = s2s(
      'users',
      'add',
      '--username',
      'collector2',
      '--role',
      'dfe_collector',
      '--name',
      'C Two',
      '--json',
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(second.stdout);
    assert.equal(a.username, 'collector1');
    assert.equal(a.role, 'dfe_collector');
    assert.equal(a.mustChangePassword, true);
    assert.notEqual(a.issuedPassword, b.issuedPassword);
  });

  test('refuses invalid input with exit code 1 and says which option is wrong', () => {
    const unknownLa = s2s(
      'users',
      'add',
      '--username',
      'labob',
      '--role',
      'la_user',
      '--name',
      'Bob',
      '--la',
      '999',
    );
    assert.equal(unknownLa.code, 1);
    assert.match(unknownLa.stderr, /The account was not added/);
    assert.match(unknownLa.stderr, /--la: There is no LA numbered 999/);
    assert.equal(unknownLa.stdout, '');

    const noLa = s2s('users', 'add', '--username', 'labob', '--role', 'la_user', '--name', 'Bob');
    assert.equal(noLa.code, 1);
    assert.match(noLa.stderr, /--la: Choose the LA/);

    const taken = s2s(
      'users',
      'add',
      '--username',
      'NATADMIN1',
      '--role',
      'national_admin',
      '--name',
      'Again',
    );
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /--username: The username NATADMIN1 is already in use/);

    const webmail = s2s(
      'users',
      'add',
      '--username',
      'webby',
      '--role',
      'dfe_collector',
      '--name',
      'W',
      '--email',
      'w@gmail.com',
    );
    assert.equal(webmail.code, 1);
    assert.match(webmail.stderr, /--email: .*gmail\.com/);

    const role = s2s('users', 'add', '--username', 'rolebob', '--role', 'boss', '--name', 'Bob');
    assert.equal(role.code, 1);
    assert.match(role.stderr, /Unknown role "boss"/);
  });

  test('a username that belonged to a deleted account is refused saying so, with the day it was deleted (decision 78)', async () => {
    const added = s2s(
      'users',
      'add',
      '--username',
      'leaver1',
      '--role',
      'dfe_collector',
      '--name',
      'Lee Ver',
    );
    assert.equal(added.code, 0, added.stderr);
    await sandbox
      .db()
      .updateTable('users')
      .set({ deleted_at: '2026-11-05T10:00:00.000Z' })
      .where('username', '=', 'leaver1')
      .execute();
    const again = s2s(
      'users',
      'add',
      '--username',
      'Leaver1',
      '--role',
      'dfe_collector',
      '--name',
      'New Person',
    );
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /--username: The username Leaver1 belonged to an account deleted on 5 November 2026\. Usernames are never used again, so that the audit log always means one person\. Choose another username\./,
    );
    assert.doesNotMatch(again.stderr, /already in use/);
    const json = s2s(
      'users',
      'add',
      '--username',
      'leaver1',
      '--role',
      'dfe_collector',
      '--name',
      'N',
      '--json',
    );
    assert.equal(json.code, 1);
    const [error] = (JSON.parse(json.stdout) as { errors: { field: string; message: string }[] }).errors;
    assert.equal(error?.field, 'username');
    assert.match(error?.message ?? '', /deleted on 5 November 2026/);
  });

  test('answers usage errors with exit code 2', () => {
    for (const args of [
      ['users'],
      ['users', 'remove'],
      ['users', 'add', '--username', 'x1x'],
      ['users', 'add', '--username', 'x1x', '--role', 'la_user', '--name', 'X', '--colour', 'red'],
      ['users', 'add', 'stray', '--username', 'x1x', '--role', 'la_user', '--name', 'X'],
    ]) {
      const run = s2s(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /users add --username U --role ROLE/, args.join(' '));
    }
    const help = s2s('--help');
    assert.match(help.stdout, /users add --username U --role ROLE --name "FULL NAME"/);
  });
});
