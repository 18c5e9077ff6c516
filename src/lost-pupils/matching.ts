// Automatic matching (issue 6, beyond the LA notes §1.4 annual match): every CTF and census return that
// arrives is compared with the Lost Pupils Database, in the upload's own transaction. A pupil matches a
// record still 'lost' by UPN, by former UPN (either way round), or by surname (or former surname),
// forename and date of birth all equal (letters only, so case and punctuation do not matter). Each
// match is one lost_pupil_matches row (once per record and file) and an email to the lost-pupil users
// of the LA that sent the record (or to the LA's address when it has none): the case to follow up, so
// a child missing education is found sooner. Emails carry no pupil details; the Lost Pupil Matches page
// shows both records to those users.
// A census return is matched whether it is sent as a file or loaded into COLLECT (the pupils on roll).
// Files sent to the database itself are not matched: a second lost-pupil file for the same pupil is a
// duplicate (LA notes §4.2), not a sighting.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { laName, type OrganisationName, schoolName } from '../directory/organisation-names.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { usersOrTheirLa } from '../notifications/recipients.ts';
import { rowsInserted } from '../platform/db/insert-once.ts';
import { isAnyOf, rowsTable } from '../platform/db/rows-table.ts';
import type { Executor, LostPupilMatchTable, LostPupilRow } from '../platform/db/schema.ts';
import { nameLetters } from './phonetics.ts';
import { lettersKey } from './repository.ts';

export interface IncomingPupil {
  upn: string | null;
  formerUpn: string | null;
  surname: string | null;
  forename: string | null;
  /** YYYY-MM-DD. */
  dateOfBirth: string | null;
}

/**
 * Where the pupils are: a file that arrived (a CTF, or a census return sent as a file), or a census
 * return loaded into COLLECT. A school loads its return again when it corrects it; a record matched in an
 * earlier version of the same return is not matched again (the LA has the case already, or closed it).
 */
export type SeenIn = { transferId: string } | { censusReturnId: string; earlierVersions: readonly string[] };

export type IncomingFile = SeenIn & {
  filename: string;
  kind: 'CTF' | 'school census return';
  /** The school where the pupil is (going): a CTF's destination, a census return's source. */
  seenAt: { la: string | null; school: string | null; name: OrganisationName; code: string };
  at: Date;
};

type MatchedOn = LostPupilMatchTable['matched_on'];

/** A record matched, on what, and the pupil of the file it matched (kept on the match to check it). */
interface Match {
  record: LostPupilRow;
  on: MatchedOn;
  pupil: IncomingPupil | null;
}

const CHUNK = 400;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) out.push(items.slice(start, start + CHUNK));
  return out;
}

/**
 * Only records still lost match. Checked on the rows found rather than in the query: nine records in ten
 * are lost, and stated in SQL PostgreSQL would read the status index for all of them beside the seeks.
 */
const isLost = (row: LostPupilRow) => row.status === 'lost';

/** The lost records each pupil matches, best reason first (UPN, former UPN, name and date of birth). */
async function findMatches(db: Executor, pupils: readonly IncomingPupil[]): Promise<Map<string, Match>> {
  const found = new Map<string, Match>();
  const keep = (record: LostPupilRow, on: MatchedOn, pupil: IncomingPupil | undefined) => {
    if (!found.has(record.id)) found.set(record.id, { record, on, pupil: pupil ?? null });
  };
  const upns = new Set(pupils.map((p) => p.upn?.toUpperCase()).filter((u): u is string => Boolean(u)));
  const formerUpns = new Set(
    pupils.map((p) => p.formerUpn?.toUpperCase()).filter((u): u is string => Boolean(u)),
  );
  const allUpns = [...new Set([...upns, ...formerUpns])];
  for (const chunk of chunks(allUpns)) {
    const rows = await db
      .selectFrom('lost_pupils')
      .selectAll()
      .where(({ or }) => or([isAnyOf(db, 'upn', chunk), isAnyOf(db, 'former_upn', chunk)]))
      .execute();
    for (const row of rows.filter(isLost)) {
      const same = (a: string | null, b: string | null) => Boolean(a && b && a.toUpperCase() === b);
      if (row.upn && upns.has(row.upn))
        keep(
          row,
          'upn',
          pupils.find((p) => same(p.upn, row.upn)),
        );
      else {
        // By former UPN, either way round: the pupil whose UPN or former UPN it is.
        keep(
          row,
          'former-upn',
          pupils.find(
            (p) =>
              same(p.formerUpn, row.upn) || same(p.upn, row.former_upn) || same(p.formerUpn, row.former_upn),
          ),
        );
      }
    }
  }
  // By name and date of birth: each distinct (surname, forename, date of birth) is one seek in the
  // search's keys (lost_pupil_keys_birth: the letters of a record's surname and of its former surname,
  // with its date of birth), the forename checked on the same key row. A file reads the records that
  // match, not every record of each of its surnames (at national scale, thousands of Smiths for each
  // Smith on roll).
  const named = new Map<string, { key: string; forename: string; born: number[]; pupil: IncomingPupil }>();
  for (const pupil of pupils) {
    const surname = nameLetters(pupil.surname ?? '');
    const forename = nameLetters(pupil.forename ?? '');
    const born = (pupil.dateOfBirth ?? '').split('-').map(Number);
    if (!surname || !forename || born.length !== 3 || !born.every(Number.isInteger)) continue;
    named.set(`${surname} ${forename} ${pupil.dateOfBirth}`, {
      key: lettersKey(surname),
      forename,
      born,
      pupil,
    });
  }
  for (const chunk of chunks([...named.values()])) {
    // The pupils as a table of their own, joined to the keys: one statement whatever the number of
    // pupils, each row of it a seek (an OR of 400 such seeks costs SQLite more to prepare than to run).
    // CROSS JOIN keeps it the outer loop on SQLite.
    const wanted = rowsTable(
      db,
      { key: 'text', year: 'integer', month: 'integer', day: 'integer', forename: 'text' },
      chunk.map(({ key, forename, born: [year, month, day] }) => ({ key, year, month, day, forename })),
    );
    const { rows } = await sql<LostPupilRow>`
      with wanted (key, birth_year, birth_month, birth_day, forename_letters) as (${wanted})
      select p.* from wanted
      cross join lost_pupil_keys k
      cross join lost_pupils p
      where k.key = wanted.key
        and k.birth_year = wanted.birth_year
        and k.birth_month = wanted.birth_month
        and k.birth_day = wanted.birth_day
        and k.forename_letters = wanted.forename_letters
        and p.id = k.lost_pupil_id`.execute(db);
    for (const row of rows.filter(isLost)) {
      // The pupil of this chunk the record matched: its surname's key (or its former surname's), its
      // forename and its date of birth.
      const keys = [lettersKey(row.surname_letters), lettersKey(row.former_surname_letters)];
      const pupil = chunk.find(
        (wanted) =>
          keys.includes(wanted.key) &&
          wanted.forename === row.forename_letters &&
          wanted.pupil.dateOfBirth === row.date_of_birth,
      )?.pupil;
      keep(row, 'name-dob', pupil);
    }
  }
  return found;
}

/**
 * The records still lost that hold this pupil, by the matching's rules (UPN, former UPN either way round,
 * or surname, forename and date of birth), with one exception: two UPNs that differ are two pupils
 * whatever their names, so a name-and-date-of-birth match counts only where the file or the record has no
 * UPN. For a second file to the Lost Pupils Database (decision 79), whose sender may be refused on it.
 */
export async function lostRecordsHolding(db: Executor, pupil: IncomingPupil): Promise<LostPupilRow[]> {
  const upn = pupil.upn?.toUpperCase() || null;
  return [...(await findMatches(db, [pupil])).values()]
    .filter(
      ({ record, on }) => on !== 'name-dob' || upn === null || record.upn === null || record.upn === upn,
    )
    .map(({ record }) => record);
}

/**
 * Who hears of a match (or of a forward by another LA, service.ts): the record's LA's lost-pupil users,
 * or the LA itself when it has none.
 */
export async function lostPupilRecipients(db: Executor, laNumber: string) {
  const users = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('la_number', '=', laNumber)
    .where('role', 'in', ['la_lost_pupil', 'la_lost_pupil_transfer'])
    .where('deleted_at', 'is', null)
    .execute();
  return users.length > 0
    ? usersOrTheirLa(users, laNumber)
    : [{ recipientKind: 'la' as const, recipient: laNumber }];
}

/** Who sent the record to the Lost Pupils Database: its school, or its LA. */
export async function uploaderOf(
  db: Executor,
  record: LostPupilRow,
): Promise<{ name: OrganisationName; code: string }> {
  if (record.source_school) {
    const school = await db
      .selectFrom('establishments')
      .select('name')
      .where('number', '=', record.source_school)
      .executeTakeFirst();
    return { name: schoolName(record.source_school, school?.name), code: record.source_school };
  }
  const la = await db
    .selectFrom('local_authorities')
    .select('name')
    .where('number', '=', record.source_la)
    .executeTakeFirst();
  return { name: laName(record.source_la, la?.name), code: `${record.source_la}LLLL` };
}

/** The records matched in any of these census returns. */
async function matchedIn(db: Executor, censusReturnIds: readonly string[]): Promise<Set<string>> {
  const matched = new Set<string>();
  for (const chunk of chunks(censusReturnIds)) {
    const rows = await db
      .selectFrom('lost_pupil_matches')
      .select('lost_pupil_id')
      .where('census_return_id', 'in', chunk)
      .execute();
    for (const row of rows) matched.add(row.lost_pupil_id);
  }
  return matched;
}

/** Records the matches of a file's pupils and tells the LAs concerned. Returns how many. */
export async function matchLostPupils(
  db: Executor,
  file: IncomingFile,
  pupils: readonly IncomingPupil[],
): Promise<number> {
  if (pupils.length === 0) return 0;
  const matches = await findMatches(db, pupils);
  const inReturn = 'censusReturnId' in file;
  const matchedBefore = inReturn ? await matchedIn(db, file.earlierVersions) : new Set<string>();
  let recorded = 0;
  for (const { record, on, pupil } of matches.values()) {
    if (matchedBefore.has(record.id)) continue;
    const inserted = await db
      .insertInto('lost_pupil_matches')
      .values({
        id: randomUUID(),
        lost_pupil_id: record.id,
        lost_la: record.source_la,
        transfer_id: inReturn ? null : file.transferId,
        census_return_id: inReturn ? file.censusReturnId : null,
        matched_on: on,
        seen_at_la: file.seenAt.la,
        seen_at_school: file.seenAt.school,
        // The pupil as the file gives them, for the LA to check the match (cleared when it closes the case).
        seen_upn: pupil?.upn?.toUpperCase().slice(0, 13) ?? null,
        seen_former_upn: pupil?.formerUpn?.toUpperCase().slice(0, 13) ?? null,
        seen_surname: pupil?.surname?.slice(0, 100) ?? null,
        seen_forename: pupil?.forename?.slice(0, 100) ?? null,
        seen_date_of_birth: pupil?.dateOfBirth?.slice(0, 10) ?? null,
        matched_at: file.at.toISOString(),
        status: 'open',
      })
      .onConflict((oc) =>
        oc.columns(['lost_pupil_id', inReturn ? 'census_return_id' : 'transfer_id']).doNothing(),
      )
      .executeTakeFirst();
    if (rowsInserted(inserted) !== 1) continue;
    recorded += 1;
    const lostFile = await db
      .selectFrom('transfers')
      .select('filename')
      .where('id', '=', record.transfer_id)
      .executeTakeFirst();
    const uploadedBy = await uploaderOf(db, record);
    for (const to of await lostPupilRecipients(db, record.source_la)) {
      await enqueueNotification(db, {
        at: file.at,
        template: 'lost-pupil-match',
        ...to,
        payload: {
          lostFilename: lostFile?.filename ?? record.transfer_id,
          uploadedBy: uploadedBy.name,
          uploadedByCode: uploadedBy.code,
          uploadedAt: record.uploaded_at,
          seenAt: file.seenAt.name,
          seenAtCode: file.seenAt.code,
          seenIn: file.kind,
          filename: file.filename,
          matchedOn: on,
        },
      });
    }
  }
  return recorded;
}
