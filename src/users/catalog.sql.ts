import type { Queryable } from '../db/pool.ts';

/** The catalog's description of a table's columns (the users table's, a framework table's). */

export interface CatalogColumnRow {
  name: string;
  type: string;
  formatted: string;
  notNull: boolean;
}

/**
 * The columns of `table` that lead one of its valid, whole-table (not partial) btree indexes in an order an
 * `ORDER BY column` walks (ascending with NULLs last, or its reverse); a BRIN or hash index keeps no order.
 */
export async function readIndexLeadingColumns(db: Queryable, table: string): Promise<Set<string>> {
  const result = await db.query<{ name: string }>(
    `/* readIndexLeadingColumns */
     SELECT DISTINCT a.attname AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
      WHERE i.indrelid = to_regclass($1) AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree'
        AND i.indoption[0] IN (0, 3)`,
    [table],
  );
  return new Set(result.rows.map((row) => row.name));
}

export async function readUsersColumns(db: Queryable, table: string): Promise<CatalogColumnRow[]> {
  const result = await db.query<{ name: string; type: string; formatted: string; not_null: boolean }>(
    `/* readUsersColumns */
     SELECT a.attname AS name, t.typname AS type, format_type(a.atttypid, a.atttypmod) AS formatted,
            a.attnotnull AS not_null
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [table],
  );
  return result.rows.map((row) => ({
    name: row.name,
    type: row.type,
    formatted: row.formatted,
    notNull: row.not_null,
  }));
}
