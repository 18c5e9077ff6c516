// COLLECT's forms posted twice: one after the other (a double click, Back and submit again, a browser
// resending) and at once (two requests racing, on one app or on two app nodes). The second changes nothing
// and says what the first did: one collection, one note, one decision, one version, each with one history
// event, audit event and email; never an error page, nor a refusal that reads as if the first had failed.
// A refusal posted again with the same file is the same attempt: refused in the same words, audited once
// (decision 57); Return to school posted again with another note adds that note to the return's notes,
// and emails it to the school (decision 61).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { RETURN_SIZE_LIMIT } from '../../src/collect/returns-service.ts';
import { emailContext } from '../../src/jobs.ts';
import { deliverDue } from '../../src/notifications/delivery.ts';
import type { Db, UserRow } from '../../src/platform/db/schema.ts';
import { createLogger } from '../../src/platform/logger.ts';
import {
  autumnCensusBrowserForm,
  censusFilename,
  censusReturnXml,
  liveCollection,
} from '../support/census.ts';
import {
  describeEachEngine,
  firstHeldThenAnother,
  holdingAfterInsertInto,
  holdingAfterSelectFrom,
  type TestDatabase,
  twiceAtOnce,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { startSmtpServer } from '../support/smtp.ts';
import {
  type Agent,
  anotherNode,
  createTestApp,
  hiddenFields,
  signedInUser,
  type TestApp,
  textOf,
} from '../support/web.ts';
import { type ZipItem, zipOf as zipItems } from '../support/zips.ts';

/** Both nodes sign cookies alike, as nodes behind one load balancer do. */
const NODES_ENV = { COOKIE_SECRET: 'posted-twice-two-nodes-cookie-secret-0123456789' };

/** A form posted with `agent`'s session (its cookies and last page's CSRF token) to another node. */
function postOn(
  app: FastifyInstance,
  agent: Agent,
  url: string,
  form: Record<string, string | string[]>,
): Promise<LightMyRequestResponse> {
  const { cookie, csrfToken } = agent.session();
  const fields = new URLSearchParams({ _csrf: csrfToken });
  for (const [key, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) fields.append(key, v);
  }
  return app.inject({
    method: 'POST',
    url,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: fields.toString(),
  }) as unknown as Promise<LightMyRequestResponse>;
}

/**
 * A multipart form with one file posted with `agent`'s session (its cookies and last page's CSRF token,
 * sent first as the pages' forms send it) to another node.
 */
function postMultipartOn(
  app: FastifyInstance,
  agent: Agent,
  url: string,
  fields: Record<string, string>,
  file: { field: string; filename: string; content: string | Buffer; contentType?: string },
): Promise<LightMyRequestResponse> {
  const { cookie, csrfToken } = agent.session();
  const boundary = '----s2sPostedTwice';
  const part = (name: string, value: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const payload = Buffer.concat([
    Buffer.from(
      part('_csrf', csrfToken) +
        Object.entries(fields)
          .map(([name, value]) => part(name, value))
          .join('') +
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
        `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    ),
    Buffer.from(file.content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return app.inject({
    method: 'POST',
    url,
    headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  }) as unknown as Promise<LightMyRequestResponse>;
}

/**
 * Two app nodes on one database: the first's handle `first` (holding, for the test), the second's a
 * connection of its own (on SQLite too, where one process has one). Closed by `close`.
 */
async function twoNodes(database: TestDatabase, first: Db) {
  const a = await createTestApp(first, NODES_ENV);
  const b = await anotherNode(database, NODES_ENV);
  return {
    a,
    b,
    close: async () => {
      await a.app.close();
      await b.close();
    },
  };
}

/** The request made through node A the first time, through node B the second, with `agent`'s session. */
function onEachNode(
  nodes: { a: TestApp; b: TestApp },
  agent: Agent,
  url: string,
  form: Record<string, string | string[]>,
) {
  let calls = 0;
  return () => {
    calls += 1;
    return postOn(calls === 1 ? nodes.a.app : nodes.b.app, agent, url, form);
  };
}

async function count(
  db: Db,
  table: 'audit_events' | 'census_return_events' | 'notification_outbox',
  where: Record<string, string>,
) {
  let query = db.selectFrom(table).select((eb) => eb.fn.countAll<string | number>().as('n'));
  for (const [column, value] of Object.entries(where)) {
    query = query.where(column as never, '=', value as never);
  }
  return Number((await query.executeTakeFirst())?.n ?? 0);
}

const flashOf = async (agent: Agent, response: LightMyRequestResponse) => {
  assert.ok(
    response.headers.location,
    `a redirect (${response.statusCode}: ${textOf(response.body).slice(0, 300)})`,
  );
  return textOf((await agent.get(String(response.headers.location).split('#')[0] as string)).body);
};

describeEachEngine('COLLECT forms posted twice', (database) => {
  /** The new collection form, as a national administrator's browser sends it back. */
  async function newCollectionForm(agent: Agent, name: string) {
    const page = await agent.get('/collect/manage/new');
    assert.equal(page.statusCode, 200);
    const la = await makeLa(database().db);
    return {
      ...hiddenFields(page.body, '/collect/manage/new'),
      ...autumnCensusBrowserForm([la.number], { name }),
    };
  }

  async function collectionsNamed(db: Db, name: string) {
    const rows = await db.selectFrom('data_collections').select('id').where('name', '=', name).execute();
    const audits = await db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'data-collection-added')
      .where('subject_id', 'in', rows.length > 0 ? rows.map((r) => r.id) : ['none'])
      .execute();
    return { collections: rows.length, audits: audits.length };
  }

  test('New collection posted again: one collection, and the second answer says it was set up already', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent } = await signedInUser(t, 'national_admin', {});
      const name = `Census posted again ${Date.now()}`;
      const form = await newCollectionForm(agent, name);
      const first = await agent.post('/collect/manage/new', form);
      assert.equal(first.statusCode, 302);
      await agent.get('/collect/manage');
      const again = await agent.post('/collect/manage/new', form);
      assert.equal(again.statusCode, 302);
      assert.equal(again.headers.location, '/collect/manage');
      assert.match(
        await flashOf(agent, again),
        new RegExp(`The data collection "${name}" was set up already, when you first pressed Set up`),
      );
      assert.deepEqual(await collectionsNamed(database().db, name), { collections: 1, audits: 1 });
    } finally {
      await t.app.close();
    }
  });

  test('New collection posted twice at once, on two nodes: one collection', async () => {
    const hold = holdingAfterInsertInto(database().db, 'data_collections');
    const nodes = await twoNodes(database(), hold.db);
    try {
      const { agent } = await signedInUser(nodes.a, 'national_admin', {});
      const name = `Census at once ${Date.now()}`;
      const form = await newCollectionForm(agent, name);
      const answers = await twiceAtOnce(
        database(),
        hold,
        onEachNode(nodes, agent, '/collect/manage/new', form),
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/collect/manage'],
          [302, '/collect/manage'],
        ],
      );
      assert.deepEqual(await collectionsNamed(database().db, name), { collections: 1, audits: 1 });
    } finally {
      await nodes.close();
    }
  });

  /** A collection set up by `user`, and the change form's fields with a new due date. */
  async function changeForm(agent: Agent, user: UserRow) {
    const db = database().db;
    const la = await makeLa(db);
    const id = await liveCollection(db, user, [la.number]);
    const page = await agent.get(`/collect/manage/${id}`);
    assert.equal(page.statusCode, 200);
    const name = (
      await db.selectFrom('data_collections').select('name').where('id', '=', id).executeTakeFirstOrThrow()
    ).name;
    const form = {
      name,
      term: 'AUT',
      year: '2026',
      'reference-day': '1',
      'reference-month': '10',
      'reference-year': '2026',
      'open-day': '1',
      'open-month': '9',
      'open-year': '2026',
      'due-day': '19',
      'due-month': '12',
      'due-year': '2026',
      scope: 'chosen',
      las: [la.number],
    };
    return { id, form };
  }

  test('A change of a collection posted again: saved once, one audit event', async () => {
    const t = await createTestApp(database().db);
    try {
      const { agent, user } = await signedInUser(t, 'national_admin', {});
      const { id, form } = await changeForm(agent, user);
      assert.equal((await agent.post(`/collect/manage/${id}`, form)).statusCode, 302);
      await agent.get(`/collect/manage/${id}`);
      const again = await agent.post(`/collect/manage/${id}`, form);
      assert.equal(again.statusCode, 302);
      assert.match(
        await flashOf(agent, again),
        new RegExp(`The data collection "${form.name}" has been saved`),
      );
      assert.equal(
        await count(database().db, 'audit_events', { subject_id: id, action: 'data-collection-updated' }),
        1,
      );
    } finally {
      await t.app.close();
    }
  });

  test('A change of a collection posted twice at once, on two nodes: saved once', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const { agent, user } = await signedInUser(t, 'national_admin', {});
      const { id, form } = await changeForm(agent, user);
      const hold = holdingAfterInsertInto(database().db, 'audit_events');
      nodes = await twoNodes(database(), hold.db);
      const answers = await twiceAtOnce(
        database(),
        hold,
        onEachNode(nodes, agent, `/collect/manage/${id}`, form),
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/collect/manage'],
          [302, '/collect/manage'],
        ],
      );
      const due = await database()
        .db.selectFrom('data_collections')
        .select('due_date')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(due.due_date, '2026-12-19');
      assert.equal(
        await count(database().db, 'audit_events', { subject_id: id, action: 'data-collection-updated' }),
        1,
      );
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  test('Close posted again, and Open again posted again: each says it was done already', async () => {
    const t = await createTestApp(database().db);
    try {
      const db = database().db;
      const la = await makeLa(db);
      const { agent, user } = await signedInUser(t, 'national_admin', {});
      const id = await liveCollection(db, user, [la.number]);
      const name = (
        await db.selectFrom('data_collections').select('name').where('id', '=', id).executeTakeFirstOrThrow()
      ).name;
      const steps: [string, string][] = [
        [
          'close',
          `The data collection "${name}" was closed already: returns can no longer be loaded or submitted`,
        ],
        ['open', `The data collection "${name}" was open already`],
      ];
      for (const [path, said] of steps) {
        await agent.get(`/collect/manage/${id}`);
        assert.equal((await agent.post(`/collect/manage/${id}/${path}`, {})).statusCode, 302);
        await agent.get('/collect/manage');
        const again = await agent.post(`/collect/manage/${id}/${path}`, {});
        assert.equal(again.statusCode, 302);
        assert.ok((await flashOf(agent, again)).includes(said), said);
      }
      assert.equal(await count(db, 'audit_events', { subject_id: id, action: 'data-collection-closed' }), 1);
      assert.equal(
        await count(db, 'audit_events', { subject_id: id, action: 'data-collection-reopened' }),
        1,
      );
    } finally {
      await t.app.close();
    }
  });

  test('Close posted twice at once, on two nodes: closed once, one audit event', async () => {
    let armed = false;
    const hold = holdingAfterSelectFrom(database().db, 'data_collections', () => armed);
    const nodes = await twoNodes(database(), hold.db);
    try {
      const db = database().db;
      const la = await makeLa(db);
      const { agent, user } = await signedInUser(nodes.a, 'national_admin', {});
      const id = await liveCollection(db, user, [la.number]);
      await agent.get(`/collect/manage/${id}`);
      armed = true;
      const answers = await twiceAtOnce(
        database(),
        hold,
        onEachNode(nodes, agent, `/collect/manage/${id}/close`, {}),
        () => {
          armed = false;
        },
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [302, '/collect/manage'],
          [302, '/collect/manage'],
        ],
      );
      assert.equal(await count(db, 'audit_events', { subject_id: id, action: 'data-collection-closed' }), 1);
    } finally {
      await nodes.close();
    }
  });

  /**
   * A live collection of a new LA, a school of it with its return loaded (with a query) by its user, and
   * an LA user; with `submitted`, the query explained and the return submitted.
   */
  async function aReturn(t: TestApp, options: { submitted?: boolean } = {}) {
    const db = database().db;
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number);
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await liveCollection(db, admin, [la.number]);
    const schoolUser = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const laUser = await signedInUser(t, 'la_user', { laNumber: la.number });
    const uploadPath = `/collect/collections/${collectionId}/upload`;
    const page = await schoolUser.agent.get(uploadPath);
    const loaded = await schoolUser.agent.postMultipart(
      uploadPath,
      [
        {
          filename: censusFilename(school.number),
          content: censusReturnXml({ school: school.number, year: 2026, withQuery: true }),
          field: 'file',
        },
      ],
      { fields: uploadFields(page.body, uploadPath) },
    );
    assert.equal(loaded.statusCode, 200, textOf(loaded.body).slice(0, 500));
    const returnId = /href="\/collect\/returns\/([0-9a-f-]{36})"/.exec(loaded.body)?.[1] ?? '';
    const view = await schoolUser.agent.get(`/collect/returns/${returnId}`);
    const finding = /name="finding" value="([0-9a-f-]{36})"/.exec(view.body)?.[1] ?? '';
    if (options.submitted) {
      const answered = await schoolUser.agent.post(`/collect/returns/${returnId}/answer`, {
        finding,
        answer: 'Two families declined.',
      });
      assert.equal(answered.statusCode, 303);
      await schoolUser.agent.get(`/collect/returns/${returnId}/submit`);
      const submitted = await schoolUser.agent.post(`/collect/returns/${returnId}/submit`, {
        headteacher: 'yes',
      });
      assert.equal(submitted.statusCode, 303);
    }
    return { la, school, collectionId, schoolUser, laUser, returnId, finding, uploadPath };
  }

  /** The upload form's hidden fields, one value each, as the multipart form sends them. */
  function uploadFields(html: string, action: string): Record<string, string> {
    const fields = hiddenFields(html.replace(' enctype="multipart/form-data"', ''), action);
    return Object.fromEntries(Object.entries(fields).map(([name, values]) => [name, values[0] ?? '']));
  }

  /** What a return's history, audit trail and outbox hold of `action`. */
  async function effects(returnId: string, event: string, audit: string, template?: string) {
    const db = database().db;
    return {
      events: await count(db, 'census_return_events', { return_id: returnId, action: event }),
      audits: await count(db, 'audit_events', { subject_id: returnId, action: audit }),
      ...(template ? { emails: await countEmails(db, returnId, template) } : {}),
    };
  }

  async function countEmails(db: Db, returnId: string, template: string) {
    const rows = await db
      .selectFrom('notification_outbox')
      .select('payload')
      .where('template', '=', template)
      .execute();
    return rows.filter((r) => String(r.payload).includes(returnId)).length;
  }

  test('Note posted again: one note, and the second answer says it was added already', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await aReturn(t, { submitted: true });
      const page = await r.laUser.agent.get(`/collect/returns/${r.returnId}`);
      const form = {
        ...hiddenFields(page.body, `/collect/returns/${r.returnId}/notes`),
        note: 'Checked the roll.',
      };
      const first = await r.laUser.agent.post(`/collect/returns/${r.returnId}/notes`, form);
      assert.equal(first.statusCode, 303);
      await r.laUser.agent.get(`/collect/returns/${r.returnId}`);
      const again = await r.laUser.agent.post(`/collect/returns/${r.returnId}/notes`, form);
      assert.equal(again.statusCode, 303);
      assert.match(
        await flashOf(r.laUser.agent, again),
        /Your note was added already, when you first pressed Add the note\./,
      );
      assert.deepEqual(await effects(r.returnId, 'note', 'census-return-note-added'), {
        events: 1,
        audits: 1,
      });
    } finally {
      await t.app.close();
    }
  });

  test('Note form sent again with another note (Back, and the note changed): both notes kept', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await aReturn(t, { submitted: true });
      const page = await r.laUser.agent.get(`/collect/returns/${r.returnId}`);
      const fields = hiddenFields(page.body, `/collect/returns/${r.returnId}/notes`);
      await r.laUser.agent.post(`/collect/returns/${r.returnId}/notes`, {
        ...fields,
        note: 'Checked the roll.',
      });
      await r.laUser.agent.get(`/collect/returns/${r.returnId}`);
      const other = await r.laUser.agent.post(`/collect/returns/${r.returnId}/notes`, {
        ...fields,
        note: 'And the leavers.',
      });
      assert.match(await flashOf(r.laUser.agent, other), /Your note has been added\./);
      assert.deepEqual(await effects(r.returnId, 'note', 'census-return-note-added'), {
        events: 2,
        audits: 2,
      });
    } finally {
      await t.app.close();
    }
  });

  test('Note posted twice at once, on two nodes: one note', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    const hold = holdingAfterInsertInto(database().db, 'census_return_events');
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await aReturn(t, { submitted: true });
      const page = await r.laUser.agent.get(`/collect/returns/${r.returnId}`);
      const form = {
        ...hiddenFields(page.body, `/collect/returns/${r.returnId}/notes`),
        note: 'Checked the roll.',
      };
      nodes = await twoNodes(database(), hold.db);
      const answers = await twiceAtOnce(
        database(),
        hold,
        onEachNode(nodes, r.laUser.agent, `/collect/returns/${r.returnId}/notes`, form),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [303, 303],
      );
      assert.deepEqual(await effects(r.returnId, 'note', 'census-return-note-added'), {
        events: 1,
        audits: 1,
      });
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  /** A decision's form, its path and what it records, for the tests of each. */
  const DECISIONS: {
    name: string;
    by: 'school' | 'la';
    submitted: boolean;
    path: string;
    form: Record<string, string>;
    event: string;
    audit: string;
    template: string;
    already: RegExp;
  }[] = [
    {
      name: 'Submit',
      by: 'school' as const,
      submitted: false,
      path: 'submit',
      form: { headteacher: 'yes' },
      event: 'submitted',
      audit: 'census-return-submitted',
      template: 'census-return-submitted',
      already: /This return was submitted to your LA already\. You do not need to submit it again\./,
    },
    {
      name: 'Approve',
      by: 'la' as const,
      submitted: true,
      path: 'approve',
      form: {},
      event: 'approved',
      audit: 'census-return-approved',
      template: 'census-return-approved',
      already: /This return was approved already: the DfE can see it\./,
    },
    {
      name: 'Return to school',
      by: 'la' as const,
      submitted: true,
      path: 'return',
      form: { note: 'Year 6 is missing.' },
      event: 'returned',
      audit: 'census-return-returned',
      template: 'census-return-returned',
      already:
        /This return was returned to the school already, with the note in its history\. To tell the school more, add a note\./,
    },
  ];

  /** A return ready for the decision: loaded with its query explained (to submit), or submitted. */
  async function readyFor(t: TestApp, decision: (typeof DECISIONS)[number]) {
    const r = await aReturn(t, { submitted: decision.submitted });
    if (!decision.submitted) {
      const answered = await r.schoolUser.agent.post(`/collect/returns/${r.returnId}/answer`, {
        finding: r.finding,
        answer: 'Two families declined.',
      });
      assert.equal(answered.statusCode, 303);
    }
    const agent = decision.by === 'school' ? r.schoolUser.agent : r.laUser.agent;
    const formPage = decision.path === 'approve' ? '' : `/${decision.path}`;
    await agent.get(`/collect/returns/${r.returnId}${formPage}`);
    return { ...r, agent };
  }

  for (const decision of DECISIONS) {
    test(`${decision.name} posted again: the second answer says it was done already, not that it cannot be done`, async () => {
      const t = await createTestApp(database().db);
      try {
        const r = await readyFor(t, decision);
        const url = `/collect/returns/${r.returnId}/${decision.path}`;
        const first = await r.agent.post(url, decision.form);
        assert.equal(first.statusCode, 303);
        await r.agent.get(`/collect/returns/${r.returnId}`);
        const again = await r.agent.post(url, decision.form);
        assert.equal(again.statusCode, 303, textOf(again.body).slice(0, 600));
        assert.equal(again.headers.location, `/collect/returns/${r.returnId}`);
        assert.match(await flashOf(r.agent, again), decision.already);
        assert.deepEqual(await effects(r.returnId, decision.event, decision.audit, decision.template), {
          events: 1,
          audits: 1,
          emails: 1,
        });
      } finally {
        await t.app.close();
      }
    });

    test(`${decision.name} posted twice at once, on two nodes: done once, and the second says so`, async () => {
      const t = await createTestApp(database().db, NODES_ENV);
      let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
      try {
        const r = await readyFor(t, decision);
        const url = `/collect/returns/${r.returnId}/${decision.path}`;
        const hold = holdingAfterInsertInto(database().db, 'census_return_events');
        nodes = await twoNodes(database(), hold.db);
        const answers = await twiceAtOnce(database(), hold, onEachNode(nodes, r.agent, url, decision.form));
        assert.deepEqual(
          answers.map((a) => [a.statusCode, a.headers.location]),
          [
            [303, `/collect/returns/${r.returnId}`],
            [303, `/collect/returns/${r.returnId}`],
          ],
          textOf(answers[1].body).slice(0, 600),
        );
        assert.deepEqual(await effects(r.returnId, decision.event, decision.audit, decision.template), {
          events: 1,
          audits: 1,
          emails: 1,
        });
      } finally {
        await nodes?.close();
        await t.app.close();
      }
    });
  }

  test('Approve and Return to school at once, on two nodes: one decision, the other told which', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await aReturn(t, { submitted: true });
      await r.laUser.agent.get(`/collect/returns/${r.returnId}/return`);
      const hold = holdingAfterInsertInto(database().db, 'census_return_events');
      nodes = await twoNodes(database(), hold.db);
      const both = nodes;
      let calls = 0;
      const answers = await twiceAtOnce(database(), hold, () => {
        calls += 1;
        return calls === 1
          ? postOn(both.a.app, r.laUser.agent, `/collect/returns/${r.returnId}/approve`, {})
          : postOn(both.b.app, r.laUser.agent, `/collect/returns/${r.returnId}/return`, {
              note: 'Year 6 is missing.',
            });
      });
      assert.equal(answers[0].statusCode, 303);
      const status = await database()
        .db.selectFrom('census_returns')
        .select('status')
        .where('id', '=', r.returnId)
        .executeTakeFirstOrThrow();
      assert.equal(status.status, 'approved');
      assert.equal(answers[1].statusCode, 400);
      assert.match(
        textOf(answers[1].body),
        /Only a submitted return can be returned, by its school’s LA: the return is approved/,
      );
      assert.deepEqual(
        await effects(r.returnId, 'returned', 'census-return-returned', 'census-return-returned'),
        {
          events: 0,
          audits: 0,
          emails: 0,
        },
      );
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  /** The LA's notes on a return with the text `note`, and their audit events. */
  async function notesSaying(returnId: string, note: string) {
    const db = database().db;
    return {
      notes: await count(db, 'census_return_events', { return_id: returnId, action: 'note', note }),
      audits: await count(db, 'audit_events', { subject_id: returnId, action: 'census-return-note-added' }),
    };
  }

  /**
   * The emails queued of the return's return to school: to whom, saying it was returned (with which note)
   * or that a note was added since; the return's first, then the notes' by their text.
   */
  async function returnEmails(returnId: string) {
    const rows = await database()
      .db.selectFrom('notification_outbox')
      .select(['payload', 'recipient_kind'])
      .where('template', '=', 'census-return-returned')
      .execute();
    return rows
      .map((row) => ({ kind: row.recipient_kind, payload: JSON.parse(row.payload) }))
      .filter(({ payload }) => payload.path === `/collect/returns/${returnId}`)
      .map(({ kind, payload }): string[] => [kind, payload.how ?? 'returned', payload.note])
      .sort(([, how1, note1], [, how2, note2]) =>
        how1 === how2 ? String(note1).localeCompare(String(note2)) : how1 === 'returned' ? -1 : 1,
      );
  }

  /** A submitted return, and its Return to school form as the LA user's browser sends it back. */
  async function returnForm(t: TestApp) {
    const r = await aReturn(t, { submitted: true });
    const path = `/collect/returns/${r.returnId}/return`;
    const page = await r.laUser.agent.get(path);
    assert.equal(page.statusCode, 200);
    return { ...r, path, fields: hiddenFields(page.body, path) };
  }

  test('Return to school posted again with another note (Back, the note changed): that note is added to the return’s notes, and the answer says so', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await returnForm(t);
      const first = await r.laUser.agent.post(r.path, { ...r.fields, note: 'Year 6 is missing.' });
      assert.match(await flashOf(r.laUser.agent, first), /The return has been returned to the school/);
      const changed = await r.laUser.agent.post(r.path, {
        ...r.fields,
        note: 'Year 6 is missing, and the leavers.',
      });
      assert.equal(changed.statusCode, 303, textOf(changed.body).slice(0, 600));
      assert.match(
        await flashOf(r.laUser.agent, changed),
        /This return was returned to the school already, with its first note\. Your new note has been added to the return’s notes and emailed to the school, which sees every note at the top of the return’s page\./,
      );
      assert.deepEqual(await effects(r.returnId, 'returned', 'census-return-returned'), {
        events: 1,
        audits: 1,
      });
      assert.deepEqual(await returnEmails(r.returnId), [
        ['school', 'returned', 'Year 6 is missing.'],
        ['school', 'note-added', 'Year 6 is missing, and the leavers.'],
      ]);
      assert.deepEqual(await notesSaying(r.returnId, 'Year 6 is missing, and the leavers.'), {
        notes: 1,
        audits: 1,
      });
      const schoolSees = await r.schoolUser.agent.get(`/collect/returns/${r.returnId}`);
      assert.match(textOf(schoolSees.body), /Year 6 is missing, and the leavers\./);

      // That post again (a double click): the note is not added again.
      const twice = await r.laUser.agent.post(r.path, {
        ...r.fields,
        note: 'Year 6 is missing, and the leavers.',
      });
      assert.match(
        await flashOf(r.laUser.agent, twice),
        /Your new note was added to the return’s notes already, when you first pressed Return it to the school\. It has not been added again\./,
      );
      // The first note again: nothing added, as before.
      const firstAgain = await r.laUser.agent.post(r.path, { ...r.fields, note: 'Year 6 is missing.' });
      assert.match(
        await flashOf(r.laUser.agent, firstAgain),
        /This return was returned to the school already, with the note in its history\. To tell the school more, add a note\./,
      );
      assert.deepEqual(await notesSaying(r.returnId, 'Year 6 is missing, and the leavers.'), {
        notes: 1,
        audits: 1,
      });
      assert.deepEqual(await notesSaying(r.returnId, 'Year 6 is missing.'), { notes: 0, audits: 1 });
      assert.equal((await returnEmails(r.returnId)).length, 2, 'neither emailed again');
    } finally {
      await t.app.close();
    }
  });

  test('A note added after the return (Return to school again, or the note form) is emailed to the school over SMTP, and its notice shows every note', async () => {
    const smtp = await startSmtpServer();
    const t = await createTestApp(database().db, {
      MAIL_TRANSPORT: 'smtp',
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SERVICE_URL: 'https://s2s.test.example',
    });
    try {
      const r = await returnForm(t);
      const office = `office-${r.school.number}@test.example.sch.uk`;
      await database()
        .db.updateTable('establishments')
        .set({ email: office })
        .where('number', '=', r.school.number)
        .execute();
      const returnPath = `/collect/returns/${r.returnId}`;
      const addNote = async (note: string) => {
        const page = await r.laUser.agent.get(returnPath);
        const fields = hiddenFields(page.body, `${returnPath}/notes`);
        return flashOf(r.laUser.agent, await r.laUser.agent.post(`${returnPath}/notes`, { ...fields, note }));
      };
      // A note while the LA checks the return: not emailed, as before.
      assert.match(await addNote('Checked against last year.'), /Your note has been added\./);
      t.clock.advanceMinutes(5);
      await r.laUser.agent.get(r.path);
      await r.laUser.agent.post(r.path, { ...r.fields, note: 'Year 6 is missing.' });
      t.clock.advanceMinutes(5);
      assert.match(
        await flashOf(
          r.laUser.agent,
          await r.laUser.agent.post(r.path, { ...r.fields, note: 'And the leavers.' }),
        ),
        /Your new note has been added to the return’s notes and emailed to the school/,
      );
      t.clock.advanceMinutes(5);
      assert.match(
        await addNote('Ring me if you are unsure.'),
        /Your note has been added, and emailed to the school: the return is with the school to correct\./,
      );

      const delivered = await deliverDue({
        db: database().db,
        mailer: t.deps.mailer,
        clock: t.clock,
        logger: createLogger('silent'),
        email: emailContext(t.deps.config),
        owner: 'posted-twice',
      });
      assert.equal(delivered.failed, 0);
      const toSchool = smtp.received.filter((mail) => mail.to.includes(office));
      assert.deepEqual(toSchool.map((mail) => mail.subject.replace(/:.*/, '')).sort(), [
        'Census return returned by your LA',
        'Note from your LA on your returned census return',
        'Note from your LA on your returned census return',
      ]);
      const [added, ring] = ['And the leavers.', 'Ring me if you are unsure.'].map((note) =>
        toSchool.find((mail) => mail.text.includes(note)),
      );
      for (const mail of [added, ring]) {
        assert.ok(mail, 'each added note is emailed');
        assert.match(mail.subject, /^Note from your LA/);
        assert.match(
          mail.text,
          /added a note to your census return .* It returned that version to you earlier/s,
        );
        assert.match(mail.text, /https:\/\/s2s\.test\.example\/collect\/returns\//);
      }
      assert.ok(!toSchool.some((mail) => mail.text.includes('Checked against last year.')));

      // The school's notice, on the return's page and the collection's: the note it was returned with, then
      // every other note of the LA's on the version, oldest first.
      const notice = (html: string) =>
        textOf(/<div[^>]*id="returned"[\s\S]*?<\/div>\s*<\/div>/.exec(html)?.[0] ?? '');
      for (const path of [returnPath, `/collect/collections/${r.collectionId}`]) {
        const html = (await r.schoolUser.agent.get(path)).body;
        assert.match(
          notice(html),
          /returned version 1 to you on .*, with this note: Year 6 is missing\. .*Your LA’s other notes on this version, oldest first: .*Checked against last year\. .*And the leavers\. .*Ring me if you are unsure\./,
        );
      }
    } finally {
      await t.app.close();
      t.deps.mailer.close();
      await smtp.stop();
    }
  });

  test('A note added while the school loads a later version at once, on two nodes: added to the returned version, not emailed', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await returnForm(t);
      await r.laUser.agent.post(r.path, { ...r.fields, note: 'Year 6 is missing.' });
      const returnPath = `/collect/returns/${r.returnId}`;
      const notePage = await r.laUser.agent.get(returnPath);
      const noteFields = hiddenFields(notePage.body, `${returnPath}/notes`);
      const uploadPage = await r.schoolUser.agent.get(r.uploadPath);
      const uploadForm = { ...uploadFields(uploadPage.body, r.uploadPath), replace: 'yes' };
      // The school's load, which replaces the returned version, held before it commits; the note meanwhile.
      const hold = holdingAfterInsertInto(database().db, 'census_returns');
      nodes = await twoNodes(database(), hold.db);
      const both = nodes;
      const [loaded, noted] = await firstHeldThenAnother(
        database(),
        hold,
        () =>
          postMultipartOn(both.a.app, r.schoolUser.agent, r.uploadPath, uploadForm, {
            field: 'file',
            filename: censusFilename(r.school.number, 2026, 2),
            content: censusReturnXml({ school: r.school.number, year: 2026 }),
          }),
        () =>
          postOn(both.b.app, r.laUser.agent, `${returnPath}/notes`, {
            ...noteFields,
            note: 'And the leavers.',
          }),
      );
      assert.equal(loaded.statusCode, 200, textOf(loaded.body).slice(0, 600));
      assert.match(textOf(loaded.body), /version 2/i);
      assert.equal(noted.statusCode, 303, textOf(noted.body).slice(0, 600));
      // The answer's flash (in its cookie: this request was not the agent's own).
      const said = decodeURIComponent(String(noted.headers['set-cookie']));
      assert.match(said, /Your note has been added\./);
      assert.doesNotMatch(said, /emailed/);
      assert.deepEqual(await notesSaying(r.returnId, 'And the leavers.'), { notes: 1, audits: 1 });
      assert.deepEqual(await returnEmails(r.returnId), [['school', 'returned', 'Year 6 is missing.']]);
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  test('Return to school posted again with another note too long to add: the return’s page says so and keeps the note', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await returnForm(t);
      await r.laUser.agent.post(r.path, { ...r.fields, note: 'Year 6 is missing.' });
      const long = `Year 6 is missing. ${'And the leavers. '.repeat(120)}`.trim();
      const refused = await r.laUser.agent.post(r.path, { ...r.fields, note: long });
      assert.equal(refused.statusCode, 400);
      assert.match(textOf(refused.body), /The note must be 2000 characters or fewer/);
      assert.ok(textOf(refused.body).includes(long), 'the note is kept in the note form');
      assert.match(refused.body, /action="\/collect\/returns\/[0-9a-f-]{36}\/notes"/);
      assert.deepEqual(await notesSaying(r.returnId, long), { notes: 0, audits: 0 });
    } finally {
      await t.app.close();
    }
  });

  test('Return to school posted twice at once with different notes, on two nodes: returned once, the other note added', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await returnForm(t);
      const hold = holdingAfterInsertInto(database().db, 'census_return_events');
      nodes = await twoNodes(database(), hold.db);
      const both = nodes;
      const answers = await firstHeldThenAnother(
        database(),
        hold,
        () => postOn(both.a.app, r.laUser.agent, r.path, { ...r.fields, note: 'Year 6 is missing.' }),
        () => postOn(both.b.app, r.laUser.agent, r.path, { ...r.fields, note: 'And the leavers.' }),
      );
      assert.deepEqual(
        answers.map((a) => [a.statusCode, a.headers.location]),
        [
          [303, `/collect/returns/${r.returnId}`],
          [303, `/collect/returns/${r.returnId}`],
        ],
        textOf(answers[1].body).slice(0, 600),
      );
      assert.deepEqual(await effects(r.returnId, 'returned', 'census-return-returned'), {
        events: 1,
        audits: 1,
      });
      assert.deepEqual(await notesSaying(r.returnId, 'And the leavers.'), { notes: 1, audits: 1 });
      assert.deepEqual(await returnEmails(r.returnId), [
        ['school', 'returned', 'Year 6 is missing.'],
        ['school', 'note-added', 'And the leavers.'],
      ]);
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  test('Return to school posted again with another note, twice at once on two nodes: that note added once', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await returnForm(t);
      await r.laUser.agent.post(r.path, { ...r.fields, note: 'Year 6 is missing.' });
      const hold = holdingAfterInsertInto(database().db, 'census_return_events');
      nodes = await twoNodes(database(), hold.db);
      const answers = await twiceAtOnce(
        database(),
        hold,
        onEachNode(nodes, r.laUser.agent, r.path, { ...r.fields, note: 'And the leavers.' }),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [303, 303],
      );
      assert.deepEqual(await notesSaying(r.returnId, 'And the leavers.'), { notes: 1, audits: 1 });
      assert.deepEqual(await returnEmails(r.returnId), [
        ['school', 'returned', 'Year 6 is missing.'],
        ['school', 'note-added', 'And the leavers.'],
      ]);
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  test('An explanation posted again: saved once, one history event', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await aReturn(t);
      const form = { finding: r.finding, answer: 'Two families declined.' };
      const first = await r.schoolUser.agent.post(`/collect/returns/${r.returnId}/answer`, form);
      assert.equal(first.statusCode, 303);
      await r.schoolUser.agent.get(`/collect/returns/${r.returnId}`);
      const again = await r.schoolUser.agent.post(`/collect/returns/${r.returnId}/answer`, form);
      assert.equal(again.statusCode, 303);
      assert.match(
        await flashOf(r.schoolUser.agent, again),
        /Your explanation of the query has been saved\./,
      );
      assert.deepEqual(await effects(r.returnId, 'query-answered', 'census-query-answered'), {
        events: 1,
        audits: 1,
      });
    } finally {
      await t.app.close();
    }
  });

  test('An explanation posted twice at once, on two nodes: saved once', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await aReturn(t);
      await r.schoolUser.agent.get(`/collect/returns/${r.returnId}`);
      const hold = holdingAfterInsertInto(database().db, 'census_return_events');
      nodes = await twoNodes(database(), hold.db);
      const answers = await twiceAtOnce(
        database(),
        hold,
        onEachNode(nodes, r.schoolUser.agent, `/collect/returns/${r.returnId}/answer`, {
          finding: r.finding,
          answer: 'Two families declined.',
        }),
      );
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [303, 303],
      );
      assert.deepEqual(await effects(r.returnId, 'query-answered', 'census-query-answered'), {
        events: 1,
        audits: 1,
      });
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  /** The school's versions in the collection, and what their loads recorded. */
  async function versionsLoaded(collectionId: string, school: string) {
    const db = database().db;
    const rows = await db
      .selectFrom('census_returns')
      .select('id')
      .where('collection_id', '=', collectionId)
      .where('establishment_number', '=', school)
      .execute();
    const audits = await db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'census-return-loaded')
      .where('subject_id', 'in', rows.length > 0 ? rows.map((r) => r.id) : ['none'])
      .execute();
    return { versions: rows.length, audits: audits.length };
  }

  for (const replace of [false, true]) {
    const form = replace ? ' with its replace box ticked' : '';
    test(`Upload Return from File posted again${form}: one version, and the second answer says it was loaded already`, async () => {
      const t = await createTestApp(database().db);
      try {
        const r = await aReturn(t);
        const page = await r.schoolUser.agent.get(r.uploadPath);
        const fields = { ...uploadFields(page.body, r.uploadPath), ...(replace ? { replace: 'yes' } : {}) };
        const file = {
          filename: censusFilename(r.school.number, 2026, 2),
          content: censusReturnXml({ school: r.school.number, year: 2026 }),
          field: 'file',
        };
        const first = await r.schoolUser.agent.postMultipart(r.uploadPath, [file], {
          fields: { ...fields, replace: 'yes' },
        });
        assert.equal(first.statusCode, 200);
        assert.match(textOf(first.body), /has been loaded as version 2, replacing version 1/);
        const again = await r.schoolUser.agent.postMultipart(r.uploadPath, [file], { fields });
        assert.equal(again.statusCode, 200, textOf(again.body).slice(0, 800));
        assert.match(
          textOf(again.body),
          new RegExp(
            `${file.filename} was loaded already as version 2, when you first pressed Upload\\. It has not been loaded again\\.`,
          ),
        );
        assert.deepEqual(await versionsLoaded(r.collectionId, r.school.number), { versions: 2, audits: 2 });
      } finally {
        await t.app.close();
      }
    });
  }

  test('Upload Return from File posted again with another file (Back, and another chosen): that file is loaded', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await aReturn(t);
      const page = await r.schoolUser.agent.get(r.uploadPath);
      const fields = { ...uploadFields(page.body, r.uploadPath), replace: 'yes' };
      const first = await r.schoolUser.agent.postMultipart(
        r.uploadPath,
        [
          {
            filename: censusFilename(r.school.number, 2026, 2),
            content: censusReturnXml({ school: r.school.number, year: 2026, withError: true }),
            field: 'file',
          },
        ],
        { fields },
      );
      assert.match(textOf(first.body), /has been loaded as version 2, replacing version 1/);
      const corrected = await r.schoolUser.agent.postMultipart(
        r.uploadPath,
        [
          {
            filename: censusFilename(r.school.number, 2026, 3),
            content: censusReturnXml({ school: r.school.number, year: 2026 }),
            field: 'file',
          },
        ],
        { fields },
      );
      assert.equal(corrected.statusCode, 200);
      assert.match(textOf(corrected.body), /has been loaded as version 3, replacing version 2/);
      assert.deepEqual(await versionsLoaded(r.collectionId, r.school.number), { versions: 3, audits: 3 });
    } finally {
      await t.app.close();
    }
  });

  test('Upload Return from File posted twice at once, on two nodes: one version', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await aReturn(t);
      const page = await r.schoolUser.agent.get(r.uploadPath);
      const fields = { ...uploadFields(page.body, r.uploadPath), replace: 'yes' };
      const content = censusReturnXml({ school: r.school.number, year: 2026 });
      const filename = censusFilename(r.school.number, 2026, 2);
      const hold = holdingAfterInsertInto(database().db, 'census_returns');
      nodes = await twoNodes(database(), hold.db);
      const both = nodes;
      let calls = 0;
      const answers = await twiceAtOnce(database(), hold, () => {
        calls += 1;
        return postMultipartOn(
          calls === 1 ? both.a.app : both.b.app,
          r.schoolUser.agent,
          r.uploadPath,
          fields,
          {
            field: 'file',
            filename,
            content,
          },
        );
      });
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 200],
        textOf(answers[1].body).slice(0, 800),
      );
      assert.match(textOf(answers[1].body), /was loaded already as version 2/);
      assert.deepEqual(await versionsLoaded(r.collectionId, r.school.number), { versions: 2, audits: 2 });
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  /** How many refusals of a census return the user's audit trail records. */
  const refusalsAudited = (user: UserRow) =>
    count(database().db, 'audit_events', { actor_user_id: user.id, action: 'census-return-refused' });

  /** Files the school's upload refuses, each for a reason of its own, and the reason its page gives. */
  const REFUSED_FILES: {
    name: string;
    file: (school: string, neighbour: string) => { filename: string; content: string; field: string };
    reason: RegExp;
    /** The replace box ticked (the school has a return already): only then is the content read. */
    replace?: boolean;
  }[] = [
    {
      name: 'another school’s file',
      file: (_school, neighbour) => ({
        filename: censusFilename(neighbour, 2026, 2),
        content: censusReturnXml({ school: neighbour, year: 2026 }),
        field: 'file',
      }),
      reason: /The file is for school \d{7}, not yours/,
    },
    {
      name: 'a file that is not a census return',
      file: (school) => ({ filename: censusFilename(school, 2026, 2), content: '<x/>', field: 'file' }),
      reason: /could not be read as a census return/,
      replace: true,
    },
    {
      name: 'a replacement not confirmed',
      file: (school) => ({
        filename: censusFilename(school, 2026, 2),
        content: censusReturnXml({ school, year: 2026 }),
        field: 'file',
      }),
      reason: /already has a return/,
    },
  ];

  for (const refused of REFUSED_FILES) {
    test(`A refused upload posted again (${refused.name}): refused again, saying why, and audited once`, async () => {
      const t = await createTestApp(database().db);
      try {
        const r = await aReturn(t);
        const neighbour = await makeSchool(database().db, r.la.number);
        const page = await r.schoolUser.agent.get(r.uploadPath);
        const fields = {
          ...uploadFields(page.body, r.uploadPath),
          ...(refused.replace ? { replace: 'yes' } : {}),
        };
        const file = refused.file(r.school.number, neighbour.number);
        const before = await refusalsAudited(r.schoolUser.user);
        const first = await r.schoolUser.agent.postMultipart(r.uploadPath, [file], { fields });
        assert.equal(first.statusCode, 400, textOf(first.body).slice(0, 800));
        assert.match(textOf(first.body), refused.reason);
        const again = await r.schoolUser.agent.postMultipart(r.uploadPath, [file], { fields });
        assert.equal(again.statusCode, 400);
        assert.equal(textOf(again.body), textOf(first.body), 'the same refusal, in the same words');
        assert.equal(await refusalsAudited(r.schoolUser.user), before + 1);
      } finally {
        await t.app.close();
      }
    });
  }

  test('A refused upload is another attempt with another file, or from the page drawn again: each audited', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await aReturn(t);
      const page = await r.schoolUser.agent.get(r.uploadPath);
      const fields: Record<string, string> = { ...uploadFields(page.body, r.uploadPath), replace: 'yes' };
      const unreadable = {
        filename: censusFilename(r.school.number, 2026, 2),
        content: '<x/>',
        field: 'file',
      };
      const before = await refusalsAudited(r.schoolUser.user);
      await r.schoolUser.agent.postMultipart(r.uploadPath, [unreadable], { fields });
      // Back, and another file chosen (other bytes, the same name; then another name): refused too.
      const other = await r.schoolUser.agent.postMultipart(
        r.uploadPath,
        [{ ...unreadable, content: '<y/>' }],
        { fields },
      );
      assert.equal(other.statusCode, 400);
      await r.schoolUser.agent.postMultipart(
        r.uploadPath,
        [{ ...unreadable, filename: censusFilename(r.school.number, 2026, 3) }],
        { fields },
      );
      assert.equal(await refusalsAudited(r.schoolUser.user), before + 3);
      // The page opened again: a new form, a new attempt, though the file is the first's.
      const newPage = await r.schoolUser.agent.get(r.uploadPath);
      const newFields: Record<string, string> = {
        ...uploadFields(newPage.body, r.uploadPath),
        replace: 'yes',
      };
      assert.notEqual(newFields.formId, fields.formId);
      await r.schoolUser.agent.postMultipart(r.uploadPath, [unreadable], { fields: newFields });
      assert.equal(await refusalsAudited(r.schoolUser.user), before + 4);
    } finally {
      await t.app.close();
    }
  });

  test('Too-large files of one name on one form: two different files are two attempts, the same file sent again one', async () => {
    const t = await createTestApp(database().db);
    try {
      const r = await aReturn(t);
      const page = await r.schoolUser.agent.get(r.uploadPath);
      const fields = { ...uploadFields(page.body, r.uploadPath), replace: 'yes' };
      const filename = censusFilename(r.school.number, 2026, 2);
      // Larger than a return may be, and different from one another within the first 10 MB.
      const tooLarge = (fill: number) => ({
        filename,
        content: Buffer.alloc(RETURN_SIZE_LIMIT + 64 * 1024, fill),
        field: 'file',
      });
      const before = await refusalsAudited(r.schoolUser.user);
      const first = await r.schoolUser.agent.postMultipart(r.uploadPath, [tooLarge(32)], { fields });
      assert.equal(first.statusCode, 400, textOf(first.body).slice(0, 800));
      assert.match(textOf(first.body), /larger than 10 MB/);
      // Back, and another file of the same name chosen: another attempt.
      const other = await r.schoolUser.agent.postMultipart(r.uploadPath, [tooLarge(33)], { fields });
      assert.equal(other.statusCode, 400);
      assert.equal(textOf(other.body), textOf(first.body), 'refused in the same words');
      assert.equal(await refusalsAudited(r.schoolUser.user), before + 2);
      // Each sent again (a double click, Back and Upload): the same attempts.
      for (const fill of [32, 33]) {
        const again = await r.schoolUser.agent.postMultipart(r.uploadPath, [tooLarge(fill)], { fields });
        assert.equal(again.statusCode, 400);
        assert.equal(textOf(again.body), textOf(first.body));
      }
      assert.equal(await refusalsAudited(r.schoolUser.user), before + 2);
    } finally {
      await t.app.close();
    }
  });

  test('A refused upload posted twice at once, on two nodes: both refused, audited once', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const r = await aReturn(t);
      const page = await r.schoolUser.agent.get(r.uploadPath);
      const fields = { ...uploadFields(page.body, r.uploadPath), replace: 'yes' };
      const filename = censusFilename(r.school.number, 2026, 2);
      const hold = holdingAfterInsertInto(database().db, 'audit_events');
      nodes = await twoNodes(database(), hold.db);
      const before = await refusalsAudited(r.schoolUser.user);
      const both = nodes;
      let calls = 0;
      const answers = await twiceAtOnce(database(), hold, () => {
        calls += 1;
        return postMultipartOn(
          calls === 1 ? both.a.app : both.b.app,
          r.schoolUser.agent,
          r.uploadPath,
          fields,
          {
            field: 'file',
            filename,
            content: '<x/>',
          },
        );
      });
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [400, 400],
      );
      for (const answer of answers) assert.match(textOf(answer.body), /could not be read as a census return/);
      assert.equal(await refusalsAudited(r.schoolUser.user), before + 1);
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });

  /** A zip of the named files. */
  const zipOf = (files: { filename: string; content: string | Buffer }[]) =>
    zipItems(files.map((file): ZipItem => [file.filename, file.content]));

  /** An LA user, two schools of the LA with a return loaded each, and a zip of new returns for both. */
  async function aZip(t: TestApp) {
    const r = await aReturn(t);
    const other = await makeSchool(database().db, r.la.number);
    const files = [r.school, other].map((school) => ({
      filename: censusFilename(school.number, 2026, 2),
      content: censusReturnXml({ school: school.number, year: 2026 }),
    }));
    const zip = await zipOf(files);
    const bulkPath = `/collect/collections/${r.collectionId}/bulk-upload`;
    const page = await r.laUser.agent.get(bulkPath);
    assert.equal(page.statusCode, 200);
    const fields = { ...uploadFields(page.body, bulkPath), replace: 'yes' };
    return { ...r, schools: [r.school, other], files, zip, bulkPath, fields };
  }

  async function versionsOfLa(collectionId: string, schools: { number: string }[]) {
    let versions = 0;
    let audits = 0;
    for (const school of schools) {
      const loaded = await versionsLoaded(collectionId, school.number);
      versions += loaded.versions;
      audits += loaded.audits;
    }
    return { versions, audits };
  }

  test('Upload returns from a zip posted again: each return loaded once, and the second answer says so', async () => {
    const t = await createTestApp(database().db);
    try {
      const z = await aZip(t);
      const zipFile = { filename: 'returns.zip', content: z.zip, field: 'zip' };
      const first = await z.laUser.agent.postMultipart(z.bulkPath, [zipFile], { fields: z.fields });
      assert.equal(first.statusCode, 200);
      assert.match(textOf(first.body), /Version 2, replacing version 1/);
      const again = await z.laUser.agent.postMultipart(z.bulkPath, [zipFile], { fields: z.fields });
      assert.equal(again.statusCode, 200);
      assert.equal(
        textOf(again.body).match(/Version \d, loaded already when you first pressed Upload/g)?.length,
        2,
        textOf(again.body).slice(0, 1500),
      );
      // The school's first version and the zip's: three in all, each loaded once.
      assert.deepEqual(await versionsOfLa(z.collectionId, z.schools), { versions: 3, audits: 3 });
    } finally {
      await t.app.close();
    }
  });

  test('Upload returns from a zip posted again with files it refuses: each refusal audited once', async () => {
    const t = await createTestApp(database().db);
    try {
      const z = await aZip(t);
      const [school] = z.schools;
      assert.ok(school);
      // Not a census return, by its name (refused as each file loaded alone is), and a second return for
      // one school (refused by the zip's own check).
      const zip = await zipOf([
        ...z.files,
        { filename: 'pupils.csv', content: 'UPN,Surname\n' },
        {
          filename: censusFilename(school.number, 2026, 3),
          content: censusReturnXml({ school: school.number, year: 2026 }),
        },
      ]);
      const zipFile = { filename: 'returns.zip', content: zip, field: 'zip' };
      const before = await refusalsAudited(z.laUser.user);
      const first = await z.laUser.agent.postMultipart(z.bulkPath, [zipFile], { fields: z.fields });
      assert.equal(first.statusCode, 200);
      assert.equal(await refusalsAudited(z.laUser.user), before + 2);
      const again = await z.laUser.agent.postMultipart(z.bulkPath, [zipFile], { fields: z.fields });
      assert.equal(again.statusCode, 200);
      for (const answer of [first, again]) {
        assert.match(textOf(answer.body), /pupils\.csv is not an XML file/);
        assert.match(textOf(answer.body), /The zip holds two returns for school \d{7}: only the first/);
      }
      assert.equal(await refusalsAudited(z.laUser.user), before + 2);
    } finally {
      await t.app.close();
    }
  });

  test('Zips from one form with a too-large file of one name: two different files are two attempts, the same one again one', async () => {
    const t = await createTestApp(database().db);
    try {
      const z = await aZip(t);
      const [school] = z.schools;
      assert.ok(school);
      // Larger than a return by the zip's directory: never read, and different from one another.
      const zipWith = async (fill: number) => ({
        filename: 'returns.zip',
        content: await zipOf([
          {
            filename: censusFilename(school.number, 2026, 3),
            content: Buffer.alloc(RETURN_SIZE_LIMIT + 1, fill),
          },
        ]),
        field: 'zip',
      });
      const before = await refusalsAudited(z.laUser.user);
      const first = await z.laUser.agent.postMultipart(z.bulkPath, [await zipWith(32)], { fields: z.fields });
      assert.equal(first.statusCode, 200, textOf(first.body).slice(0, 800));
      assert.match(textOf(first.body), /larger than 10 MB/);
      // Back, and another zip chosen, whose file of that name is another: another attempt.
      await z.laUser.agent.postMultipart(z.bulkPath, [await zipWith(33)], { fields: z.fields });
      assert.equal(await refusalsAudited(z.laUser.user), before + 2);
      for (const fill of [32, 33]) {
        const again = await z.laUser.agent.postMultipart(z.bulkPath, [await zipWith(fill)], {
          fields: z.fields,
        });
        assert.equal(textOf(again.body), textOf(first.body), 'refused in the same words');
      }
      assert.equal(await refusalsAudited(z.laUser.user), before + 2);
    } finally {
      await t.app.close();
    }
  });

  test('Upload returns from a zip posted twice at once, on two nodes: each return loaded once', async () => {
    const t = await createTestApp(database().db, NODES_ENV);
    let nodes: Awaited<ReturnType<typeof twoNodes>> | undefined;
    try {
      const z = await aZip(t);
      const hold = holdingAfterInsertInto(database().db, 'census_returns');
      nodes = await twoNodes(database(), hold.db);
      const both = nodes;
      let calls = 0;
      const answers = await twiceAtOnce(database(), hold, () => {
        calls += 1;
        return postMultipartOn(calls === 1 ? both.a.app : both.b.app, z.laUser.agent, z.bulkPath, z.fields, {
          field: 'zip',
          filename: 'returns.zip',
          content: z.zip,
          contentType: 'application/zip',
        });
      });
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 200],
      );
      assert.deepEqual(await versionsOfLa(z.collectionId, z.schools), { versions: 3, audits: 3 });
    } finally {
      await nodes?.close();
      await t.app.close();
    }
  });
});
