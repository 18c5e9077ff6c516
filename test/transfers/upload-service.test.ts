// The upload service on both engines: what an accepted file leaves behind (transfer, pupils, audit,
// outbox, an encrypted blob that decrypts to the same bytes), every kind of refusal (with its reason,
// nothing stored, the refusal audited and the uploader notified), the same file sent again while it waits
// (already received: nothing stored, audited or emailed), and crash safety: a process killed
// between storing the blob and committing the record leaves no transfer, only an unreferenced blob
// (on S3 too, where the sweep then removes it), and the same upload then succeeds.
//
// This file is also the crashing child process of that test: run with S2S_UPLOAD_CRASH_CHILD set, it
// uploads one file with a blob store that stops for ever once the blob is durable, and the test kills it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Actor } from '../../src/auth/actor.ts';
import type { Role } from '../../src/auth/permissions.ts';
import type { S3StoreConfig } from '../../src/config.ts';
import { makeUpn } from '../../src/ctf/upn.ts';
import type { EmailContext } from '../../src/notifications/email.ts';
import { composeEmail } from '../../src/notifications/templates.ts';
import { ManualClock, systemClock } from '../../src/platform/clock.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import type { Db, EstablishmentRow, LocalAuthorityRow, UserRow } from '../../src/platform/db/schema.ts';
import { Forbidden } from '../../src/platform/errors.ts';
import { translateMessage } from '../../src/platform/i18n/catalogue.ts';
import { createLogger } from '../../src/platform/logger.ts';
import type { UploadMetric } from '../../src/platform/metrics.ts';
import { EncryptedFileStore } from '../../src/platform/storage/encrypted-store.ts';
import { MasterKey } from '../../src/platform/storage/envelope.ts';
import { DiskFileStore } from '../../src/platform/storage/file-store.ts';
import { MasterKeyring } from '../../src/platform/storage/keyring.ts';
import { S3FileStore } from '../../src/platform/storage/s3-store.ts';
import type { Category } from '../../src/transfers/categories.ts';
import { PooledContentChecks } from '../../src/transfers/content-check-pool.ts';
import { ORPHAN_GRACE_HOURS, sweepOrphanFiles } from '../../src/transfers/jobs.ts';
import { pupilsOf, updateTransfer } from '../../src/transfers/repository.ts';
import { SentService } from '../../src/transfers/sent-service.ts';
import {
  type AcceptedUpload,
  LA_UPLOAD_LIMIT,
  REFUSAL_TEXTS,
  type RefusedUpload,
  reasonIn,
  SCHOOL_UPLOAD_LIMIT,
  type UploadBlobStore,
  type UploadDeps,
  type UploadOutcome,
  UploadService,
} from '../../src/transfers/upload-service.ts';
import { type CtfOptions, ctfXml, type FixturePupil, syntheticPupil } from '../fixtures/ctf/generate.ts';
import { describeEachEngine } from '../support/databases.ts';
import { makeLa, makeSchool, makeUser } from '../support/factories.ts';
import { startS3 } from '../support/s3.ts';
import { meetingPuts, readStored } from '../support/transfers.ts';
import { zipOfSize } from '../support/zips.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const EMAIL: EmailContext = {
  serviceName: 's2s',
  serviceUrl: 'https://s2s.example.gov.uk',
  serviceDesk: { email: 'desk@s2s.example.gov.uk', telephone: '0300 000 0000' },
};

// ---------------------------------------------------------------------------------------------------
// Files for the test's own schools

/** A CTF 25.0 from `source` to `destination` (7-character codes as in the name) holding pupils. */
function ctfFor(
  source: string,
  destination: string,
  pupils: number | FixturePupil[] = 2,
  overrides: Partial<CtfOptions> = {},
): string {
  const school = (code: string) => ({ lea: code.slice(0, 3), estab: code.slice(3, 7) });
  const from = { lea: source.slice(0, 3), estab: /^\d{7}$/.test(source) ? source.slice(3) : '9999' };
  const list =
    typeof pupils === 'number'
      ? Array.from({ length: pupils }, (_, n) => syntheticPupil(n, from, false))
      : pupils;
  const options: CtfOptions = {
    style: 'new',
    version: '25.0',
    dateTime: '2026-11-20T10:30:00',
    qualifier: 'full',
    supplier: 'Fictional MIS 7.2',
    source: school(source),
    destination: school(destination),
    ...overrides,
  };
  return ctfXml(options, list);
}

/** The clean autumn 2025 census return of the fixtures, rewritten as `school`'s return. */
function censusFor(school: string): string {
  return readFileSync(join(FIXTURES, 'census', 'valid-autumn.xml'), 'utf8')
    .replaceAll('<LEA>916</LEA>', `<LEA>${school.slice(0, 3)}</LEA>`)
    .replaceAll('<Estab>4001</Estab>', `<Estab>${school.slice(3)}</Estab>`);
}

function hostile(name: string): Buffer {
  return readFileSync(join(FIXTURES, 'hostile', name));
}

/** A zip file of this size (a real one: decision 83 refuses bytes that only start like a zip). */
function zipLike(size: number): Buffer {
  return zipOfSize(size);
}

/** Bytes that sniff as an old Office file (.XLS, .DOC). */
function oleLike(size: number): Buffer {
  const bytes = Buffer.alloc(size, 0x61);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(bytes, 0);
  return bytes;
}

/** Uneven chunks, as a network upload arrives. */
function chunked(content: string | Buffer): Readable {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const parts: Buffer[] = [];
  for (let i = 0, size = 1; i < bytes.length; i += size, size = (size * 7 + 3) % 70_000 || 1) {
    parts.push(bytes.subarray(i, i + size));
  }
  return Readable.from(parts);
}

function actorOf(user: UserRow): Actor {
  return {
    userId: user.id,
    username: user.username,
    role: user.role as Role,
    laNumber: user.la_number,
    establishmentNumber: user.establishment_number,
  };
}

function blobsIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------------
// The crashing child (see the top)

interface ChildBrief {
  url: string;
  schema?: string;
  storeDir: string;
  /** The S3 store to keep the blob in instead of storeDir. */
  s3?: S3StoreConfig;
  masterKey: string;
  actor: Actor;
  filename: string;
  content: string;
}

async function runCrashingChild(brief: ChildBrief): Promise<void> {
  const db = createDatabase(brief.url, brief.schema ? { schema: brief.schema } : {});
  const files = new EncryptedFileStore(
    brief.s3 ? new S3FileStore(brief.s3) : new DiskFileStore(brief.storeDir),
    new MasterKeyring(new MasterKey(Buffer.from(brief.masterKey, 'base64'))),
  );
  const stopsAfterStoring: UploadBlobStore = {
    async put(content) {
      const stored = await files.put(content);
      process.stdout.write(`stored ${stored.storageKey}\n`);
      // Stay here, blob durable and nothing recorded, until killed.
      setInterval(() => {}, 60_000);
      return new Promise<never>(() => {});
    },
    remove: (key) => files.remove(key),
  };
  await new UploadService({ db, files: stopsAfterStoring, clock: systemClock }).upload(
    brief.actor,
    'ctf',
    brief.filename,
    Readable.from([Buffer.from(brief.content)]),
  );
  throw new Error('the upload finished: it should have stopped after storing its blob');
}

/** Starts the child, waits until its blob is stored, kills it (SIGKILL) and answers the blob's key. */
async function crashAfterStoring(brief: ChildBrief): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, S2S_UPLOAD_CRASH_CHILD: JSON.stringify(brief) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const key = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /stored (\S+)\n/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    exited.then((code) => reject(new Error(`the child exited (${code}) before storing: ${err}`)));
  });
  child.kill('SIGKILL');
  await exited;
  return key;
}

if (process.env.S2S_UPLOAD_CRASH_CHILD) {
  await runCrashingChild(JSON.parse(process.env.S2S_UPLOAD_CRASH_CHILD) as ChildBrief);
} else {
  describeEachEngine('upload service', (database) => {
    let db: Db;
    let la: LocalAuthorityRow;
    let otherLa: LocalAuthorityRow;
    let school: EstablishmentRow;
    let dest: EstablishmentRow;
    let closed: EstablishmentRow;
    let noS2s: EstablishmentRow;
    let inactive: EstablishmentRow;
    let schoolUser: UserRow;
    let laUser: UserRow;
    let admissionsUser: UserRow;
    let lostPupilUser: UserRow;
    let dbaUser: UserRow;
    let storeDir: string;
    let masterKey: MasterKey;
    let files: EncryptedFileStore;
    let clock: ManualClock;
    let service: UploadService;

    before(async () => {
      db = database().db;
      la = await makeLa(db, { name: 'Sendershire' });
      otherLa = await makeLa(db, { name: 'Destinationshire' });
      school = await makeSchool(db, la.number, { name: 'Sender Primary School' });
      dest = await makeSchool(db, otherLa.number, { name: 'Destination Primary School' });
      closed = await makeSchool(db, otherLa.number, { status: 'closed' });
      noS2s = await makeSchool(db, otherLa.number, { uses_s2s: 0 });
      inactive = await makeSchool(db, otherLa.number, { active: 0 });
      schoolUser = await makeUser(db, 'school', { laNumber: la.number, establishmentNumber: school.number });
      laUser = await makeUser(db, 'la_user', { laNumber: la.number });
      admissionsUser = await makeUser(db, 'la_admissions', { laNumber: la.number });
      lostPupilUser = await makeUser(db, 'la_lost_pupil', { laNumber: la.number });
      dbaUser = await makeUser(db, 'la_dba', { laNumber: la.number });
      storeDir = mkdtempSync(join(tmpdir(), 's2s-upload-'));
      masterKey = MasterKey.generate();
      files = new EncryptedFileStore(new DiskFileStore(storeDir), new MasterKeyring(masterKey));
      clock = new ManualClock('2026-11-23T10:00:00.000Z');
      service = new UploadService({ db, files, clock });
    });
    after(() => {
      rmSync(storeDir, { recursive: true, force: true });
    });

    const upload = (user: UserRow, category: Category, name: string, content: string | Buffer) =>
      service.upload(actorOf(user), category, name, chunked(content));

    function accepted(outcome: UploadOutcome): AcceptedUpload {
      assert.equal(outcome.status, 'accepted', JSON.stringify(outcome));
      return outcome as AcceptedUpload;
    }

    function refused(outcome: UploadOutcome): RefusedUpload {
      assert.equal(outcome.status, 'refused', JSON.stringify(outcome));
      return outcome as RefusedUpload;
    }

    const transfersNamed = (filename: string) =>
      db.selectFrom('transfers').selectAll().where('filename', '=', filename).execute();

    async function outboxFor(template: string, recipient: string) {
      const rows = await db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('template', '=', template)
        .where('recipient', '=', recipient)
        .execute();
      return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
    }

    /** A refusal leaves no transfer and no blob, one audit record and one email to the uploader. */
    async function assertRefusalRecorded(
      user: UserRow,
      filename: string,
      outcome: RefusedUpload,
    ): Promise<Record<string, unknown>> {
      assert.deepEqual(await transfersNamed(filename), [], 'no transfer is recorded');
      const audit = (
        await db
          .selectFrom('audit_events')
          .selectAll()
          .where('action', '=', 'upload-refused')
          .where('actor_user_id', '=', user.id)
          .execute()
      ).filter((row) => JSON.parse(row.detail ?? '{}').filename === filename);
      assert.equal(audit.length, 1, 'the refusal is audited once');
      const detail = JSON.parse(audit[0]?.detail ?? '{}');
      assert.deepEqual(detail.reasons, outcome.reasons);
      assert.equal(audit[0]?.organisation, user.establishment_number ?? user.la_number);
      const emails = (await outboxFor('upload-refused', user.id)).filter(
        (n) => n.payload.filename === filename,
      );
      assert.equal(emails.length, 1, 'the uploader is notified once');
      assert.equal(emails[0]?.recipient_kind, 'user');
      assert.equal(emails[0]?.payload.reasons, outcome.reasons.join('\n'));
      return detail;
    }

    test('an accepted CTF: transfer, pupils, audit, both emails, and a blob that decrypts to the same bytes', async () => {
      const name = `${school.number}_CTF_${dest.number}_001.XML`;
      const content = ctfFor(school.number, dest.number, 3);
      const blobsBefore = blobsIn(storeDir);
      const outcome = accepted(await upload(schoolUser, 'ctf', name, content));
      assert.equal(outcome.filename, name);
      assert.equal(outcome.pupils, 3);
      assert.equal(outcome.destination, `Destination Primary School (${dest.number})`);
      assert.match(
        translateMessage('en', outcome.description),
        new RegExp(`CTF from school ${school.number} to school ${dest.number}`),
      );
      assert.deepEqual(outcome.warnings, []);

      const [row, ...others] = await transfersNamed(name);
      assert.equal(others.length, 0);
      assert.ok(row);
      assert.equal(row.id, outcome.transferId);
      assert.deepEqual(
        {
          category: row.category,
          kind: row.kind,
          type_code: row.type_code,
          source_la: row.source_la,
          source_school: row.source_school,
          source_inbox: row.source_inbox,
          dest_kind: row.dest_kind,
          dest_la: row.dest_la,
          dest_school: row.dest_school,
          dest_inbox: row.dest_inbox,
          lost_reason: row.lost_reason,
          uploaded_by: row.uploaded_by,
          uploaded_at: row.uploaded_at,
          size: row.size,
          pupil_count: row.pupil_count,
          status: row.status,
          master_key_id: row.master_key_id,
        },
        {
          category: 'ctf',
          kind: 'ctf',
          type_code: 'CTF',
          source_la: la.number,
          source_school: school.number,
          source_inbox: null,
          dest_kind: 'school',
          dest_la: otherLa.number,
          dest_school: dest.number,
          dest_inbox: null,
          lost_reason: null,
          uploaded_by: schoolUser.id,
          uploaded_at: '2026-11-23T10:00:00.000Z',
          size: Buffer.byteLength(content),
          pupil_count: 3,
          status: 'available',
          master_key_id: masterKey.id,
        },
      );

      const expected = [0, 1, 2].map((n) =>
        syntheticPupil(n, { lea: la.number, estab: school.number.slice(3) }, false),
      );
      const pupils = await pupilsOf(db, row.id);
      assert.deepEqual(
        pupils.map((p) => [p.position, p.upn, p.surname, p.forename, p.middle_names, p.date_of_birth, p.sex]),
        expected.map((p, i) => [i + 1, p.upn, p.surname, p.forename, p.middleNames ?? null, p.dob, p.sex]),
      );

      // The blob: one new file on disk, encrypted, decrypting to exactly what was uploaded.
      assert.equal(blobsIn(storeDir).length, blobsBefore.length + 1);
      assert.ok(row.storage_key && row.wrapped_key);
      const onDisk = readFileSync(join(storeDir, row.storage_key));
      assert.ok(!onDisk.includes(Buffer.from(expected[0]?.surname ?? 'x')), 'stored encrypted');
      const back = await readStored(files, row);
      assert.ok(back.equals(Buffer.from(content)), 'decrypts to the uploaded bytes');

      // Audit: who, which organisation, which file, how many pupils; no pupil data.
      const audit = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'file-uploaded')
        .where('subject_id', '=', row.id)
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.actor_user_id, schoolUser.id);
      assert.equal(audit[0]?.actor_username, schoolUser.username);
      assert.equal(audit[0]?.organisation, school.number);
      assert.equal(audit[0]?.subject_type, 'transfer');
      assert.deepEqual(JSON.parse(audit[0]?.detail ?? '{}'), {
        filename: name,
        category: 'ctf',
        kind: 'ctf',
        destination: dest.number,
        pupils: 3,
        size: Buffer.byteLength(content),
      });

      // Handbook §6: the destination school is told, the sending school gets its confirmation.
      const told = (await outboxFor('ctf-uploaded', dest.number)).filter((n) => n.payload.filename === name);
      assert.equal(told.length, 1);
      assert.equal(told[0]?.recipient_kind, 'school');
      assert.equal(told[0]?.payload.senderName, `Sender Primary School (${school.number})`);
      const confirmed = (await outboxFor('upload-confirmed', school.number)).filter(
        (n) => n.payload.filename === name,
      );
      assert.equal(confirmed.length, 1);
      assert.equal(confirmed[0]?.recipient_kind, 'school');
      for (const text of [audit[0]?.detail ?? '', JSON.stringify(told), JSON.stringify(confirmed)]) {
        for (const pupil of expected) {
          assert.ok(!text.includes(pupil.surname) && !text.includes(pupil.upn), 'no pupil data');
        }
      }
    });

    test('UPN problems are warnings on an accepted CTF, not refusals', async () => {
      const good = syntheticPupil(0, { lea: la.number, estab: school.number.slice(3) }, false);
      const upn = makeUpn(la.number, school.number.slice(3), '20', '011');
      const wrongLetter = `${upn[0] === 'A' ? 'B' : 'A'}${upn.slice(1)}`;
      const name = `${school.number}_CTF_${dest.number}_002.XML`;
      const outcome = accepted(
        await upload(
          schoolUser,
          'ctf',
          name,
          ctfFor(school.number, dest.number, [good, { ...good, upn: wrongLetter }]),
        ),
      );
      assert.equal(outcome.pupils, 2);
      assert.equal(outcome.warnings.length, 1);
      assert.match(outcome.warnings[0] ?? '', /^Pupil 2: The check letter \(character 1\) should be/);
      const [row] = await transfersNamed(name);
      assert.equal((await pupilsOf(db, row?.id ?? ''))[1]?.upn, wrongLetter, 'kept as written');
    });

    test('a lost-pupil CTF is stored for the lost pupils database, and only the sender is emailed', async () => {
      for (const [code, reason, sequence] of [
        ['XXXXXXXX', 'destination-unknown', '003'],
        ['MMMMMMMM', 'left-maintained-sector', '004'],
      ] as const) {
        const name = `${school.number}_CTF_${code}_${sequence}.XML`;
        // A pupil of its own for each: a second file for a pupil still lost is refused (decision 79).
        const pupil = syntheticPupil(
          Number(sequence),
          { lea: la.number, estab: school.number.slice(3) },
          false,
        );
        accepted(await upload(schoolUser, 'ctf', name, ctfFor(school.number, code, [pupil])));
        const [row] = await transfersNamed(name);
        assert.equal(row?.dest_kind, 'lost-pupils');
        assert.equal(row?.lost_reason, reason);
        assert.equal(row?.dest_la, null);
        assert.equal(row?.dest_school, null);
        const all = await db.selectFrom('notification_outbox').selectAll().execute();
        const mine = all.filter((n) => JSON.parse(n.payload).filename === name);
        assert.deepEqual(
          mine.map((n) => [n.template, n.recipient_kind, n.recipient]),
          [['upload-confirmed', 'school', school.number]],
        );
      }
    });

    test('an LA sends a CTF as LEALLLL; the school is told and the LA gets the confirmation', async () => {
      const name = `${la.number}LLLL_CTF_${dest.number}_005.XML`;
      // LAs forward other schools' CTFs with their original header: the source is not compared.
      accepted(await upload(laUser, 'ctf', name, ctfFor(school.number, dest.number, 1)));
      const [row] = await transfersNamed(name);
      assert.deepEqual([row?.source_la, row?.source_school, row?.source_inbox], [la.number, null, null]);
      // The transfer's own emails (its pupil was sent to the Lost Pupils Database by an earlier test, so
      // lost-pupil matches are written too: lost-pupils/matching.test.ts covers those).
      const all = await db
        .selectFrom('notification_outbox')
        .selectAll()
        .where('template', 'in', ['ctf-uploaded', 'upload-confirmed'])
        .execute();
      const mine = all.filter((n) => JSON.parse(n.payload).filename === name);
      assert.deepEqual(mine.map((n) => [n.template, n.recipient_kind, n.recipient]).sort(), [
        ['ctf-uploaded', 'school', dest.number],
        ['upload-confirmed', 'la', la.number],
      ]);
      // The LA's name is s2s's words around the directory's: written in the reader's language.
      const told = mine.find((n) => n.template === 'ctf-uploaded');
      const email = (language: 'en' | 'cy') =>
        composeEmail('ctf-uploaded', told?.payload ?? '', EMAIL, language).text.replace(/\s+/g, ' ');
      assert.match(email('en'), new RegExp(`^Sendershire LA \\(${la.number}LLLL\\) has sent you`));
      assert.match(
        email('cy'),
        new RegExp(`^Mae Awdurdod lleol Sendershire \\(${la.number}LLLL\\) wedi anfon`),
      );
      const audit = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('subject_id', '=', row?.id ?? '')
        .executeTakeFirst();
      assert.equal(audit?.organisation, la.number);
    });

    test("a census return's COLLECT advice: asked with the name's school, type and year; a failed look-up leaves the upload sent, without advice", async () => {
      const asked: unknown[] = [];
      const withCollect = (censusCollection: UploadDeps['censusCollection']) =>
        new UploadService({ db, files, clock, censusCollection, logger: createLogger('silent') });
      const found = accepted(
        await withCollect(async (file) => {
          asked.push(file);
          return { name: 'School Census 2025 Autumn', uploadHref: '/collect/collections/c1/upload' };
        }).upload(
          actorOf(schoolUser),
          'plasc',
          `${school.number}_SC3_${la.number}LL25_201.XML`,
          chunked(censusFor(school.number)),
        ),
      );
      assert.deepEqual(asked, [{ school: school.number, typeCode: 'SC3', censusYear: '25' }]);
      assert.match(
        found.advice ?? '',
        /load it into COLLECT: Upload Return from File for School Census 2025 Autumn/,
      );
      // Only census returns are asked about.
      accepted(
        await withCollect(async (file) => {
          asked.push(file);
          return null;
        }).upload(
          actorOf(schoolUser),
          'generic',
          `${school.number}_${la.number}LLLL_NOTES201.CSV`,
          chunked('a,b\n1,2\n'),
        ),
      );
      assert.equal(asked.length, 1);

      const failed = accepted(
        await withCollect(() => Promise.reject(new Error('database gone'))).upload(
          actorOf(schoolUser),
          'plasc',
          `${school.number}_SC3_${la.number}LL25_202.XML`,
          chunked(censusFor(school.number)),
        ),
      );
      assert.equal(failed.advice, undefined);
      assert.equal((await transfersNamed(failed.filename)).length, 1, 'the file is sent all the same');
    });

    test('census, generic and admissions files are accepted with their checks, and notify nobody', async () => {
      const census = `${school.number}_SC3_${la.number}LL25_001.XML`;
      const censusOutcome = accepted(await upload(schoolUser, 'plasc', census, censusFor(school.number)));
      assert.equal(censusOutcome.pupils, 13, '11 on roll and 2 no longer on roll');
      const generic = `${school.number}_${la.number}LLLL_SENLIST.ZIP`;
      accepted(await upload(schoolUser, 'generic', generic, zipLike(1000)));
      const admissions = `${la.number}ADMS_ATF_${school.number}_26001.XML`;
      accepted(
        await upload(
          admissionsUser,
          'admissions',
          admissions,
          '<?xml version="1.0"?>\n<ATfile><Header/></ATfile>\n',
        ),
      );
      const renamed = `${school.number}_KS1_${la.number}LLLL_005.CSV`;
      accepted(await upload(schoolUser, 'exclusion', renamed, 'UPN,Result\n'));

      const rows = await db
        .selectFrom('transfers')
        .select(['filename', 'kind', 'category', 'dest_kind', 'dest_la', 'source_inbox', 'pupil_count'])
        .where('filename', 'in', [census, generic, admissions, renamed])
        .orderBy('filename')
        .execute();
      assert.deepEqual(
        rows.map((r) => [
          r.filename,
          r.kind,
          r.category,
          r.dest_kind,
          r.dest_la,
          r.source_inbox,
          r.pupil_count,
        ]),
        [
          [admissions, 'admissions', 'admissions', 'school', la.number, 'ADMS', 0],
          [census, 'census', 'plasc', 'la', la.number, null, 13],
          [renamed, 'other', 'exclusion', 'la', la.number, null, 0],
          [generic, 'generic', 'generic', 'la', la.number, null, 0],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      const all = await db.selectFrom('notification_outbox').selectAll().execute();
      const names = [census, generic, admissions, renamed];
      assert.deepEqual(
        all.filter((n) => names.includes(String(JSON.parse(n.payload).filename))),
        [],
        'LA notes §5.7: no email for these',
      );
    });

    test('a generic text file saved as UTF-16 (Excel\'s "Unicode Text" and "CSV UTF-16") is accepted as text', async () => {
      const text = "UPN\tSurname\tForename\r\nA123\tO'Brien\tZoë\r\n";
      const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      const big = Buffer.from(little);
      big.swap16();
      accepted(await upload(schoolUser, 'generic', `${school.number}_${dest.number}_UNICODE.TXT`, little));
      accepted(await upload(schoolUser, 'generic', `${school.number}_${dest.number}_UNICODEBE.CSV`, big));
    });

    test('CFR and exclusion files to an LA are accepted, and generic files to a school or an LA inbox', async () => {
      const names: [UserRow, Category, string, Buffer][] = [
        [schoolUser, 'cfr', `${school.number}_CFR_${la.number}LLLL_130.XLS`, oleLike(600)],
        [schoolUser, 'cfr', `${school.number}_${la.number}LLLL_CFR.ZIP`, zipLike(600)],
        [schoolUser, 'exclusion', `${school.number}_${la.number}LLLL_EXCL.ZIP`, zipLike(600)],
        [schoolUser, 'exclusion', `${school.number}_EXC_${la.number}LLLL_131.ZIP`, zipLike(600)],
        [laUser, 'cfr', `${la.number}LLLL_CFR_${otherLa.number}LLLL_132.XLS`, oleLike(600)],
        [schoolUser, 'generic', `${school.number}_${dest.number}_CFR.XLS`, oleLike(600)],
        [schoolUser, 'generic', `${school.number}_${la.number}PLAS_NOTES.ZIP`, zipLike(600)],
        [laUser, 'generic', `${la.number}LLLL_${la.number}ADMS_NOTES.ZIP`, zipLike(600)],
      ];
      for (const [user, category, name, content] of names) {
        accepted(await upload(user, category, name, content));
      }
    });

    test('a folder path sent by an old browser is dropped from the name', async () => {
      const name = `${school.number}_CTF_${dest.number}_006.XML`;
      const outcome = accepted(
        await upload(schoolUser, 'ctf', `H:\\s2s downloads\\${name}`, ctfFor(school.number, dest.number, 1)),
      );
      assert.equal(outcome.filename, name);
      assert.equal((await transfersNamed(name)).length, 1);
    });

    // Each refusal: who uploads, through which menu item, the name, the content, and the reason given.
    const refusals: {
      what: string;
      user: () => UserRow;
      category: Category;
      name: () => string;
      content: () => string | Buffer;
      reason: RegExp;
      whatToDo?: RegExp;
      /** The pupils the refusal's audit record counts, once the content was read (0: it read none). */
      pupils?: number;
    }[] = [
      {
        what: 'a name that is not an s2s name',
        user: () => schoolUser,
        category: 'ctf',
        name: () => 'pupils for Riverside.xml',
        content: () => ctfFor(school.number, dest.number, 1),
        reason: /Spaces are not allowed in file names/,
        whatToDo: /Correct the name/,
      },
      {
        what: 'a CTF name under Upload Generic File',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_CTF_${dest.number}_101.XML`,
        content: () => ctfFor(school.number, dest.number, 1),
        reason: /is the name of a CTF, which cannot be sent with Upload Generic File/,
        whatToDo: /Use Upload CTF File from the Upload menu/,
      },
      {
        what: 'a generic name under Upload CTF File',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_${dest.number}_SENLIST.ZIP`,
        content: () => zipLike(100),
        reason: /is the name of a generic file, which cannot be sent with Upload CTF File/,
        whatToDo: /Upload CFR File, Upload Generic File or Upload Exclusion File/,
      },
      {
        what: "another school's file",
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${inactive.number}_CTF_${dest.number}_102.XML`,
        content: () => ctfFor(inactive.number, dest.number, 1),
        reason:
          /says it comes from school \d{7}, but you are signed in for school \d{7}: the files you send must start with \d{7}/,
        whatToDo: /only be sent by the school or LA whose number starts its name/,
      },
      {
        what: "an LA user sending as its LA's admissions inbox",
        user: () => laUser,
        category: 'admissions',
        name: () => `${la.number}ADMS_ATF_${school.number}_103.XML`,
        content: () => '<ATfile/>',
        reason: /you are signed in for LA \d{3}: the files you send must start with \d{3}LLLL/,
      },
      {
        what: "a census return uploaded by the school's LA",
        user: () => laUser,
        category: 'plasc',
        name: () => `${school.number}_SC3_${la.number}LL25_104.XML`,
        content: () => censusFor(school.number),
        reason: /A census return is sent by the school itself/,
      },
      {
        what: 'a destination school that does not exist',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${otherLa.number}9998_105.XML`,
        content: () => ctfFor(school.number, `${otherLa.number}9998`, 1),
        reason:
          /The destination school \d{7} does not exist: check its DfE number in the Establishment Finder/,
      },
      {
        what: 'a destination LA that does not exist',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_999LLLL_SENLIST.ZIP`,
        content: () => zipLike(100),
        reason: /The destination LA 999 does not exist/,
      },
      {
        what: 'a closed destination school',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${closed.number}_106.XML`,
        content: () => ctfFor(school.number, closed.number, 1),
        reason: /is closed: send the CTF to the school the pupil has moved to, or use XXXXXXXX/,
      },
      {
        what: 'a destination school that does not use s2s (handbook §9)',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${noS2s.number}_107.XML`,
        content: () => ctfFor(school.number, noS2s.number, 1),
        reason: /does not use s2s: use MMMMMMMM as the destination \(handbook §9\)/,
      },
      {
        what: 'a destination school whose account is inactive',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${inactive.number}_108.XML`,
        content: () => ctfFor(school.number, inactive.number, 1),
        reason: /cannot collect files because its s2s account is inactive/,
      },
      {
        what: 'a file from a school larger than 4 MB',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_BIGSCHOOL.ZIP`,
        content: () => zipLike(SCHOOL_UPLOAD_LIMIT + 1),
        reason: /The file is larger than 4 MB, the most a school can send in one file/,
        whatToDo:
          /^A \.ZIP is already compressed, so zipping it again will not make it smaller: split what it holds into several smaller \.ZIP files/,
      },
      {
        what: 'a file from a school larger than 4 MB, not a .ZIP',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_BIGSHEET.CSV`,
        content: () => Buffer.alloc(SCHOOL_UPLOAD_LIMIT + 1, 0x61),
        reason: /The file is larger than 4 MB, the most a school can send in one file/,
        whatToDo: /^Put the file in a \.ZIP to make it smaller/,
      },
      {
        what: 'a file from a school larger than 4 MB, a spreadsheet (a zip inside)',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_BIGBOOK.XLSX`,
        content: () => zipLike(SCHOOL_UPLOAD_LIMIT + 1),
        reason: /The file is larger than 4 MB, the most a school can send in one file/,
        whatToDo:
          /^A \.XLSX file is already compressed, so putting it in a \.ZIP will not make it smaller: split what it holds into several smaller files/,
      },
      {
        what: 'a file from an LA larger than 10 MB',
        user: () => laUser,
        category: 'generic',
        name: () => `${la.number}LLLL_${dest.number}_BIGLA.ZIP`,
        content: () => zipLike(LA_UPLOAD_LIMIT + 1),
        reason: /The file is larger than 10 MB, the most an LA can send in one file/,
      },
      {
        what: 'an empty file',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_EMPTY.ZIP`,
        content: () => Buffer.alloc(0),
        reason: /^The file is empty\.$/,
      },
      {
        what: 'a CTF whose header names other schools',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_109.XML`,
        content: () => ctfFor(inactive.number, closed.number, 1),
        reason:
          /The file name says this CTF comes from school \d{7}, but its header names school \d{7} in <SourceSchool>/,
        pupils: 1,
      },
      {
        what: 'a lost-pupil CTF holding 2 pupils',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_XXXXXXXX_110.XML`,
        content: () => ctfFor(school.number, 'XXXXXXXX', 2),
        reason: /must hold exactly one pupil, and this one holds 2/,
        pupils: 2,
      },
      {
        what: 'a CTF holding no pupils',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_MMMMMMMM_111.XML`,
        content: () => ctfFor(school.number, 'MMMMMMMM', 0),
        reason: /The file holds no pupils/,
        pupils: 0,
      },
      {
        what: 'a CTF name on a file that is not XML',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_112.XML`,
        content: () => hostile('not-xml.csv.xml'),
        reason: /^The file cannot be read as a CTF: The file is not XML: an XML file starts with </,
        whatToDo: /Check you chose the right file: the XML file your MIS made/,
        pupils: 0,
      },
      {
        what: 'a PDF renamed to a CTF name',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_131.XML`,
        content: () =>
          Buffer.from('%PDF-1.4\n%\u00e2\u00e3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'),
        reason: /^The file cannot be read as a CTF: The file is not XML: it is a PDF document\.$/,
        whatToDo: /Renaming a file to end in \.XML does not make it XML\.$/,
        pupils: 0,
      },
      {
        what: 'a CTF saved as UTF-16',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_132.XML`,
        content: () =>
          Buffer.concat([
            Buffer.from([0xff, 0xfe]),
            Buffer.from(ctfFor(school.number, dest.number, 1), 'utf16le'),
          ]),
        reason:
          /^The file cannot be read as a CTF: The file is saved as UTF-16 text, and s2s takes XML files only in UTF-8\.$/,
        whatToDo:
          /^Save it as UTF-8 from your MIS, if its export lets you choose the encoding: saving it again as before gives the same file\. Or open it in a text editor/,
        pupils: 0,
      },
      {
        what: 'a CTF that says it is in windows-1252, and is',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_133.XML`,
        content: () =>
          Buffer.from(
            ctfFor(school.number, dest.number, 1)
              .replace(/encoding="UTF-8"/i, 'encoding="windows-1252"')
              .replace(/<Surname>[^<]*</, "<Surname>O'Brien-Zoë<"),
            'latin1',
          ),
        reason:
          /^The file cannot be read as a CTF: The file says it is in windows-1252 .*\(line \d+, column \d+\)\.$/,
        whatToDo: /change encoding="windows-1252" on its first line to encoding="UTF-8"/,
        pupils: 0,
      },
      {
        what: 'a CTF name on a file that is not a CTF',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_113.XML`,
        content: () => censusFor(school.number),
        reason: /This is not a Common Transfer File: its first element is <Message>/,
        pupils: 0,
      },
      {
        what: 'a CTF with an external entity (XXE)',
        user: () => schoolUser,
        category: 'ctf',
        name: () => `${school.number}_CTF_${dest.number}_114.XML`,
        content: () => hostile('xxe-external-entity.xml'),
        reason: /DOCTYPE.*refused for safety/,
        pupils: 0,
      },
      {
        what: 'an admissions file with an entity bomb',
        user: () => admissionsUser,
        category: 'admissions',
        name: () => `${la.number}ADMS_ATF_${school.number}_115.XML`,
        content: () => hostile('billion-laughs.xml'),
        reason: /^The file cannot be read as an admissions file: .*DOCTYPE/,
        pupils: 0,
      },
      {
        what: 'an admissions file cut off mid-element',
        user: () => admissionsUser,
        category: 'admissions',
        name: () => `${la.number}ADMS_ATF_${school.number}_116.XML`,
        content: () => hostile('truncated.xml'),
        reason: /^The file cannot be read as an admissions file: /,
        pupils: 0,
      },
      {
        what: 'a census return for another term than its name',
        user: () => schoolUser,
        category: 'plasc',
        name: () => `${school.number}_SC2_${la.number}LL25_117.XML`,
        content: () => censusFor(school.number),
        reason:
          /The file name and the return do not agree: the file name \(SC2\) is for the .* census, the return for the .* census/,
        pupils: 13,
      },
      {
        what: 'a census return of another school',
        user: () => schoolUser,
        category: 'plasc',
        name: () => `${school.number}_SC3_${la.number}LL25_118.XML`,
        content: () => censusFor(inactive.number),
        reason: /the file name is for school \d{7}, the return for \d{7}/,
        pupils: 13,
      },
      {
        what: 'a generic file whose content is not what its extension says',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_REPORT.PDF`,
        content: () => 'This is plain text, not a PDF.',
        reason: /The file is named \.PDF but its content is not a PDF document/,
        // Named by hand (LA notes §5.4): no MIS made it.
        whatToDo: /^Check you chose the right file\. Generic files are named by hand.*generic name rule/,
        pupils: 0,
      },
      {
        what: 'a generic .CSV that is a PDF',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_MARKS.CSV`,
        content: () => Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'),
        reason: /^The file is named \.CSV but it is a PDF document, not text\.$/,
        whatToDo: /Generic files are named by hand/,
        pupils: 0,
      },
      {
        what: 'an empty generic file',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_EMPTY.CSV`,
        content: () => '',
        reason: /^The file is empty\.$/,
        whatToDo: /^Check you chose the right file: the one you chose holds nothing/,
      },
      {
        what: 'a generic name with a description over 15 characters',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_PUPILREPORTSPRING.PDF`,
        content: () => Buffer.from('%PDF-1.4\n', 'latin1'),
        reason: /The description is longer than 15 characters/,
        whatToDo:
          /^s2s reads who a file is from and where it goes from its name\. Generic files are named by hand: rename the file following the generic name rule/,
      },
      {
        what: 'a renamed program',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_TOOLS.ZIP`,
        content: () => Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0)]),
        reason: /is named \.ZIP but it is a program, not a zip file/,
        pupils: 0,
      },
      {
        what: 'an unsafe type of file',
        user: () => schoolUser,
        category: 'generic',
        name: () => `${school.number}_${dest.number}_TOOLS.EXE`,
        content: () => Buffer.from('MZ'),
        reason: /Files ending \.EXE cannot be sent/,
      },
      // Nobody at a school or an LA inbox can download CFR or exclusion files: only the LA's Download
      // menu has them (schools handbook §4).
      {
        what: 'a CFR file from a school to a school',
        user: () => schoolUser,
        category: 'cfr',
        name: () => `${school.number}_CFR_${dest.number}_120.XLS`,
        content: () => oleLike(600),
        reason:
          /^Nobody at school \d{7} can collect files sent with Upload CFR File, so the file would never be downloaded\.$/,
        whatToDo:
          /^Files sent with Upload CFR File go to a local authority: name your LA as the destination, \d{3}LLLL \(your LA’s number followed by LLLL, handbook §8\), for example \d{7}_CFR_\d{3}LLLL_120\.XLS\. To send a file to school \d{7}, use Upload Generic File instead\.$/,
      },
      {
        what: 'an exclusion file from a school to a school',
        user: () => schoolUser,
        category: 'exclusion',
        name: () => `${school.number}_${dest.number}_EXCL.ZIP`,
        content: () => zipLike(600),
        reason: /^Nobody at school \d{7} can collect files sent with Upload Exclusion File/,
        whatToDo:
          /for example \d{7}_\d{3}LLLL_EXCL\.ZIP\. To send a file to school \d{7}, use Upload Generic File/,
      },
      {
        what: 'a CFR file from an LA to a school',
        user: () => laUser,
        category: 'cfr',
        name: () => `${la.number}LLLL_CFR_${school.number}_121.XLS`,
        content: () => oleLike(600),
        reason: /^Nobody at school \d{7} can collect files sent with Upload CFR File/,
        whatToDo:
          /^Files sent with Upload CFR File go to a local authority, named by its number followed by LLLL \(handbook §8\)\. To send a file to school \d{7}, use Upload Generic File instead\.$/,
      },
      {
        what: 'an exclusion file from an LA to a school',
        user: () => laUser,
        category: 'exclusion',
        name: () => `${la.number}LLLL_EXC_${school.number}_122.ZIP`,
        content: () => zipLike(600),
        reason: /^Nobody at school \d{7} can collect files sent with Upload Exclusion File/,
      },
      {
        what: 'a CFR file from an LA administrator, who cannot send generic files, to a school',
        user: () => dbaUser,
        category: 'cfr',
        name: () => `${la.number}LLLL_CFR_${school.number}_123.XLS`,
        content: () => oleLike(600),
        reason: /^Nobody at school \d{7} can collect files sent with Upload CFR File/,
        whatToDo:
          /^Files sent with Upload CFR File go to a local authority, named by its number followed by LLLL \(handbook §8\)\.$/,
      },
      {
        what: "a CFR file to an LA's PLASC inbox",
        user: () => schoolUser,
        category: 'cfr',
        name: () => `${school.number}_${la.number}PLAS_CFR.XLS`,
        content: () => oleLike(600),
        reason:
          /^Nobody at the PLASC inbox of LA \d{3} \(\d{3}PLAS\) can collect files sent with Upload CFR File/,
        whatToDo: /for example \d{7}_\d{3}LLLL_CFR\.XLS\. To send a file to the PLASC inbox of LA \d{3}/,
      },
      {
        what: "an exclusion file to an LA's admissions inbox",
        user: () => schoolUser,
        category: 'exclusion',
        name: () => `${school.number}_EXC_${la.number}ADMS_124.ZIP`,
        content: () => zipLike(600),
        reason:
          /^Nobody at the admissions inbox of LA \d{3} \(\d{3}ADMS\) can collect files sent with Upload Exclusion File/,
        whatToDo: /for example \d{7}_EXC_\d{3}LLLL_124\.ZIP\./,
      },
    ];

    for (const c of refusals) {
      test(`refused: ${c.what}`, async () => {
        const user = c.user();
        const name = c.name();
        const blobsBefore = blobsIn(storeDir);
        const outcome = refused(await upload(user, c.category, name, c.content()));
        assert.ok(
          outcome.reasons.some((reason) => c.reason.test(reason)),
          `${JSON.stringify(outcome.reasons)} has ${c.reason}`,
        );
        assert.ok(outcome.whatToDo.length > 0);
        if (c.whatToDo) assert.match(outcome.whatToDo, c.whatToDo);
        assert.deepEqual(blobsIn(storeDir), blobsBefore, 'nothing stored');
        const detail = await assertRefusalRecorded(user, name, outcome);
        assert.equal(detail.pupils, c.pupils, 'the pupils counted, when the content was read');
      });
    }

    test('a refused name is answered with the names the menu item takes, never a name it would refuse', async () => {
      const ctf = refused(
        await upload(schoolUser, 'ctf', 'CTF_wrongname.XML', ctfFor(school.number, dest.number, 1)),
      );
      const takes = ctf.reasons.find((reason) => reason.startsWith('Upload CTF File takes names like'));
      assert.equal(
        takes,
        `Upload CTF File takes names like ${school.number}_CTF_8175402_003.XML, ${school.number}_CTF_${school.number.slice(0, 3)}5402_004.XML, ${school.number}_CTF_${school.number.slice(0, 3)}LLLL_007.XML.`,
      );
      assert.ok(
        !ctf.reasons.some((reason) => /SENLIST/.test(reason)),
        `a generic name is not suggested: ${JSON.stringify(ctf.reasons)}`,
      );
      // A generic name's own page still says what a generic name lacks.
      const generic = refused(await upload(schoolUser, 'generic', 'CTF_wrongname.XML', zipLike(100)));
      assert.ok(generic.reasons.some((reason) => /like CTF_wrongname_SENLIST\.XML/.test(reason)));
      // The wrong item for a kind of name: the reason names the kind without a wrong article, and the
      // names the item takes follow.
      const admissions = refused(
        await upload(schoolUser, 'admissions', `${school.number}_ADM_${dest.number}_001.XML`, '<ATfile/>'),
      );
      assert.match(
        admissions.reasons[0] ?? '',
        /is the name of a file of type ADM, which cannot be sent with Upload Admissions File\./,
      );
      assert.match(
        admissions.reasons[1] ?? '',
        /^Upload Admissions File takes names like \d{7}_ADT_\d{3}ADMS_001\.XML, \d{7}_ADT_\d{3}LLLL_002\.XML\.$/,
      );
    });

    test('the same 4 MB + 1 byte file is refused from a school and accepted from an LA', async () => {
      const content = zipLike(SCHOOL_UPLOAD_LIMIT + 1);
      refused(await upload(schoolUser, 'generic', `${school.number}_${dest.number}_SIZE.ZIP`, content));
      accepted(await upload(laUser, 'generic', `${la.number}LLLL_${dest.number}_SIZE.ZIP`, content));
      accepted(
        await upload(
          schoolUser,
          'generic',
          `${school.number}_${dest.number}_SIZE4.ZIP`,
          zipLike(SCHOOL_UPLOAD_LIMIT),
        ),
      );
    });

    test('an oversize file is refused as soon as the limit is passed, and the rest of it drains away', async () => {
      const stream = new PassThrough();
      const pending = service.upload(
        actorOf(schoolUser),
        'generic',
        `${school.number}_${dest.number}_EARLY.ZIP`,
        stream,
      );
      stream.write(zipLike(SCHOOL_UPLOAD_LIMIT));
      stream.write(Buffer.alloc(10));
      const outcome = refused(await pending);
      assert.match(outcome.reasons[0] ?? '', /larger than 4 MB/);
      assert.equal(stream.writableEnded, false, 'answered before the upload ended');
      // The rest is read and thrown away, so a multipart upload's next file can be read.
      for (let i = 0; i < 20; i += 1) stream.write(Buffer.alloc(64 * 1024));
      stream.end();
      await new Promise((resolve) => stream.on('end', resolve));
      assert.equal(stream.readableEnded, true);
    });

    test('a refused name leaves the content unread but drained', async () => {
      const stream = chunked(zipLike(200_000));
      refused(await service.upload(actorOf(schoolUser), 'generic', 'not a name.zip', stream));
      await new Promise((resolve) => (stream.readableEnded ? resolve(null) : stream.on('end', resolve)));
      assert.equal(stream.readableEnded, true);
    });

    test('a role without the menu item is forbidden, and nothing is recorded', async () => {
      const name = `${la.number}LLLL_CTF_${dest.number}_120.XML`;
      await assert.rejects(
        upload(lostPupilUser, 'ctf', name, ctfFor(la.number, dest.number, 1)),
        (error: unknown) => error instanceof Forbidden,
      );
      assert.deepEqual(await transfersNamed(name), []);
    });

    test('when the record cannot be committed, the stored blob is removed and the upload can be retried', async () => {
      // Every statement of the transaction runs, then it fails instead of committing.
      const failing = new Proxy(db, {
        get(target, property) {
          if (property === 'transaction') {
            return () => ({
              execute: (work: (tx: unknown) => Promise<unknown>) =>
                target.transaction().execute(async (tx) => {
                  await work(tx);
                  throw new Error('simulated failure to commit');
                }),
            });
          }
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const name = `${school.number}_CTF_${dest.number}_121.XML`;
      const content = ctfFor(school.number, dest.number, 2);
      const blobsBefore = blobsIn(storeDir);
      await assert.rejects(
        new UploadService({ db: failing, files, clock }).upload(
          actorOf(schoolUser),
          'ctf',
          name,
          chunked(content),
        ),
        /simulated failure to commit/,
      );
      assert.deepEqual(await transfersNamed(name), [], 'no transfer');
      const pupils = await db.selectFrom('transfer_pupils').select('transfer_id').execute();
      const transferIds = new Set((await db.selectFrom('transfers').select('id').execute()).map((r) => r.id));
      assert.ok(
        pupils.every((p) => transferIds.has(p.transfer_id)),
        'no pupils without their transfer',
      );
      assert.deepEqual(blobsIn(storeDir), blobsBefore, 'the blob was removed');
      const outcome = accepted(await upload(schoolUser, 'ctf', name, content));
      assert.equal((await transfersNamed(name))[0]?.id, outcome.transferId, 'the retry is recorded');
    });

    test('a process killed between storing the blob and committing leaves no transfer, and the upload can be retried', async () => {
      const { url, schema } = database();
      const name = `${school.number}_CTF_${dest.number}_122.XML`;
      const content = ctfFor(school.number, dest.number, 2);
      const key = await crashAfterStoring({
        url,
        schema,
        storeDir,
        masterKey: masterKey.toBase64(),
        actor: actorOf(schoolUser),
        filename: name,
        content,
      });

      // The blob is durable on the store, and nothing refers to it: the upload did not happen.
      assert.ok(await new DiskFileStore(storeDir).exists(key), 'the orphan blob is on the store');
      assert.deepEqual(await transfersNamed(name), [], 'no transfer is visible');
      const referencing = await db
        .selectFrom('transfers')
        .select('id')
        .where('storage_key', '=', key)
        .execute();
      assert.deepEqual(referencing, [], 'the orphan blob is unreferenced');
      const audited = await db
        .selectFrom('audit_events')
        .select('detail')
        .where('action', '=', 'file-uploaded')
        .execute();
      assert.ok(!audited.some((a) => (a.detail ?? '').includes(name)), 'no audit record');

      // The same upload now succeeds, with a blob of its own.
      const outcome = accepted(await upload(schoolUser, 'ctf', name, content));
      const rows = await transfersNamed(name);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.id, outcome.transferId);
      assert.notEqual(rows[0]?.storage_key, key);
      assert.deepEqual(
        await db.selectFrom('transfers').select('id').where('storage_key', '=', key).execute(),
        [],
        'the orphan stays unreferenced',
      );
    });

    test('on the S3 store, a process killed between storing and committing leaves an object nothing refers to, which the sweep removes a day later', async () => {
      const s3 = await startS3();
      try {
        const config = s3.storeConfig(`${randomUUID()}/`);
        const name = `${school.number}_CTF_${dest.number}_123.XML`;
        const { url, schema } = database();
        const key = await crashAfterStoring({
          url,
          schema,
          storeDir,
          s3: config,
          masterKey: masterKey.toBase64(),
          actor: actorOf(schoolUser),
          filename: name,
          content: ctfFor(school.number, dest.number, 2),
        });
        const bucket = new S3FileStore(config);
        assert.ok(await bucket.exists(key), 'the orphan object is in the bucket');
        assert.deepEqual(await transfersNamed(name), [], 'no transfer is visible');
        // S3 dates its objects by the real clock.
        const now = new ManualClock(new Date());
        assert.deepEqual(await sweepOrphanFiles(db, bucket, now), { removed: 0, partials: 0, checked: 1 });
        const dayLater = new ManualClock(new Date(Date.now() + (ORPHAN_GRACE_HOURS + 1) * 3_600_000));
        assert.deepEqual(await sweepOrphanFiles(db, bucket, dayLater), {
          removed: 1,
          partials: 0,
          checked: 1,
        });
        assert.equal(await bucket.exists(key), false, 'the orphan is gone');
      } finally {
        await s3.remove();
      }
    });

    // A name whose file is still waiting (see the top of upload-service.ts, step 5).
    describe('a file of the same name still waiting', () => {
      const rowsNamed = (filename: string) =>
        db
          .selectFrom('transfers')
          .select(['id', 'filename', 'status', 'category'])
          .where((eb) => eb(eb.fn('upper', ['filename']), '=', filename.toUpperCase()))
          .execute();
      const waitingFor = (filename: string) =>
        `A file named ${filename} from you is already waiting for Destination Primary School (${dest.number}).`;
      const replaceOrRenumber =
        'If this file replaces it, remove the waiting one under View / Remove Files first, then upload this one again; if it is another file, give it the next number (NNN, just before the dot) and upload it.';

      test('a second upload of the name is refused, whatever its case: no transfer, no blob, audited and emailed', async () => {
        const name = `${school.number}_CTF_${dest.number}_301.XML`;
        const first = accepted(await upload(schoolUser, 'ctf', name, ctfFor(school.number, dest.number, 1)));
        for (const again of [name, `${school.number}_ctf_${dest.number}_301.xml`]) {
          const blobsBefore = blobsIn(storeDir);
          const outcome = refused(
            await upload(schoolUser, 'ctf', again, ctfFor(school.number, dest.number, 2)),
          );
          assert.equal(outcome.filename, again);
          // The waiting file as it is stored, not the name uploaded (which may differ in case).
          assert.deepEqual(outcome.reasons, [waitingFor(name)]);
          assert.equal(outcome.whatToDo, replaceOrRenumber);
          assert.equal(outcome.waitingTransferId, first.transferId, 'the waiting file is named');
          assert.deepEqual(blobsIn(storeDir), blobsBefore, 'nothing stored');
          assert.deepEqual(
            (await rowsNamed(name)).map((r) => r.id),
            [first.transferId],
            'only the first is recorded',
          );
          if (again !== name) await assertRefusalRecorded(schoolUser, again, outcome);
          // In Welsh, on the page and in the email (its payload holds the keys).
          const texts = outcome[REFUSAL_TEXTS];
          assert.ok(texts);
          assert.deepEqual(
            texts.reasons.map((reason) => reasonIn('cy', reason)),
            [
              `Mae ffeil o’r enw ${name} oddi wrthych chi eisoes yn aros am Destination Primary School (${dest.number}).`,
            ],
          );
          assert.equal(
            translateMessage('cy', texts.whatToDo),
            'Os yw’r ffeil hon yn cymryd lle’r un sy’n aros, tynnwch honno ar y dudalen Gweld / Tynnu Ffeiliau yn gyntaf, yna lanlwythwch hon eto; os yw’n ffeil arall, rhowch y rhif nesaf iddi (NNN, yn union cyn y dot) a’i lanlwytho.',
          );
        }
        const [email] = (await outboxFor('upload-refused', schoolUser.id)).filter(
          (n) => n.payload.filename === `${school.number}_ctf_${dest.number}_301.xml`,
        );
        const text = (language: 'en' | 'cy') =>
          composeEmail('upload-refused', JSON.stringify(email?.payload ?? {}), EMAIL, language).text.replace(
            /\s+/g,
            ' ',
          );
        assert.ok(
          text('en').includes('from you is already waiting for Destination Primary School'),
          text('en'),
        );
        assert.ok(
          text('cy').includes('oddi wrthych chi eisoes yn aros am Destination Primary School'),
          text('cy'),
        );
      });

      test('the name is free again once the waiting file is collected, rejected, removed or quarantined; not while it waits for its scan', async () => {
        const name = `${school.number}_CTF_${dest.number}_302.XML`;
        const content = ctfFor(school.number, dest.number, 1);
        let last = accepted(await upload(schoolUser, 'ctf', name, content));
        for (const status of ['collected', 'rejected', 'removed', 'quarantined'] as const) {
          await updateTransfer(db, last.transferId, { status });
          last = accepted(await upload(schoolUser, 'ctf', name, content));
        }
        await updateTransfer(db, last.transferId, { status: 'pending-scan' });
        refused(await upload(schoolUser, 'ctf', name, ctfFor(school.number, dest.number, 2)));
        assert.deepEqual((await rowsNamed(name)).map((r) => r.status).sort(), [
          'collected',
          'pending-scan',
          'quarantined',
          'rejected',
          'removed',
        ]);
      });

      test('a lost-pupil CTF in the Lost Pupils Database holds its name: the same name again is refused', async () => {
        const name = `${school.number}_CTF_XXXXXXXX_303.XML`;
        // A pupil no other test sends to the database (decision 79 refuses a second file for a lost pupil).
        const pupil = syntheticPupil(303, { lea: school.la_number, estab: school.number.slice(3) }, false);
        accepted(await upload(schoolUser, 'ctf', name, ctfFor(school.number, 'XXXXXXXX', [pupil])));
        const another = ctfFor(school.number, 'XXXXXXXX', [pupil], { dateTime: '2026-11-21T09:00:00' });
        const outcome = refused(await upload(schoolUser, 'ctf', name, another));
        assert.deepEqual(outcome.reasons, [
          `A file named ${name} from you is already waiting in the Lost Pupils Database.`,
        ]);
        assert.equal(outcome.whatToDo, replaceOrRenumber);
        assert.deepEqual(
          outcome[REFUSAL_TEXTS]?.reasons.map((reason) => reasonIn('cy', reason)),
          [`Mae ffeil o’r enw ${name} oddi wrthych chi eisoes yn aros yn y Gronfa Ddata Disgyblion Coll.`],
        );
        assert.equal((await rowsNamed(name)).length, 1);
        assert.equal(
          (
            await db
              .selectFrom('lost_pupils')
              .select('id')
              .where(
                'transfer_id',
                'in',
                (await rowsNamed(name)).map((r) => r.id),
              )
              .execute()
          ).length,
          1,
          'one record in the Lost Pupils Database',
        );
      });

      test('every category: an LA generic file (another description), census, CFR, exclusion and admissions files', async () => {
        const cases: [UserRow, Category, string, string | Buffer][] = [
          [laUser, 'generic', `${la.number}LLLL_${dest.number}_NOTES304.ZIP`, zipLike(600)],
          [schoolUser, 'plasc', `${school.number}_SC3_${la.number}LL25_304.XML`, censusFor(school.number)],
          [schoolUser, 'cfr', `${school.number}_CFR_${la.number}LLLL_304.XLS`, oleLike(600)],
          [schoolUser, 'exclusion', `${school.number}_EXC_${la.number}LLLL_304.ZIP`, zipLike(600)],
          [admissionsUser, 'admissions', `${la.number}ADMS_ATF_${school.number}_30401.XML`, '<ATfile/>'],
        ];
        for (const [user, category, name, content] of cases) {
          accepted(await upload(user, category, name, content));
          const another = Buffer.concat([Buffer.from(content), Buffer.from('\n')]);
          const outcome = refused(await upload(user, category, name.toLowerCase(), another));
          assert.match(
            outcome.reasons[0] ?? '',
            new RegExp(`^A file named ${name} from you is already waiting for `),
          );
          assert.match(
            outcome.whatToDo,
            category === 'generic'
              ? /give it another description \(the part of its name after the destination\)/
              : /give it the next number \(NNN, just before the dot\)/,
          );
          assert.equal((await rowsNamed(name)).length, 1, name);
        }
        // Another sender's file never shares a name (the name starts with its sender), and a file of
        // another name from the same sender is not held back.
        accepted(
          await upload(laUser, 'generic', `${la.number}LLLL_${dest.number}_NOTES305.ZIP`, zipLike(600)),
        );
      });

      /** A service whose uploads store their blobs only once two have passed the first check. */
      function meetingService(): UploadService {
        return new UploadService({
          db,
          files: { put: meetingPuts(files), remove: (key) => files.remove(key) },
          clock,
        });
      }

      test('two uploads of one name at the same moment: one is recorded, the other refused in its transaction and its blob removed', async () => {
        const name = `${school.number}_CTF_${dest.number}_306.XML`;
        // Each upload stores its blob only once both have passed the first check: both then record.
        const racing = meetingService();
        const blobsBefore = blobsIn(storeDir);
        const outcomes = await Promise.all(
          [name, name.toLowerCase()].map((filename, index) =>
            racing.upload(
              actorOf(schoolUser),
              'ctf',
              filename,
              chunked(ctfFor(school.number, dest.number, index + 1)),
            ),
          ),
        );
        assert.deepEqual(outcomes.map((o) => o.status).sort(), ['accepted', 'refused']);
        const won = accepted(outcomes.find((o) => o.status === 'accepted') as UploadOutcome);
        const lost = refused(outcomes.find((o) => o.status === 'refused') as UploadOutcome);
        // The reason names the file that won, as it is stored.
        assert.deepEqual(lost.reasons, [waitingFor(won.filename)]);
        assert.equal(lost.waitingTransferId, won.transferId);
        assert.deepEqual(
          (await rowsNamed(name)).map((r) => r.id),
          [won.transferId],
        );
        assert.equal(
          blobsIn(storeDir).length,
          blobsBefore.length + 1,
          "the refused upload's blob is removed",
        );
        // Refused once its content was read: its pupils are counted (the loser held 1 if the winner held 2).
        const detail = await assertRefusalRecorded(schoolUser, lost.filename, lost);
        assert.equal(detail.pupils, 3 - won.pupils);
      });

      /** What an upload leaves behind: blobs, audit records, emails. */
      const traces = async () => ({
        blobs: blobsIn(storeDir),
        audit: (await db.selectFrom('audit_events').select('id').execute()).length,
        outbox: (await db.selectFrom('notification_outbox').select('id').execute()).length,
      });

      test('the same bytes under the same name through another Upload item are not that file: refused, naming it', async () => {
        const name = `${school.number}_${la.number}LLLL_CFRDATA.CSV`;
        const content = 'URN,Income\n1,2\n';
        const cfr = accepted(await upload(schoolUser, 'cfr', name, content));
        const before = await traces();
        const generic = refused(await upload(schoolUser, 'generic', name, content));
        assert.equal(generic.waitingTransferId, cfr.transferId);
        assert.deepEqual(
          (await rowsNamed(name)).map((r) => r.category),
          ['cfr'],
        );
        assert.equal((await traces()).blobs.length, before.blobs.length, 'nothing stored');
        // Sent again through the item it came by: already received.
        assert.equal(accepted(await upload(schoolUser, 'cfr', name, content)).alreadyReceived, true);
      });

      test('the same file sent again while it waits (its answer lost) is already received: the waiting file’s id, nothing stored, audited or emailed', async () => {
        const name = `${school.number}_CTF_${dest.number}_307.XML`;
        const content = ctfFor(school.number, dest.number, 2);
        const counted: UploadMetric[] = [];
        const counting = new UploadService({ db, files, clock, metrics: { upload: (o) => counted.push(o) } });
        const send = (filename: string, bytes: string | Buffer) =>
          counting.upload(actorOf(schoolUser), 'ctf', filename, chunked(bytes));
        const first = accepted(await send(name, content));
        const before = await traces();
        for (const again of [name, name.toLowerCase()]) {
          const outcome = accepted(await send(again, content));
          assert.equal(outcome.alreadyReceived, true);
          assert.equal(outcome.transferId, first.transferId);
          assert.equal(outcome.filename, again);
          assert.equal(outcome.pupils, 2);
          assert.equal(outcome.destination, `Destination Primary School (${dest.number})`);
          assert.match(
            translateMessage('en', outcome.description),
            new RegExp(`CTF from school ${school.number} to school ${dest.number}`),
          );
          assert.equal(outcome.scan, 'not-scanned');
        }
        assert.deepEqual(await traces(), before, 'no blob, audit record or email');
        assert.deepEqual(
          (await rowsNamed(name)).map((r) => r.id),
          [first.transferId],
        );
        assert.deepEqual(counted, ['stored', 'already-received', 'already-received']);

        // Larger than a school may send: not the file waiting, refused for its name as before.
        const tooLarge = refused(await send(name, Buffer.alloc(SCHOOL_UPLOAD_LIMIT + 1, 0x20)));
        assert.deepEqual(tooLarge.reasons, [waitingFor(name)]);
        assert.equal(tooLarge.waitingTransferId, first.transferId);
        // Waiting for its virus scan, it is already received too, and its scan is said to be pending.
        await updateTransfer(db, first.transferId, { status: 'pending-scan', scan_status: 'pending' });
        const pending = accepted(await send(name, content));
        assert.equal(pending.transferId, first.transferId);
        assert.equal(pending.scan, 'pending');
      });

      test('the same file sent twice at the same moment: one is recorded, the other already received in its transaction and its blob removed', async () => {
        const name = `${school.number}_CTF_${dest.number}_308.XML`;
        // A pupil of its own: no lost pupil's match adds emails of its own.
        const from = { lea: la.number, estab: school.number.slice(3) };
        const content = ctfFor(school.number, dest.number, [syntheticPupil(308, from, false)]);
        const racing = meetingService();
        const before = await traces();
        const outcomes = (
          await Promise.all(
            [name, name].map((filename) =>
              racing.upload(actorOf(schoolUser), 'ctf', filename, chunked(content)),
            ),
          )
        ).map(accepted);
        assert.deepEqual(outcomes.map((o) => o.alreadyReceived === true).sort(), [false, true]);
        assert.equal(outcomes[0]?.transferId, outcomes[1]?.transferId);
        assert.deepEqual(
          (await rowsNamed(name)).map((r) => r.id),
          [outcomes[0]?.transferId],
        );
        // One blob, one audit record (file-uploaded), and the emails of the first upload alone: to the
        // destination, and the sender's confirmation.
        const after = await traces();
        assert.equal(after.blobs.length, before.blobs.length + 1, "the second upload's blob is removed");
        assert.equal(after.audit, before.audit + 1);
        const emails = await db.selectFrom('notification_outbox').select(['template', 'payload']).execute();
        assert.deepEqual(
          emails
            .filter((row) => JSON.parse(row.payload).filename === name)
            .map((row) => row.template)
            .sort(),
          ['ctf-uploaded', 'upload-confirmed'],
        );
      });

      test('the same file sent again while its sender removes the waiting one: a new file, not "already received" as the one removed', async () => {
        const name = `${school.number}_CTF_${dest.number}_309.XML`;
        const from = { lea: la.number, estab: school.number.slice(3) };
        const content = ctfFor(school.number, dest.number, [syntheticPupil(309, from, false)]);
        const first = accepted(await upload(schoolUser, 'ctf', name, content));
        // Sent again (its answer lost) while a colleague removes the waiting file under View / Remove
        // Files: the removal ends as the bytes arrive, after the name was found taken by that file.
        const remover = new SentService({ db, files, clock, logger: createLogger('silent') });
        async function* arriving() {
          await remover.remove(actorOf(schoolUser), first.transferId);
          yield Buffer.from(content);
        }
        const again = accepted(
          await service.upload(actorOf(schoolUser), 'ctf', name, Readable.from(arriving())),
        );
        assert.equal(again.alreadyReceived, undefined, 'not answered with the file removed');
        assert.notEqual(again.transferId, first.transferId);
        const rows = await rowsNamed(name);
        assert.deepEqual(
          Object.fromEntries(rows.map((row) => [row.id, row.status])),
          { [first.transferId]: 'removed', [again.transferId]: 'available' },
          'the file sent again waits for its recipient',
        );
      });
    });

    test('uploads at the same time, read on worker threads into memory used again, are each stored as sent', async () => {
      // Each upload's memory goes to the next once it is stored: were it given back while its file was
      // still being encrypted (a store that reads slowly gives others the time to take it), another
      // upload's bytes would be stored in its place.
      async function* paced(content: Readable | Buffer) {
        for await (const chunk of Buffer.isBuffer(content) ? [content] : (content as AsyncIterable<Buffer>)) {
          for (let at = 0; at < chunk.length; at += 4096) {
            await new Promise((resolve) => setTimeout(resolve, 1));
            yield chunk.subarray(at, at + 4096);
          }
        }
      }
      const slowly: UploadBlobStore = {
        put: (content) => files.put(Readable.from(paced(content))),
        remove: (key) => files.remove(key),
      };
      const checks = new PooledContentChecks({ workers: 2 });
      try {
        const checked = new UploadService({ db, files: slowly, clock, contentChecks: checks });
        const from = { lea: school.number.slice(0, 3), estab: school.number.slice(3) };
        const sent = Array.from({ length: 18 }, (_, index) => {
          const pupils = Array.from({ length: 40 + index }, (_, p) =>
            syntheticPupil(index * 100 + p, from, false),
          );
          return {
            name: `${school.number}_CTF_${dest.number}_${400 + index}.XML`,
            content: Buffer.from(ctfFor(school.number, dest.number, pupils)),
          };
        });
        // Three senders, each sending its next file as soon as its last is stored: a file is read into
        // memory while others are being stored.
        await Promise.all(
          [0, 1, 2].map(async (sender) => {
            for (let index = sender; index < sent.length; index += 3) {
              const { name, content } = sent[index] as (typeof sent)[number];
              accepted(await checked.upload(actorOf(schoolUser), 'ctf', name, chunked(content)));
            }
          }),
        );
        for (const { name, content } of sent) {
          const [row] = await transfersNamed(name);
          assert.ok(row);
          assert.ok((await readStored(files, row)).equals(content), `${name} is stored as sent`);
        }
        assert.ok(checks.stats().started > 0, 'read on the workers');
      } finally {
        await checks.close();
      }
    });
  });
}
