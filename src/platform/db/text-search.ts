import { type Expression, type SqlBool, sql } from 'kysely';

/** Lower-cased, single-spaced text used for case-insensitive searches on both engines. */
export function searchText(value: string | null | undefined): string {
  return (value ?? '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * `column` contains `fragment` literally (a user's "%" or "_" is not a wildcard). The explicit ESCAPE
 * clause is needed because SQLite, unlike PostgreSQL, has no default LIKE escape character.
 */
export function containsText(column: string, fragment: string): Expression<SqlBool> {
  const pattern = `%${fragment.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
}
