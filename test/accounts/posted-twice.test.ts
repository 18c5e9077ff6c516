// User Maintenance forms posted twice (a double click, Back and submit again, a browser resending; at
// once, the first held inside its transaction while the second runs): each change is made and audited
// once, and the second answer says what the first did, rather than an error page or a misleading error.
// Add User posted again after the user it added was deleted adds nothing and says so on the users list,
// where it led to the deleted user's page, not found.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import {
  describeEachEngine,
  holdingAfterInsertInto,
  holdingAfterUpdateOf,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeUser, markTwoFactorSetUp } from '../support/factories.ts';
import { Agent, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

const ISSUED = 'copper-kettle-harbour';
const OWN = 'lantern-meadow-quartz';

async function signedIn(t: TestApp, user: Pick<UserRow, 'username'>, password?: string): Promise<Agent> {
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(user.username, password)).statusCode, 302);
  return agent;
}

/** An LA's DBA signed in, and a user of that LA. */
async function dbaAndUser(t: TestApp, db: Db) {
  const la = await makeLa(db);
  const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
  const user = await makeUser(db, 'la_user', { laNumber: la.number });
  return { la, agent: await signedIn(t, dba), user };
}

/** How many audit events of `action` name the user. */
async function audited(db: Db, action: string, username: string): Promise<number> {
  const rows = await db
    .selectFrom('audit_events')
    .select('id')
    .where('action', '=', action)
    .where('subject_id', '=', username)
    .execute();
  return rows.length;
}

/** The flash message the page after a redirect shows. */
async function flashAfter(agent: Agent, location: unknown): Promise<string> {
  return textOf((await agent.get(String(location))).body);
}

describeEachEngine('User Maintenance forms posted twice', (database: () => TestDatabase) => {
  async function passwordForm(agent: Agent, user: UserRow) {
    const url = `/dba/users/${user.id}/password`;
    const page = await agent.get(url);
    return { url, form: { ...hiddenFields(page.body, url), newPassword: ISSUED, confirmPassword: ISSUED } };
  }

  test('Change password posted again: one password issued, and the second answer says it was issued already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await dbaAndUser(t, database().db);
      const { url, form } = await passwordForm(agent, user);
      assert.equal((await agent.post(url, form)).statusCode, 302);
      // The user signs in with it meanwhile: the second post must not sign them out again.
      const theirs = new Agent(t.app);
      assert.equal((await theirs.signIn(user.username, ISSUED)).headers.location, '/change-password');
      const again = await agent.post(url, form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, `/dba/users/${user.id}`);
      assert.match(
        await flashAfter(agent, again.headers.location),
        new RegExp(
          `A new password was issued to ${user.username} already, after you opened the page to change it: this form may have been sent twice\\. Nothing was changed this time\\.`,
        ),
      );
      assert.equal(await audited(database().db, 'password-reset', user.username), 1);
      assert.equal((await theirs.get('/change-password')).statusCode, 200, 'still signed in');
    } finally {
      await t.app.close();
    }
  });

  test('Change password posted again after the user chose their own: theirs stays', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await dbaAndUser(t, database().db);
      const { url, form } = await passwordForm(agent, user);
      assert.equal((await agent.post(url, form)).statusCode, 302);
      const theirs = new Agent(t.app);
      await theirs.signIn(user.username, ISSUED);
      const changed = await theirs.post(
        '/change-password',
        { currentPassword: ISSUED, newPassword: OWN, confirmPassword: OWN },
        { formPage: '/change-password' },
      );
      assert.equal(changed.statusCode, 302);
      const again = await agent.post(url, form);
      assert.equal(again.statusCode, 302);
      assert.match(
        await flashAfter(agent, again.headers.location),
        new RegExp(
          `${user.username} has chosen a new password of their own since you opened the page to change it, so the password you typed was not set\\.`,
        ),
      );
      assert.equal(await audited(database().db, 'password-reset', user.username), 1);
      assert.equal((await new Agent(t.app).signIn(user.username, OWN)).headers.location, '/');
    } finally {
      await t.app.close();
    }
  });

  test('Change password posted twice at once: one password issued, one audit event', async () => {
    // Held as its sessions are ended, after its update: the user is signed in, so there is one to end.
    const hold = holdingAfterUpdateOf(database().db, 'sessions');
    const t = await createTestApp(hold.db);
    try {
      const { agent, user } = await dbaAndUser(t, database().db);
      await signedIn(t, user);
      const { url, form } = await passwordForm(agent, user);
      const answers = await twiceAtOnce(database(), hold, () => agent.post(url, form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, `/dba/users/${user.id}`],
          [302, `/dba/users/${user.id}`],
        ],
      );
      assert.equal(await audited(database().db, 'password-reset', user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  function newUsername(): string {
    return `n${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  }

  /** The Add User form as its page draws it, filled in; for a national administrator, for no LA. */
  async function addForm(agent: Agent, national: boolean) {
    const page = await agent.get(national ? '/dba/users/add?la=none' : '/dba/users/add');
    return {
      ...hiddenFields(page.body, '/dba/users/add'),
      username: newUsername(),
      fullName: 'Bea Jones',
      email: '',
      telephone: '',
      role: national ? 'dfe_collector' : 'la_user',
      establishmentNumber: '',
      newPassword: ISSUED,
      confirmPassword: ISSUED,
    };
  }

  async function added(db: Db, username: string) {
    const rows = await db.selectFrom('users').select('id').where('username', '=', username).execute();
    return { users: rows.length, audits: await audited(db, 'user-added', username) };
  }

  test('Add user posted again: one account, and the second answer says it was added already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent } = await dbaAndUser(t, database().db);
      const form = await addForm(agent, false);
      const first = await agent.post('/dba/users/add', form);
      assert.equal(first.statusCode, 302);
      const again = await agent.post('/dba/users/add', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, first.headers.location, 'the account added the first time');
      assert.match(
        await flashAfter(agent, again.headers.location),
        new RegExp(
          `You added ${form.username} already, when you first pressed Add user: this form was sent twice\\. Nothing was changed this time\\.`,
        ),
      );
      assert.deepEqual(await added(database().db, form.username), { users: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  for (const national of [false, true]) {
    test(`Add user posted twice at once (${national ? 'a national account' : 'an LA account'}): one account`, async () => {
      const hold = holdingAfterInsertInto(database().db, 'users');
      const t = await createTestApp(hold.db);
      try {
        const agent = national
          ? await signedIn(t, await makeUser(database().db, 'national_admin', { laNumber: null }))
          : (await dbaAndUser(t, database().db)).agent;
        const form = await addForm(agent, national);
        const answers = await twiceAtOnce(database(), hold, () => agent.post('/dba/users/add', form));
        assert.deepEqual(
          answers.map((a) => a.statusCode),
          [302, 302],
        );
        assert.equal(answers[1].headers.location, answers[0].headers.location);
        // The second answer's page, with its own message (the first's may have reached the agent last).
        agent.adopt(answers[1]);
        assert.match(
          await flashAfter(agent, answers[1].headers.location),
          new RegExp(`You added ${form.username} already`),
        );
        assert.deepEqual(await added(database().db, form.username), { users: 1, audits: 1 });
      } finally {
        await t.app.close();
      }
    });
  }

  for (const national of [false, true]) {
    test(`Add user posted again after the user it added was deleted (${national ? "a national administrator's form" : "an LA DBA's form"}): nothing added; the answer says so, on the users list`, async () => {
      const t = await createTestApp(database().db);
      try {
        const la = await makeLa(database().db);
        const dba = await makeUser(database().db, national ? 'national_admin' : 'la_dba', {
          laNumber: national ? null : la.number,
        });
        const agent = await signedIn(t, dba);
        const page = await agent.get(national ? `/dba/users/add?la=${la.number}` : '/dba/users/add');
        const form = {
          ...hiddenFields(page.body, '/dba/users/add'),
          username: newUsername(),
          fullName: 'Bea Jones',
          email: '',
          telephone: '',
          role: 'la_user',
          establishmentNumber: '',
          newPassword: ISSUED,
          confirmPassword: ISSUED,
        };
        const first = await agent.post('/dba/users/add', form);
        assert.equal(first.statusCode, 302);
        // Deleted by a national administrator meanwhile.
        const other = await signedIn(t, await makeUser(database().db, 'national_admin', { laNumber: null }));
        const id = String(first.headers.location).split('?')[0]?.split('/').pop();
        await other.get(`/dba/users/${id}/delete`);
        assert.equal((await other.post(`/dba/users/${id}/delete`, {})).statusCode, 302);

        const again = await agent.post('/dba/users/add', form);
        assert.equal(again.statusCode, 302);
        assert.equal(again.headers.location, national ? `/dba/users?la=${la.number}` : '/dba/users');
        const shown = await agent.get(String(again.headers.location));
        assert.equal(shown.statusCode, 200);
        assert.match(
          textOf(shown.body),
          new RegExp(
            `You added ${form.username} when you first pressed Add user, and the user has since been deleted: this form was sent again\\. Nothing was added this time\\. The username of a deleted user cannot be used again: to add this person again, choose another username\\.`,
          ),
        );
        assert.deepEqual(await added(database().db, form.username), { users: 1, audits: 1 });
      } finally {
        await t.app.close();
      }
    });
  }

  test('Delete posted again: the second answer says the user was deleted already, not that they are missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await dbaAndUser(t, database().db);
      const url = `/dba/users/${user.id}/delete`;
      await agent.get(url);
      assert.equal((await agent.post(url, {})).statusCode, 302);
      const again = await agent.post(url, {});
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/dba/users');
      assert.match(
        await flashAfter(agent, again.headers.location),
        new RegExp(
          `User ${user.username} was deleted already: this form may have been sent twice, or someone else deleted the account\\. Nothing was changed this time\\.`,
        ),
      );
      assert.equal(await audited(database().db, 'user-deleted', user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Delete posted twice at once: deleted and audited once, and the second says so', async () => {
    const hold = holdingAfterUpdateOf(database().db, 'sessions');
    const t = await createTestApp(hold.db);
    try {
      const { agent, user } = await dbaAndUser(t, database().db);
      await signedIn(t, user);
      const url = `/dba/users/${user.id}/delete`;
      await agent.get(url);
      const answers = await twiceAtOnce(database(), hold, () => agent.post(url, {}));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/dba/users'],
          [302, '/dba/users'],
        ],
      );
      assert.equal(await audited(database().db, 'user-deleted', user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  /** The Update role form as its page draws it, with another role it offers chosen. */
  async function roleForm(agent: Agent, user: UserRow) {
    const url = `/dba/users/${user.id}/role`;
    const page = await agent.get(url);
    const offered = [...page.body.matchAll(/name="role" type="radio" value="([a-z_]+)"/g)].map((m) => m[1]);
    const role = offered.find((r) => r !== user.role);
    assert.ok(role, `another role offered (${offered.join(', ')})`);
    return { url, form: { ...hiddenFields(page.body, url), role } };
  }

  test('Update role posted again: changed once, and the second answer says it was changed already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await dbaAndUser(t, database().db);
      const { url, form } = await roleForm(agent, user);
      assert.equal((await agent.post(url, form)).statusCode, 302);
      const again = await agent.post(url, form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, `/dba/users/${user.id}`);
      assert.match(
        await flashAfter(agent, again.headers.location),
        new RegExp(
          `The role of ${user.username} was changed to .+ already: this form may have been sent twice\\. Nothing was changed this time\\.`,
        ),
      );
      assert.equal(await audited(database().db, 'user-role-changed', user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  for (const national of [false, true]) {
    test(`Update role posted twice at once (${national ? 'a national account' : 'an LA account'}): changed once`, async () => {
      const hold = holdingAfterUpdateOf(database().db, 'sessions');
      const t = await createTestApp(hold.db);
      try {
        const db = database().db;
        const { agent, user } = national
          ? {
              agent: await signedIn(t, await makeUser(db, 'national_admin', { laNumber: null })),
              user: await makeUser(db, 'dfe_collector', { laNumber: null }),
            }
          : await dbaAndUser(t, db);
        await signedIn(t, user);
        const { url, form } = await roleForm(agent, user);
        const answers = await twiceAtOnce(database(), hold, () => agent.post(url, form));
        assert.deepEqual(
          answers.map((a) => [a.statusCode, a.headers.location]),
          [
            [302, `/dba/users/${user.id}`],
            [302, `/dba/users/${user.id}`],
          ],
        );
        assert.equal(await audited(db, 'user-role-changed', user.username), 1);
      } finally {
        await t.app.close();
      }
    });
  }

  /** The Reset two-factor sign-in form of a user who has set it up, as its page draws it. */
  async function resetForm(agent: Agent, db: Db, user: UserRow) {
    await markTwoFactorSetUp(db, user.username, '2026-11-02T09:00:00.000Z');
    const url = `/dba/users/${user.id}/two-factor`;
    const page = await agent.get(url);
    return { url, form: hiddenFields(page.body, url) };
  }

  const RESET_ALREADY = (username: string) =>
    new RegExp(
      `The two-factor sign-in of ${username} has been reset, or set up again, since you opened the page to reset it: this form may have been sent twice\\. Nothing was changed this time\\.`,
    );

  test('Reset two-factor sign-in posted again after the user set it up again: their new set-up stays', async () => {
    const t = await createTestApp(database().db);
    try {
      const db = database().db;
      const { agent, user } = await dbaAndUser(t, db);
      const { url, form } = await resetForm(agent, db, user);
      assert.equal((await agent.post(url, form)).statusCode, 302);
      await markTwoFactorSetUp(db, user.username, '2026-11-03T09:00:00.000Z');
      const again = await agent.post(url, form);
      assert.equal(again.statusCode, 302);
      assert.match(await flashAfter(agent, again.headers.location), RESET_ALREADY(user.username));
      const secret = await db
        .selectFrom('two_factor_secrets')
        .select('confirmed_at')
        .where('user_id', '=', user.id)
        .executeTakeFirst();
      assert.equal(secret?.confirmed_at, '2026-11-03T09:00:00.000Z', 'the new set-up stays');
      assert.equal(await audited(db, 'two-factor-reset', user.username), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Reset two-factor sign-in posted twice at once: reset once, and the second says so', async () => {
    const hold = holdingAfterUpdateOf(database().db, 'sessions');
    const t = await createTestApp(hold.db);
    try {
      const db = database().db;
      const { agent, user } = await dbaAndUser(t, db);
      const { url, form } = await resetForm(agent, db, user);
      await signedIn(t, user);
      const answers = await twiceAtOnce(database(), hold, () => agent.post(url, form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, `/dba/users/${user.id}`],
          [302, `/dba/users/${user.id}`],
        ],
      );
      assert.equal(await audited(db, 'two-factor-reset', user.username), 1);
    } finally {
      await t.app.close();
    }
  });
});
