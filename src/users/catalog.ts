import type { UsersConfig } from '../config-parts.ts';
import type { Queryable } from '../db/pool.ts';
import { readUsersColumns } from './catalog.sql.ts';

/**
 * What the users table looks like, read from the database catalog at start: which columns exist, their
 * PostgreSQL types and the GraphQL type each maps to. Columns that look like secrets are never exposed,
 * even when the configuration lists them.
 */

export type GraphQLScalarName = 'String' | 'Int' | 'Float' | 'Boolean' | 'DateTime' | 'JSON' | 'ID';

export interface UserColumn {
  /** The column name in SQL. */
  column: string;
  /** The field name on `User` (camelCase). */
  field: string;
  pgType: string;
  graphqlType: GraphQLScalarName;
  list: boolean;
  nullable: boolean;
}

export interface UsersCatalog {
  /** The quoted, schema-qualified table name, safe to paste into SQL. */
  table: string;
  key: string;
  keyPgType: string;
  columns: UserColumn[];
  /** Configured columns that were left out, and why (logged at start). */
  hidden: { column: string; reason: string }[];
}

// Laravel Fortify's `two_factor_recovery_codes` and the like: a second factor's codes are credentials too.
const SECRET_COLUMN =
  /pass(word|wd)?|hash|token|secret|salt|otp|api_?key|private|credential|recovery|backup_?codes?|mfa|two_?factor/i;
const RESERVED_FIELDS = new Set(['id', 'rowId', 'sessions']);

export const looksSecret = (column: string) => SECRET_COLUMN.test(column);

/** The exposed columns that hold one text each: what `users(search:)` compares and `User.label` may show. */
export const textColumns = (catalog: Pick<UsersCatalog, 'columns'>) =>
  catalog.columns.filter((column) => column.graphqlType === 'String' && !column.list);

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function quoteQualified(name: string): string {
  const parts = name.split('.');
  return parts.map(quoteIdent).join('.');
}

const camelCase = (column: string) =>
  column.toLowerCase().replace(/_+([a-z0-9])/g, (_match, char: string) => char.toUpperCase());

export function graphqlTypeFor(pgType: string): GraphQLScalarName {
  switch (pgType) {
    case 'int2':
    case 'int4':
      return 'Int';
    case 'float4':
    case 'float8':
      return 'Float';
    case 'bool':
      return 'Boolean';
    case 'timestamp':
    case 'timestamptz':
      return 'DateTime';
    case 'json':
    case 'jsonb':
      return 'JSON';
    default:
      // int8 and numeric stay exact as strings; text-like, uuid, inet, date and the rest print as text.
      return 'String';
  }
}

export class UsersTableError extends Error {
  override name = 'UsersTableError';
}

export async function readUsersCatalog(db: Queryable, config: UsersConfig): Promise<UsersCatalog> {
  const table = config.table.includes('.') ? config.table : `public.${config.table}`;
  const rows = await readUsersColumns(db, table);
  if (rows.length === 0) {
    throw new UsersTableError(
      `users.table: the table ${table} does not exist (or has no columns); create it or set users.table ` +
        '(USERS_TABLE) to your application’s users table',
    );
  }
  const byName = new Map(rows.map((row) => [row.name, row]));
  const keyRow = byName.get(config.key);
  if (!keyRow) {
    throw new UsersTableError(`users.key: ${table} has no column "${config.key}"; set users.key (USERS_KEY)`);
  }
  const hidden: UsersCatalog['hidden'] = [];
  const wanted = config.columns.length > 0 ? config.columns : rows.map((row) => row.name);
  const columns: UserColumn[] = [];
  for (const name of wanted) {
    const row = byName.get(name);
    if (!row) {
      throw new UsersTableError(`users.columns: ${table} has no column "${name}"`);
    }
    if (name === config.key) continue;
    if (looksSecret(name)) {
      hidden.push({ column: name, reason: 'looks like a secret' });
      continue;
    }
    const field = camelCase(name);
    if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(field) || RESERVED_FIELDS.has(field)) {
      hidden.push({ column: name, reason: `"${field}" is not a usable GraphQL field name` });
      continue;
    }
    const isArray = row.type.startsWith('_');
    const elementType = isArray ? row.type.slice(1) : row.type;
    columns.push({
      column: name,
      field,
      pgType: row.type,
      graphqlType: graphqlTypeFor(elementType),
      list: isArray,
      nullable: !row.notNull,
    });
  }
  return { table: quoteQualified(table), key: config.key, keyPgType: keyRow.formatted, columns, hidden };
}

const INTEGER_KEY = /^-?\d{1,19}$/;
const UUID_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks that a user id from a client fits the users table's key type before it reaches SQL, so a bad
 * id is an input error and never a failed cast. Returns the canonical text form, or null.
 */
export function parseUserKey(catalog: Pick<UsersCatalog, 'keyPgType'>, raw: string): string | null {
  const type = catalog.keyPgType;
  if (type === 'integer' || type === 'smallint' || type === 'bigint') {
    if (!INTEGER_KEY.test(raw)) return null;
    const value = BigInt(raw);
    const limit = type === 'bigint' ? 2n ** 63n : type === 'integer' ? 2n ** 31n : 2n ** 15n;
    return value >= -limit && value < limit ? value.toString() : null;
  }
  if (type === 'uuid') return UUID_KEY.test(raw) ? raw.toLowerCase() : null;
  return raw.length > 0 && raw.length <= 1024 && !raw.includes('\u0000') ? raw : null;
}
