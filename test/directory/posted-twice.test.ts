// Add school posted twice (a double click, Back and Add school, a browser resending; at once, the first
// held after its insert while the second runs): one school, one audit event, and a second answer that says
// it was added already, where it said a school with that number exists (or, at once on PostgreSQL, failed
// on the number's unique key with the error page). Delete school posted again says the school was deleted
// already, where it answered 404 (and at once on PostgreSQL audited the deletion twice). A school's details
// or the LA's details posted twice at once are changed and audited once, where on PostgreSQL both were
// audited (the second, having read the details before the first changed them, "changed" them again).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Db } from '../../src/platform/db/schema.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { auditEventsOf } from '../support/audit.ts';
import {
  describeEachEngine,
  holdingAfterDeleteFrom,
  holdingAfterInsertInto,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { Agent, anotherNode, createTestApp, hiddenFields, type TestApp, textOf } from '../support/web.ts';

async function dbaOfNewLa(t: TestApp, db: Db) {
  const la = await makeLa(db);
  const dba = await makeUser(db, 'la_dba', { laNumber: la.number });
  const agent = new Agent(t.app);
  assert.equal((await agent.signIn(dba.username)).statusCode, 302);
  return { la, agent };
}

async function addForm(agent: Agent, laNumber: string) {
  const page = await agent.get('/dba/schools/add');
  return {
    ...hiddenFields(page.body, '/dba/schools/add'),
    number: `${laNumber}5402`,
    name: 'Hillside Primary School',
    town: 'Gloucester',
    postcode: 'GL1 2TG',
    phase: 'Primary',
    type: 'Community school',
    email: 'office@hillside.example.sch.uk',
    telephone: '01452 425000',
    usesS2s: 'yes',
    active: 'yes',
  };
}

async function added(db: Db, number: string) {
  const schools = await db
    .selectFrom('establishments')
    .select('number')
    .where('number', '=', number)
    .execute();
  const audits = await db
    .selectFrom('audit_events')
    .select('id')
    .where('action', '=', 'school-added')
    .where('subject_id', '=', number)
    .execute();
  return { schools: schools.length, audits: audits.length };
}

const ADDED_ALREADY = (number: string) =>
  new RegExp(
    `You added Hillside Primary School \\(${number}\\) already, when you first pressed Add school: this form was sent twice\\. Nothing was changed this time\\.`,
  );

describeEachEngine('Add school posted twice', (database: () => TestDatabase) => {
  test('posted again: one school, and the second answer says it was added already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { la, agent } = await dbaOfNewLa(t, database().db);
      const form = await addForm(agent, la.number);
      assert.equal((await agent.post('/dba/schools/add', form)).statusCode, 302);
      const again = await agent.post('/dba/schools/add', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/dba/schools');
      assert.match(textOf((await agent.get('/dba/schools')).body), ADDED_ALREADY(form.number));
      assert.deepEqual(await added(database().db, form.number), { schools: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  test('another form with a number taken is still told the number is taken', async () => {
    const t = await createTestApp(database().db);
    try {
      const { la, agent } = await dbaOfNewLa(t, database().db);
      const form = await addForm(agent, la.number);
      assert.equal((await agent.post('/dba/schools/add', form)).statusCode, 302);
      const other = await addForm(agent, la.number);
      const refused = await agent.post('/dba/schools/add', other);
      assert.equal(refused.statusCode, 400);
      assert.doesNotMatch(textOf(refused.body), /already, when you first pressed/);
    } finally {
      await t.app.close();
    }
  });

  test('posted twice at once: one school', async () => {
    const hold = holdingAfterInsertInto(database().db, 'establishments');
    const t = await createTestApp(hold.db);
    try {
      const { la, agent } = await dbaOfNewLa(t, database().db);
      const form = await addForm(agent, la.number);
      const answers = await twiceAtOnce(database(), hold, () => agent.post('/dba/schools/add', form));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/dba/schools'],
          [302, '/dba/schools'],
        ],
      );
      assert.deepEqual(await added(database().db, form.number), { schools: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  async function deletions(db: Db, number: string) {
    const rows = await db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'school-deleted')
      .where('subject_id', '=', number)
      .execute();
    return rows.length;
  }

  test('Delete school posted again: the second answer says it was deleted already, not that it is missing', async () => {
    const t = await createTestApp(database().db);
    try {
      const { la, agent } = await dbaOfNewLa(t, database().db);
      const school = await makeSchool(database().db, la.number, { name: 'Brookside Infants' });
      const url = `/dba/schools/${school.number}/delete`;
      await agent.get(url);
      assert.equal((await agent.post(url, {})).statusCode, 302);
      const again = await agent.post(url, {});
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/dba/schools');
      assert.match(
        textOf((await agent.get('/dba/schools')).body),
        new RegExp(
          `Brookside Infants \\(${school.number}\\) was deleted already: this form may have been sent twice, or someone else deleted the school\\. Nothing was changed this time\\.`,
        ),
      );
      assert.equal(await deletions(database().db, school.number), 1);
    } finally {
      await t.app.close();
    }
  });

  test('Delete school posted twice at once: deleted and audited once', async () => {
    const hold = holdingAfterDeleteFrom(database().db, 'establishments');
    const t = await createTestApp(hold.db);
    try {
      const { la, agent } = await dbaOfNewLa(t, database().db);
      const school = await makeSchool(database().db, la.number);
      const url = `/dba/schools/${school.number}/delete`;
      await agent.get(url);
      const answers = await twiceAtOnce(database(), hold, () => agent.post(url, {}));
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/dba/schools'],
          [302, '/dba/schools'],
        ],
      );
      assert.equal(await deletions(database().db, school.number), 1);
    } finally {
      await t.app.close();
    }
  });

  /**
   * The same form posted twice at once to a node whose first audit event is held (its transaction open):
   * signed in on another node, so that the sign-in's event is not the one held; the second post reaches
   * a third node.
   */
  async function twiceAtOnceToHeldNode(
    prepare: (laNumber: string) => Promise<{ url: string; form: Record<string, string> }>,
  ) {
    const env = { MASTER_KEY: MasterKey.generate().toBase64() };
    const t = await createTestApp(database().db, env);
    const hold = holdingAfterInsertInto(database().db, 'audit_events');
    const held = await createTestApp(hold.db, env);
    // The second post reaches a third node, with a connection of its own (on SQLite too).
    const other = await anotherNode(database(), env);
    try {
      const { la, agent } = await dbaOfNewLa(t, database().db);
      const { url, form } = await prepare(la.number);
      await agent.get(url);
      let posts = 0;
      const answers = await twiceAtOnce(database(), hold, () => {
        posts += 1;
        return agent.post(url, form, { node: (posts === 1 ? held : other).app });
      });
      return { la, answers: answers.map((a) => [a.statusCode, a.headers.location]) };
    } finally {
      await t.app.close();
      await held.app.close();
      await other.close();
    }
  }

  test("a school's details posted twice at once: changed and audited once", async () => {
    let number = '';
    const { answers } = await twiceAtOnceToHeldNode(async (laNumber) => {
      const school = await makeSchool(database().db, laNumber, { name: 'Old Name Primary' });
      number = school.number;
      return {
        url: `/dba/schools/${number}`,
        form: {
          number,
          name: 'New Name Primary',
          town: 'Gloucester',
          postcode: 'GL1 2TG',
          phase: 'Primary',
          type: 'Community school',
          email: 'office@newname.example.sch.uk',
          telephone: '01452 425000',
          usesS2s: 'yes',
          active: 'yes',
        },
      };
    });
    assert.deepEqual(answers, [
      [302, '/dba/schools'],
      [302, '/dba/schools'],
    ]);
    assert.equal(await auditEventsOf(database().db, 'school-updated', number), 1);
  });

  test("the LA's details posted twice at once: changed and audited once", async () => {
    const { la, answers } = await twiceAtOnceToHeldNode(async () => ({
      url: '/dba/la',
      form: {
        contactName: 'Data Team',
        email: 'data.team@detailshire.example.gov.uk',
        telephone: '01452 425000',
        address: 'Shire Hall',
      },
    }));
    assert.deepEqual(answers, [
      [302, '/dba/la'],
      [302, '/dba/la'],
    ]);
    assert.equal(await auditEventsOf(database().db, 'la-details-updated', la.number), 1);
  });
});
