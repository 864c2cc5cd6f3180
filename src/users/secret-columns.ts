import { ConfigError } from '../config-parts.ts';
import type { Queryable } from '../db/pool.ts';
import type { UsersCatalog } from './catalog.ts';
import type { UsersQueries } from './users.sql.ts';

/**
 * A users-table column a store reads for its framework's login check (Django's, Symfony's and Laravel's
 * password hashes), through `UsersQueries.secretColumnByIds` only. The API must never show it: a column `User`
 * would expose (its name does not look secret, and `users.columns` lists it or is left to every column) stops the
 * server, as does a column that does not exist, unless the store can do without (`optional`). Returns
 * whether the column is there to read.
 */
export async function checkSecretColumn(
  deps: { catalog: UsersCatalog; users: UsersQueries },
  db: Queryable,
  column: {
    setting: string;
    name: string;
    /** Where the framework keeps it by default, for the error of a missing column. */
    hint: string;
    optional?: boolean;
  },
): Promise<boolean> {
  const state = await deps.users.secretColumnState(db, column.name);
  if (state === 'exposed') {
    throw new ConfigError(
      `${column.setting}: "${column.name}" holds password hashes, which the API must never show, and User ` +
        'exposes it: list the columns to expose in users.columns (USERS_COLUMNS) without it',
    );
  }
  if (state === 'missing' && !column.optional) {
    throw new ConfigError(
      `${column.setting}: the users table ${deps.catalog.table} has no column "${column.name}" (${column.hint})`,
    );
  }
  return state === 'ok';
}
