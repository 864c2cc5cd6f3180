import type { JsonObject, JsonValue } from '../codecs/result.ts';
import type { FieldConfig } from '../config-parts.ts';
import { valueAt, withValueAt } from '../stores/user-path.ts';

/**
 * Typed fields a deployment declares over session data (e.g. web.py's `user_role`): how a stored value
 * reads as the declared type — null when absent or of another type, never a guess — and how a
 * `where` condition on them matches.
 */

export type FieldValue = string | number | boolean | Date | JsonValue | null;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function typedValue(field: Pick<FieldConfig, 'type' | 'path'>, data: JsonObject): FieldValue {
  const raw = valueAt(data, field.path);
  if (raw === undefined) return null;
  switch (field.type) {
    case 'String':
      return typeof raw === 'string' ? raw : null;
    case 'ID':
      return typeof raw === 'string' || (typeof raw === 'number' && Number.isInteger(raw))
        ? String(raw)
        : null;
    case 'Int':
      return typeof raw === 'number' && Number.isInteger(raw) && raw >= INT_MIN && raw <= INT_MAX
        ? raw
        : null;
    case 'Float':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
    case 'Boolean':
      return typeof raw === 'boolean' ? raw : null;
    case 'DateTime': {
      if (typeof raw !== 'string' || !ISO_DATE.test(raw)) return null;
      const date = new Date(raw);
      return Number.isNaN(date.getTime()) ? null : date;
    }
    case 'JSON':
      return raw;
  }
}

export interface WhereCondition {
  field: FieldConfig;
  value: FieldValue;
}

const sameValue = (left: FieldValue, right: FieldValue) =>
  left instanceof Date && right instanceof Date
    ? left.getTime() === right.getTime()
    : JSON.stringify(left) === JSON.stringify(right);

export function matchesWhere(data: JsonObject, conditions: readonly WhereCondition[]): boolean {
  return conditions.every((condition) => sameValue(typedValue(condition.field, data), condition.value));
}

/**
 * The same conditions as a jsonb containment document for SQL (`data @> $doc`), when every condition can
 * be said that way (exact JSON values); null otherwise, and the caller filters after reading.
 */
export function containmentFor(conditions: readonly WhereCondition[]): JsonObject | null {
  let document: JsonObject = {};
  for (const { field, value } of conditions) {
    if (value === null || value instanceof Date || field.type === 'ID' || field.type === 'JSON') return null;
    document = withValueAt(document, field.path, value);
  }
  return document;
}
