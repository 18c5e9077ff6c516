import { type Kysely, sql } from 'kysely';

// A school's approved census return stays approved when the school loads a later version: the DfE holds
// it until the LA approves a later one (collect/returns-repository.ts). Before, the load marked it
// replaced. This gives back their status to the versions the collector still sees: approved, with no
// later approved version of the same school's return in the collection.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update census_returns set status = 'approved', replaced_at = null
    where status = 'replaced' and approved_at is not null
    and not exists (
      select 1 from census_returns later
      where later.collection_id = census_returns.collection_id
      and later.establishment_number = census_returns.establishment_number
      and later.approved_at is not null
      and later.version > census_returns.version
    )`.execute(db);
}

export async function down(): Promise<void> {
  // Going down leaves them approved: the earlier code reads them as the versions the collector sees.
}
