import { type Kysely, sql } from 'kysely';

// Decision 54. A user's Message Address Groups are unique by name whatever its case: the service refused
// "year 7" beside "Year 7" (messaging/group-repository.ts, findGroupNamed, its changes one after another
// per user), but the unique constraint (owner, name) was case-sensitive, so a path not through the
// service could store both. This unique index compares `lower(name)`, as each engine lower-cases (SQLite
// ASCII letters only; the service's check, which comes first, compares every letter without case).
// The old constraint stays: it is implied by this index, and the previous version's inserts name it
// (on conflict (owner_user_id, name)), so that version still runs on this schema after a rollback.
//
// Groups stored before whose names differ only in case (as the engine lower-cases them) would stop the
// index being made. The first of each user's such groups (by when it was made) keeps its name; each
// later one is renamed with the first number free among the user's names, "year 7 (2)", its name cut to
// leave room within 60 characters. The number in its name is what tells its owner; nothing else changes.
// Message templates need nothing: their names are not unique (Copy makes "Copy of …" as often as asked).
const INDEX = 'message_groups_name_case_insensitive';
const NAME_MAX = 60;

interface Tables {
  message_groups: { id: string; owner_user_id: string; name: string; created_at: string };
}

/** `name` with ` (n)` after it, cut (by characters) to fit NAME_MAX. */
function numbered(name: string, n: number): string {
  const suffix = ` (${n})`;
  const chars = Array.from(name);
  const base = chars.length + suffix.length > NAME_MAX ? chars.slice(0, NAME_MAX - suffix.length) : chars;
  return `${base.join('').trimEnd()}${suffix}`;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = db as unknown as Kysely<Tables>;
  const rows = await tables
    .selectFrom('message_groups')
    .select(['id', 'owner_user_id', 'name', 'created_at', sql<string>`lower(name)`.as('folded')])
    .orderBy('owner_user_id')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const namesOf = new Map<string, Set<string>>();
  for (const row of rows) {
    const names = namesOf.get(row.owner_user_id) ?? new Set<string>();
    names.add(row.folded);
    namesOf.set(row.owner_user_id, names);
  }
  const firstOf = new Set<string>();
  for (const row of rows) {
    const key = JSON.stringify([row.owner_user_id, row.folded]);
    if (!firstOf.has(key)) {
      firstOf.add(key);
      continue;
    }
    const names = namesOf.get(row.owner_user_id) as Set<string>;
    for (let n = 2; ; n += 1) {
      const name = numbered(row.name, n);
      const { rows: lowered } = await sql<{ folded: string }>`select lower(${name}) as folded`.execute(db);
      const folded = lowered[0]?.folded ?? name;
      if (names.has(folded)) continue;
      names.add(folded);
      firstOf.add(JSON.stringify([row.owner_user_id, folded]));
      await tables.updateTable('message_groups').set({ name }).where('id', '=', row.id).execute();
      break;
    }
  }
  await db.schema
    .createIndex(INDEX)
    .on('message_groups')
    .unique()
    .expression(sql`owner_user_id, lower(name)`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex(INDEX).execute();
}
