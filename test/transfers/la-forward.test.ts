import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { beforeEach, test } from 'node:test';
import type { Role } from '../../src/auth/permissions.ts';
import { composeEmail } from '../../src/notifications/templates.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import type { Db, TransferRow } from '../../src/platform/db/schema.ts';
import { Invalid, NotFound } from '../../src/platform/errors.ts';
import { fieldErrorIn, writtenIn } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { StoredFile } from '../../src/platform/storage/encrypted-store.ts';
import { DEFAULT_SORT } from '../../src/transfers/download-listing.ts';
import { listRejectedForwards, rejectedForwardsQuery } from '../../src/transfers/download-repository.ts';
import { DownloadService } from '../../src/transfers/download-service.ts';
import {
  ForwardService,
  forwardedFilename,
  freeName,
  readSchoolNumber,
} from '../../src/transfers/forward-service.ts';
import { purgeExpiredContent } from '../../src/transfers/jobs.ts';
import { AlreadyForwarded, LaMonitorService } from '../../src/transfers/la-monitor-service.ts';
import { getTransfer, pupilsOf } from '../../src/transfers/repository.ts';
import { describeEachEngine, queryPlan } from '../support/databases.ts';
import { ayshireAndBeeshire, makeSchool, makeUser } from '../support/factories.ts';
import { makeLostPupil } from '../support/lost-pupils.ts';
import { signal } from '../support/signals.ts';
import {
  actorOf,
  la,
  makeFileStores,
  makeTransfer,
  pupil,
  purgeCaughtAt,
  readAll,
  readStored,
  school,
} from '../support/transfers.ts';

test('the forwarded name keeps the source, type, sequence and extension and names the school', () => {
  assert.equal(forwardedFilename('9165402_CTF_916LLLL_007.XML', '8171234'), '9165402_CTF_8171234_007.XML');
  assert.equal(forwardedFilename('9165402_ctf_9161234_012.xml', '8171234'), '9165402_ctf_8171234_012.xml');
  assert.equal(forwardedFilename('916LLLL_CTF_9161234_001.XML', '9165555'), '916LLLL_CTF_9165555_001.XML');
  // Lost pupils files (the Lost Pupils issue's forward) become school names the same way.
  assert.equal(forwardedFilename('9165402_CTF_XXXXXXXX_003.XML', '8171234'), '9165402_CTF_8171234_003.XML');
  assert.equal(forwardedFilename('9165402_CTF_MMMMMMM_004.XML', '8171234'), '9165402_CTF_8171234_004.XML');
  // A lost pupil's file going back to its own school is passed on as the LA's (see forward-service.ts).
  assert.equal(
    forwardedFilename('9165402_CTF_XXXXXXXX_003.XML', '9165402', '916LLLL'),
    '916LLLL_CTF_9165402_003.XML',
  );
  // Only CTFs are forwarded.
  assert.equal(forwardedFilename('9165402_KS1_916LLLL_005.XLS', '8171234'), null);
  assert.equal(forwardedFilename('9165402_916LLLL_NOTES.ZIP', '8171234'), null);
});

test('a name the school already holds takes the next free sequence number, 001 after 999', () => {
  const held = (...names: string[]) => new Set(names.map((name) => name.toUpperCase()));
  assert.equal(freeName('9165402_CTF_9164001_001.XML', held()), '9165402_CTF_9164001_001.XML');
  assert.equal(
    freeName(
      '9165402_CTF_9164001_001.XML',
      held('9165402_CTF_9164001_001.xml', '9165402_CTF_9164001_002.XML'),
    ),
    '9165402_CTF_9164001_003.XML',
    'names are compared as a zip and a Windows folder compare them, whatever the case',
  );
  assert.equal(
    freeName('9165402_ctf_9164001_999.xml', held('9165402_CTF_9164001_999.XML')),
    '9165402_ctf_9164001_001.xml',
  );
  const all = Array.from(
    { length: 999 },
    (_, i) => `9165402_CTF_9164001_${String(i + 1).padStart(3, '0')}.XML`,
  );
  assert.equal(freeName('9165402_CTF_9164001_005.XML', held(...all)), null);
});

test("a school's number is read as people write it", () => {
  assert.equal(readSchoolNumber('8171234'), '8171234');
  assert.equal(readSchoolNumber(' 817 1234 '), '8171234');
  assert.equal(readSchoolNumber('817/1234'), '8171234');
  assert.equal(readSchoolNumber('817-1234'), '8171234');
  assert.equal(readSchoolNumber('817LLLL'), null);
  assert.equal(readSchoolNumber('81712345'), null);
  assert.equal(readSchoolNumber(''), null);
});

/** An error's text as an English or a Welsh reader's page shows it. */
function inEnglish(error: Invalid): string {
  return error.errors.map((e) => fieldErrorIn('en', e)).join('; ');
}
function inWelsh(error: Invalid): string {
  return error.errors.map((e) => fieldErrorIn('cy', e)).join('; ');
}

describeEachEngine('forwarding a CTF to the right school', (database) => {
  const stores = makeFileStores();
  let clock = new ManualClock('2026-11-23T09:00:00.000Z');
  beforeEach(() => {
    clock = new ManualClock('2026-11-23T09:00:00.000Z');
  });
  /** The encrypted store, with a record of the blobs it was asked to write. */
  const puts: StoredFile[] = [];
  /**
   * Set, the copies wait until this many have begun: forwards run at once that have each chosen their
   * name (before the copy), so none records its own before another has chosen, however the test is timed.
   */
  let copiesTogether: { expected: number; begun: number; all: Promise<void>; release: () => void } | null =
    null;
  const copiesWaitForEachOther = (expected: number) => {
    const { fired: all, fire: release } = signal();
    copiesTogether = { expected, begun: 0, all, release };
  };
  /**
   * Set, each read of stored content waits for what this says (its number from 1): to make two forwards
   * at once read the file's row before either records, and one copy only after the other has finished.
   */
  let readsInTurn: ((read: number) => Promise<void>) | null = null;
  let reads = 0;
  const files = {
    get: async (stored: Parameters<typeof stores.files.get>[0]) => {
      reads += 1;
      await readsInTurn?.(reads);
      return stores.files.get(stored);
    },
    remove: stores.files.remove.bind(stores.files),
    put: async (content: Readable) => {
      if (copiesTogether) {
        copiesTogether.begun += 1;
        if (copiesTogether.begun === copiesTogether.expected) copiesTogether.release();
        await copiesTogether.all;
      }
      const stored = await stores.files.put(content);
      puts.push(stored);
      return stored;
    },
  };
  const deps = () => ({ db: database().db, files, clock, logger: createLogger('silent') });
  const service = () => new LaMonitorService(deps());
  const downloads = () => new DownloadService({ ...deps(), files: stores.files });

  async function world() {
    const db = database().db;
    const { laA, laB, a1, a2, b1 } = await ayshireAndBeeshire(db);
    const user = async (role: Role, org: { laNumber?: string; establishmentNumber?: string }) =>
      actorOf(await makeUser(db, role, org));
    return {
      db,
      laA,
      laB,
      a1,
      a2,
      b1,
      laUserA: await user('la_user', { laNumber: laA.number }),
      laUserB: await user('la_user', { laNumber: laB.number }),
      schoolA1: await user('school', { establishmentNumber: a1.number }),
      schoolA2: await user('school', { establishmentNumber: a2.number }),
    };
  }

  async function transfersCount(db: Db): Promise<number> {
    const row = await db
      .selectFrom('transfers')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async function auditOf(db: Db, id: string) {
    return db.selectFrom('audit_events').selectAll().where('subject_id', '=', id).execute();
  }

  const content = Buffer.from(
    '<?xml version="1.0"?><CTfile><Header><DocumentName>Common Transfer File</DocumentName></Header><CTFpupilData/></CTfile>\n',
  );

  test("the LA's own LLLL file: re-addressed under the new name, content identical, original collected", async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_007.XML`,
      content,
      pupils: [pupil('Forwardsurname', { forename: 'Robin' }), pupil('Othersurname')],
    });
    clock.advanceMinutes(30);

    const count = await transfersCount(w.db);
    const plan = await service().forwardPlan(w.laUserA, original.row.id, w.a2.number);
    assert.equal(plan.filename, `${w.b1.number}_CTF_${w.a2.number}_007.XML`);
    assert.equal(plan.destination.name, 'A Two Primary');
    assert.equal(await transfersCount(w.db), count, 'a plan changes nothing');
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available');

    const result = await service().forward(
      w.laUserA,
      original.row.id,
      `${w.a2.number.slice(0, 3)}/${w.a2.number.slice(3)}`,
    );
    const forwarded = (await getTransfer(w.db, result.forwarded.id)) as TransferRow;
    assert.equal(forwarded.filename, `${w.b1.number}_CTF_${w.a2.number}_007.XML`);
    assert.equal(forwarded.forwarded_from, original.row.id);
    assert.equal(forwarded.status, 'available');
    assert.equal(forwarded.source_school, w.b1.number, 'the original source stays the sender');
    assert.equal(forwarded.source_la, w.laB.number);
    assert.equal(forwarded.dest_kind, 'school');
    assert.equal(forwarded.dest_school, w.a2.number);
    assert.equal(forwarded.dest_la, w.laA.number);
    assert.equal(forwarded.uploaded_by, w.laUserA.userId);
    assert.equal(forwarded.uploaded_at, '2026-11-23T09:30:00.000Z');
    assert.equal(forwarded.category, 'ctf');
    assert.equal(forwarded.pupil_count, 2);
    assert.equal(forwarded.sha256, original.row.sha256);
    assert.equal(forwarded.size, original.row.size);
    assert.notEqual(forwarded.storage_key, original.row.storage_key, 'a blob of its own');
    assert.notEqual(forwarded.wrapped_key, original.row.wrapped_key, 'under a new data key');
    const copied = await readStored(stores.files, forwarded);
    assert.ok(copied.equals(content), 'byte-identical content');
    assert.deepEqual(
      (await pupilsOf(w.db, forwarded.id)).map((p) => [p.position, p.surname, p.forename, p.upn]),
      (await pupilsOf(w.db, original.row.id)).map((p) => [p.position, p.surname, p.forename, p.upn]),
    );

    const before = (await getTransfer(w.db, original.row.id)) as TransferRow;
    assert.equal(before.status, 'collected', "the LA's own file is collected by forwarding it");
    assert.equal(before.collected_at, '2026-11-23T09:30:00.000Z');
    assert.equal(before.storage_key, original.row.storage_key, 'its content is kept until the purge job');

    for (const id of [original.row.id, forwarded.id]) {
      const audit = await auditOf(w.db, id);
      assert.deepEqual(
        audit.map((a) => a.action),
        ['file-forwarded'],
      );
      assert.equal(audit[0]?.organisation, w.laA.number);
      assert.equal(audit[0]?.actor_user_id, w.laUserA.userId);
      assert.doesNotMatch(audit[0]?.detail ?? '', /Forwardsurname/);
    }
    const detail = JSON.parse((await auditOf(w.db, original.row.id))[0]?.detail ?? '{}');
    assert.equal(detail.forwardedTo, forwarded.id);
    assert.equal(detail.originalNow, 'collected');

    const emails = await w.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'ctf-uploaded')
      .where('recipient', '=', w.a2.number)
      .execute();
    assert.equal(emails.length, 1);
    assert.equal(emails[0]?.recipient_kind, 'school');
    const payload = writtenIn('en', JSON.parse(emails[0]?.payload ?? '{}'));
    assert.equal(payload.filename, forwarded.filename);
    assert.equal(payload.transferId, forwarded.id);
    assert.equal(payload.senderName, `B One Primary (${w.b1.number})`);
    assert.equal(payload.destinationName, `A Two Primary (${w.a2.number})`);
    assert.equal(payload.forwardedBy, `Ayshire LA (${w.laA.number}LLLL)`);
    assert.doesNotMatch(emails[0]?.payload ?? '', /Forwardsurname/);

    // The school sees it, downloads the same bytes, and collecting it tells the original sender.
    const waiting = await downloads().available(w.schoolA2, 'ctf', DEFAULT_SORT);
    assert.deepEqual(
      waiting.map((f) => f.id),
      [forwarded.id],
    );
    const download = await downloads().download(w.schoolA2, 'ctf', [forwarded.id], 'download');
    assert.ok((await readAll(download.stream)).equals(content));
    await downloads().collect(w.schoolA2, 'ctf', [forwarded.id]);
    const told = await w.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'file-downloaded')
      .where('recipient', '=', w.b1.number)
      .execute();
    assert.equal(told.length, 1);
  });

  test("the original's content is kept 7 days from the forward, even when it was downloaded long before", async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_008.XML`,
      content,
    });
    // Downloaded, answered "No" (so still waiting), and forwarded ten days later.
    await readAll((await downloads().download(w.laUserA, 'ctf', [original.row.id], 'download')).stream);
    clock.advanceMinutes(10 * 24 * 60);
    await service().forward(w.laUserA, original.row.id, w.a2.number);
    const held = async () => (await getTransfer(w.db, original.row.id))?.storage_key != null;

    clock.advanceMinutes(60);
    assert.equal((await purgeExpiredContent(w.db, stores.files, clock)).failed, 0);
    assert.equal(await held(), true, 'an hour after the forward: kept');
    clock.advanceMinutes(6 * 24 * 60);
    await purgeExpiredContent(w.db, stores.files, clock);
    assert.equal(await held(), true, 'six days and an hour after the forward: kept');
    clock.advanceMinutes(24 * 60);
    await purgeExpiredContent(w.db, stores.files, clock);
    assert.equal(await held(), false, 'seven days and an hour after the forward: purged');
  });

  test("a school's uncollected file: forwarded to the right school, taken away from the wrong one", async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_002.xml`,
      content,
    });
    const key = original.row.storage_key as string;
    const result = await service().forward(w.laUserA, original.row.id, w.a2.number);
    assert.equal(result.forwarded.filename, `${w.b1.number}_CTF_${w.a2.number}_002.xml`);

    const before = (await getTransfer(w.db, original.row.id)) as TransferRow;
    assert.equal(before.status, 'removed');
    assert.equal(before.removed_by, w.laUserA.userId);
    assert.equal(before.storage_key, null);
    assert.equal(await stores.raw.exists(key), false, "the wrong school's copy is deleted");
    assert.deepEqual((await auditOf(w.db, original.row.id)).map((a) => a.action).sort(), [
      'file-forwarded',
      'file-purged',
    ]);
    assert.deepEqual(await downloads().available(w.schoolA1, 'ctf', DEFAULT_SORT), []);
    assert.deepEqual(
      (await downloads().available(w.schoolA2, 'ctf', DEFAULT_SORT)).map((f) => f.id),
      [result.forwarded.id],
    );
    const forwarded = (await getTransfer(w.db, result.forwarded.id)) as TransferRow;
    const copied = await readStored(stores.files, forwarded);
    assert.ok(copied.equals(content));
  });

  test('a name the destination school already holds is not given again: the next free number is', async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_001.XML`,
      content,
    });
    const name = (n: string) => `${w.b1.number}_CTF_${w.a2.number}_${n}.XML`;
    const held = async (n: string, overrides: Partial<TransferRow> = {}) =>
      makeTransfer(w.db, stores.files, {
        from: school(w.b1.number),
        to: school(w.a2.number),
        filename: name(n),
        overrides,
      });
    await held('001');
    await held('002', { status: 'pending-scan' });
    await held('003', { status: 'collected', collected_at: '2026-11-22T09:00:00.000Z' });
    // No longer held for the school: its names are free again.
    await held('004', { status: 'removed', removed_at: '2026-11-22T09:00:00.000Z', storage_key: null });
    await held('005', { status: 'collected', collected_at: '2026-11-01T09:00:00.000Z', storage_key: null });

    const plan = await service().forwardPlan(w.laUserA, original.row.id, w.a2.number);
    assert.equal(plan.filename, name('004'));
    assert.equal(plan.takenName, name('001'));
    const result = await service().forward(w.laUserA, original.row.id, w.a2.number);
    assert.equal(result.forwarded.filename, name('004'));
    const waiting = (await downloads().available(w.schoolA2, 'ctf', DEFAULT_SORT)).map((f) => f.filename);
    assert.equal(new Set(waiting).size, waiting.length, 'no two files of one name wait for the school');

    // A name nobody holds is kept, and the plan says nothing was taken.
    const other = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_001.XML`,
      content,
    });
    const untouched = await service().forwardPlan(w.laUserA, other.row.id, w.a1.number);
    assert.equal(untouched.filename, `${w.b1.number}_CTF_${w.a1.number}_001.XML`);
    assert.equal(untouched.takenName, null);
  });

  test('two forwards at once that would give the school one name: one is forwarded, the other asked to forward again', async () => {
    const w = await world();
    const toSchool = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_007.XML`,
      content,
    });
    const toLa = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_007.XML`,
      content,
    });
    const count = await transfersCount(w.db);
    const copies = puts.length;
    copiesWaitForEachOther(2);
    const outcomes = await Promise.allSettled([
      service().forward(w.laUserA, toSchool.row.id, w.a2.number),
      service().forward(w.laUserA, toLa.row.id, w.a2.number),
    ]).finally(() => {
      copiesTogether = null;
    });
    const done = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    assert.equal(done.length, 1);
    assert.equal(done[0]?.forwarded.filename, `${w.b1.number}_CTF_${w.a2.number}_007.XML`);
    assert.equal(refused.length, 1);
    assert.ok(refused[0] instanceof Invalid);
    assert.match(
      inEnglish(refused[0]),
      /Another file named .*_007\.XML has just been sent to the school: forward this file again/,
    );
    assert.equal(await transfersCount(w.db), count + 1);
    // The refused forward's copy is removed and its original left as it was.
    const refusedCopy = puts.slice(copies).find((p) => p.storageKey !== done[0]?.forwarded.storage_key);
    assert.equal(await stores.raw.exists(refusedCopy?.storageKey as string), false);
    const left = done[0]?.original.id === toSchool.row.id ? toLa : toSchool;
    assert.equal((await getTransfer(w.db, left.row.id))?.status, 'available');

    // Forwarded again, it takes the next free number.
    const again = await service().forward(w.laUserA, left.row.id, w.a2.number);
    assert.equal(again.forwarded.filename, `${w.b1.number}_CTF_${w.a2.number}_008.XML`);
  });

  test('the destination is checked as an upload checks it, and a refused forward changes nothing', async () => {
    const w = await world();
    const closed = await makeSchool(w.db, w.laA.number, { status: 'closed' });
    const offline = await makeSchool(w.db, w.laA.number, { uses_s2s: 0 });
    const inactive = await makeSchool(w.db, w.laA.number, { active: 0 });
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_009.XML`,
    });
    const count = await transfersCount(w.db);
    const putsBefore = puts.length;
    const refusals: [string, RegExp][] = [
      ['', /Enter the DfE number of the school/],
      ['12345', /7-digit DfE number/],
      [`${w.a1.number.slice(0, 3)}LLLL`, /7-digit DfE number/],
      [`${w.laA.number}9999`, /does not exist: check its DfE number/],
      // What fits a forward, not a school's upload (no XXXXXXXX or MMMMMMMM advice).
      [closed.number, /^School \d{7} is closed: choose the school the pupil is now on roll at\.$/],
      [offline.number, /does not use s2s, so it cannot collect the file: agree another secure way/],
      [inactive.number, /its s2s account is inactive/],
      [w.a1.number, /already addressed to school/],
      [
        w.b1.number,
        /^School \d{7} sent .*, so it already has the pupils’ details and the file is not forwarded back to it: enter the school the pupils have moved to\. If they are back at school \d{7}, the file does not need forwarding$/,
      ],
    ];
    for (const [input, message] of refusals) {
      for (const attempt of [
        () => service().forwardPlan(w.laUserA, original.row.id, input),
        () => service().forward(w.laUserA, original.row.id, input),
      ]) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(error instanceof Invalid, `${input}: ${String(error)}`);
          assert.equal(error.errors[0]?.field, 'school');
          assert.match(error.message, message, input);
          return true;
        });
      }
    }
    assert.equal(await transfersCount(w.db), count, 'no transfer made');
    assert.equal(puts.length, putsBefore, 'nothing stored');
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available');
    assert.deepEqual(await auditOf(w.db, original.row.id), []);
  });

  test("a lost pupil's file goes back to the school that sent it to the database, passed on as the LA's", async () => {
    const w = await world();
    const lost = await makeTransfer(w.db, stores.files, {
      from: school(w.a1.number),
      to: la(w.laA.number),
      content,
      filename: `${w.a1.number}_CTF_XXXXXXXX_021.XML`,
      pupils: [pupil('Returner')],
      overrides: { dest_kind: 'lost-pupils', dest_la: null, lost_reason: 'destination-unknown' },
    });
    const forwarding = new ForwardService(deps());
    const closed = await makeSchool(w.db, w.laA.number, { status: 'closed' });
    await assert.rejects(
      forwarding.plan(lost.row, closed.number, { onlyLa: w.laA.number }),
      /School \d{7} is closed: choose the school the pupil is now on roll at\.$/,
    );
    const result = await forwarding.forward({
      actor: w.laUserA,
      original: lost.row,
      school: w.a1.number,
      originalBecomes: 'collected',
      onlyLa: w.laA.number,
    });
    assert.equal(result.forwarded.filename, `${w.laA.number}LLLL_CTF_${w.a1.number}_021.XML`);
    assert.deepEqual(
      [
        result.forwarded.source_la,
        result.forwarded.source_school,
        result.forwarded.dest_kind,
        result.forwarded.dest_school,
      ],
      [w.laA.number, null, 'school', w.a1.number],
    );
    assert.equal(result.original.status, 'collected');
    assert.ok((await readStored(stores.files, result.forwarded)).equals(content));
    const told = await w.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', '=', 'ctf-uploaded')
      .where('recipient', '=', w.a1.number)
      .execute();
    assert.equal(told.length, 1);
    assert.equal(JSON.parse(told[0]?.payload ?? '{}').sender, `${w.laA.number}LLLL`);
    // The school finds it under Download CTF Files, from its LA.
    const waiting = await downloads().available(w.schoolA1, 'ctf', DEFAULT_SORT);
    assert.deepEqual(
      waiting.map((f) => [f.filename, f.party.code]),
      [[result.forwarded.filename, `${w.laA.number}LLLL`]],
    );
  });

  test('a school of another LA can receive it; onlyLa keeps a forward within one LA', async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.a1.number),
      to: la(w.laA.number),
      filename: `${w.a1.number}_CTF_${w.laA.number}LLLL_011.XML`,
    });
    const forwarding = new ForwardService(deps());
    await assert.rejects(
      forwarding.forward({
        actor: w.laUserA,
        original: original.row,
        school: w.b1.number,
        originalBecomes: 'collected',
        onlyLa: w.laA.number,
      }),
      /is not a school of LA/,
    );
    const result = await service().forward(w.laUserA, original.row.id, w.b1.number);
    assert.equal(result.forwarded.dest_school, w.b1.number);
    assert.equal(result.forwarded.filename, `${w.a1.number}_CTF_${w.b1.number}_011.XML`);
  });

  test('a file collected meanwhile is not forwarded, and the copy made for it is removed', async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_013.XML`,
    });
    // The school collects it after the LA opened it (the LA's copy of the row is the stale one).
    await w.db
      .updateTable('transfers')
      .set({ status: 'collected' })
      .where('id', '=', original.row.id)
      .execute();
    const forwarding = new ForwardService(deps());
    const putsBefore = puts.length;
    await assert.rejects(
      forwarding.forward({
        actor: w.laUserA,
        original: original.row,
        school: w.a2.number,
        originalBecomes: 'removed',
      }),
      (error: unknown) =>
        error instanceof Invalid &&
        error.message === `${original.row.filename} has just changed: look at the list again` &&
        inWelsh(error) === `Mae ${original.row.filename} newydd newid: edrychwch ar y rhestr eto`,
    );
    assert.equal(puts.length, putsBefore + 1, 'a copy was written');
    assert.equal(await stores.raw.exists(puts.at(-1)?.storageKey as string), false, 'and removed again');
    const children = await w.db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', original.row.id)
      .execute();
    assert.deepEqual(children, []);
    assert.deepEqual(await auditOf(w.db, original.row.id), []);
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'collected');
    // Through the LA's service, a collected file is explained.
    await assert.rejects(
      service().forward(w.laUserA, original.row.id, w.a2.number),
      /already been collected/,
    );
  });

  test('a file that became something else while the form was open says what, in words, in English and Welsh', async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_015.XML`,
    });
    const name = original.row.filename;
    const expected = {
      'pending-scan': [
        `${name} is waiting for its virus scan: it cannot be forwarded until the scan finds it clean`,
        `Mae ${name} yn aros am ei sgan firysau: ni ellir ei hanfon ymlaen nes i’r sgan ddangos ei bod yn lân`,
      ],
      quarantined: [
        `A virus was found in ${name}, which was quarantined: it cannot be forwarded`,
        `Daethpwyd o hyd i feirws yn ${name}, a chafodd ei rhoi mewn cwarantin: ni ellir ei hanfon ymlaen`,
      ],
      collected: [
        `${name} has been collected: it can no longer be forwarded`,
        `Mae ${name} wedi’i chasglu: ni ellir ei hanfon ymlaen mwyach`,
      ],
      rejected: [
        `${name} has been rejected: it can no longer be forwarded`,
        `Mae ${name} wedi’i gwrthod: ni ellir ei hanfon ymlaen mwyach`,
      ],
      removed: [
        `${name} has been removed: it can no longer be forwarded`,
        `Mae ${name} wedi’i thynnu: ni ellir ei hanfon ymlaen mwyach`,
      ],
    } as const;
    const forwarding = new ForwardService(deps());
    for (const [status, [english, welsh]] of Object.entries(expected)) {
      await assert.rejects(
        forwarding.forward({
          actor: w.laUserA,
          original: { ...original.row, status: status as TransferRow['status'] },
          school: w.a2.number,
          originalBecomes: 'removed',
        }),
        (error: unknown) => {
          assert.ok(error instanceof Invalid, status);
          assert.equal(error.message, english);
          assert.equal(inWelsh(error), welsh);
          return true;
        },
      );
    }
    // A caller forwarding only from other states: one still waiting has changed all the same.
    await assert.rejects(
      forwarding.forward({
        actor: w.laUserA,
        original: original.row,
        school: w.a2.number,
        originalBecomes: 'collected',
        from: ['collected'],
      }),
      (error: unknown) =>
        error instanceof Invalid && inWelsh(error) === `Mae ${name} newydd newid: edrychwch ar y rhestr eto`,
    );
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available', 'nothing changed');
  });

  test('what the caller records alongside the forward is in its transaction: if it fails, nothing is forwarded', async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_014.XML`,
    });
    const forwarding = new ForwardService(deps());
    const putsBefore = puts.length;
    await assert.rejects(
      forwarding.forward({
        actor: w.laUserA,
        original: original.row,
        school: w.a2.number,
        originalBecomes: 'removed',
        alongside: async () => {
          throw new Error('the record could not be written');
        },
      }),
      /the record could not be written/,
    );
    assert.equal(await stores.raw.exists(puts.at(-1)?.storageKey as string), false, 'the copy is removed');
    assert.equal(puts.length, putsBefore + 1);
    const children = await w.db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', original.row.id)
      .execute();
    assert.deepEqual(children, []);
    assert.deepEqual(await auditOf(w.db, original.row.id), []);
    assert.equal(
      (await getTransfer(w.db, original.row.id))?.status,
      'available',
      'still waiting for the school',
    );
  });

  test('a tampered original is not forwarded', async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_014.XML`,
    });
    const key = original.row.storage_key as string;
    const stored = await readAll(await stores.raw.get(key));
    stored[stored.length - 20] = (stored[stored.length - 20] ?? 0) ^ 0xff;
    await stores.raw.put(key, Readable.from([stored]));
    const count = await transfersCount(w.db);
    await assert.rejects(service().forward(w.laUserA, original.row.id, w.a2.number));
    assert.equal(await transfersCount(w.db), count);
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available');
  });

  test("another LA cannot forward the LA's files", async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
    });
    await assert.rejects(service().forward(w.laUserB, original.row.id, w.b1.number), NotFound);
    await assert.rejects(service().forwardPlan(w.laUserB, original.row.id, w.b1.number), NotFound);
    await assert.rejects(service().forward(w.schoolA1, original.row.id, w.a2.number), NotFound);
    assert.equal((await getTransfer(w.db, original.row.id))?.status, 'available');
  });
  /** The emails written about these files (by their names), as [template, kind, recipient]. */
  async function emailsAbout(db: Db, ...filenames: string[]) {
    const rows = await db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('template', 'in', [
        'file-downloaded',
        'file-rejected',
        'forwarded-file-downloaded',
        'forwarded-file-rejected',
      ])
      .orderBy('template')
      .orderBy('recipient')
      .execute();
    return rows.filter((row) => filenames.some((name) => row.payload.includes(name)));
  }

  const emailContext = {
    serviceName: 's2s',
    serviceUrl: 'https://s2s.test.example',
    serviceDesk: { email: 'desk@example.gov.uk', telephone: '0300 123 4567' },
  };

  test("a school's misaddressed file its LA forwarded is rejected: the LA is told why and what to do, the sender as before", async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_031.XML`,
      content,
      pupils: [pupil('Secretsurname', { forename: 'Hidden' })],
    });
    const { forwarded } = await service().forward(w.laUserA, original.row.id, w.a2.number);
    clock.advanceMinutes(60);
    const reason = 'This pupil has not joined us: we think they went to 9165555.';
    await downloads().reject(w.schoolA2, 'ctf', forwarded.id, reason);

    const emails = await emailsAbout(w.db, forwarded.filename);
    assert.deepEqual(
      emails.map((e) => [e.template, e.recipient_kind, e.recipient]),
      [
        ['file-rejected', 'school', w.b1.number],
        ['forwarded-file-rejected', 'la', w.laA.number],
      ],
      'the sender keeps its email; the forwarding LA gets its own; no other LA is told',
    );
    const sender = JSON.parse(emails[0]?.payload ?? '{}');
    assert.equal(sender.filename, forwarded.filename);
    assert.equal(sender.reason, reason);
    assert.equal(sender.originalFilename, undefined, "the sender's email is as it was");

    const toLa = emails[1];
    const payload = writtenIn('en', JSON.parse(toLa?.payload ?? '{}'));
    assert.deepEqual(
      {
        filename: payload.filename,
        originalFilename: payload.originalFilename,
        sentBy: payload.sentBy,
        sentByCode: payload.sentByCode,
        senderTold: payload.senderTold,
        reason: payload.reason,
        rejectedByCode: payload.rejectedByCode,
        rejectedAt: payload.rejectedAt,
      },
      {
        filename: forwarded.filename,
        originalFilename: original.row.filename,
        sentBy: 'B One Primary',
        sentByCode: w.b1.number,
        senderTold: true,
        reason,
        rejectedByCode: w.a2.number,
        rejectedAt: '2026-11-23T10:00:00.000Z',
      },
    );
    assert.doesNotMatch(toLa?.payload ?? '', /Secretsurname|Hidden/);
    const email = composeEmail(toLa?.template ?? '', toLa?.payload ?? '', emailContext, 'en');
    assert.doesNotMatch(email.subject, /Secretsurname|Hidden/);
    assert.match(email.subject, new RegExp(forwarded.filename));
    const words = email.text.replace(/\s+/g, ' ');
    for (const fact of [
      `You forwarded it from ${original.row.filename}, the file B One Primary (${w.b1.number}) sent`,
      reason,
      'B One Primary has been emailed this reason too',
      'tell B One Primary, so that it sends a new CTF to that school',
    ]) {
      assert.ok(words.includes(fact), `${fact}\n${email.text}`);
    }
    const nothingForB = await w.db
      .selectFrom('notification_outbox')
      .select('template')
      .where('recipient_kind', '=', 'la')
      .where('recipient', '=', w.laB.number)
      .execute();
    assert.deepEqual(nothingForB, [], "the sender's LA is not the forwarder and is told nothing");
  });

  test("the LA's own LLLL file forwarded and collected: the LA is told, beside the sender", async () => {
    const w = await world();
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laA.number),
      filename: `${w.b1.number}_CTF_${w.laA.number}LLLL_032.XML`,
      content,
    });
    const { forwarded } = await service().forward(w.laUserA, original.row.id, w.a2.number);
    await readAll((await downloads().download(w.schoolA2, 'ctf', [forwarded.id], 'download')).stream);
    await downloads().collect(w.schoolA2, 'ctf', [forwarded.id]);

    const emails = await emailsAbout(w.db, forwarded.filename);
    assert.deepEqual(
      emails.map((e) => [e.template, e.recipient_kind, e.recipient]),
      [
        ['file-downloaded', 'school', w.b1.number],
        ['forwarded-file-downloaded', 'la', w.laA.number],
      ],
    );
    const payload = JSON.parse(emails[1]?.payload ?? '{}');
    assert.equal(payload.originalFilename, original.row.filename);
    assert.equal(payload.collectedByCode, w.a2.number);
    assert.equal(payload.senderTold, true);
  });

  test("a lost pupil's file forwarded in the LA's name: one email to the LA when it is rejected or collected, not two", async () => {
    const w = await world();
    const forwarding = new ForwardService(deps());
    const lost = async (n: string) =>
      makeTransfer(w.db, stores.files, {
        from: school(w.a1.number),
        to: la(w.laA.number),
        content,
        filename: `${w.a1.number}_CTF_XXXXXXXX_${n}.XML`,
        pupils: [pupil('Lostsurname')],
        overrides: { dest_kind: 'lost-pupils', dest_la: null, lost_reason: 'destination-unknown' },
      });
    const forward = async (original: Awaited<ReturnType<typeof lost>>) =>
      (
        await forwarding.forward({
          actor: w.laUserA,
          original: original.row,
          school: w.a2.number,
          originalBecomes: 'collected',
          onlyLa: w.laA.number,
        })
      ).forwarded;
    const first = await lost('041');
    const rejected = await forward(first);
    const second = await lost('042');
    const collected = await forward(second);
    await downloads().reject(w.schoolA2, 'ctf', rejected.id, 'Not known here');
    await readAll((await downloads().download(w.schoolA2, 'ctf', [collected.id], 'download')).stream);
    await downloads().collect(w.schoolA2, 'ctf', [collected.id]);

    const emails = await emailsAbout(w.db, rejected.filename, collected.filename);
    assert.deepEqual(
      emails.map((e) => [e.template, e.recipient_kind, e.recipient, JSON.parse(e.payload).filename]),
      [
        ['forwarded-file-downloaded', 'la', w.laA.number, collected.filename],
        ['forwarded-file-rejected', 'la', w.laA.number, rejected.filename],
      ],
      'the LA is the sender: it gets the forwarding LA’s email only; the school that sent the pupil to the database is not told',
    );
    const told = JSON.parse(emails[1]?.payload ?? '{}');
    assert.equal(told.senderTold, false);
    assert.equal(told.originalFilename, first.row.filename);
    assert.equal(told.sentByCode, w.a1.number);
    const email = composeEmail('forwarded-file-rejected', emails[1]?.payload ?? '', emailContext, 'en');
    assert.doesNotMatch(email.text, /emailed this reason too/);
    assert.match(
      email.text.replace(/\s+/g, ' '),
      /ask A One Primary, which sent the pupil’s file to the Lost Pupils Database/,
    );
  });

  test('the LA that forwarded is told, whichever LA it is; a file uploaded, not forwarded, tells its sender only', async () => {
    const w = await world();
    // A school of LA A sends its file to LA B's school by mistake; LA B forwards it to LA A's school.
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.a1.number),
      to: school(w.b1.number),
      filename: `${w.a1.number}_CTF_${w.b1.number}_051.XML`,
      content,
    });
    const { forwarded } = await service().forward(w.laUserB, original.row.id, w.a2.number);
    await downloads().reject(w.schoolA2, 'ctf', forwarded.id, 'Wrong school');
    const emails = await emailsAbout(w.db, forwarded.filename);
    assert.deepEqual(
      emails.map((e) => [e.template, e.recipient_kind, e.recipient]),
      [
        ['file-rejected', 'school', w.a1.number],
        ['forwarded-file-rejected', 'la', w.laB.number],
      ],
    );
    // An LA user's own upload is no forward: only its sender is told.
    const uploaded = await makeTransfer(w.db, stores.files, {
      from: school(w.a1.number),
      to: school(w.a2.number),
      filename: `${w.a1.number}_CTF_${w.a2.number}_061.XML`,
      content,
      overrides: { uploaded_by: w.laUserA.userId },
    });
    await downloads().reject(w.schoolA2, 'ctf', uploaded.row.id, 'Not ours');
    assert.deepEqual(
      (await emailsAbout(w.db, uploaded.row.filename)).map((e) => [e.template, e.recipient]),
      [['file-rejected', w.a1.number]],
    );
  });
  test("the rejected forwards of an LA are its own, read by the LA's index (transfers_forwarding_la), not the country's", async () => {
    const w = await world();
    const rejectedCopy = async (forwarder: typeof w.laUserA, to: string, sequence: string) => {
      const original = await makeTransfer(w.db, stores.files, {
        from: school(w.b1.number),
        to: school(w.a1.number),
        filename: `${w.b1.number}_CTF_${w.a1.number}_${sequence}.XML`,
        content,
      });
      const { forwarded } = await service().forward(forwarder, original.row.id, to);
      const rejecter = actorOf(await makeUser(w.db, 'school', { establishmentNumber: to }));
      await downloads().reject(rejecter, 'ctf', forwarded.id, 'Not ours');
      return forwarded;
    };
    const first = await rejectedCopy(w.laUserA, w.a2.number, '081');
    // LA B forwards a file misaddressed to one of its schools on to a school of LA A, which rejects it.
    const theirsOriginal = await makeTransfer(w.db, stores.files, {
      from: school(w.a1.number),
      to: school(w.b1.number),
      filename: `${w.a1.number}_CTF_${w.b1.number}_082.XML`,
      content,
    });
    const theirs = (await service().forward(w.laUserB, theirsOriginal.row.id, w.a2.number)).forwarded;
    await downloads().reject(w.schoolA2, 'ctf', theirs.id, 'Not ours either');
    const second = await rejectedCopy(w.laUserA, w.a2.number, '083');
    assert.equal(first.forwarding_la, w.laA.number, 'the copy names the LA that forwarded it');
    assert.equal((await getTransfer(w.db, theirs.id))?.forwarding_la, w.laB.number);

    const since = '2026-11-01T00:00:00.000Z';
    assert.deepEqual(
      (await listRejectedForwards(w.db, w.laA.number, since)).map((row) => row.id).sort(),
      [first.id, second.id].sort(),
    );
    assert.deepEqual(
      (await listRejectedForwards(w.db, w.laB.number, since)).map((row) => row.id),
      [theirs.id],
    );

    // The plan: a seek of the LA's copies in the index, not the country's rejected copies.
    const { engine } = database();
    const query = rejectedForwardsQuery(w.db, w.laA.number, since).compile();
    const plan = await queryPlan(w.db, engine, query);
    assert.match(plan, /transfers_forwarding_la/, plan);
    assert.doesNotMatch(plan, /transfers_forwarded_uploaded|transfers_forwarded_from|users/, plan);
  });
  /** A school's CTF sent to the wrong school of LA A, forwarded by LA A to A Two Primary, which rejects it. */
  async function rejectedCopy(w: Awaited<ReturnType<typeof world>>, sequence: string) {
    const original = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_${sequence}.XML`,
      content,
      pupils: [pupil('Rejectedsurname', { forename: 'Robin' })],
    });
    const { forwarded } = await service().forward(w.laUserA, original.row.id, w.a2.number);
    // The Reject page names the forwarding LA beside the sender, as both are emailed.
    assert.equal((await downloads().forwardingLaTold(w.schoolA2, forwarded.id))?.code, `${w.laA.number}LLLL`);
    clock.advanceMinutes(60);
    await downloads().reject(w.schoolA2, 'ctf', forwarded.id, 'Not our pupil: try A Three Primary');
    clock.advanceMinutes(60);
    return { original, copy: forwarded };
  }

  test('a copy its school rejected is forwarded on by the LA that forwarded it: checked, confirmed, audited, emailed; it stays rejected', async () => {
    const w = await world();
    const a3 = await makeSchool(w.db, w.laA.number, { name: 'A Three Primary' });
    const { original, copy } = await rejectedCopy(w, '091');

    const seen = await service().rejectedForward(w.laUserA, copy.id);
    assert.equal(seen.file.actionable, true, 'its content is kept: it may be forwarded');
    assert.equal(seen.originalFilename, original.row.filename);
    assert.equal(seen.sentBy.code, w.b1.number);
    assert.equal(seen.reason, 'Not our pupil: try A Three Primary');
    assert.equal(seen.keptUntil, '2026-11-30T10:00:00.000Z', '7 days after the rejection');
    assert.deepEqual(
      seen.pupils.map((p) => p.name),
      ['Rejectedsurname, Robin'],
    );

    // The checks of any forward: not back to the school that rejected it, nor to the one that made it.
    for (const [school, words] of [
      [w.a2.number, 'is already addressed to'],
      [w.b1.number, 'is not forwarded back to it'],
      ['12', 'DfE number'],
    ] as const) {
      await assert.rejects(service().forwardRejectedPlan(w.laUserA, copy.id, school), (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(inEnglish(error), new RegExp(words));
        return true;
      });
    }
    const count = await transfersCount(w.db);
    const plan = await service().forwardRejectedPlan(w.laUserA, copy.id, a3.number);
    assert.equal(plan.filename, `${w.b1.number}_CTF_${a3.number}_091.XML`);
    assert.equal(await transfersCount(w.db), count, 'a plan changes nothing');

    const result = await service().forwardRejected(w.laUserA, copy.id, a3.number);
    const onward = (await getTransfer(w.db, result.forwarded.id)) as TransferRow;
    assert.equal(onward.filename, `${w.b1.number}_CTF_${a3.number}_091.XML`);
    assert.equal(onward.forwarded_from, copy.id);
    assert.equal(onward.forwarding_la, w.laA.number);
    assert.equal(onward.status, 'available');
    assert.equal(onward.source_school, w.b1.number, 'the school that made it stays the sender');
    assert.ok((await readStored(stores.files, onward)).equals(content), 'byte-identical content');
    assert.deepEqual(
      (await pupilsOf(w.db, onward.id)).map((p) => p.surname),
      ['Rejectedsurname'],
    );
    const after = (await getTransfer(w.db, copy.id)) as TransferRow;
    assert.equal(after.status, 'rejected', 'the school did reject it');
    assert.equal(after.reject_reason, 'Not our pupil: try A Three Primary');
    // Audited on both, as any forward: the rejected copy's second 'file-forwarded' names the new file.
    const forwardedOf = async (id: string) =>
      (await auditOf(w.db, id))
        .filter((a) => a.action === 'file-forwarded')
        .map((a) => [a.organisation, a.actor_user_id, JSON.parse(a.detail ?? '{}')]);
    const forwardedOn = (await forwardedOf(copy.id)).find((a) => a[2].forwardedTo !== undefined);
    assert.deepEqual(forwardedOn?.slice(0, 2), [w.laA.number, w.laUserA.userId]);
    assert.equal(forwardedOn?.[2].forwardedTo, onward.id);
    assert.equal(forwardedOn?.[2].originalNow, 'rejected');
    const [made] = await forwardedOf(onward.id);
    assert.deepEqual(made?.slice(0, 2), [w.laA.number, w.laUserA.userId]);
    assert.equal(made?.[2].forwardedFrom, copy.id);
    const told = await w.db
      .selectFrom('notification_outbox')
      .select(['template', 'recipient'])
      .where('template', '=', 'ctf-uploaded')
      .where('recipient', '=', a3.number)
      .execute();
    assert.deepEqual(told, [{ template: 'ctf-uploaded', recipient: a3.number }], 'the new school is emailed');

    // Once forwarded on, it is not forwarded again: the LA is told where it went.
    const counted = await transfersCount(w.db);
    for (const again of [
      () => service().forwardRejected(w.laUserA, copy.id, a3.number),
      () => service().forwardRejectedPlan(w.laUserA, copy.id, w.a1.number),
      () => service().rejectedForward(w.laUserA, copy.id),
    ]) {
      await assert.rejects(again(), (error: unknown) => {
        assert.ok(error instanceof AlreadyForwarded);
        assert.equal(error.earlier.newName, onward.filename);
        assert.equal(error.earlier.destination.code, a3.number);
        return true;
      });
    }
    assert.equal(await transfersCount(w.db), counted);

    // The new school rejects it too: the LA is told, and may forward it on once more.
    await downloads().reject(
      actorOf(await makeUser(w.db, 'school', { establishmentNumber: a3.number })),
      'ctf',
      onward.id,
      'Not here either',
    );
    assert.equal((await service().rejectedForward(w.laUserA, onward.id)).file.actionable, true);
  });

  test('only the LA that forwarded a rejected copy, in a role that forwards, may see it or forward it on', async () => {
    const w = await world();
    const { copy } = await rejectedCopy(w, '092');
    const plasc = actorOf(await makeUser(w.db, 'la_plasc', { laNumber: w.laA.number }));
    const lostPupil = actorOf(await makeUser(w.db, 'la_lost_pupil', { laNumber: w.laA.number }));
    const colleague = actorOf(await makeUser(w.db, 'la_dba', { laNumber: w.laA.number }));
    for (const actor of [w.laUserB, w.schoolA2, w.schoolA1, plasc, lostPupil]) {
      await assert.rejects(service().rejectedForward(actor, copy.id), NotFound, actor.role);
      await assert.rejects(service().forwardRejected(actor, copy.id, w.a1.number), NotFound, actor.role);
    }
    // Any user of the LA in a role that forwards, as for the LA's other forwards.
    assert.equal((await service().rejectedForward(colleague, copy.id)).file.filename, copy.filename);
    // Not a file that was not forwarded, nor one still waiting.
    const uploaded = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      overrides: { status: 'rejected', rejected_at: clock.now().toISOString() },
    });
    await assert.rejects(service().rejectedForward(w.laUserA, uploaded.row.id), NotFound);
    const { forwarded: waiting } = await service().forward(
      w.laUserA,
      (await makeTransfer(w.db, stores.files, { from: school(w.b1.number), to: school(w.a1.number) })).row.id,
      w.a2.number,
    );
    await assert.rejects(service().rejectedForward(w.laUserA, waiting.id), NotFound);
  });

  test('once its content is purged, 7 days after the rejection, a rejected copy cannot be forwarded, and says so in English and Welsh', async () => {
    const w = await world();
    const { copy } = await rejectedCopy(w, '093');
    clock.advanceMinutes(7 * 24 * 60);
    await purgeExpiredContent(w.db, stores.files, clock);
    const seen = await service().rejectedForward(w.laUserA, copy.id);
    assert.equal(seen.file.actionable, false);
    assert.ok(seen.file.purgedAt, 'the page says when');
    assert.deepEqual(seen.pupils, [], "the pupils' details went with it");
    const count = await transfersCount(w.db);
    for (const attempt of [
      () => service().forwardRejectedPlan(w.laUserA, copy.id, w.a1.number),
      () => service().forwardRejected(w.laUserA, copy.id, w.a1.number),
    ]) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.equal(
          inEnglish(error),
          `The content of ${copy.filename} was deleted 7 days after it was rejected, so it can no longer be forwarded: ask the school that sent it for a new CTF`,
        );
        assert.equal(
          inWelsh(error),
          `Cafodd cynnwys ${copy.filename} ei ddileu 7 diwrnod ar ôl ei gwrthod, felly ni ellir ei hanfon ymlaen mwyach: gofynnwch i’r ysgol a’i hanfonodd am CTF newydd`,
        );
        return true;
      });
    }
    assert.equal(await transfersCount(w.db), count);
  });

  test('at the instant the page gives as the end of its 7 days a rejected copy can no longer be forwarded, purge job or not', async () => {
    const w = await world();
    const a3 = await makeSchool(w.db, w.laA.number, { name: 'A Three Primary' });
    const { copy } = await rejectedCopy(w, '094');
    // Rejected an hour ago: a minute before its 7 days run out, the page offers the forward.
    clock.advanceMinutes(7 * 24 * 60 - 61);
    const before = await service().rejectedForward(w.laUserA, copy.id);
    assert.equal(before.file.actionable, true);
    assert.ok(before.keptUntil > clock.now().toISOString());
    await service().forwardRejectedPlan(w.laUserA, copy.id, a3.number);
    // At the instant the page said ("kept until ...; after that it cannot be forwarded"), the purge job,
    // run on the hour, has not deleted it yet: it is refused all the same, as a download is at its 7 days.
    clock.advanceMinutes(1);
    const seen = await service().rejectedForward(w.laUserA, copy.id);
    assert.equal(seen.keptUntil, clock.now().toISOString());
    assert.equal(seen.file.actionable, false, 'not offered past the time the page gave');
    const count = await transfersCount(w.db);
    for (const attempt of [
      () => service().forwardRejectedPlan(w.laUserA, copy.id, a3.number),
      () => service().forwardRejected(w.laUserA, copy.id, a3.number),
    ]) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(
          inEnglish(error),
          /was deleted 7 days after it was rejected, so it can no longer be forwarded/,
        );
        return true;
      });
    }
    assert.equal(await transfersCount(w.db), count);
  });

  for (const deleted of [false, true]) {
    test(`a rejected copy forwarded on as the purge job deletes its content, 7 days after the rejection (${deleted ? 'deleted' : 'not yet deleted'}): refused, saying so`, async () => {
      const w = await world();
      const { copy } = await rejectedCopy(w, deleted ? '095' : '096');
      // Rejected an hour ago: a minute before its 7 days run out the LA forwards it on.
      clock.advanceMinutes(7 * 24 * 60 - 61);
      const count = await transfersCount(w.db);
      // The 7 days run out after the forward's checks and before it reads the content, and the purge job
      // runs: it has recorded that it lets the content go, and deleted it (`deleted`) or not yet.
      let purge: { finish(): Promise<unknown> } | undefined;
      readsInTurn = async () => {
        clock.advanceMinutes(1);
        purge = await purgeCaughtAt(w.db, stores.files, clock, copy.storage_key as string, deleted);
      };
      try {
        await assert.rejects(service().forwardRejected(w.laUserA, copy.id, w.a1.number), (error: unknown) => {
          assert.ok(error instanceof Invalid, String(error));
          assert.equal(inEnglish(error), `The content of ${copy.filename} is no longer held`);
          assert.equal(inWelsh(error), `Nid yw cynnwys ${copy.filename} yn cael ei gadw mwyach`);
          return true;
        });
      } finally {
        readsInTurn = null;
        await purge?.finish();
      }
      assert.equal(await transfersCount(w.db), count, 'no new file');
      const now = await getTransfer(w.db, copy.id);
      assert.equal(now?.status, 'rejected');
      assert.equal(now?.storage_key, null, 'its content is gone, and its row says so');
    });
  }

  test("a rejected copy of a lost pupil's file goes on only to a school of the LA, in the LA's name", async () => {
    const w = await world();
    const lost = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: la(w.laB.number),
      content,
      filename: `${w.b1.number}_CTF_XXXXXXXX_094.XML`,
      pupils: [pupil('Lostsurname')],
      overrides: { dest_kind: 'lost-pupils', dest_la: null, lost_reason: 'destination-unknown' },
    });
    const { forwarded } = await new ForwardService(deps()).forward({
      actor: w.laUserA,
      original: lost.row,
      school: w.a2.number,
      originalBecomes: 'collected',
      onlyLa: w.laA.number,
    });
    // The LA is its sender: the Reject page names it once, as the sender, and adds nobody.
    assert.equal(await downloads().forwardingLaTold(w.schoolA2, forwarded.id), null);
    await downloads().reject(w.schoolA2, 'ctf', forwarded.id, 'Not here');
    await assert.rejects(
      service().forwardRejectedPlan(w.laUserA, forwarded.id, w.b1.number),
      (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(
          inEnglish(error),
          new RegExp(`School ${w.b1.number} is not a school of LA ${w.laA.number}`),
        );
        return true;
      },
    );
    const { forwarded: onward } = await service().forwardRejected(w.laUserA, forwarded.id, w.a1.number);
    assert.equal(onward.filename, `${w.laA.number}LLLL_CTF_${w.a1.number}_094.XML`);
  });

  test("a rejected copy of a lost pupil's file the database keeps is forwarded from the pupil's record, not from Monitor CTF Files", async () => {
    const w = await world();
    const { record } = await makeLostPupil(w.db, stores.files, { from: school(w.a1.number) });
    const lost = (await getTransfer(w.db, record.id)) as TransferRow;
    // As the Lost Pupils Database forwards it (decision 38): the file kept while the copy waits.
    const { forwarded } = await new ForwardService(deps()).forward({
      actor: w.laUserA,
      original: lost,
      school: w.a2.number,
      originalBecomes: 'kept',
      onlyLa: w.laA.number,
    });
    await downloads().reject(w.schoolA2, 'ctf', forwarded.id, 'Not here');
    const page = await service().rejectedForward(w.laUserA, forwarded.id);
    assert.deepEqual([page.file.actionable, page.lostPupilRecord], [false, record.id]);
    for (const attempt of [
      () => service().forwardRejectedPlan(w.laUserA, forwarded.id, w.a1.number),
      () => service().forwardRejected(w.laUserA, forwarded.id, w.a1.number),
    ]) {
      await assert.rejects(attempt(), (error: unknown) => {
        assert.ok(error instanceof Invalid);
        assert.match(inEnglish(error), /forward it from the pupil’s record there \(Search for Lost Pupil\)/);
        assert.match(inWelsh(error), /Chwilio am Ddisgybl Coll/);
        return true;
      });
    }
    const copies = await w.db
      .selectFrom('transfers')
      .select('id')
      .where('forwarded_from', '=', forwarded.id)
      .execute();
    assert.deepEqual(copies, []);
  });

  test('confirming the same forward twice forwards once; the second time says where it went', async () => {
    const w = await world();
    for (const [to, sequence] of [
      [school(w.a1.number), '095'],
      [la(w.laA.number), '096'],
    ] as const) {
      const original = await makeTransfer(w.db, stores.files, {
        from: school(w.b1.number),
        to,
        filename: `${w.b1.number}_CTF_${to.kind === 'la' ? `${w.laA.number}LLLL` : w.a1.number}_${sequence}.XML`,
        content,
      });
      const first = await service().forward(w.laUserA, original.row.id, w.a2.number);
      const count = await transfersCount(w.db);
      for (const again of [
        () => service().forward(w.laUserA, original.row.id, w.a2.number),
        () => service().forwardPlan(w.laUserA, original.row.id, w.a2.number),
        () => service().file(w.laUserA, original.row.id),
      ]) {
        await assert.rejects(again(), (error: unknown) => {
          assert.ok(error instanceof AlreadyForwarded, `${to.kind}: ${String(error)}`);
          assert.deepEqual(
            [
              error.earlier.filename,
              error.earlier.newName,
              error.earlier.destination.code,
              error.earlier.forwardedAt,
            ],
            [original.row.filename, first.forwarded.filename, w.a2.number, clock.now().toISOString()],
          );
          return true;
        });
      }
      assert.equal(await transfersCount(w.db), count, `${to.kind}: nothing forwarded again`);
      // Another LA still finds nothing there.
      await assert.rejects(service().forward(w.laUserB, original.row.id, w.a2.number), NotFound);
    }
  });

  test('two confirmations at once forward once: the other is told where the file went', async () => {
    const w = await world();
    const a3 = await makeSchool(w.db, w.laA.number, { name: 'A Three Primary' });
    const waiting = await makeTransfer(w.db, stores.files, {
      from: school(w.b1.number),
      to: school(w.a1.number),
      filename: `${w.b1.number}_CTF_${w.a1.number}_097.XML`,
      content,
    });
    const { copy } = await rejectedCopy(w, '098');
    // Each to two schools, so that the new names differ and only the original's row keeps them apart.
    for (const [forward, id, schools] of [
      [
        (to: string) => service().forward(w.laUserA, waiting.row.id, to),
        waiting.row.id,
        [w.a2.number, a3.number],
      ],
      [(to: string) => service().forwardRejected(w.laUserA, copy.id, to), copy.id, [w.a1.number, a3.number]],
    ] as const) {
      // Both have read the file as waiting when the first copies it; the second copies only once the first
      // has finished (its copy recorded, and a removed original's content deleted).
      const { fired: second, fire: secondBegun } = signal();
      const { fired: first, fire: firstFinished } = signal();
      reads = 0;
      readsInTurn = async (read) => {
        if (read === 1) await second;
        if (read === 2) {
          secondBegun();
          await first;
        }
      };
      const runs = schools.map(forward);
      void Promise.race(runs.map((run) => run.then(firstFinished, firstFinished)));
      const outcomes = await Promise.allSettled(runs);
      readsInTurn = null;
      const done = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      assert.equal(done.length, 1, String(refused));
      assert.ok(refused[0] instanceof AlreadyForwarded, String(refused[0]));
      const copies = await w.db
        .selectFrom('transfers')
        .select('id')
        .where('forwarded_from', '=', id)
        .execute();
      assert.equal(copies.length, 1, 'one copy');
    }
  });
});
