import type { Queryable } from '../db/pool.ts';
import { parseUserKey, quoteIdent, textColumns, type UsersCatalog } from './catalog.ts';

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
     * Whether `column`, which a store reads for its framework's login check (Django's, Symfony's password
     * hash), can be read and stays unexposed: `missing` when the users table has no such column, `exposed`
     * when `User` shows it (a name that does not look secret, listed or left to the default of every column).
     */
    async secretColumnState(db: Queryable, column: string): Promise<'ok' | 'missing' | 'exposed'> {
      const found = await db.query(
        `/* userSecretColumnExists */ SELECT 1 FROM pg_attribute
          WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
        [catalog.table, column],
      );
      if ((found.rowCount ?? 0) === 0) return 'missing';
      return catalog.columns.some((exposed) => exposed.column === column) ? 'exposed' : 'ok';
    },
    /**
     * A column the API never exposes (a password hash), read for one purpose: a framework's login check
     * (Django's `_auth_user_hash`, Symfony's refreshed user). Keyed by the ids as given, which may come from
     * stored rows and are untrusted: an id that can name no user (`"abc"` for an integer key) is absent, as is
     * a missing user, and fails nothing else; a NULL cell is `null`.
     */
    async secretColumnByIds(
      db: Queryable,
      column: string,
      ids: readonly string[],
    ): Promise<Map<string, string | null>> {
      const keys = new Map<string, string>();
      for (const id of ids) {
        const parsed = parseUserKey(catalog, id);
        if (parsed !== null) keys.set(id, parsed);
      }
      const values = new Map<string, string | null>();
      if (keys.size === 0) return values;
      let text = secretColumnStatements.get(column);
      if (!text) {
        text = `/* userSecretColumn */ SELECT ${key}::text AS id, ${quoteIdent(column)}::text AS value
          FROM ${catalog.table} WHERE ${key} = ANY($1::${catalog.keyPgType}[])`;
        secretColumnStatements.set(column, text);
      }
      const result = await db.query<{ id: string; value: string | null }>(text, [
        [...new Set(keys.values())],
      ]);
      const byKey = new Map(result.rows.map((row) => [row.id, row.value]));
      for (const [id, parsed] of keys) {
        const value = byKey.get(parsed);
        if (value !== undefined) values.set(id, value);
      }
      return values;
    },
  };
}

export type UsersQueries = ReturnType<typeof createUsersQueries>;
