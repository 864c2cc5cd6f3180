import { jsonTextNestsDeeper } from '../codecs/budgets.ts';
import type { JsonObject, JsonValue } from '../codecs/result.ts';
import type { FieldConfig } from '../config-parts.ts';
import { typedValue } from '../sessions/fields.ts';
import type { BlobRow } from '../stores/blob.sql.ts';
import { blobVersion } from '../stores/row-decoder.ts';
import type { SessionRecord } from '../stores/types.ts';
import { parseUserKey, type UsersCatalog } from '../users/catalog.ts';

/**
 * Pure rules for turning a decoded session into its projection row: the user id typed like the users
 * key (or null when it cannot be one), data that jsonb accepts, and one typed value per declared field.
 */

/** jsonb refuses NUL characters and very deep nesting, both of which real sessions can hold. */
const MAX_JSONB_DEPTH = 64;

/**
 * JSON.stringify escapes a lone surrogate (a pair it writes as the character): `\ud800`-`\udfff` in its output
 * is one, or text that only looks like one (an escaped backslash before "ud8..."), which the repair leaves.
 */
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;

/** Whether PostgreSQL's json and jsonb take the string: no NUL, no lone surrogate. */
const storable = (text: string) => !text.includes('\u0000') && text.isWellFormed();

/**
 * The data as jsonb text: as is when PostgreSQL accepts it, else repaired (the common case costs a scan).
 * `json` is the data's JSON text where the caller has it already (a cached decoding keeps it).
 */
export function jsonbText(
  data: JsonObject,
  json = JSON.stringify(data),
): { json: string; note: string | null } {
  const shallow = !jsonTextNestsDeeper(json, MAX_JSONB_DEPTH);
  if (shallow && !json.includes('\\u0000') && !ESCAPED_SURROGATE.test(json)) return { json, note: null };
  const safe = jsonbSafe(data);
  return { json: JSON.stringify(safe.data), note: safe.note };
}

export function jsonbSafe(data: JsonObject): { data: JsonObject; note: string | null } {
  let changed = false;
  const visit = (node: JsonValue, depth: number): JsonValue => {
    if (typeof node === 'string') {
      if (storable(node)) return node;
      changed = true;
      return node.replaceAll('\u0000', '\uFFFD').toWellFormed();
    }
    if (node === null || typeof node !== 'object') return node;
    if (depth >= MAX_JSONB_DEPTH) {
      changed = true;
      return null;
    }
    if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1));
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      let safeKey = key;
      if (!storable(key)) {
        changed = true;
        safeKey = key.replaceAll('\u0000', '\uFFFD').toWellFormed();
      }
      Object.defineProperty(out, safeKey, {
        value: visit(value, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  const safe = visit(data, 0) as JsonObject;
  return changed
    ? {
        data: safe,
        note: 'the projection replaced NUL characters or lone surrogates, or cut nesting deeper than 64 levels',
      }
    : { data, note: null };
}

export interface ProjectionRow {
  ref: string;
  key: string;
  userId: string | null;
  valid: boolean;
  problem: string | null;
  note: string | null;
  /** The data as jsonb text. */
  data: string | null;
  /**
   * The data's JSON text as the general way prints it (`{}` for an invalid session); null where jsonb
   * needed a repair, so that text is not what `data` holds.
   */
  dataJson: string | null;
  /** The user id as the blob names it. */
  userText: string | null;
  expiresAt: Date | null;
  sortAt: Date | null;
  createdAt: Date | null;
  lastSeenAt: Date | null;
  version: number;
  fields: unknown[];
}

export const fieldColumn = (field: Pick<FieldConfig, 'name'>) =>
  `f_${field.name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}`;

export const fieldSqlType: Record<FieldConfig['type'], string> = {
  String: 'text',
  ID: 'text',
  Int: 'integer',
  Float: 'double precision',
  Boolean: 'boolean',
  DateTime: 'timestamptz',
  JSON: 'jsonb',
};

export function projectionRow(
  record: SessionRecord,
  key: string,
  sortAt: Date | null,
  fields: readonly FieldConfig[],
  catalog: Pick<UsersCatalog, 'keyPgType'>,
): ProjectionRow {
  const valid = record.status !== 'INVALID';
  const safe = valid ? jsonbText(record.data, record.dataJson) : { json: null, note: null };
  const notes = [record.note, safe.note].filter((note): note is string => Boolean(note));
  return {
    ref: record.ref,
    key,
    userId: record.userId === null ? null : parseUserKey(catalog, record.userId),
    valid,
    problem: record.problem,
    note: notes.length > 0 ? notes.join('; ') : null,
    data: safe.json,
    // Text PostgreSQL cannot hold prints only the general way (the user id is in data too, so data_json is null).
    dataJson: !valid ? '{}' : safe.note === null ? safe.json : null,
    userText: record.userId !== null && storable(record.userId) ? record.userId : null,
    expiresAt: record.expiresAt,
    sortAt,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    version: record.version,
    fields: fields.map((field) => {
      if (!valid) return null;
      const value = typedValue(field, record.data);
      if (typeof value === 'string' && !storable(value))
        return value.replaceAll('\u0000', '\uFFFD').toWellFormed();
      return field.type === 'JSON' && value !== null ? JSON.stringify(value) : value;
    }),
  };
}

/** A row's place in newest-first order, at the millisecond JavaScript keeps. */
export const sortOf = (row: BlobRow) =>
  row.sort_at === null ? null : new Date(Math.floor(row.sort_at.getTime()));

/** What a row that could not be decoded or stored is projected as: INVALID, with the problem, no data. */
export function failedRow(row: BlobRow, problem: string, fields: number): ProjectionRow {
  return {
    ref: row.ref,
    key: row.key,
    userId: null,
    valid: false,
    problem,
    note: null,
    data: null,
    dataJson: '{}',
    userText: null,
    expiresAt: row.expires_at,
    sortAt: sortOf(row),
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    version: blobVersion(row.blob),
    fields: Array.from({ length: fields }, () => null),
  };
}

/**
 * A row's projection, its blob in hand (`withBlob`): decoded and typed. Never throws on data: a failure is
 * INVALID with an "internal" problem, told to `onError`. The same in-process and in a decode worker.
 */
export function projectRow(
  decodeRow: (row: BlobRow, now: Date, cached?: boolean) => SessionRecord,
  row: BlobRow,
  now: Date,
  fields: readonly FieldConfig[],
  catalog: Pick<UsersCatalog, 'keyPgType'>,
  onError: (error: unknown) => void,
): ProjectionRow {
  try {
    return projectionRow(decodeRow(row, now, false), row.key, sortOf(row), fields, catalog);
  } catch (error) {
    onError(error);
    return failedRow(row, 'internal: this row could not be projected (see the server log)', fields.length);
  }
}

/** What verify compares of a row's projection with the stored one (ProjectedSummary). */
export interface RowSummary {
  version: number;
  ref: string;
  userId: string | null;
  /** Whether it holds the data's printed text. */
  printed: boolean;
  userText: string | null;
}

export const summaryOf = (row: ProjectionRow): RowSummary => ({
  version: row.version,
  ref: row.ref,
  userId: row.userId,
  printed: row.dataJson !== null,
  userText: row.userText,
});
