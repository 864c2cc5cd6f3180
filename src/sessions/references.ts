import type { JsonObject } from '../codecs/result.ts';
import type { FieldConfig } from '../config-parts.ts';
import type { Queryable } from '../db/pool.ts';
import { ReferenceNotFoundError } from '../errors/domain.ts';
import { valueAt } from '../stores/user-path.ts';
import { parseUserKey, quoteIdent, quoteQualified } from '../users/catalog.ts';
import { typedValue } from './fields.ts';

/**
 * Declared fields that reference a table behave like foreign keys for writes made through the API: a
 * value that does not exist there is refused, in the writing transaction, with a typed error.
 */

interface Target {
  statement: string;
  columnType: string;
}

const targets = new Map<string, Target>();

/** The look-up for a referenced column, typed like the column, so its index serves it. */
async function targetOf(db: Queryable, references: NonNullable<FieldConfig['references']>): Promise<Target> {
  const table = references.table.includes('.') ? references.table : `public.${references.table}`;
  const cacheKey = `${table}.${references.column}`;
  let target = targets.get(cacheKey);
  if (!target) {
    const type = await db.query<{ type: string }>(
      `/* referencedColumnType */ SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped`,
      [table, references.column],
    );
    const columnType = type.rows[0]?.type;
    if (!columnType) throw new Error(`fields: the referenced column ${cacheKey} does not exist`);
    target = {
      columnType,
      statement: `/* referenceExists */ SELECT EXISTS (SELECT 1 FROM ${quoteQualified(table)}
        WHERE ${quoteIdent(references.column)} = $1::${columnType}) AS found`,
    };
    targets.set(cacheKey, target);
  }
  return target;
}

/** Checks every referencing field that `written` sets (data given in full, or the keys a patch sets). */
export async function checkReferences(
  tx: Queryable,
  fields: readonly FieldConfig[],
  written: JsonObject | null | undefined,
): Promise<void> {
  if (!written) return;
  for (const field of fields) {
    if (!field.references) continue;
    const raw = valueAt(written, field.path);
    if (raw === undefined || raw === null) continue;
    const value = typedValue(field, written);
    const target = await targetOf(tx, field.references);
    // A value the column's type cannot even hold (e.g. "abc" for an integer key) exists nowhere; it is
    // refused before SQL, where a failed cast would abort the transaction.
    const text =
      value instanceof Date
        ? value.toISOString()
        : value === null || typeof value === 'object'
          ? null
          : parseUserKey({ keyPgType: target.columnType }, String(value));
    const found =
      text !== null && (await tx.query<{ found: boolean }>(target.statement, [text])).rows[0]?.found === true;
    if (!found)
      throw new ReferenceNotFoundError(
        field.name,
        JSON.stringify(raw),
        `${field.references.table}.${field.references.column}`,
      );
  }
}
