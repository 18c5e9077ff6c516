// Census returns through the service, on both engines: loading (and every refusal), versions, queries,
// submission, the LA's notes and decisions, and who may see what when.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import { type CollectionForm, DataCollectionsService } from '../../src/collect/collections-service.ts';
import { findReturn, replaceVersion } from '../../src/collect/returns-repository.ts';
import {
  CensusReturnsService,
  type LoadOutcome,
  RETURN_SIZE_LIMIT,
  type RefusedReturn,
  type ReturnView,
} from '../../src/collect/returns-service.ts';
import { describeAuditDetail } from '../../src/directory/service.ts';
import { MatchesService } from '../../src/lost-pupils/matches-service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { migrateToLatest } from '../../src/platform/db/database.ts';
import type { CensusReturnStatus, Db } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { ORPHAN_GRACE_HOURS, sweepOrphanFiles } from '../../src/transfers/jobs.ts';
import { autumnCensusForm, censusFilename, censusReturnXml } from '../support/census.ts';
import {
  createTestDatabase,
  describeEachEngine,
  doneOrWaitingForLock,
  ENGINES,
  holdingAfterInsertInto,
  holdingAfterSelectFrom,
  type TestDatabase,
  withAuditEventsBefore036,
} from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { signal } from '../support/signals.ts';
import { actorOf, makeFileStores, meetingPuts, school } from '../support/transfers.ts';

const NOW = '2026-11-23T09:00:00.000Z';

function content(text: string | Buffer): Readable {
  return Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)]);
}

/** The service as an action sees it whose checks ran on `view`, read before something changed. */
function withViewReadBefore(service: CensusReturnsService, view: ReturnView): CensusReturnsService {
  return Object.assign(Object.create(Object.getPrototypeOf(service)), service, {
    view: async () => view,
  });
}

const ROOT = join(import.meta.dirname, '..', '..');

/** Closes the collection from another process, with its own connection (support/close-collection.ts). */
function closeInAnotherProcess(database: TestDatabase, collectionId: string, actor: Actor): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'test', 'support', 'close-collection.ts'),
      database.url,
      database.schema ?? '-',
      collectionId,
      JSON.stringify(actor),
      NOW,
    ],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`the close exited with ${code}: ${stderr}`)),
    );
  });
}

describeEachEngine('census returns', (database) => {
  /** An LA taking part in an autumn 2026 collection, a school of it, and their users. */
  async function setUp(options: { open?: string; closed?: boolean } = {}) {
    const db: Db = database().db;
    const clock = new ManualClock(NOW);
    const stores = makeFileStores();
    const service = new CensusReturnsService({ db, files: stores.files, clock });
    const la = await makeLa(db);
    const school = await makeSchool(db, la.number, { name: `Brook Lane Primary ${la.number}` });
    const otherSchool = await makeSchool(db, la.number);
    const otherLa = await makeLa(db);
    const schoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: school.number,
    });
    const agentUser = await makeUser(db, 'la_user', { laNumber: la.number }, { full_name: 'Lee Agent' });
    const otherAgent = await makeUser(db, 'la_user', { laNumber: otherLa.number });
    const otherSchoolUser = await makeUser(db, 'school', {
      laNumber: la.number,
      establishmentNumber: otherSchool.number,
    });
    const collector = await makeUser(db, 'dfe_collector');
    const admin = await makeUser(db, 'national_admin');
    const collections = new DataCollectionsService({ db, clock });
    const collectionId = await collections.create(
      actorOf(admin),
      autumnCensusForm([la.number], {
        name: `School Census 2026 Autumn ${la.number}`,
        ...(options.open ? { openDay: options.open.slice(8), openMonth: options.open.slice(5, 7) } : {}),
      }),
    );
    if (options.closed) await collections.setClosed(actorOf(admin), collectionId, true);
    const source = actorOf(schoolUser);
    const agent = actorOf(agentUser);
    const load = (name: string, xml: string | Buffer, replace = false) =>
      service.load(source, collectionId, name, content(xml), replace);
    return {
      db,
      clock,
      stores,
      service,
      collections,
      admin: actorOf(admin),
      la,
      school,
      otherSchool,
      collectionId,
      source,
      agent,
      otherAgent: actorOf(otherAgent),
      otherSchoolUser: actorOf(otherSchoolUser),
      collector: actorOf(collector),
      load,
    };
  }

  type SetUp = Awaited<ReturnType<typeof setUp>>;

  /** The census files the store holds. */
  async function storedFiles(s: SetUp): Promise<unknown[]> {
    const stored = [];
    for await (const object of s.stores.raw.list()) stored.push(object);
    return stored;
  }

  /** How many versions the collection holds. */
  async function versionCount(s: SetUp): Promise<number> {
    const versions = await s.db
      .selectFrom('census_returns')
      .select('id')
      .where('collection_id', '=', s.collectionId)
      .execute();
    return versions.length;
  }

  /** The details of the refusals audited for the school's user, oldest first. */
  async function refusalDetails(s: SetUp): Promise<Record<string, unknown>[]> {
    const refusals = await s.db
      .selectFrom('audit_events')
      .select('detail')
      .where('action', '=', 'census-return-refused')
      .where('actor_user_id', '=', s.source.userId)
      .execute();
    return refusals.map((r) => JSON.parse(r.detail ?? '{}'));
  }

  async function loaded(outcome: Awaited<ReturnType<CensusReturnsService['load']>>) {
    assert.equal(outcome.status, 'loaded', outcome.status === 'refused' ? outcome.reasons.join(' ') : '');
    return outcome as Extract<typeof outcome, { status: 'loaded' }>;
  }

  test('once returns are loaded, a change of the collection keeps its census, and the LAs whose schools loaded them', async () => {
    const s = await setUp();
    const otherLa = await makeLa(s.db, { name: 'Cshire' });
    const name = `School Census 2026 Autumn ${s.la.number}`;
    const form = (las: string[], changes: CollectionForm = {}) => autumnCensusForm(las, { name, ...changes });
    const refusals = async (changed: CollectionForm): Promise<string[]> => {
      const error = await s.collections.update(s.admin, s.collectionId, changed).then(
        () => assert.fail('the change was saved'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof Invalid, String(error));
      return error.errors.map((e) => `${e.field}: ${e.message}`);
    };
    // Before any return, anything may change (and is changed back).
    await s.collections.update(s.admin, s.collectionId, form([otherLa.number], { referenceDay: '2' }));
    await s.collections.update(s.admin, s.collectionId, form([s.la.number]));
    await loaded(
      await s.load(censusFilename(s.school.number), censusReturnXml({ school: s.school.number, year: 2026 })),
    );

    const fixed =
      'reference-day: Returns have been loaded into this collection, so its term, year and census day cannot change. Set up a new data collection for another census';
    assert.deepEqual(await refusals(form([s.la.number], { referenceDay: '2' })), [fixed]);
    assert.deepEqual(
      await refusals(
        form([s.la.number], { term: 'SPR', referenceDay: '15', referenceMonth: '1', referenceYear: '2026' }),
      ),
      [fixed.replace('reference-day', 'term')],
    );
    const dropped = `las: The schools of ${s.la.number} ${s.la.name} have loaded returns into this collection, so their LA must stay in it`;
    assert.deepEqual(await refusals(form([otherLa.number])), [dropped]);
    assert.deepEqual(await refusals(form([otherLa.number], { referenceDay: '2' })), [fixed, dropped]);
    const unchanged = await s.collections.get(s.admin, s.collectionId);
    assert.equal(unchanged.collection.reference_date, '2026-10-01');
    assert.deepEqual(unchanged.las, [s.la.number]);

    // Its name and dates may change, and LAs be added, or every LA's schools take part.
    await s.collections.update(
      s.admin,
      s.collectionId,
      form([s.la.number, otherLa.number], {
        name: `${name} (late)`,
        dueDay: '8',
        dueMonth: '1',
        dueYear: '2027',
      }),
    );
    assert.deepEqual(
      (await s.collections.get(s.admin, s.collectionId)).las,
      [s.la.number, otherLa.number].sort(),
    );
    await s.collections.update(s.admin, s.collectionId, form([], { scope: 'all' }));
    assert.equal((await s.collections.get(s.admin, s.collectionId)).collection.all_las, 1);
    // From every LA back to a list: the LA with returns must be on it.
    assert.deepEqual(await refusals(form([otherLa.number])), [dropped]);
  });

  test('a return with an error and a query is loaded with its findings; only the school may open it', async () => {
    const s = await setUp();
    const name = censusFilename(s.school.number);
    const outcome = await loaded(
      await s.load(
        name,
        censusReturnXml({ school: s.school.number, year: 2026, withError: true, withQuery: true }),
      ),
    );
    assert.deepEqual(
      { version: outcome.version, errors: outcome.errors, queries: outcome.queries, pupils: outcome.pupils },
      { version: 1, errors: 1, queries: 1, pupils: 13 },
    );
    const view = await s.service.view(s.source, outcome.returnId);
    assert.equal(view.version.status, 'loaded');
    assert.deepEqual(
      view.findings.map((f) => [f.kind, f.rule, f.pupils.length]),
      [
        ['error', '1580', 1],
        ['query', '1700Q', 2],
      ],
    );
    assert.deepEqual(view.may, { answer: true, submit: true, decide: false, note: false });
    assert.deepEqual(
      view.events.map((e) => e.action),
      ['loaded'],
    );
    for (const outsider of [s.agent, s.otherAgent, s.otherSchoolUser, s.collector]) {
      await assert.rejects(s.service.view(outsider, outcome.returnId), NotFound);
      await assert.rejects(s.service.pupils(outsider, outcome.returnId, 1), NotFound);
    }
    const audit = await s.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('subject_id', '=', outcome.returnId)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['census-return-loaded'],
    );
    assert.ok(!audit[0]?.detail?.includes('Amira'), 'no pupil data in the audit');
    assert.ok(!audit[0]?.detail?.includes('Q916201119004'), 'no UPN in the audit');
    // The pupils counted, as a CTF's upload records them, shown in the audit trail's Details column.
    assert.equal(JSON.parse(audit[0]?.detail ?? '{}').pupils, 13);
    assert.match(describeAuditDetail(audit[0]?.detail ?? null), /; pupils: 13(;|$)/);
  });

  test('a return with thousands of findings is loaded with all of them', async () => {
    const s = await setUp();
    // 600 pupils with little but a bad UPN: several errors each, more findings than a statement of
    // VALUES could carry on either engine.
    const bare = '<PupilOnRoll><UPN>A1</UPN><Surname>S</Surname></PupilOnRoll>'.repeat(600);
    const xml = censusReturnXml({ school: s.school.number, year: 2026 }).replace(
      '<PupilOnRoll>',
      `${bare}<PupilOnRoll>`,
    );
    const outcome = await loaded(await s.load(censusFilename(s.school.number), xml));
    assert.ok(outcome.errors > 5000, `${outcome.errors} errors`);
    const stored = await s.db
      .selectFrom('census_return_findings')
      .select(['position', 'answer'])
      .where('return_id', '=', outcome.returnId)
      .orderBy('position')
      .execute();
    assert.equal(stored.length, outcome.errors + outcome.queries);
    assert.ok(stored.every((finding, index) => finding.position === index && finding.answer === null));
  });

  test('a version approved while the school loads another stays approved (the load saw it submitted)', async () => {
    const s = await setUp();
    const { returnId } = await loaded(
      await s.load(censusFilename(s.school.number), censusReturnXml({ school: s.school.number, year: 2026 })),
    );
    const seen = await findReturn(s.db, returnId);
    assert.ok(seen);
    // What an LA's approval, committed between the load's read and its update, leaves in the database.
    await s.db.updateTable('census_returns').set({ status: 'approved' }).where('id', '=', returnId).execute();
    const after = await replaceVersion(s.db, { ...seen, status: 'submitted' }, NOW);
    assert.equal(after.status, 'approved', 'the load is told it follows an approved version');
    assert.equal((await findReturn(s.db, returnId))?.status, 'approved');
    assert.equal((await findReturn(s.db, returnId))?.replaced_at, null);
  });

  /** The service with each load's file held until two are stored: two loads at the same moment. */
  const meetingLoads = (s: Awaited<ReturnType<typeof setUp>>) => {
    const { files } = s.stores;
    const racing = new CensusReturnsService({
      db: s.db,
      clock: s.clock,
      files: { put: meetingPuts(files), get: (file) => files.get(file), remove: (key) => files.remove(key) },
    });
    return (sequences: number[], replace: boolean) =>
      Promise.all(
        sequences.map((sequence) =>
          racing.load(
            s.source,
            s.collectionId,
            censusFilename(s.school.number, 2026, sequence),
            content(censusReturnXml({ school: s.school.number, year: 2026 })),
            replace,
          ),
        ),
      );
  };

  test('two first loads of a return at the same moment: one is version 1, the other refused saying why, its file removed', async () => {
    const s = await setUp();
    const outcomes = await meetingLoads(s)([1, 2], false);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['loaded', 'refused']);
    const won = await loaded(outcomes.find((o) => o.status === 'loaded') as LoadOutcome);
    assert.equal(won.version, 1);
    const lost = outcomes.find((o) => o.status === 'refused') as RefusedReturn;
    assert.deepEqual(lost.reasons, [
      `Another upload loaded a return for ${s.school.name} into School Census 2026 Autumn ${s.la.number} while this file was being checked (version 1, loaded), so this file was not loaded.`,
    ]);
    assert.equal(
      lost.whatToDo,
      'Open the collection to check the version now loaded. If this file should replace it, confirm that the new file replaces it and upload it again.',
    );
    assert.deepEqual(
      [...lost.messages.reasons, lost.messages.whatToDo].map((text) => translateMessage('cy', text)),
      [
        `Llwythodd lanlwythiad arall ffurflen ar gyfer ${s.school.name} i School Census 2026 Autumn ${s.la.number} tra oedd y ffeil hon yn cael ei gwirio (fersiwn 1, wedi’i lanlwytho), felly ni chafodd y ffeil hon ei llwytho.`,
        'Agorwch y casgliad i wirio’r fersiwn sydd wedi’i llwytho nawr. Os dylai’r ffeil hon gymryd ei lle, cadarnhewch fod y ffeil newydd yn cymryd ei lle a’i lanlwytho eto.',
      ],
    );
    const versions = await s.db
      .selectFrom('census_returns')
      .select(['id', 'version', 'status'])
      .where('collection_id', '=', s.collectionId)
      .execute();
    assert.deepEqual(versions, [{ id: won.returnId, version: 1, status: 'loaded' }]);
    assert.equal((await storedFiles(s)).length, 1, "the refused load's file is removed");
    assert.deepEqual(
      (await refusalDetails(s)).map((detail) => detail.filename),
      [lost.filename],
    );
  });

  test('two loads replacing a return at the same moment are both loaded, one after the other', async () => {
    const s = await setUp();
    const first = await loaded(
      await s.load(censusFilename(s.school.number), censusReturnXml({ school: s.school.number, year: 2026 })),
    );
    const outcomes = await meetingLoads(s)([2, 3], true);
    const versions = outcomes.map((o) =>
      o.status === 'loaded' ? [o.version, o.replacedVersion] : o.reasons,
    );
    assert.deepEqual(
      versions.sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [2, 1],
        [3, 2],
      ],
    );
    const statuses = await s.db
      .selectFrom('census_returns')
      .select(['version', 'status'])
      .where('collection_id', '=', s.collectionId)
      .orderBy('version')
      .execute();
    assert.deepEqual(
      statuses.map((v) => [v.version, v.status]),
      [
        [1, 'replaced'],
        [2, 'replaced'],
        [3, 'loaded'],
      ],
    );
    assert.equal((await s.service.view(s.source, first.returnId)).isCurrent, false);
  });

  test('a collection closed while a return is checked: the return is refused when recorded, its file removed', async () => {
    const s = await setUp();
    const { files } = s.stores;
    // The load's file is held once stored (its checks passed) until the collection has been closed, as
    // meetingPuts holds loads until they meet.
    const { fired: loadChecked, fire: checked } = signal();
    const { fired: closed, fire: release } = signal();
    const holding = new CensusReturnsService({
      db: s.db,
      clock: s.clock,
      files: {
        put: async (file) => {
          const stored = await files.put(file);
          checked();
          await closed;
          return stored;
        },
        get: (file) => files.get(file),
        remove: (key) => files.remove(key),
      },
    });
    const loading = holding.load(
      s.source,
      s.collectionId,
      censusFilename(s.school.number),
      content(censusReturnXml({ school: s.school.number, year: 2026 })),
      false,
    );
    await loadChecked;
    await new DataCollectionsService({ db: s.db, clock: s.clock }).setClosed(
      s.collector,
      s.collectionId,
      true,
    );
    release();
    const outcome = (await loading) as RefusedReturn;
    assert.equal(outcome.status, 'refused');
    assert.deepEqual(outcome.reasons, [
      `School Census 2026 Autumn ${s.la.number} is closed: no more returns can be loaded.`,
    ]);
    assert.equal(outcome.whatToDo, 'If your return still needs to be loaded, contact your LA.');
    assert.deepEqual(
      [...outcome.messages.reasons, outcome.messages.whatToDo].map((text) => translateMessage('cy', text)),
      [
        `Mae School Census 2026 Autumn ${s.la.number} wedi cau: ni ellir lanlwytho rhagor o ffurflenni.`,
        'Os oes angen lanlwytho eich ffurflen o hyd, cysylltwch â’ch awdurdod lleol.',
      ],
    );
    assert.equal(await versionCount(s), 0, 'no version is recorded');
    assert.deepEqual(await storedFiles(s), [], "the refused load's file is removed");
    assert.deepEqual(await refusalDetails(s), [
      {
        collection: `School Census 2026 Autumn ${s.la.number}`,
        filename: outcome.filename,
        reasons: outcome.reasons,
      },
    ]);
  });

  test('a collection closed while a return is being recorded: the close waits for it, and no version is recorded after the close', async () => {
    const s = await setUp();
    // The load's recording transaction is held once it has inserted the version (it read the
    // collection as open just before), and the collection is closed from another connection meanwhile.
    const held = holdingAfterInsertInto(s.db, 'census_returns');
    const holding = new CensusReturnsService({ db: held.db, clock: s.clock, files: s.stores.files });
    const loading = holding.load(
      s.source,
      s.collectionId,
      censusFilename(s.school.number),
      content(censusReturnXml({ school: s.school.number, year: 2026 })),
      false,
    );
    await held.reached;
    const versions = () => versionCount(s);
    let closeCommitted = false;
    const closing = new DataCollectionsService({ db: s.db, clock: s.clock })
      .setClosed(s.collector, s.collectionId, true)
      .then(async () => {
        closeCommitted = true;
        return versions();
      });
    // Let the close go as far as it can while the load's transaction is open: on PostgreSQL until it
    // commits or waits for a lock; on SQLite it waits for the one connection the load holds.
    await doneOrWaitingForLock(database(), () => closeCommitted);
    held.release();
    const outcome = await loading;
    const versionsWhenClosed = await closing;
    const versionsNow = await versions();
    assert.equal(versionsNow, versionsWhenClosed, 'no version is recorded once the close has committed');
    assert.equal(
      outcome.status,
      'loaded',
      'the load that read the collection open is recorded before the close',
    );
    assert.equal(versionsNow, 1);
    const closed = await s.db
      .selectFrom('data_collections')
      .select('closed_at')
      .where('id', '=', s.collectionId)
      .executeTakeFirstOrThrow();
    assert.notEqual(closed.closed_at, null, 'and the collection is closed');
  });

  test('a collection closed by another process while a return is being recorded: the load is recorded, then the close', async () => {
    const s = await setUp();
    // The load's recording transaction is held once it has read the collection open (its file stored),
    // before it writes, and another process (a second node, or a command) closes the collection meanwhile.
    let stored = false;
    const files = Object.create(s.stores.files) as typeof s.stores.files;
    files.put = async (content) => {
      const put = await s.stores.files.put(content);
      stored = true;
      return put;
    };
    const held = holdingAfterSelectFrom(s.db, 'data_collections', () => stored);
    const loading = new CensusReturnsService({ db: held.db, clock: s.clock, files }).load(
      s.source,
      s.collectionId,
      censusFilename(s.school.number),
      content(censusReturnXml({ school: s.school.number, year: 2026 })),
      false,
    );
    await held.reached;
    let closeExited = false;
    const closing = closeInAnotherProcess(database(), s.collectionId, s.collector).finally(() => {
      closeExited = true;
    });
    // Let the close go as far as it can while the load's transaction is open: it waits for the load (on
    // PostgreSQL for the collection's row, on SQLite for the write lock), or commits.
    await doneOrWaitingForLock(database(), () => closeExited);
    held.release();
    const outcome = await loading;
    await closing;
    assert.equal(
      outcome.status,
      'loaded',
      'the load that read the collection open is recorded, not failed by the close',
    );
    assert.equal(await versionCount(s), 1);
    const closed = await s.db
      .selectFrom('data_collections')
      .select('closed_at')
      .where('id', '=', s.collectionId)
      .executeTakeFirstOrThrow();
    assert.notEqual(closed.closed_at, null, 'and the collection is closed');
  });

  test('an explanation sent as the return is submitted is refused; the submitted one stays', async () => {
    const s = await setUp();
    const school = s.school.number;
    const { returnId } = await loaded(
      await s.load(censusFilename(school), censusReturnXml({ school, year: 2026, withQuery: true })),
    );
    const loadedView = await s.service.view(s.source, returnId);
    const query = loadedView.findings.find((f) => f.kind === 'query');
    assert.ok(query);
    await s.service.answerQuery(s.source, returnId, query.id, 'Explained before submitting.');
    await s.service.submit(s.source, returnId, true);
    // A second explanation whose checks ran before the submission (they saw the return loaded).
    const stale = withViewReadBefore(s.service, loadedView);
    await assert.rejects(
      stale.answerQuery(s.source, returnId, query.id, 'Changed afterwards.'),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(error.message, /changed while you were looking at it/);
        return true;
      },
    );
    const after = await s.service.view(s.source, returnId);
    assert.equal(after.version.status, 'submitted');
    assert.equal(after.findings.find((f) => f.id === query.id)?.answer, 'Explained before submitting.');
  });

  test('a submission or an explanation whose checks saw the collection live is refused once it has closed', async () => {
    const s = await setUp();
    const school = s.school.number;
    const { returnId } = await loaded(
      await s.load(censusFilename(school), censusReturnXml({ school, year: 2026, withQuery: true })),
    );
    const liveView = await s.service.view(s.source, returnId);
    assert.equal(liveView.may.submit, true);
    const query = liveView.findings.find((f) => f.kind === 'query');
    assert.ok(query);
    await s.service.answerQuery(s.source, returnId, query.id, 'Explained while live.');
    // The school's pages were read while the collection was live; then the collector closed it.
    await new DataCollectionsService({ db: s.db, clock: s.clock }).setClosed(
      s.collector,
      s.collectionId,
      true,
    );
    const stale = withViewReadBefore(s.service, liveView);
    const closedRefusal = (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.message, /School Census 2026 Autumn .* is closed/);
      return true;
    };
    await assert.rejects(
      stale.answerQuery(s.source, returnId, query.id, 'Changed after the close.'),
      closedRefusal,
    );
    await assert.rejects(stale.submit(s.source, returnId, true), closedRefusal);
    const after = await s.service.view(s.source, returnId);
    assert.equal(after.version.status, 'loaded', 'not submitted into the closed collection');
    assert.equal(after.findings.find((f) => f.id === query.id)?.answer, 'Explained while live.');
  });

  test('in a closed collection, approving a return already approved says it was approved already, not that the collection closed', async () => {
    const s = await setUp();
    const school = s.school.number;
    const { returnId } = await loaded(
      await s.load(censusFilename(school), censusReturnXml({ school, year: 2026 })),
    );
    await s.service.submit(s.source, returnId, true);
    await s.db
      .updateTable('data_collections')
      .set({ closed_at: '2026-11-20T09:00:00.000Z' })
      .where('id', '=', s.collectionId)
      .execute();
    assert.deepEqual(await s.service.approve(s.agent, returnId), { already: false });
    assert.deepEqual(await s.service.approve(s.agent, returnId), { already: true });
  });

  test('the pupils are read back from the encrypted stored file', async () => {
    const s = await setUp();
    const { returnId } = await loaded(
      await s.load(censusFilename(s.school.number), censusReturnXml({ school: s.school.number, year: 2026 })),
    );
    const page = await s.service.pupils(s.source, returnId, 1);
    assert.equal(page.total, 13);
    assert.deepEqual(
      [page.pupils[0]?.upn, page.pupils[0]?.surname, page.pupils[0]?.forename, page.pupils[0]?.onRoll],
      ['Q916201119004', 'Khan', 'Amira', true],
    );
    assert.equal(page.pupils.filter((p) => !p.onRoll).length, 2);
  });

  test("a loaded return's pupils on roll are matched with the Lost Pupils Database, each record once whatever the versions", async () => {
    const s = await setUp();
    // Pupils a school of another LA sent to the Lost Pupils Database, and that LA's lost-pupil user.
    const homeLa = await makeLa(s.db);
    const sender = await makeSchool(s.db, homeLa.number);
    const lostUser = await makeUser(
      s.db,
      'la_lost_pupil',
      { laNumber: homeLa.number },
      { email: 'lost@home.test' },
    );
    const from = school(sender.number);
    const lost = (pupil: Parameters<typeof makeLostPupil>[2]['pupil']) =>
      makeLostPupil(s.db, s.stores.files, { from, pupil });
    // The fixture's Amira Khan (UPN) and Oliver Bennett (born 5 November 2013, moved to 2014 with the year).
    const byUpn = await lost({ upn: 'Q916201119004', surname: 'Kahn' });
    const byName = await lost({ surname: 'Bennett', forename: 'oliver', dateOfBirth: '2014-11-05' });
    await lost({ surname: 'Bennett', forename: 'Oliver', dateOfBirth: '2014-11-06' });
    // A pupil no longer on roll is not where the lost pupil is now.
    await lost({ upn: 'R916210716030' });

    const name = censusFilename(s.school.number);
    const first = await loaded(await s.load(name, censusReturnXml({ school: s.school.number, year: 2026 })));
    const matchesOf = (ids: string[]) =>
      s.db.selectFrom('lost_pupil_matches').selectAll().where('lost_pupil_id', 'in', ids).execute();
    const matches = await matchesOf([byUpn.record.id, byName.record.id]);
    assert.deepEqual(Object.fromEntries(matches.map((m) => [m.lost_pupil_id, m.matched_on])), {
      [byUpn.record.id]: 'upn',
      [byName.record.id]: 'name-dob',
    });
    for (const match of matches) {
      assert.deepEqual(
        [match.census_return_id, match.transfer_id, match.seen_at_school, match.seen_at_la, match.status],
        [first.returnId, null, s.school.number, s.la.number, 'open'],
      );
    }
    assert.equal(
      (
        await s.db
          .selectFrom('lost_pupil_matches')
          .select('id')
          .where('census_return_id', '=', first.returnId)
          .execute()
      ).length,
      2,
      'the near miss and the pupil no longer on roll are not matched',
    );
    const cases = await new MatchesService({ db: s.db, clock: s.clock }).open(actorOf(lostUser));
    assert.deepEqual(
      cases.rows.map((c) => [c.record.id, c.seenInFilename]).sort(),
      [
        [byUpn.record.id, name],
        [byName.record.id, name],
      ].sort(),
    );
    const emails = async () =>
      (
        await s.db
          .selectFrom('notification_outbox')
          .select('payload')
          .where('template', '=', 'lost-pupil-match')
          .where('recipient', '=', lostUser.id)
          .execute()
      ).map((e) => JSON.parse(e.payload) as Record<string, string>);
    assert.deepEqual((await emails()).map((p) => [p.seenIn, p.filename, p.seenAtCode, p.matchedOn]).sort(), [
      ['school census return', name, s.school.number, 'name-dob'],
      ['school census return', name, s.school.number, 'upn'],
    ]);

    // The school corrects its return and loads it again: the LA has these cases already.
    const second = await loaded(
      await s.load(
        censusFilename(s.school.number, 2026, 2),
        censusReturnXml({ school: s.school.number, year: 2026 }),
        true,
      ),
    );
    assert.equal(second.version, 2);
    assert.equal((await matchesOf([byUpn.record.id, byName.record.id])).length, 2);
    assert.equal((await emails()).length, 2);
  });

  test('each kind of bad file is refused with its reason, and nothing is stored', async () => {
    const s = await setUp();
    const good = censusReturnXml({ school: s.school.number, year: 2026 });
    const cases: [string, string | Buffer, RegExp][] = [
      [`${s.school.number}_SC3_${s.la.number}LL26_001.csv`, good, /not an XML file/],
      ['census.xml', good, /Upload the census return|name/i],
      [censusFilename(s.school.number, 2026, 1, 'SC1'), good, /spring census \(SC1\)/],
      [censusFilename(s.school.number, 2025), good, /census year 25/],
      [censusFilename(s.otherSchool.number), good, /not yours/],
      [censusFilename(s.school.number), '', /empty/],
      [censusFilename(s.school.number), '<CTfile><Header/></CTfile>', /not a school census return/],
      [censusFilename(s.school.number), '<!DOCTYPE x [<!ENTITY a "b">]><Message/>', /could not be read/],
      [
        censusFilename(s.school.number),
        censusReturnXml({ school: s.otherSchool.number, year: 2026 }),
        /does not match its name/,
      ],
      [
        censusFilename(s.school.number),
        censusReturnXml({ school: s.school.number, year: 2026, term: 'SPR' }),
        /term SPR/,
      ],
      [censusFilename(s.school.number), Buffer.alloc(RETURN_SIZE_LIMIT + 1, 32), /larger than 10 MB/],
      // Saved as ISO-8859-1: the é of Renée is one byte, on the line of her surname.
      [
        censusFilename(s.school.number),
        Buffer.from(good.replace('<Surname>Khan</Surname>', '<Surname>Renée</Surname>'), 'latin1'),
        new RegExp(
          `not valid UTF-8 text.*\\(line ${good.split('\n').findIndex((line) => line.includes('<Surname>Khan')) + 1}, column 21\\)`,
        ),
      ],
    ];
    for (const [name, xml, reason] of cases) {
      const outcome = await s.load(name, xml);
      assert.equal(outcome.status, 'refused', name);
      if (outcome.status === 'refused') {
        assert.match(outcome.reasons.join(' '), reason, `${name}: ${outcome.reasons.join(' ')}`);
        assert.ok(outcome.whatToDo.length > 0);
      }
    }
    assert.equal(await versionCount(s), 0);
    assert.equal((await storedFiles(s)).length, 0, 'no file was stored');
    assert.equal((await refusalDetails(s)).length, cases.length);
  });

  test('a bad file for a school that has a return is refused for what is wrong with it, before any question of replacing', async () => {
    const s = await setUp();
    const good = censusReturnXml({ school: s.school.number, year: 2026 });
    await loaded(await s.load(censusFilename(s.school.number), good));
    const cases: [string | Buffer, RegExp, RegExp][] = [
      ['<!DOCTYPE x [<!ENTITY a "b">]><Message/>', /declares a DOCTYPE/, /Make the return again in your MIS/],
      [
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(good, 'utf16le')]),
        /could not be read as a census return: The file is saved as UTF-16 text/,
        /^Save it as UTF-8 from your MIS/,
      ],
      [
        censusReturnXml({ school: s.otherSchool.number, year: 2026 }),
        /does not match its name/,
        /do not rename a return/,
      ],
    ];
    for (const [xml, reason, whatToDo] of cases) {
      const outcome = await s.load(censusFilename(s.school.number, 2026, 2), xml);
      assert.equal(outcome.status, 'refused');
      if (outcome.status === 'refused') {
        assert.match(outcome.reasons.join(' '), reason);
        assert.doesNotMatch(outcome.reasons.join(' '), /already has a return/);
        assert.match(outcome.whatToDo, whatToDo);
      }
    }
    // A good one is asked about, as before.
    const unconfirmed = await s.load(censusFilename(s.school.number, 2026, 2), good);
    assert.equal(unconfirmed.status, 'refused');
    if (unconfirmed.status === 'refused') assert.match(unconfirmed.reasons.join(' '), /already has a return/);
    assert.equal(await versionCount(s), 1);
  });

  test('a name ending in spaces after .XML is refused for the spaces, not as a file that is not XML', async () => {
    const s = await setUp();
    const good = censusReturnXml({ school: s.school.number, year: 2026 });
    // A space the eye cannot see, then a no-break space: the name still reads as ...001.XML.
    for (const name of [`${censusFilename(s.school.number)} `, `${censusFilename(s.school.number)}\u00a0`]) {
      const outcome = await s.load(name, good);
      assert.equal(outcome.status, 'refused', JSON.stringify(name));
      if (outcome.status === 'refused') {
        assert.match(outcome.reasons.join(' '), /ends with a space: remove it/, JSON.stringify(name));
        assert.doesNotMatch(outcome.reasons.join(' '), /not an XML file/, JSON.stringify(name));
      }
    }
    assert.equal(await versionCount(s), 0);
    assert.equal((await storedFiles(s)).length, 0, 'no file was stored');
  });

  test("a return of another census day than the collection's is refused, naming both days; nothing is stored", async () => {
    const s = await setUp();
    const school = s.school.number;
    const lateDay = censusReturnXml({ school, year: 2026, referenceDate: '2026-11-27' });
    // Last year's return with no <Year>: rule 100 cannot tell its year, the collection's census day can.
    const lastYear = censusReturnXml({ school, year: 2024 }).replace('<Year>2024</Year>', '');
    const cases: [string, RegExp][] = [
      [lateDay, /the return’s census day is 27 November 2026, the collection’s 1 October 2026/],
      [lastYear, /the return’s census day is 3 October 2024, the collection’s 1 October 2026/],
    ];
    for (const [xml, reason] of cases) {
      const outcome = await s.load(censusFilename(school), xml);
      assert.equal(outcome.status, 'refused');
      if (outcome.status !== 'refused') continue;
      assert.match(outcome.reasons.join(' '), reason);
      assert.equal(
        outcome.whatToDo,
        'Produce the return again in your MIS for this collection’s census day, 1 October 2026, and upload the new file. Do not change the file by hand.',
      );
    }
    assert.equal(await versionCount(s), 0);
    // The collection's own census day is loaded.
    await loaded(await s.load(censusFilename(school), censusReturnXml({ school, year: 2026 })));
  });

  test('a collection not yet open or closed takes no return; a school of another LA has no part', async () => {
    const notOpen = await setUp({ open: '2026-12-01' });
    const refused = await notOpen.load(
      censusFilename(notOpen.school.number),
      censusReturnXml({ school: notOpen.school.number, year: 2026 }),
    );
    assert.equal(refused.status, 'refused');
    // The day in words, as every date a page gives.
    assert.equal(
      refused.status === 'refused' ? refused.reasons[0] : '',
      `School Census 2026 Autumn ${notOpen.la.number} opens for returns on 1 December 2026.`,
    );
    const [inWelsh] = refused.status === 'refused' ? refused.messages.reasons : [];
    assert.match(
      inWelsh ? translateMessage('cy', inWelsh) : '',
      /yn agor i dderbyn ffurflenni ar 1 Rhagfyr 2026\.$/,
    );
    const closed = await setUp({ closed: true });
    const refusedClosed = await closed.load(
      censusFilename(closed.school.number),
      censusReturnXml({ school: closed.school.number, year: 2026 }),
    );
    assert.match(refusedClosed.status === 'refused' ? (refusedClosed.reasons[0] ?? '') : '', /is closed/);
    const db = closed.db;
    const outsiderLa = await makeLa(db);
    const outsiderSchool = await makeSchool(db, outsiderLa.number);
    const outsider = actorOf(
      await makeUser(db, 'school', {
        laNumber: outsiderLa.number,
        establishmentNumber: outsiderSchool.number,
      }),
    );
    await assert.rejects(
      closed.service.load(outsider, closed.collectionId, 'x.XML', content('x'), false),
      NotFound,
    );
    await assert.rejects(
      closed.service.load(closed.agent, closed.collectionId, 'x.XML', content('x'), false),
      // A return is its school's own: a rule no role would change, so the page asks for no new role.
      (error: unknown) => error instanceof Forbidden && !error.byRole,
    );
  });

  test('the whole journey: fix at source, answer the query, submit, returned, submitted again, approved', async () => {
    const s = await setUp();
    const school = s.school.number;
    const first = await loaded(
      await s.load(
        censusFilename(school),
        censusReturnXml({ school, year: 2026, withError: true, withQuery: true }),
      ),
    );
    // Errors block submission.
    await assert.rejects(s.service.submit(s.source, first.returnId, true), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.message, /1 error: correct them in your MIS/);
      return true;
    });
    // An errorless file replaces it only when the school confirms it.
    const fixedXml = censusReturnXml({ school, year: 2026, withQuery: true });
    const unconfirmed = await s.load(censusFilename(school, 2026, 2), fixedXml);
    assert.equal(unconfirmed.status, 'refused');
    // A file too large to load is refused as such, not sent back to have the replace box ticked first.
    const tooLarge = await s.load(censusFilename(school, 2026, 2), Buffer.alloc(RETURN_SIZE_LIMIT + 1, 32));
    assert.equal(tooLarge.status, 'refused');
    if (tooLarge.status === 'refused') {
      assert.match(tooLarge.reasons.join(' '), /larger than 10 MB/);
      assert.doesNotMatch(tooLarge.reasons.join(' '), /already/);
    }
    const second = await loaded(await s.load(censusFilename(school, 2026, 2), fixedXml, true));
    assert.deepEqual([second.version, second.errors, second.queries, second.replacedVersion], [2, 0, 1, 1]);
    const old = await s.service.view(s.source, first.returnId);
    assert.equal(old.version.status, 'replaced');
    assert.equal(old.isCurrent, false);
    assert.deepEqual(old.may, { answer: false, submit: false, decide: false, note: false });
    assert.deepEqual(
      old.versions.map((v) => v.version),
      [2, 1],
    );

    // The query must be explained (an error cannot be), then the headteacher's approval confirmed.
    const view = await s.service.view(s.source, second.returnId);
    const query = view.findings.find((f) => f.kind === 'query');
    assert.ok(query);
    await assert.rejects(s.service.submit(s.source, second.returnId, true), /Explain the query/);
    await assert.rejects(s.service.answerQuery(s.source, second.returnId, query.id, '  '), Invalid);
    s.clock.advanceMinutes(5);
    await s.service.answerQuery(
      s.source,
      second.returnId,
      query.id,
      'Two families declined; we are asking again.',
    );
    await assert.rejects(s.service.submit(s.source, second.returnId, false), /headteacher has approved/);
    s.clock.advanceMinutes(5);
    await s.service.submit(s.source, second.returnId, true);

    // Now the LA sees it (not the first version, never submitted); the collector still does not.
    const atLa = await s.service.view(s.agent, second.returnId);
    assert.equal(atLa.version.status, 'submitted');
    assert.equal(
      atLa.findings.find((f) => f.kind === 'query')?.answer,
      'Two families declined; we are asking again.',
    );
    assert.deepEqual(atLa.may, { answer: false, submit: false, decide: true, note: true });
    assert.deepEqual(
      atLa.versions.map((v) => v.version),
      [2],
    );
    await assert.rejects(s.service.view(s.agent, first.returnId), NotFound);
    await assert.rejects(s.service.view(s.collector, second.returnId), NotFound);
    await assert.rejects(s.service.view(s.otherAgent, second.returnId), NotFound);
    await assert.rejects(s.service.approve(s.source, second.returnId), Invalid);

    // A note, then returned to the school (a note is required) ...
    s.clock.advanceMinutes(5);
    await s.service.addNote(s.agent, second.returnId, 'Checked against last year: numbers fine.');
    await assert.rejects(s.service.returnToSchool(s.agent, second.returnId, ''), /Enter a note/);
    s.clock.advanceMinutes(5);
    await s.service.returnToSchool(s.agent, second.returnId, 'Please check the ethnicity of pupil 5.');
    assert.equal((await s.service.view(s.source, second.returnId)).version.status, 'returned');
    await assert.rejects(s.service.approve(s.agent, second.returnId), /the return is returned to school/);
    // ... and a note added since, emailed to the school (below), as the return is with it to correct.
    s.clock.advanceMinutes(5);
    assert.deepEqual(await s.service.addNote(s.agent, second.returnId, 'And pupil 7’s year group.'), {
      already: false,
      emailed: true,
    });

    // The school sees the LA's note, and its other notes on the version; the returned version is not
    // submitted again (census guide: "a new file will need to be created within the school MIS").
    const returned = await s.service.view(s.source, second.returnId);
    assert.equal(returned.returnedNote?.note, 'Please check the ethnicity of pupil 5.');
    assert.deepEqual(
      returned.returnedNote?.notes.map((n) => n.note),
      ['Checked against last year: numbers fine.', 'And pupil 7’s year group.'],
    );
    assert.deepEqual(returned.may, { answer: false, submit: false, decide: false, note: false });
    assert.equal(
      (await s.service.view(s.agent, second.returnId)).returnedNote,
      null,
      'the note is the school’s',
    );
    assert.equal(
      (await s.service.schoolOverview(s.source, s.collectionId)).returnedNote?.note,
      'Please check the ethnicity of pupil 5.',
    );
    await assert.rejects(s.service.submit(s.source, second.returnId, true), /Your LA returned this version/);
    await assert.rejects(
      s.service.answerQuery(s.source, second.returnId, query.id, 'Again'),
      /Your LA returned this version/,
    );

    // A new file made in the MIS is loaded, explained, submitted, and approved: now the collector sees it.
    s.clock.advanceMinutes(5);
    const third = await loaded(await s.load(censusFilename(school, 2026, 3), fixedXml, true));
    assert.equal(third.version, 3);
    assert.equal((await s.service.schoolOverview(s.source, s.collectionId)).returnedNote, null);
    // A note on the returned version now replaced is not emailed: the school has moved on to version 3.
    s.clock.advanceMinutes(1);
    assert.deepEqual(await s.service.addNote(s.agent, second.returnId, 'Thanks.'), {
      already: false,
      emailed: false,
    });
    const thirdQuery = (await s.service.view(s.source, third.returnId)).findings.find(
      (f) => f.kind === 'query',
    );
    s.clock.advanceMinutes(5);
    await s.service.answerQuery(
      s.source,
      third.returnId,
      thirdQuery?.id ?? '',
      'Pupil 5 corrected; two declined.',
    );
    s.clock.advanceMinutes(5);
    await s.service.submit(s.source, third.returnId, true);
    s.clock.advanceMinutes(5);
    await s.service.approve(s.agent, third.returnId);
    const atCollector = await s.service.view(s.collector, third.returnId);
    assert.equal(atCollector.version.status, 'approved');
    assert.deepEqual(atCollector.may, { answer: false, submit: false, decide: false, note: false });
    assert.deepEqual(
      (await s.service.approvedList(s.collector, s.collectionId)).schools.map((r) => r.version?.version),
      [3],
    );
    assert.deepEqual(
      atCollector.events.map((e) => [e.action, e.note]),
      [
        ['loaded', null],
        ['query-answered', '1700Q: Pupil 5 corrected; two declined.'],
        ['submitted', null],
        ['approved', null],
      ],
    );
    // The LA sees the whole history of the versions submitted to it.
    assert.deepEqual(
      (await s.service.view(s.agent, third.returnId)).events.map((e) => [e.version, e.action]),
      [
        [2, 'loaded'],
        [2, 'query-answered'],
        [2, 'submitted'],
        [2, 'note'],
        [2, 'returned'],
        [2, 'note'],
        [3, 'loaded'],
        [2, 'note'],
        [3, 'query-answered'],
        [3, 'submitted'],
        [3, 'approved'],
      ],
    );

    // The emails: to the LA on each submission, to the school when returned (and of the note added while
    // returned) and when approved.
    const outbox = await s.db
      .selectFrom('notification_outbox')
      .select(['template', 'recipient_kind', 'recipient', 'payload'])
      .where('template', 'like', 'census-return-%')
      .where('recipient', 'in', [s.la.number, school])
      .orderBy('created_at')
      .execute();
    assert.deepEqual(
      outbox.map((n) => [n.template, n.recipient_kind, n.recipient]),
      [
        ['census-return-submitted', 'la', s.la.number],
        ['census-return-returned', 'school', school],
        ['census-return-returned', 'school', school],
        ['census-return-submitted', 'la', s.la.number],
        ['census-return-approved', 'school', school],
      ],
    );
    assert.equal(JSON.parse(outbox[1]?.payload ?? '{}').note, 'Please check the ethnicity of pupil 5.');
    assert.deepEqual(
      [JSON.parse(outbox[2]?.payload ?? '{}').how, JSON.parse(outbox[2]?.payload ?? '{}').note],
      ['note-added', 'And pupil 7’s year group.'],
    );
  });

  test('a version loaded after approval leaves the approved one approved, with the DfE, until a later one is approved', async () => {
    const s = await setUp();
    const school = s.school.number;
    const xml = censusReturnXml({ school, year: 2026 });
    const first = await loaded(await s.load(censusFilename(school), xml));
    await s.service.submit(s.source, first.returnId, true);
    await s.service.approve(s.agent, first.returnId);
    const reloadedEmails = () =>
      s.db
        .selectFrom('notification_outbox')
        .select(['recipient_kind', 'recipient', 'payload'])
        .where('template', '=', 'census-return-reloaded')
        .where('recipient', '=', s.la.number)
        .execute();

    s.clock.advanceMinutes(5);
    const second = await loaded(await s.load(censusFilename(school, 2026, 2), xml, true));
    const status = async (returnId: string) =>
      (await s.db.selectFrom('census_returns').select('status').where('id', '=', returnId).executeTakeFirst())
        ?.status;
    assert.equal(await status(first.returnId), 'approved');
    // The school and the LA see it approved, a later version being prepared; the collector only approved.
    const atSchool = await s.service.view(s.source, first.returnId);
    assert.deepEqual(
      [atSchool.isCurrent, atSchool.later],
      [false, { id: second.returnId, version: 2, status: 'loaded', openable: true }],
    );
    const atLa = await s.service.view(s.agent, first.returnId);
    assert.deepEqual(atLa.later, { id: second.returnId, version: 2, status: 'loaded', openable: false });
    const atCollector = await s.service.view(s.collector, first.returnId);
    assert.deepEqual(
      [atCollector.version.status, atCollector.isCurrent, atCollector.later],
      ['approved', true, null],
    );
    assert.deepEqual(
      (await s.service.approvedList(s.collector, s.collectionId)).schools.map((r) => r.version?.version),
      [1],
    );
    // The LA's dashboard keeps the approved version, its link and its count.
    const dashboard = async () => {
      const { schools, counts } = await s.service.dashboard(s.agent, s.collectionId);
      const row = schools.find((r) => r.number === school);
      return {
        row: [
          row?.version?.version,
          row?.version?.status,
          row?.openable,
          row?.later?.version,
          row?.approved?.version,
        ],
        counts,
      };
    };
    assert.deepEqual(await dashboard(), {
      row: [1, 'approved', true, 2, undefined],
      counts: { 'Not loaded': 1, Approved: 1 },
    });
    // The LA is told, once: the school's next version does not email it again.
    const emails = await reloadedEmails();
    assert.deepEqual(
      emails.map((e) => [e.recipient_kind, e.recipient]),
      [['la', s.la.number]],
    );
    const payload = JSON.parse(emails[0]?.payload ?? '{}');
    assert.deepEqual(
      [payload.version, payload.approvedVersion, payload.path],
      [2, 1, `/collect/collections/${s.collectionId}`],
    );
    s.clock.advanceMinutes(5);
    const third = await loaded(await s.load(censusFilename(school, 2026, 3), xml, true));
    assert.deepEqual([await status(first.returnId), await status(second.returnId)], ['approved', 'replaced']);
    assert.equal((await reloadedEmails()).length, 1);

    // Submitted: the LA decides on it, the approved version still standing.
    await s.service.submit(s.source, third.returnId, true);
    assert.deepEqual(await dashboard(), {
      row: [3, 'submitted', true, undefined, 1],
      counts: { 'Not loaded': 1, Submitted: 1 },
    });
    assert.equal((await s.service.view(s.agent, first.returnId)).later?.status, 'submitted');
    // Approved: it replaces the first for everyone.
    s.clock.advanceMinutes(5);
    await s.service.approve(s.agent, third.returnId);
    assert.equal(await status(first.returnId), 'replaced');
    assert.deepEqual(
      (await s.service.approvedList(s.collector, s.collectionId)).schools.map((r) => r.version?.version),
      [3],
    );
    const earlier = await s.service.view(s.collector, first.returnId);
    assert.deepEqual([earlier.isCurrent, earlier.later], [false, null]);
    assert.deepEqual((await dashboard()).row, [3, 'approved', true, undefined, undefined]);
  });

  test('a decision on a return that changed meanwhile is refused, and the change stays', async () => {
    const s = await setUp();
    const school = s.school.number;
    const { returnId } = await loaded(
      await s.load(censusFilename(school), censusReturnXml({ school, year: 2026 })),
    );
    await s.service.submit(s.source, returnId, true);
    // Two LA users decide at once: the view both saw allowed it; the second finds it decided.
    const [a, b] = await Promise.allSettled([
      s.service.approve(s.agent, returnId),
      s.service.returnToSchool(s.agent, returnId, 'Too late'),
    ]);
    const outcomes = [a.status, b.status].sort();
    assert.deepEqual(outcomes, ['fulfilled', 'rejected']);
    const status = (await s.service.view(s.source, returnId)).version.status;
    assert.ok(status === 'approved' || status === 'returned');
  });

  test('the daily sweep keeps the stored files of census returns', async () => {
    const s = await setUp();
    const school = s.school.number;
    const { returnId } = await loaded(
      await s.load(censusFilename(school), censusReturnXml({ school, year: 2026 })),
    );
    // The store is fresh, so it holds this return's file only; the sweep's clock is years ahead.
    const result = await sweepOrphanFiles(s.db, s.stores.raw, {
      now: () => new Date(Date.now() + ORPHAN_GRACE_HOURS * 3_600_000 * 1000),
    });
    assert.equal(result.removed, 0);
    assert.equal((await s.service.pupils(s.source, returnId, 1)).total, 13);
  });
});

for (const engine of ENGINES) {
  test(`approved versions marked replaced by a later upload are approved again by migration 026 [${engine}]`, async () => {
    const database = await createTestDatabase(engine, '025-forwarded-transfers');
    try {
      const db = withAuditEventsBefore036(database.db);
      const la = await makeLa(db);
      const [first, second] = [await makeSchool(db, la.number), await makeSchool(db, la.number)];
      const admin = await makeUser(db, 'national_admin');
      const collectionId = await new DataCollectionsService({ db, clock: new ManualClock(NOW) }).create(
        actorOf(admin),
        autumnCensusForm([la.number]),
      );
      const at = NOW;
      const version = (school: string, number: number, status: CensusReturnStatus, approved: boolean) => ({
        id: `${school}-${number}`,
        collection_id: collectionId,
        establishment_number: school,
        la_number: la.number,
        version: number,
        filename: censusFilename(school, 2026, number),
        status,
        error_count: 0,
        query_count: 0,
        pupil_count: 13,
        school_details: '{}',
        size: 1,
        sha256: 'x',
        storage_key: `${school}-${number}`,
        wrapped_key: 'x',
        master_key_id: 'x',
        uploaded_by: admin.id,
        uploaded_by_scope: 'school' as const,
        uploaded_at: at,
        submitted_at: approved ? at : null,
        approved_at: approved ? at : null,
        replaced_at: status === 'replaced' ? at : null,
      });
      await db
        .insertInto('census_returns')
        .values([
          // Approved twice, then a third version loaded: the second is the DfE's.
          version(first.number, 1, 'replaced', true),
          version(first.number, 2, 'replaced', true),
          version(first.number, 3, 'loaded', false),
          // Never approved before its latest version was.
          version(second.number, 1, 'replaced', false),
          version(second.number, 2, 'approved', true),
        ])
        .execute();
      await migrateToLatest(db, database.schema);
      const rows = await db
        .selectFrom('census_returns')
        .select(['id', 'status', 'replaced_at'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.id, r.status, r.replaced_at]),
        [
          [`${first.number}-1`, 'replaced', at],
          [`${first.number}-2`, 'approved', null],
          [`${first.number}-3`, 'loaded', null],
          [`${second.number}-1`, 'replaced', at],
          [`${second.number}-2`, 'approved', null],
        ],
      );
    } finally {
      await database.drop();
    }
  });
}
