import type { Queryable } from '../db/pool.ts';
import { quoteIdent, textColumns, type UsersCatalog } from './catalog.ts';

/** All SQL about the application's users table. The table and columns come from the catalog, quoted. */

export type UserRow = Record<string, unknown> & { __key: string };

/** Every exposed column, cast so pg hands back values GraphQL can print, plus the key as text. */
function selectList(catalog: UsersCatalog): string {
  const columns = catalog.columns.map((column) => {
    const quoted = quoteIdent(column.column);
    const needsText =
      column.graphqlType === 'String' && !['text', 'varchar', 'bpchar'].includes(column.pgType);
    return needsText && !column.list ? `${quoted}::text AS ${quoted}` : quoted;
  });
  return [`${quoteIdent(catalog.key)}::text AS __key`, ...columns].join(', ');
}

/**
 * The owner of each session row, fetched in the row's own statement when the request asks for it (one round
 * trip instead of two). The user's columns come back prefixed `u.` so they cannot clash with the session's,
 * with the same casts, hence the same types, as `usersByIds`.
 */
export interface UserJoin {
  /** Extra select-list entries (after a comma). */
  select: string;
  /** A `LEFT JOIN LATERAL` for the session row whose user id (text) is `userIdExpr`. */
  join(userIdExpr: string): string;
  /** The joined user of a row: null when the row has no user or the user is missing. */
  take(row: Record<string, unknown>): UserRow | null;
}

export function createUserJoin(catalog: UsersCatalog): UserJoin {
  const inner = selectList(catalog);
  const names = ['__key', ...catalog.columns.map((column) => column.column)];
  const select = names.map((name) => `u.${quoteIdent(name)} AS ${quoteIdent(`u.${name}`)}`).join(', ');
  const key = quoteIdent(catalog.key);
  return {
    select,
    // OFFSET 0 keeps the subquery from being flattened into a plain join, which the planner may run as a
    // hash join over the whole users table; this way it is one index probe per session row.
    join: (userIdExpr) =>
      `LEFT JOIN LATERAL (SELECT ${inner} FROM ${catalog.table}
         WHERE ${key} = (${userIdExpr})::${catalog.keyPgType} OFFSET 0) AS u ON true`,
    take(row) {
      if (row['u.__key'] === null || row['u.__key'] === undefined) return null;
      const user: Record<string, unknown> = {};
      for (const name of names) user[name] = row[`u.${name}`];
      return user as UserRow;
    },
  };
}

export function createUsersQueries(catalog: UsersCatalog) {
  const select = selectList(catalog);
  const key = quoteIdent(catalog.key);
  const byIds = `/* usersByIds */ SELECT ${select} FROM ${catalog.table} WHERE ${key} = ANY($1::${catalog.keyPgType}[])`;
  const page = `/* usersPage */ SELECT ${select} FROM ${catalog.table}
    WHERE ($1::text IS NULL OR ${key} > $1::${catalog.keyPgType}) ORDER BY ${key} LIMIT $2`;
  // A console's "find this person": the key, or any exposed text column, equal to what was typed (letter case
  // aside). Unindexed unless the application indexed lower(column): a scan of the users table per search.
  const searchable = textColumns(catalog).map(
    (column) => `lower(${quoteIdent(column.column)}::text) = lower($3)`,
  );
  const search = `/* usersSearch */ SELECT ${select} FROM ${catalog.table}
    WHERE ($1::text IS NULL OR ${key} > $1::${catalog.keyPgType})
      AND (${[`${key}::text = $3`, ...searchable].join(' OR ')})
    ORDER BY ${key} LIMIT $2`;
  const secretColumnStatements = new Map<string, string>();
  return {
    /** Loader batch: rows in the order asked, `null` for a missing user. */
    async usersByIds(db: Queryable, ids: readonly string[]): Promise<(UserRow | null)[]> {
      const result = await db.query<UserRow>(byIds, [ids]);
      const byKey = new Map(result.rows.map((row) => [row.__key, row]));
      return ids.map((id) => byKey.get(id) ?? null);
    },
    async usersPage(
      db: Queryable,
      after: string | null,
      limit: number,
      searchFor: string | null = null,
    ): Promise<UserRow[]> {
      const result = await db.query<UserRow>(
        searchFor === null ? page : search,
        searchFor === null ? [after, limit] : [after, limit, searchFor],
      );
      return result.rows;
    },
    /**
     * A column the API never exposes (Django's password hash), read for one purpose: computing and checking
     * `_auth_user_hash`. Keyed by user id; missing users are absent from the map.
     */
    async secretColumnByIds(
      db: Queryable,
      column: string,
      ids: readonly string[],
    ): Promise<Map<string, string>> {
      let text = secretColumnStatements.get(column);
      if (!text) {
        text = `/* userSecretColumn */ SELECT ${key}::text AS id, ${quoteIdent(column)}::text AS value
          FROM ${catalog.table} WHERE ${key} = ANY($1::${catalog.keyPgType}[])`;
        secretColumnStatements.set(column, text);
      }
      const result = await db.query<{ id: string; value: string | null }>(text, [ids]);
      return new Map(result.rows.filter((row) => row.value !== null).map((row) => [row.id, row.value!]));
    },
  };
}

export type UsersQueries = ReturnType<typeof createUsersQueries>;
