import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { can, ROLES, type Role, scopeOf } from '../../src/auth/permissions.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { TransferRow } from '../../src/platform/db/schema.ts';
import { Forbidden, Invalid, NotFound } from '../../src/platform/errors.ts';
import { writtenIn } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { DEFAULT_SORT } from '../../src/transfers/download-listing.ts';
import { listAwaitingInLa, listLaCtfs } from '../../src/transfers/download-repository.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import {
  AWAITING_PAGE_SIZE,
  LA_TABS,
  LaMonitorService,
  type LaShow,
  laTabOf,
  MONITOR_PAGE_SIZE,
} from '../../src/transfers/la-monitor-service.ts';
import { getTransfer } from '../../src/transfers/repository.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import {
  actorOf,
  la,
  makeFileStores,
  makeTransfer,
  pupil,
  school,
  type TransferSpec,
} from '../support/transfers.ts';

const COLLECTED = { status: 'collected', collected_at: '2026-11-21T09:00:00.000Z' } as const;

test('the LA CTF views are for exactly the LA roles that download CTFs', () => {
  assert.deepEqual(
    ROLES.filter((role) => can(role, 'transfers.la-monitor')),
    ROLES.filter((role) => scopeOf(role) === 'la' && can(role, 'download.ctf')),
  );
  assert.deepEqual(
    ROLES.filter((role) => can(role, 'transfers.la-monitor')),
    ['la_dba', 'la_user', 'la_school', 'la_lost_pupil_transfer'],
  );
});

describeEachEngine('LA CTF views: monitoring and Delete files not collected by schools', (database) => {
  const stores = makeFileStores();
  let clock = new ManualClock('2026-11-23T09:00:00.000Z');
  beforeEach(() => {
    clock = new ManualClock('2026-11-23T09:00:00.000Z');
  });
  const deps = () => ({ db: database().db, files: stores.files, clock, logger: createLogger('silent') });
  const service = () => new LaMonitorService(deps());

  /** Two LAs with two schools each, and a third LA far away. */
  async function world() {
    const db = database().db;
    const laA = await makeLa(db, { name: 'Ayshire' });
    const laB = await makeLa(db, { name: 'Beeshire' });
    const a1 = await makeSchool(db, laA.number, { name: 'A One Primary' });
    const a2 = await makeSchool(db, laA.number, { name: 'A Two Primary' });
    const b1 = await makeSchool(db, laB.number, { name: 'B One Primary' });
    const b2 = await makeSchool(db, laB.number, { name: 'B Two Primary' });
    const user = async (role: Role, org: { laNumber?: string; establishmentNumber?: string }) =>
      actorOf(await makeUser(db, role, org));
    return {
      db,
      laA,
      laB,
      a1,
      a2,
      b1,
      b2,
      laUserA: await user('la_user', { laNumber: laA.number }),
      laUserB: await user('la_user', { laNumber: laB.number }),
      schoolA1: await user('school', { establishmentNumber: a1.number }),
      senderB1: await user('school', { establishmentNumber: b1.number }),
    };
  }

  const transfer = (spec: TransferSpec) => makeTransfer(database().db, stores.files, spec);

  /** Every kind of CTF route touching LA A, once waiting and once collected. */
  async function traffic(w: Awaited<ReturnType<typeof world>>, overrides: Partial<TransferRow> = {}) {
    const A1 = school(w.a1.number);
    const A2 = school(w.a2.number);
    const B1 = school(w.b1.number);
    const B2 = school(w.b2.number);
    const A = la(w.laA.number);
    const B = la(w.laB.number);
    const make = async (from: typeof A1, to: typeof A1, extra: Partial<TransferRow> = {}) =>
      (await transfer({ from, to, overrides: { ...overrides, ...extra } })).row.id;
    return {
      within: [await make(A1, A2), await make(A1, A), await make(A, A2)],
      incoming: [await make(B1, A1), await make(B1, A), await make(B, A2)],
      outgoing: [await make(A1, B1), await make(A1, B), await make(A, B2)],
      // The lost pupils database (no destination LA): outgoing, but never waiting for collection.
      lostPupils: [
        await make(A1, B, {
          dest_kind: 'lost-pupils',
          dest_la: null,
          dest_school: null,
          lost_reason: 'destination-unknown',
        }),
      ],
      elsewhere: [await make(B1, B2), await make(B, B1)],
    };
  }

  /** A tab's collected files: a lost pupil's file forwarded by an LA is collected from the database. */
  const collectedIn = (collected: Awaited<ReturnType<typeof traffic>>, tab: (typeof LA_TABS)[number]) =>
    [...collected[tab], ...(tab === 'outgoing' ? collected.lostPupils : [])].sort();

  const ids = async (
    actor: Parameters<LaMonitorService['monitor']>[0],
    tab: (typeof LA_TABS)[number],
    show: LaShow,
  ) => (await service().monitor(actor, tab, show, DEFAULT_SORT)).items.map((file) => file.id).sort();

  test('each CTF into, out of or within the LA is in exactly one tab, waiting and collected apart', async () => {
    const w = await world();
    const waiting = await traffic(w);
    const collected = await traffic(w, COLLECTED);
    // Neither waiting nor collected: rejected, removed, and files that are not CTFs.
    await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      overrides: { status: 'rejected', rejected_at: '2026-11-22T09:00:00.000Z' },
    });
    await transfer({ from: school(w.b1.number), to: school(w.a1.number), overrides: { status: 'removed' } });
    await transfer({ from: school(w.a1.number), to: school(w.a2.number), category: 'generic' });
    await transfer({ from: school(w.b1.number), to: la(w.laA.number), category: 'generic' });

    for (const tab of LA_TABS) {
      assert.deepEqual(
        await ids(w.laUserA, tab, 'collection'),
        [...waiting[tab]].sort(),
        `${tab}, for collection`,
      );
      assert.deepEqual(
        await ids(w.laUserA, tab, 'collected'),
        collectedIn(collected, tab),
        `${tab}, collected`,
      );
    }
    // The other LA sees the same files from its side: A's incoming from B1 is B's outgoing.
    const bOutgoing = await ids(w.laUserB, 'outgoing', 'collection');
    assert.ok(bOutgoing.includes(waiting.incoming[0] as string));
    assert.ok(!bOutgoing.includes(waiting.within[0] as string), "A's own traffic is not B's");
    assert.deepEqual(await ids(w.laUserB, 'within', 'collection'), [...waiting.elsewhere].sort());
  });

  test('the SQL picks each tab exactly, without the service checking again', async () => {
    const w = await world();
    const waiting = await traffic(w);
    const collected = await traffic(w, COLLECTED);
    for (const tab of LA_TABS) {
      for (const [status, expected] of [
        ['available', waiting[tab]],
        ['collected', collected[tab]],
      ] as const) {
        const rows = await listLaCtfs(w.db, w.laA.number, { tab, status, lostPupils: false });
        assert.deepEqual(rows.map((row) => row.id).sort(), [...expected].sort(), `${tab}, ${status}`);
      }
    }
    const withLostPupils = await listLaCtfs(w.db, w.laA.number, {
      tab: 'outgoing',
      status: 'available',
      lostPupils: true,
    });
    assert.deepEqual(
      withLostPupils.map((row) => row.id).sort(),
      [...waiting.outgoing, ...waiting.lostPupils].sort(),
    );
    assert.deepEqual(
      (await listAwaitingInLa(w.db, w.laA.number)).map((row) => row.id).sort(),
      // Everything waiting for the LA's schools or the LA itself: the within and incoming files.
      [...waiting.within, ...waiting.incoming].sort(),
    );
  });

  test('laTabOf is the rule the SQL applies', async () => {
    const w = await world();
    const waiting = await traffic(w);
    for (const tab of LA_TABS) {
      for (const id of tab === 'outgoing' ? [...waiting[tab], ...waiting.lostPupils] : waiting[tab]) {
        const row = (await getTransfer(w.db, id)) as TransferRow;
        assert.equal(laTabOf(row, w.laA.number), tab, row.filename);
      }
    }
    for (const id of waiting.elsewhere) {
      assert.equal(laTabOf((await getTransfer(w.db, id)) as TransferRow, w.laA.number), null);
    }
  });

  test('the monitoring lists name both schools and never the pupils; sorting by destination works', async () => {
    const w = await world();
    const toA2 = await transfer({
      from: school(w.b1.number),
      to: school(w.a2.number),
      pupils: [pupil('Monitorsurname', { upn: 'K801200001001' })],
      uploadedAt: '2026-11-20T09:00:00.000Z',
    });
    const toA1 = await transfer({
      from: school(w.b2.number),
      to: school(w.a1.number),
      uploadedAt: '2026-11-21T09:00:00.000Z',
    });
    const page = await service().monitor(w.laUserA, 'incoming', 'collection', {
      key: 'destination',
      order: 'ascending',
    });
    assert.deepEqual(
      page.items.map((file) => file.id),
      [toA1.row.id, toA2.row.id],
    );
    const [first] = page.items;
    assert.equal(first?.destination.name, 'A One Primary');
    assert.equal(first?.destination.code, w.a1.number);
    assert.equal(first?.source.name, 'B Two Primary');
    assert.equal(first?.actionable, true);
    const everything = JSON.stringify(page);
    assert.doesNotMatch(everything, /Monitorsurname|K801200001001|2015-09-01/, 'no pupil data');
    const descending = await service().monitor(w.laUserA, 'incoming', 'collection', {
      key: 'destination',
      order: 'descending',
    });
    assert.deepEqual(
      descending.items.map((file) => file.id),
      [toA2.row.id, toA1.row.id],
    );
  });

  test('a monitoring list comes in pages, sorted over the whole tab first, each file in full', async () => {
    const w = await world();
    // Collected within LA A: most from A One, five from A Two (sorted last by source, ascending).
    const made: { id: string; from: string }[] = [];
    for (let i = 0; i < MONITOR_PAGE_SIZE + 5; i += 1) {
      const from = i % 21 === 20 ? w.a2 : w.a1;
      const to = from === w.a1 ? w.a2 : w.a1;
      const { row } = await transfer({
        from: school(from.number),
        to: school(to.number),
        pupils: [],
        uploadedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
        overrides: COLLECTED,
      });
      made.push({ id: row.id, from: from.name });
    }
    const bySource = { key: 'source', order: 'descending' } as const;
    const first = await service().monitor(w.laUserA, 'within', 'collected', bySource, 1);
    const second = await service().monitor(w.laUserA, 'within', 'collected', bySource, 2);
    assert.equal(first.total, MONITOR_PAGE_SIZE + 5);
    assert.equal(first.items.length, MONITOR_PAGE_SIZE);
    // Descending by source: A Two's five first; ties oldest first.
    const expected = [
      ...made.filter((file) => file.from === 'A Two Primary'),
      ...made.filter((file) => file.from === 'A One Primary'),
    ].map((file) => file.id);
    assert.deepEqual(
      [...first.items, ...second.items].map((file) => file.id),
      expected,
    );
    const [top] = first.items;
    assert.equal(top?.source.name, 'A Two Primary');
    assert.equal(top?.destination.name, 'A One Primary');
    assert.equal(top?.status, 'collected');
    assert.equal(top?.collectedAt, COLLECTED.collected_at);
  });

  test("Delete files not collected by schools lists what waits for the LA's schools and the LA, with pupils", async () => {
    const w = await world();
    const forA1 = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      pupils: [
        pupil('Arrivedsurname', { forename: 'Sam', upn: 'K801200001002', date_of_birth: '2016-02-03' }),
      ],
    });
    const forLa = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
    const withinLa = await transfer({ from: school(w.a1.number), to: school(w.a2.number) });
    // Not on the page: collected, sent out of the LA, and another LA's schools' files.
    await transfer({ from: school(w.b1.number), to: school(w.a1.number), overrides: COLLECTED });
    await transfer({ from: school(w.a1.number), to: school(w.b1.number) });
    await transfer({ from: school(w.a1.number), to: la(w.laB.number) });
    await transfer({ from: school(w.b2.number), to: school(w.b1.number) });

    const page = await service().awaiting(w.laUserA);
    assert.deepEqual(
      page.items.map((entry) => entry.file.id).sort(),
      [forA1.row.id, forLa.row.id, withinLa.row.id].sort(),
    );
    const entry = page.items.find((e) => e.file.id === forA1.row.id);
    assert.deepEqual(entry?.pupils, [
      { upn: 'K801200001002', dateOfBirth: '2016-02-03', name: 'Arrivedsurname, Sam', nameGiven: true },
    ]);
    // The other LA sees its own schools' files (the three sent to B's schools and B), none of A's.
    const forB = (await service().awaiting(w.laUserB)).items.map((e) => e.file.id);
    assert.equal(forB.length, 3);
    for (const id of [forA1.row.id, forLa.row.id, withinLa.row.id]) assert.ok(!forB.includes(id));
  });

  test('the delete page comes in pages', async () => {
    const w = await world();
    for (let i = 0; i < AWAITING_PAGE_SIZE + 1; i += 1) {
      await transfer({ from: school(w.b1.number), to: school(w.a1.number), pupils: [] });
    }
    const first = await service().awaiting(w.laUserA, 1);
    const second = await service().awaiting(w.laUserA, 2);
    assert.equal(first.total, AWAITING_PAGE_SIZE + 1);
    assert.equal(first.pageCount, 2);
    assert.equal(first.items.length, AWAITING_PAGE_SIZE);
    assert.equal(second.items.length, 1);
    const all = new Set([...first.items, ...second.items].map((e) => e.file.id));
    assert.equal(all.size, AWAITING_PAGE_SIZE + 1, 'no file twice');
    assert.equal((await service().awaiting(w.laUserA, 99)).page, 2, 'past the end: the last page');
  });

  test("delete: removed, content deleted, the LA's audit record, the sender told, the school no longer sees it", async () => {
    const w = await world();
    const sent = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      pupils: [pupil('Deletedsurname')],
    });
    const key = sent.row.storage_key as string;
    clock.advanceMinutes(15);
    const removed = await service().remove(w.laUserA, sent.row.id);
    assert.equal(removed.status, 'removed');

    const row = await getTransfer(w.db, sent.row.id);
    assert.equal(row?.status, 'removed');
    assert.equal(row?.removed_by, w.laUserA.userId);
    assert.equal(row?.removed_at, '2026-11-23T09:15:00.000Z');
    assert.equal(row?.storage_key, null);
    assert.equal(await stores.raw.exists(key), false, 'the content is deleted');

    const audit = await w.db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject_id', '=', sent.row.id)
      .execute();
    assert.deepEqual(audit.map((a) => a.action).sort(), ['file-purged', 'file-removed']);
    const removal = audit.find((a) => a.action === 'file-removed');
    assert.equal(removal?.organisation, w.laA.number);
    assert.equal(removal?.actor_user_id, w.laUserA.userId);
    assert.doesNotMatch(removal?.detail ?? '', /Deletedsurname/);

    const emails = await w.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'file-removed')
      .where('recipient', '=', w.b1.number)
      .execute();
    assert.equal(emails.length, 1);
    assert.equal(emails[0]?.recipient_kind, 'school');
    const payload = writtenIn('en', JSON.parse(emails[0]?.payload ?? '{}'));
    assert.equal(payload.filename, sent.row.filename);
    assert.equal(payload.removedBy, 'Ayshire LA');
    assert.doesNotMatch(emails[0]?.payload ?? '', /Deletedsurname/);

    const downloads = new DownloadService(deps());
    assert.deepEqual(await downloads.available(w.schoolA1, 'ctf', DEFAULT_SORT), []);
    assert.deepEqual(await new SentService(deps()).sent(w.senderB1, 'collection', DEFAULT_SORT), []);
    assert.deepEqual((await service().awaiting(w.laUserA)).items, []);
    // Deleted again by the same officer (the form posted again): said so, nothing done again.
    const again = await service().remove(w.laUserA, sent.row.id);
    assert.deepEqual([again.id, again.already], [sent.row.id, true]);
    assert.equal(
      (
        await w.db
          .selectFrom('audit_events')
          .select('id')
          .where('subject_id', '=', sent.row.id)
          .where('action', '=', 'file-removed')
          .execute()
      ).length,
      1,
    );
    // A colleague is told it has been removed; another LA finds nothing.
    const colleague = actorOf(await makeUser(w.db, 'la_user', { laNumber: w.laA.number }));
    await assert.rejects(service().remove(colleague, sent.row.id), Invalid, 'removed');
    await assert.rejects(service().remove(w.laUserB, sent.row.id), NotFound, 'gone');
  });

  test("delete of the LA's own file (its upload, or a lost pupil's file it forwarded in its name): audited, but the LA is not emailed about what it did", async () => {
    const w = await world();
    const upload = await transfer({ from: la(w.laA.number), to: school(w.a1.number) });
    const lostPupil = await transfer({
      from: school(w.b1.number),
      to: la(w.laB.number),
      filename: `${w.b1.number}_CTF_XXXXXXXX_003.XML`,
      overrides: {
        dest_kind: 'lost-pupils',
        dest_la: null,
        lost_reason: 'destination-unknown',
        ...COLLECTED,
      },
    });
    const forwarded = await transfer({
      from: la(w.laA.number),
      to: school(w.a2.number),
      filename: `${w.laA.number}LLLL_CTF_${w.a2.number}_003.XML`,
      overrides: { forwarded_from: lostPupil.row.id },
    });
    // Another LA's file for the LA's school: that LA is told, as any sender is.
    const fromOtherLa = await transfer({ from: la(w.laB.number), to: school(w.a1.number) });
    for (const file of [upload, forwarded, fromOtherLa]) {
      await service().remove(w.laUserA, file.row.id);
      assert.equal((await getTransfer(w.db, file.row.id))?.status, 'removed');
      const audit = await w.db
        .selectFrom('audit_events')
        .select(['action', 'organisation'])
        .where('subject_id', '=', file.row.id)
        .where('action', '=', 'file-removed')
        .execute();
      assert.deepEqual(audit, [{ action: 'file-removed', organisation: w.laA.number }], file.row.filename);
    }
    const emails = await w.db
      .selectFrom('notification_outbox')
      .select(['recipient_kind', 'recipient', 'payload'])
      .where('template', '=', 'file-removed')
      .execute();
    const about = (file: { row: TransferRow }) =>
      emails.filter((email) => JSON.parse(email.payload).filename === file.row.filename);
    assert.deepEqual(about(upload), [], 'not emailed about its own upload');
    assert.deepEqual(about(forwarded), [], 'not emailed about the file it forwarded in its name');
    assert.deepEqual(
      about(fromOtherLa).map((email) => [email.recipient_kind, email.recipient]),
      [['la', w.laB.number]],
    );
  });

  test('a collected file cannot be deleted; a file not waiting in the LA is not found', async () => {
    const w = await world();
    const collected = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      overrides: COLLECTED,
    });
    await assert.rejects(service().remove(w.laUserA, collected.row.id), (error: unknown) => {
      assert.ok(error instanceof Invalid);
      assert.match(error.message, /already been collected by its school/);
      return true;
    });
    assert.equal((await getTransfer(w.db, collected.row.id))?.status, 'collected');

    // Sent by the LA's school to another LA: that LA's to deal with.
    const outgoing = await transfer({ from: school(w.a1.number), to: school(w.b1.number) });
    const elsewhere = await transfer({ from: school(w.b2.number), to: school(w.b1.number) });
    for (const id of [
      outgoing.row.id,
      elsewhere.row.id,
      'not-an-id',
      '00000000-0000-4000-8000-000000000000',
    ]) {
      await assert.rejects(service().file(w.laUserA, id), NotFound);
      await assert.rejects(service().remove(w.laUserA, id), NotFound);
      await assert.rejects(service().forward(w.laUserA, id, w.a2.number), NotFound);
    }
    assert.equal((await getTransfer(w.db, outgoing.row.id))?.status, 'available');
    assert.equal((await getTransfer(w.db, elsewhere.row.id))?.status, 'available');
  });

  test("another LA cannot see or act on the LA's schools' files", async () => {
    const w = await world();
    const forA1 = await transfer({ from: school(w.a2.number), to: school(w.a1.number) });
    await assert.rejects(service().file(w.laUserB, forA1.row.id), NotFound);
    await assert.rejects(service().remove(w.laUserB, forA1.row.id), NotFound);
    await assert.rejects(service().forwardPlan(w.laUserB, forA1.row.id, w.b1.number), NotFound);
    await assert.rejects(service().forward(w.laUserB, forA1.row.id, w.b1.number), NotFound);
    for (const tab of LA_TABS) {
      assert.ok(!(await ids(w.laUserB, tab, 'collection')).includes(forA1.row.id), tab);
    }
    assert.equal((await getTransfer(w.db, forA1.row.id))?.status, 'available');
  });

  test('roles without the capability are refused', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    for (const role of ['la_plasc', 'la_admissions', 'la_lost_pupil', 'la_dba_view'] as Role[]) {
      const actor = actorOf(await makeUser(w.db, role, { laNumber: w.laA.number }));
      await assert.rejects(service().monitor(actor, 'within', 'collection', DEFAULT_SORT), Forbidden, role);
      await assert.rejects(service().awaiting(actor), Forbidden, role);
      await assert.rejects(service().file(actor, sent.row.id), NotFound, role);
      await assert.rejects(service().remove(actor, sent.row.id), NotFound, role);
    }
    await assert.rejects(service().awaiting(w.schoolA1), Forbidden);
    assert.equal((await getTransfer(w.db, sent.row.id))?.status, 'available');
  });

  test('every LA role that downloads CTFs may use the LA views', async () => {
    const w = await world();
    const sent = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    for (const role of ['la_dba', 'la_user', 'la_school', 'la_lost_pupil_transfer'] as Role[]) {
      const actor = actorOf(await makeUser(w.db, role, { laNumber: w.laA.number }));
      assert.deepEqual(
        (await service().awaiting(actor)).items.map((e) => e.file.id),
        [sent.row.id],
        role,
      );
    }
  });
  test('the CTFs the LA forwarded that their school rejected are listed for it alone, for a month', async () => {
    const w = await world();
    const schoolB2 = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.b2.number }));
    const schoolA2 = actorOf(await makeUser(w.db, 'school', { establishmentNumber: w.a2.number }));
    const downloads = new DownloadService(deps());
    // B1's file reached A1 by mistake; LA A forwards it to B2, so it neither starts nor ends in LA A.
    const misaddressed = await transfer({
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_005.XML`,
      pupils: [pupil('Notshownsurname')],
    });
    const { forwarded } = await service().forward(w.laUserA, misaddressed.row.id, w.b2.number);
    // Another it forwarded is still waiting, a third was collected: neither is listed.
    const waiting = await transfer({ from: school(w.b1.number), to: la(w.laA.number) });
    await service().forward(w.laUserA, waiting.row.id, w.a2.number);
    const collected = await transfer({ from: school(w.b1.number), to: school(w.a1.number) });
    const done = await service().forward(w.laUserA, collected.row.id, w.a2.number);
    await downloads.download(schoolA2, 'ctf', [done.forwarded.id], 'download');
    await downloads.collect(schoolA2, 'ctf', [done.forwarded.id]);
    // A file B1 sent B2 itself, rejected, is not LA A's forward.
    const own = await transfer({ from: school(w.b1.number), to: school(w.b2.number) });
    await downloads.reject(schoolB2, 'ctf', own.row.id, 'Not ours either');

    clock.advanceMinutes(90);
    const reason = 'No such pupil here: ask the family';
    await downloads.reject(schoolB2, 'ctf', forwarded.id, reason);
    const listed = await service().rejectedForwards(w.laUserA);
    assert.deepEqual(
      listed.map((f) => ({
        ...f,
        destination: { ...f.destination, name: writtenIn('en', f.destination.name) },
      })),
      [
        {
          id: forwarded.id,
          filename: `${w.b1.number}_CTF_${w.b2.number}_005.XML`,
          originalFilename: misaddressed.row.filename,
          destination: { name: 'B Two Primary', code: w.b2.number },
          rejectedAt: '2026-11-23T10:30:00.000Z',
          reason,
        },
      ],
    );
    for (const tab of LA_TABS) {
      for (const show of ['collection', 'collected'] as const) {
        assert.ok(!(await ids(w.laUserA, tab, show)).includes(forwarded.id), `in no tab: ${tab} ${show}`);
      }
    }
    assert.deepEqual(await service().rejectedForwards(w.laUserB), [], 'not the forwarding LA');
    await assert.rejects(service().rejectedForwards(w.schoolA1), Forbidden);

    clock.advanceMinutes(31 * 24 * 60 - 1);
    assert.equal((await service().rejectedForwards(w.laUserA)).length, 1, 'a month after, still listed');
    clock.advanceMinutes(2);
    assert.deepEqual(await service().rejectedForwards(w.laUserA), [], 'then no longer');
  });
});
