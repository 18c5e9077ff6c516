import type { Kysely } from 'kysely';

// Two indexes for the Lost Pupils Database search (lost-pupils/repository.ts; docs/benchmarks.md, "Lost
// Pupils Database search"):
// - lost_pupils_listed holds every column the results list shows and the search checks on a record, so a
//   record found through its keys is read from this index alone (one seek), not through its id's index
//   and then its row (two, each a random page read at a million records);
// - lost_pupil_keys_by_forename, (forename letters, key): "Surname Begins" with a forename, when the range
//   holds many surnames, walks the distinct forenames with those letters and seeks the surnames' range
//   within each, so it reads about as many key rows as it finds records, rather than seeking every
//   distinct surname in the range.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('lost_pupils_listed')
    .on('lost_pupils')
    .columns([
      'id',
      // Not the status next: a search for two statuses would then seek each record twice.
      'surname_letters',
      'status',
      'gender',
      'surname',
      'forename',
      'middle_names',
      'upn',
      'date_of_birth',
      'town',
      'source_la',
      'source_school',
      'uploaded_at',
      'found_at',
      'found_by_la',
    ])
    .execute();
  await db.schema
    .createIndex('lost_pupil_keys_by_forename')
    .on('lost_pupil_keys')
    .columns(['forename_letters', 'key', 'lost_pupil_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('lost_pupil_keys_by_forename').execute();
  await db.schema.dropIndex('lost_pupils_listed').execute();
}
