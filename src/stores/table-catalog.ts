import { ConfigError } from '../config-parts.ts';
import type { Queryable } from '../db/pool.ts';
import { quoteIdent, quoteQualified } from '../users/catalog.ts';
import { readIndexLeadingColumns, readUsersColumns } from '../users/catalog.sql.ts';

/**
 * A framework table as the catalog describes it, checked at start: a missing table or column is a
 * start-up error naming the store and the setting to fix. Timestamp columns come with the SQL that
 * reads them as `timestamptz` and writes a `timestamptz` parameter into them, honouring the store's zone.
 */
export interface TableColumns {
  table: string;
  types: Map<string, string>;
  column(name: string): string;
  time(name: string): TimeColumn;
  /** The quoted column when an index of the table walks it in order (so a walk can stop early), else undefined. */
  orderedBy(name: string): string | undefined;
}

export interface TimeColumn {
  /** The column as timestamptz. */
  read: string;
  /** A timestamptz parameter as the column's type (so comparisons keep the column's index usable). */
  write(param: string): string;
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

export async function readStoreTable(
  db: Queryable,
  storeName: string,
  table: string,
  columns: Record<string, string>,
  timeZone: string | undefined,
): Promise<TableColumns> {
  const qualified = table.includes('.') ? table : `public.${table}`;
  const rows = await readUsersColumns(db, qualified);
  if (rows.length === 0) {
    throw new ConfigError(
      `stores.${storeName}.table: the table ${qualified} does not exist; create it (the framework's migrations ` +
        'do) or point "table" at the right one',
    );
  }
  const types = new Map(rows.map((row) => [row.name, row.type]));
  for (const [setting, name] of Object.entries(columns)) {
    if (!types.has(name)) {
      throw new ConfigError(
        `stores.${storeName}.columns.${setting}: ${qualified} has no column "${name}"; set "columns.${setting}"`,
      );
    }
  }
  if (timeZone !== undefined) {
    const check = await db.query(
      "SELECT 1 FROM pg_timezone_names WHERE name = $1 UNION SELECT 1 WHERE $1 = 'UTC'",
      [timeZone],
    );
    if ((check.rowCount ?? 0) === 0) {
      throw new ConfigError(
        `stores.${storeName}.timeZone: PostgreSQL does not know the time zone "${timeZone}"`,
      );
    }
  }
  const indexed = await readIndexLeadingColumns(db, qualified);
  return {
    table: quoteQualified(qualified),
    types,
    column: (name) => quoteIdent(name),
    orderedBy: (name) => (indexed.has(name) ? quoteIdent(name) : undefined),
    time(name) {
      const quoted = quoteIdent(name);
      const type = types.get(name);
      if (type === 'timestamptz') return { read: quoted, write: (param) => `${param}::timestamptz` };
      if (type !== 'timestamp') {
        throw new ConfigError(
          `stores.${storeName}: column "${name}" of ${qualified} must be a timestamp, not ${type}`,
        );
      }
      return timeZone
        ? {
            read: `(${quoted} AT TIME ZONE ${literal(timeZone)})`,
            write: (param) => `(${param}::timestamptz AT TIME ZONE ${literal(timeZone)})`,
          }
        : { read: `${quoted}::timestamptz`, write: (param) => `${param}::timestamptz::timestamp` };
    },
  };
}
