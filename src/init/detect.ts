import type { Queryable } from '../db/pool.ts';
import { STORE_KINDS } from '../stores/registry.ts';
import type { TableShape } from '../stores/kind.ts';

/** A table that has every column of a kind's layout. */
export interface FoundTable {
  kind: string;
  shape: TableShape;
  /** schema.table, as the config names it. */
  table: string;
  rows: number;
}

export interface FoundUsers {
  table: string;
  key: string;
}

/** Users tables by the names frameworks give them, most specific first. */
const USERS_TABLES = ['auth_user', 'users', 'user', 'accounts', 'account'];

/**
 * The session tables of every kind with a `detect` layout, found by their columns (so a renamed table is
 * found too), in any schema but PostgreSQL's own and sessiongraph's. One store per table: where several
 * layouts fit, the one naming the most columns.
 */
export async function findSessionTables(db: Queryable): Promise<FoundTable[]> {
  const tables = await db.query<{ schema: string; name: string; columns: string[]; rows: string }>(
    `/* initTables */
     SELECT c.table_schema AS schema, c.table_name AS name, array_agg(c.column_name::text) AS columns,
            coalesce(max(pc.reltuples), 0)::bigint::text AS rows
       FROM information_schema.columns c
       LEFT JOIN pg_class pc ON pc.oid = format('%I.%I', c.table_schema, c.table_name)::regclass
      WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema', 'sessiongraph')
        AND c.table_schema NOT LIKE 'pg\\_%'
      GROUP BY c.table_schema, c.table_name
      ORDER BY c.table_schema, c.table_name`,
  );
  const found: FoundTable[] = [];
  for (const table of tables.rows) {
    const columns = new Set(table.columns);
    let best: { kind: string; shape: TableShape } | null = null;
    for (const kind of STORE_KINDS) {
      for (const shape of (kind as { detect?: readonly TableShape[] }).detect ?? []) {
        if (!shape.columns.every((column) => columns.has(column))) continue;
        if (!best || shape.columns.length > best.shape.columns.length) best = { kind: kind.kind, shape };
      }
    }
    if (best) {
      found.push({ ...best, table: `${table.schema}.${table.name}`, rows: Math.max(0, Number(table.rows)) });
    }
  }
  return found;
}

/** The application's users table: a table of a usual name with an `id` column (Django's first when it is there). */
export async function findUsersTable(db: Queryable): Promise<FoundUsers | null> {
  const result = await db.query<{ schema: string; name: string }>(
    `/* initUsers */
     SELECT table_schema AS schema, table_name AS name FROM information_schema.columns
      WHERE column_name = 'id' AND table_name = ANY($1::text[])
        AND table_schema NOT IN ('pg_catalog', 'information_schema', 'sessiongraph')
      ORDER BY array_position($1::text[], table_name::text), table_schema = 'public' DESC, table_schema`,
    [USERS_TABLES],
  );
  const first = result.rows[0];
  return first ? { table: `${first.schema}.${first.name}`, key: 'id' } : null;
}
