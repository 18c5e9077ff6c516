// PostgreSQL keeps the statements s2s runs, as SQLite does (keepingStatements in database.ts): Kysely
// sends each query's text afresh, and PostgreSQL parsed and planned it every time. Planning was about a
// third of PostgreSQL's statement time in the mixed-traffic benchmark (the unread count on every page
// 0.3 ms to plan and 0.3 to run; docs/benchmarks.md, "Load and scale"). A statement run as a named
// prepared statement is parsed once per connection, and after five runs PostgreSQL plans it once for all
// values when that plan is no worse (plan_cache_mode auto), as JDBC's and pgx's prepared statements do.
//
// Only statements with parameters are named (they already go by the extended protocol, one statement
// each; text without parameters may hold several), and only those with a few: a longer list is a list
// of values whose length varies, each length a statement of its own, seldom run twice.
//
// Another process's migration can change a table under a kept statement (a column added by `s2s migrate`
// while the nodes of the previous version still serve): PostgreSQL then refuses to run it again, "cached
// plan must not change result type". Outside a transaction the query is simply run again, unnamed. Inside
// one, the transaction has failed, and it is not run again here: only its caller could, and the callers
// count, list and store things as they go, which a second run would do twice. It fails as any failed
// request does, and it is the pool's only one: from then on no connection of the pool names a statement,
// so the others' next statements, in a transaction or not, run unnamed and see the table as it is. Only a
// statement already sent on another connection at that moment can fail the same way. The node runs
// unnamed until it restarts, which a deployment does next. Its kept statements are not deallocated: a
// pooler that keeps prepared statements (PgBouncer) may not follow a DEALLOCATE, and the connections'
// end frees them.
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/** Statements kept per connection; later ones run unnamed until the pool replaces the connection. */
export const PREPARED_PER_CONNECTION = 200;

/** Statements with more parameters than this run unnamed (see the file's comment). */
export const MAX_PREPARED_PARAMETERS = 64;

/** Shared by a pool's connections. */
interface PoolState {
  /** The schema changed under a kept statement: the pool names no more (see the file's comment). */
  stale: boolean;
}

/** A pg pool whose clients run Kysely's parameterised queries as named prepared statements. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  // One wrapper per connection, made when it is first handed out: its statements are its own.
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const shared: PoolState = { stale: false };
  return {
    end: () => pool.end(),
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let preparing = wrapped.get(client);
      if (preparing === undefined) {
        preparing = preparingClient(client, shared);
        wrapped.set(client, preparing);
      }
      return preparing;
    },
  };
}

function preparingClient(client: pg.PoolClient, shared: PoolState): PostgresPoolClient {
  const names = new Map<string, string>();
  const run = async (text: string, values: unknown[]) => {
    const name = shared.stale ? null : statementName(names, text, values.length);
    if (name === null) return client.query(text, values);
    try {
      return await client.query({ name, text, values });
    } catch (error) {
      if (!changedResultType(error)) throw error;
      shared.stale = true;
      if (client.getTransactionStatus() !== 'I') throw error;
      return client.query(text, values);
    }
  };
  // Kysely's two uses: a query with its parameters, or a cursor (streamed results), passed on as it is.
  function query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query(sqlOrCursor: string | PostgresCursor<unknown>, parameters?: readonly unknown[]): unknown {
    return typeof sqlOrCursor === 'string'
      ? run(sqlOrCursor, [...(parameters ?? [])])
      : client.query(sqlOrCursor as unknown as pg.Submittable);
  }
  return { query, release: () => client.release() };
}

/** The name `text` runs under on this connection, or null to run it unnamed. */
function statementName(names: Map<string, string>, text: string, parameters: number): string | null {
  if (parameters === 0 || parameters > MAX_PREPARED_PARAMETERS) return null;
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= PREPARED_PER_CONNECTION) return null;
  const name = `s2s_${names.size + 1}`;
  names.set(text, name);
  return name;
}

/** PostgreSQL's "cached plan must not change result type" (feature_not_supported). */
function changedResultType(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === '0A000' &&
    error.message.includes('cached plan must not change result type')
  );
}
