// Another process closing a data collection, for the tests of what a load in progress meets: it opens the
// database (its own connection, as a second `s2s serve` node or a command would), closes the collection
// as the actor given, and exits 0; a failure goes to stderr, exit 1.
//
// node --import tsx test/support/close-collection.ts DATABASE_URL SCHEMA|- COLLECTION_ID ACTOR_JSON ISO_TIME
import type { Actor } from '../../src/auth/actor.ts';
import { DataCollectionsService } from '../../src/collect/collections-service.ts';
import { ManualClock } from '../../src/platform/clock.ts';
import { createDatabase } from '../../src/platform/db/database.ts';
import { withTestAuditKeys } from './databases.ts';

const [url, schema, collectionId, actor, at] = process.argv.slice(2);
if (!url || !schema || !collectionId || !actor || !at) {
  process.stderr.write(
    'usage: close-collection.ts DATABASE_URL SCHEMA|- COLLECTION_ID ACTOR_JSON ISO_TIME\n',
  );
  process.exit(2);
}

// Its audit event is MACed under this process's test keys: the tests that use it do not verify the trail.
const db = withTestAuditKeys(createDatabase(url, schema === '-' ? {} : { schema }));
try {
  await new DataCollectionsService({ db, clock: new ManualClock(at) }).setClosed(
    JSON.parse(actor) as Actor,
    collectionId,
    true,
  );
} finally {
  await db.destroy();
}
