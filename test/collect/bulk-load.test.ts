// The LA's bulk upload of its schools' census returns as a zip, on both engines: through the loader (each
// file's outcome, versions loaded by the LA, replacing, and every kind of unsafe or unwanted zip) and
// through the pages (the form, the results, and who is kept out).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { Actor } from '../../src/auth/actor.ts';
import {
  BULK_UNCOMPRESSED_LIMIT,
  type BulkLoadResult,
  BulkReturnsLoader,
  MAX_BULK_FILES,
} from '../../src/collect/bulk-load.ts';
import { DataCollectionsService } from '../../src/collect/collections-service.ts';
import { actsAsSource, mayOpen } from '../../src/collect/policy.ts';
import {
  CensusReturnsService,
  type LoadOutcome,
  RETURN_SIZE_LIMIT,
} from '../../src/collect/returns-service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { PooledContentChecks } from '../../src/transfers/content-check-pool.ts';
import { fillContentChecks } from '../support/busy.ts';
import { autumnCensusForm, censusFilename, censusReturnXml } from '../support/census.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { cellTexts } from '../support/reports.ts';
import { actorOf, makeFileStores } from '../support/transfers.ts';
import { createTestApp, errorSummary, signedInUser, type TestApp } from '../support/web.ts';
import { type ZipItem, zipOf } from '../support/zips.ts';

/** The zip with the uncompressed size its directory gives for `name` changed to `size` (a lying header). */
function declaringSize(zip: Buffer, name: string, size: number): Buffer {
  const patched = Buffer.from(zip);
  const end = patched.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = patched.readUInt16LE(end + 10);
  let at = patched.readUInt32LE(end + 16);
  for (let i = 0; i < entries; i += 1) {
    const nameLength = patched.readUInt16LE(at + 28);
    const entryName = patched.toString('utf8', at + 46, at + 46 + nameLength);
    if (entryName === name) patched.writeUInt32LE(size, at + 24);
    at += 46 + nameLength + patched.readUInt16LE(at + 30) + patched.readUInt16LE(at + 32);
  }
  return patched;
}

let bomb: Promise<Buffer> | undefined;
/** Under 1 MB zipped, just over BULK_UNCOMPRESSED_LIMIT inflated, in files no larger than a return; made once. */
function zipBomb(): Promise<Buffer> {
  const largest = Buffer.alloc(RETURN_SIZE_LIMIT, 32);
  const count = Math.floor(BULK_UNCOMPRESSED_LIMIT / RETURN_SIZE_LIMIT) + 1;
  bomb ??= zipOf(Array.from({ length: count }, (_, i) => [`${i}.XML`, largest] satisfies ZipItem));
  return bomb;
}

const refusedReasons = (result: BulkLoadResult, index: number) => {
  const outcome = result.entries[index]?.outcome;
  return outcome?.status === 'refused' ? outcome.reasons.join(' ') : `not refused: ${outcome?.status}`;
};

/** Each file's outcome as [file, status, errors] for loaded ones, [file, status] for refused ones. */
const outcomes = (result: BulkLoadResult) =>
  result.entries.map(({ outcome }) =>
    outcome.status === 'loaded'
      ? [outcome.filename, outcome.status, outcome.errors]
      : [outcome.filename, outcome.status],
  );

describeEachEngine('bulk upload of census returns', (database) => {
  /** An LA taking part in a live autumn 2026 collection, three of its schools, and another LA's school. */
  async function setUp() {
    const db: Db = database().db;
    const clock = new ManualClock('2026-11-23T09:00:00.000Z');
    const deps = { db, files: makeFileStores().files, clock };
    const loader = new BulkReturnsLoader(deps);
    const returns = new CensusReturnsService(deps);
    const la = await makeLa(db);
    const schools = [
      await makeSchool(db, la.number, { name: `Ash Primary ${la.number}` }),
      await makeSchool(db, la.number, { name: `Beech Primary ${la.number}` }),
      await makeSchool(db, la.number, { name: `Cedar Primary ${la.number}` }),
    ] as const;
    const otherLa = await makeLa(db);
    const otherLaSchool = await makeSchool(db, otherLa.number);
    const admin = await makeUser(db, 'national_admin');
    const collectionId = await new DataCollectionsService({ db, clock }).create(
      actorOf(admin),
      autumnCensusForm([la.number], { name: `School Census 2026 Autumn ${la.number}` }),
    );
    const agent = actorOf(await makeUser(db, 'la_user', { laNumber: la.number }));
    const item = (school: { number: string }, options: { withError?: boolean; sequence?: number } = {}) =>
      [
        censusFilename(school.number, 2026, options.sequence ?? 1),
        censusReturnXml({ school: school.number, year: 2026, withError: options.withError }),
      ] satisfies ZipItem;
    const load = async (actor: Actor, items: ZipItem[], replace = false) =>
      loader.load(actor, collectionId, await zipOf(items), replace);
    return {
      db,
      deps,
      loader,
      returns,
      la,
      schools,
      otherLa,
      otherLaSchool,
      collectionId,
      agent,
      item,
      load,
    };
  }

  test('each file of the zip is loaded or refused in its order; the LA loaded the versions and may act on them', async () => {
    const s = await setUp();
    const [ash, beech] = s.schools;
    const result = await s.load(s.agent, [
      s.item(ash, { withError: true }),
      s.item(beech),
      s.item(s.otherLaSchool),
    ]);
    assert.deepEqual(outcomes(result), [
      [censusFilename(ash.number), 'loaded', 1],
      [censusFilename(beech.number), 'loaded', 0],
      [censusFilename(s.otherLaSchool.number), 'refused'],
    ]);
    assert.deepEqual([result.loaded, result.refused], [2, 1]);
    assert.match(
      refusedReasons(result, 2),
      new RegExp(`School ${s.otherLaSchool.number} is not a school of your LA`),
    );
    assert.deepEqual(
      result.entries.map((e) => e.school),
      [
        { number: ash.number, name: ash.name },
        { number: beech.number, name: beech.name },
        { number: s.otherLaSchool.number, name: null },
      ],
    );

    for (const { outcome } of result.entries.slice(0, 2)) {
      assert.equal(outcome.status, 'loaded');
      if (outcome.status !== 'loaded') continue;
      const row = await s.db
        .selectFrom('census_returns')
        .selectAll()
        .where('id', '=', outcome.returnId)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        [row.uploaded_by_scope, row.uploaded_by, row.version, row.la_number],
        ['la', s.agent.userId, 1, s.la.number],
      );
      assert.ok(mayOpen(s.agent, row), 'the LA opens the return it loaded');
      assert.ok(actsAsSource(s.agent, row), 'and acts as its source');
      const view = await s.returns.view(s.agent, outcome.returnId);
      assert.equal(view.may.submit, true);
    }
    const audit = await s.db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_user_id', '=', s.agent.userId)
      .orderBy('occurred_at')
      .execute();
    assert.deepEqual(audit.map((a) => a.action).sort(), [
      'census-return-loaded',
      'census-return-loaded',
      'census-return-refused',
    ]);
  });

  test('while s2s is busy reading other files, a return of the zip is refused as busy and the others keep their outcomes', async () => {
    const s = await setUp();
    const [ash] = s.schools;
    const checks = new PooledContentChecks({ workers: 1, maxQueuedBytes: 1024 * 1024 });
    try {
      const loader = new BulkReturnsLoader({ ...s.deps, censusChecks: checks });
      const backlogRead = fillContentChecks(checks, 1024 * 1024);
      const result = await loader.load(
        s.agent,
        s.collectionId,
        await zipOf([s.item(s.otherLaSchool), s.item(ash)]),
        false,
      );
      assert.deepEqual(outcomes(result), [
        [censusFilename(s.otherLaSchool.number), 'refused'],
        [censusFilename(ash.number), 'refused'],
      ]);
      assert.match(refusedReasons(result, 0), /is not a school of your LA/);
      assert.equal(
        refusedReasons(result, 1),
        's2s was busy checking other files just now, so this return was not checked or loaded.',
      );
      const outcome = result.entries[1]?.outcome;
      assert.match(outcome?.status === 'refused' ? outcome.whatToDo : '', /again in a few minutes/);
      await backlogRead;
      const again = await loader.load(s.agent, s.collectionId, await zipOf([s.item(ash)]), false);
      assert.deepEqual(outcomes(again), [[censusFilename(ash.number), 'loaded', 0]]);
    } finally {
      await checks.close();
    }
  });

  test('a school with a return is refused unless the LA confirms its file replaces it; then it is version 2', async () => {
    const s = await setUp();
    const [ash, beech, cedar] = s.schools;
    await s.load(s.agent, [s.item(ash), s.item(beech)]);

    const unconfirmed = await s.load(s.agent, [s.item(ash, { sequence: 2 }), s.item(cedar)]);
    assert.deepEqual(
      unconfirmed.entries.map((e) => e.outcome.status),
      ['refused', 'loaded'],
    );
    assert.match(refusedReasons(unconfirmed, 0), /already has a return .* \(version 1, loaded\)/);

    const confirmed = await s.load(
      s.agent,
      [s.item(ash, { sequence: 2 }), s.item(beech, { sequence: 2 })],
      true,
    );
    assert.deepEqual(
      confirmed.entries.map((e) =>
        e.outcome.status === 'loaded' ? [e.outcome.version, e.outcome.replacedVersion] : e.outcome.status,
      ),
      [
        [2, 1],
        [2, 1],
      ],
    );
  });

  test('a return of the zip its school loads while the zip is checked is refused, saying why; the others are loaded', async () => {
    const s = await setUp();
    const [ash, beech] = s.schools;
    const schoolUser = actorOf(
      await makeUser(s.db, 'school', { laNumber: s.la.number, establishmentNumber: ash.number }),
    );
    const { files } = s.deps;
    // The school loads its own return once the zip's has passed its checks, before the zip's is recorded.
    let bySchool: Promise<LoadOutcome> | undefined;
    const loader = new BulkReturnsLoader({
      ...s.deps,
      files: {
        put: async (content) => {
          const stored = await files.put(content);
          bySchool ??= s.returns.load(
            schoolUser,
            s.collectionId,
            censusFilename(ash.number),
            Readable.from([Buffer.from(censusReturnXml({ school: ash.number, year: 2026 }))]),
            false,
          );
          await bySchool;
          return stored;
        },
        get: (file) => files.get(file),
        remove: (key) => files.remove(key),
      },
    });
    const result = await loader.load(
      s.agent,
      s.collectionId,
      await zipOf([s.item(ash), s.item(beech)]),
      false,
    );
    assert.equal((await bySchool)?.status, 'loaded');
    assert.deepEqual(outcomes(result), [
      [censusFilename(ash.number), 'refused'],
      [censusFilename(beech.number), 'loaded', 0],
    ]);
    assert.deepEqual([result.loaded, result.refused], [1, 1]);
    assert.equal(
      refusedReasons(result, 0),
      `Another upload loaded a return for ${ash.name} into School Census 2026 Autumn ${s.la.number} while this file was being checked (version 1, loaded), so this file was not loaded.`,
    );
    const versions = await s.db
      .selectFrom('census_returns')
      .select(['establishment_number', 'version', 'uploaded_by_scope'])
      .where('collection_id', '=', s.collectionId)
      .execute();
    assert.deepEqual(
      Object.fromEntries(versions.map((v) => [v.establishment_number, [v.version, v.uploaded_by_scope]])),
      { [ash.number]: [1, 'school'], [beech.number]: [1, 'la'] },
    );
  });

  test('folders are skipped and only the base name of each file is kept', async () => {
    const s = await setUp();
    const [ash, beech] = s.schools;
    const [ashName, ashXml] = s.item(ash);
    const [beechName, beechXml] = s.item(beech);
    const result = await s.load(s.agent, [
      ['returns/'],
      ['returns/autumn/'],
      [`returns/autumn/${ashName}`, ashXml],
      [`returns/${beechName}`, beechXml],
      // What macOS adds to the zips it makes.
      ['__MACOSX/returns/._x.XML', 'x'],
      ['returns/.DS_Store', 'x'],
    ]);
    assert.deepEqual(outcomes(result), [
      [ashName, 'loaded', 0],
      [beechName, 'loaded', 0],
    ]);
  });

  test('a second return for a school in the same zip is refused', async () => {
    const s = await setUp();
    const [ash] = s.schools;
    const result = await s.load(s.agent, [s.item(ash), s.item(ash, { sequence: 2 })]);
    assert.deepEqual(
      result.entries.map((e) => e.outcome.status),
      ['loaded', 'refused'],
    );
    assert.match(
      refusedReasons(result, 1),
      new RegExp(
        `The zip holds two returns for school ${ash.number}: only the first, ${censusFilename(ash.number)}`,
      ),
    );
    const rows = await s.db
      .selectFrom('census_returns')
      .select('version')
      .where('establishment_number', '=', ash.number)
      .execute();
    assert.equal(rows.length, 1);
  });

  test("a return of another census day than the collection's is refused like a single upload", async () => {
    const s = await setUp();
    const [ash, beech] = s.schools;
    const lateDay = censusReturnXml({ school: beech.number, year: 2026, referenceDate: '2026-11-27' });
    const result = await s.load(s.agent, [s.item(ash), [censusFilename(beech.number), lateDay]]);
    assert.deepEqual(outcomes(result), [
      [censusFilename(ash.number), 'loaded', 0],
      [censusFilename(beech.number), 'refused'],
    ]);
    assert.match(
      refusedReasons(result, 1),
      /the return’s census day is 27 November 2026, the collection’s 1 October 2026/,
    );
  });

  test('a file larger than a return is refused, whatever its header says, and the others are loaded', async () => {
    const s = await setUp();
    const [ash, beech, cedar] = s.schools;
    const tooLarge = Buffer.alloc(RETURN_SIZE_LIMIT + 1, 32);
    const lying = censusFilename(cedar.number);
    const zip = declaringSize(
      await zipOf([[censusFilename(ash.number), tooLarge], s.item(beech), [lying, tooLarge]]),
      lying,
      1000,
    );
    const result = await s.loader.load(s.agent, s.collectionId, zip, false);
    assert.deepEqual(
      result.entries.map((e) => e.outcome.status),
      ['refused', 'loaded', 'refused'],
    );
    assert.match(refusedReasons(result, 0), /larger than 10 MB/);
    // Its header says 1000 bytes: reading stops as soon as it gives more.
    assert.match(refusedReasons(result, 2), /could not be read from the zip/);
  });

  test('a zip that cannot be loaded as a whole is refused with the reason, and nothing is loaded', async () => {
    const s = await setUp();
    const [ash] = s.schools;
    const tooMany = Array.from({ length: MAX_BULK_FILES + 1 }, (_, i) => [`${i}.XML`, 'x'] satisfies ZipItem);
    const cases: [string, Buffer | null, RegExp][] = [
      ['not a zip', Buffer.from(censusReturnXml({ school: ash.number, year: 2026 })), /not a zip file/],
      ['empty', Buffer.alloc(0), /not a zip file/],
      ['a cut-short zip', (await zipOf([s.item(ash)])).subarray(0, 200), /not a zip file/],
      ['over the limit', null, /larger than 10 MB/],
      ['only folders', await zipOf([['returns/']]), /holds no files/],
      ['too many files', await zipOf(tooMany), new RegExp(`more than ${MAX_BULK_FILES} files`)],
      ['a zip bomb', await zipBomb(), /more than 200 MB uncompressed/],
    ];
    for (const [what, zip, reason] of cases) {
      await assert.rejects(s.loader.load(s.agent, s.collectionId, zip, false), (error: unknown) => {
        assert.ok(error instanceof Invalid, what);
        assert.equal(error.errors[0]?.field, 'zip', what);
        assert.match(error.message, reason, what);
        return true;
      });
    }
    const rows = await s.db
      .selectFrom('census_returns')
      .select('id')
      .where('collection_id', '=', s.collectionId)
      .execute();
    assert.equal(rows.length, 0);
  });

  test('only an LA agent taking part loads a zip', async () => {
    const s = await setUp();
    const [ash] = s.schools;
    const zip = await zipOf([s.item(ash)]);
    const schoolUser = actorOf(
      await makeUser(s.db, 'school', { laNumber: s.la.number, establishmentNumber: ash.number }),
    );
    await assert.rejects(s.loader.load(schoolUser, s.collectionId, zip, false), Forbidden);
    // The LA School role works with transfers, not census returns.
    const laSchool = actorOf(await makeUser(s.db, 'la_school', { laNumber: s.la.number }));
    await assert.rejects(s.loader.load(laSchool, s.collectionId, zip, false), Forbidden);
    const collector = actorOf(await makeUser(s.db, 'dfe_collector'));
    await assert.rejects(s.loader.load(collector, s.collectionId, zip, false), Forbidden);
    const otherAgent = actorOf(await makeUser(s.db, 'la_user', { laNumber: s.otherLa.number }));
    await assert.rejects(s.loader.load(otherAgent, s.collectionId, zip, false), NotFound);
    await assert.rejects(s.loader.load(s.agent, 'no-such-collection', zip, false), NotFound);
  });
});

describeEachEngine('bulk upload pages', (database) => {
  let t: TestApp;
  let db: Db;
  let la: LocalAuthorityRow;
  let schools: EstablishmentRow[];
  let otherLaSchool: EstablishmentRow;
  let collectionId: string;

  before(async () => {
    db = database().db;
    t = await createTestApp(db);
    la = await makeLa(db);
    schools = [await makeSchool(db, la.number, { name: 'Ash Primary' }), await makeSchool(db, la.number)];
    otherLaSchool = await makeSchool(db, (await makeLa(db)).number);
    const admin = actorOf(await makeUser(db, 'national_admin'));
    collectionId = await new DataCollectionsService(t.deps).create(admin, autumnCensusForm([la.number]));
  });
  after(async () => {
    await t.app.close();
  });

  const formPath = () => `/collect/collections/${collectionId}/bulk-upload`;
  const returnXml = (school: EstablishmentRow, withError = false) =>
    censusReturnXml({ school: school.number, year: 2026, withError });

  test('an LA user gets the form; a school user is refused', async () => {
    const { agent } = await signedInUser(t, 'la_plasc', { laNumber: la.number });
    const form = await agent.get(formPath());
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1[^>]*>Upload returns from a zip<\/h1>/);
    assert.match(form.body, /enctype="multipart\/form-data"/);
    assert.match(
      form.body,
      /<input type="hidden" name="_csrf" value="[^"]+">\s*<div class="govuk-form-group/,
    );
    assert.match(form.body, /name="zip" type="file"|type="file"[^>]*name="zip"/);
    assert.match(form.body, /These files replace the schools&#39; current returns/);

    const school = await signedInUser(t, 'school', {
      laNumber: la.number,
      establishmentNumber: schools[0]?.number ?? '',
    });
    assert.equal((await school.agent.get(formPath())).statusCode, 403);
    const upload = await school.agent.postMultipart(formPath(), [
      { filename: 'r.zip', content: 'x', field: 'zip' },
    ]);
    assert.equal(upload.statusCode, 403);
  });

  test('a closed collection offers no form', async () => {
    const admin = actorOf(await makeUser(db, 'national_admin'));
    const collections = new DataCollectionsService(t.deps);
    const closedId = await collections.create(
      admin,
      autumnCensusForm([la.number], { name: 'Closed census' }),
    );
    await collections.setClosed(admin, closedId, true);
    const { agent } = await signedInUser(t, 'la_dba', { laNumber: la.number });
    const page = await agent.get(`/collect/collections/${closedId}/bulk-upload`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Closed census is closed: no more returns can be loaded/);
    assert.doesNotMatch(page.body, /type="file"/);
  });

  test('the results page lists each file with its school, outcome, errors, queries and a link to the return', async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    const [ash, other] = schools as [EstablishmentRow, EstablishmentRow];
    const zip = await zipOf([
      [censusFilename(ash.number), returnXml(ash, true)],
      [censusFilename(other.number), returnXml(other)],
      [censusFilename(otherLaSchool.number), returnXml(otherLaSchool)],
    ]);
    await agent.get(formPath());
    const page = await agent.postMultipart(
      formPath(),
      [{ filename: 'returns.zip', content: zip, field: 'zip' }],
      {
        fields: { replace: 'yes' },
      },
    );
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="bulk-summary">2 loaded, 1 refused</);
    const body = /<tbody[\s\S]*?<\/tbody>/.exec(page.body)?.[0] ?? '';
    const rows = [...body.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((row) => cellTexts(row[0]));
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0]?.slice(0, 2), [censusFilename(ash.number), `${ash.number} Ash Primary`]);
    assert.match(rows[0]?.[2] ?? '', /Loaded.*Version 1/);
    assert.deepEqual(rows[0]?.slice(3, 5), ['1', '0']);
    assert.match(rows[2]?.[2] ?? '', /Refused.*not a school of your LA.*What to do/);
    const links = [...page.body.matchAll(/href="\/collect\/returns\/([0-9a-f-]{36})"/g)];
    assert.equal(links.length, 2);
    const opened = await agent.get(`/collect/returns/${links[0]?.[1]}`);
    assert.equal(opened.statusCode, 200);
  });

  test('a form without a zip, or with a file that is not one, is shown again with the problem', async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    await agent.get(formPath());
    const none = await agent.postMultipart(formPath(), [{ filename: '', content: '', field: 'zip' }], {
      fields: { replace: 'yes' },
    });
    assert.equal(none.statusCode, 400);
    assert.match(errorSummary(none.body), /Select the zip file/);
    assert.match(none.body, /href="#zip"/);
    assert.match(none.body, /name="replace" type="checkbox" value="yes" checked/);

    const notZip = await agent.postMultipart(formPath(), [
      { filename: 'return.XML', content: returnXml(schools[0] as EstablishmentRow), field: 'zip' },
    ]);
    assert.equal(notZip.statusCode, 400);
    assert.match(errorSummary(notZip.body), /The file is not a zip file/);

    // Past the limit of every upload: cut short by the HTTP edge, answered with the limit.
    const huge = await agent.postMultipart(formPath(), [
      { filename: 'returns.zip', content: Buffer.alloc(10 * 1024 * 1024 + 10), field: 'zip' },
    ]);
    assert.equal(huge.statusCode, 400);
    assert.match(errorSummary(huge.body), /The zip is larger than 10 MB/);
  });

  test('a second zip in the form is refused, saying one zip is taken per upload; nothing is loaded', async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    const school = await makeSchool(db, la.number);
    const zip = await zipOf([[censusFilename(school.number), returnXml(school)]]);
    await agent.get(formPath());
    const two = await agent.postMultipart(
      formPath(),
      [
        { filename: 'first.zip', content: zip, field: 'zip' },
        { filename: 'second.zip', content: zip, field: 'zip' },
      ],
      { fields: { replace: 'yes' } },
    );
    assert.equal(two.statusCode, 400);
    assert.match(
      errorSummary(two.body),
      /Only one zip file is taken per upload, and this form sent 2 files: nothing was loaded\. Put the returns in one zip, or upload each zip on its own\./,
    );
    assert.match(two.body, /href="#zip"/);
    const versions = await db
      .selectFrom('census_returns')
      .select('id')
      .where('establishment_number', '=', school.number)
      .execute();
    assert.deepEqual(versions, []);
  });

  test('a form without its CSRF token is refused before the zip is read', async () => {
    const { agent } = await signedInUser(t, 'la_user', { laNumber: la.number });
    await agent.get(formPath());
    const zip = await zipOf([[censusFilename(otherLaSchool.number), returnXml(otherLaSchool)]]);
    const refused = await agent.postMultipart(
      formPath(),
      [{ filename: 'r.zip', content: zip, field: 'zip' }],
      {
        csrf: false,
      },
    );
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /The form has expired/);
    const tokenLast = await agent.postMultipart(
      formPath(),
      [{ filename: 'r.zip', content: zip, field: 'zip' }],
      {
        tokenLast: true,
      },
    );
    assert.equal(tokenLast.statusCode, 403);
  });
});
