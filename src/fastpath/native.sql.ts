import { createHash } from 'node:crypto';
import {
  byIdRow,
  liveByKey,
  type OptionalColumn,
  type PageShape,
  pageRowsOfShape,
} from '../stores/native.sql.ts';
import type { UsersCatalog } from '../users/catalog.ts';
import { quoteIdent } from '../users/catalog.ts';
import type { UserJoin } from '../users/users.sql.ts';
import type { FieldPlan, Plan } from './compile.ts';

/**
 * The compiled path's SQL for the native store: the statement that answers a plan has PostgreSQL build the
 * response's JSON, field by field in the order asked (as the hand-written server in bench/ does), so the
 * server passes text through instead of parsing rows and printing them again. Each expression prints what
 * the resolvers print: ids in Pothos's global-id base64, DateTime as `Date#toISOString` (UTC, milliseconds
 * truncated), data as stored. Every statement also returns `ok`: false when a value would not print the
 * same way (a timestamp outside years 1-9999, infinity), and the request then goes the general way.
 *
 * Parameters follow the row sources in src/stores/native.sql.ts, whose row selection they reuse.
 */

export interface NativeJsonStatements {
  /** `$1` the session's UUID, `$2` now: one row (`body`, `ok`) or none. */
  byId: string | null;
  /** `$1` key hash, `$2` now, `$3` touch interval: one row or none, with `id` and `stale` for the touch. */
  byKey: string | null;
  /**
   * For a page of the given shape (whose limit is one more than the page size), with the parameters of
   * `pageRowsOfShape`: one row, a `PageRow`. The same text for the same shape.
   */
  page: ((shape: PageShape) => string) | null;
}

/** Postgres's `to_char` pattern for `Date#toISOString`, which truncates to milliseconds as `MS` does. */
const iso = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** Where `iso` prints what JavaScript prints: four-digit years, no infinities. */
const printable = (expr: string) =>
  `(${expr} IS NULL OR (${expr} >= '0001-01-01 00:00:00+00' AND ${expr} < '10000-01-01 00:00:00+00'))`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
/**
 * Base64 of the UTF-8 text, unbroken (`encode` wraps lines at 76 characters). `replace` rather than
 * `translate`, which is several times dearer per call: the page of 50 spent more on its ids than on its rows.
 */
const base64 = (expr: string) => `replace(encode(convert_to(${expr}, 'UTF8'), 'base64'), E'\\n', '')`;
/** Node's `base64url`: no padding. */
const base64url = (expr: string) => `rtrim(replace(replace(${base64(expr)}, '+', '-'), '/', '_'), '=')`;
/** Key types whose text is short ASCII without backslashes, so `::bytea` reads it as its own bytes. */
const PLAIN_KEY_TYPES = new Set(['uuid', 'integer', 'smallint', 'bigint']);

/**
 * Pothos's global id, base64 of `prefix || key`. For a plain key, the prefix's whole 3-byte groups are
 * encoded here once and only the rest goes through PostgreSQL (base64 of a concatenation is the
 * concatenation of the base64s when the first part is a multiple of 3 bytes); the rest is under 57 bytes,
 * so `encode` breaks no line.
 */
export function globalId(prefix: string, key: string, keyType: string): string {
  if (!PLAIN_KEY_TYPES.has(keyType)) return base64(`${literal(prefix)} || ${key}`);
  const bytes = Buffer.from(prefix, 'utf8');
  const split = bytes.length - (bytes.length % 3);
  const head = literal(bytes.subarray(0, split).toString('base64'));
  const tail = bytes.subarray(split).toString('hex');
  return `${head} || encode(decode('${tail}', 'hex') || (${key})::text::bytea, 'base64')`;
}

/** A page's answer: its edges' JSON, comma-separated (null for none), and what pageInfo needs. */
export type PageRow = {
  edges: string | null;
  /** Rows read: one more than the page size when there is a next page. */
  fetched: number;
  ok: boolean;
  /** The first and last edge's cursor position (creation time as printed, id); null without edges. */
  first_at: string | null;
  first_id: string | null;
  last_at: string | null;
  last_id: string | null;
};

class NotCovered extends Error {}

/** Page statements per shape: a handful per plan in practice (the page sizes clients use); bounded anyway. */
const MAX_PAGE_SHAPES = 64;

function memoizedByShape(build: (shape: PageShape) => string): (shape: PageShape) => string {
  const texts = new Map<string, string>();
  return (shape) => {
    const key = `${shape.user}|${shape.status}|${shape.after}|${shape.limit}`;
    let text = texts.get(key);
    if (text === undefined) {
      if (texts.size >= MAX_PAGE_SHAPES) texts.clear();
      text = build(shape);
      texts.set(key, text);
    }
    return text;
  };
}

/** json_build_object takes at most 100 arguments. */
const MAX_KEYS = 50;

function object(fields: readonly FieldPlan[], value: (plan: FieldPlan) => string): string {
  if (fields.length > MAX_KEYS) throw new NotCovered();
  return `json_build_object(${fields.map((plan) => `${literal(plan.key)}, ${value(plan)}`).join(', ')})`;
}

export function createNativeJsonStatements(
  plan: Plan,
  store: string,
  catalog: UsersCatalog,
  users: UserJoin,
): NativeJsonStatements | null {
  const timestamps: string[] = [];
  const time = (expr: string) => {
    timestamps.push(expr);
    return iso(expr);
  };
  const columns = new Map(catalog.columns.map((column) => [column.field, column]));
  const read = new Set<OptionalColumn>();

  const userJson = (fields: readonly FieldPlan[]) =>
    `CASE WHEN u.__key IS NULL THEN NULL ELSE ${object(fields, (field) => {
      if (field.kind !== 'leaf') throw new NotCovered();
      if (field.field === '__typename') return literal(field.typename);
      if (field.field === 'id') return globalId('User:', 'u.__key', catalog.keyPgType);
      if (field.field === 'rowId') return 'u.__key';
      const column = columns.get(field.field);
      if (!column || column.list) throw new NotCovered();
      const ref = `u.${quoteIdent(column.column)}`;
      // What pg hands the resolvers for these prints the same from SQL; anything else goes the general way.
      switch (column.graphqlType) {
        case 'String':
        case 'Int':
        case 'Boolean':
          return ref;
        case 'DateTime':
          if (column.pgType !== 'timestamptz') throw new NotCovered();
          return time(ref);
        default:
          throw new NotCovered();
      }
    })} END`;

  const sessionJson = (fields: readonly FieldPlan[], now: string, createdIso = time('s.created_at')) =>
    object(fields, (field) => {
      if (field.kind === 'object') {
        if (field.field !== 'user') throw new NotCovered();
        return userJson(field.fields);
      }
      switch (field.field) {
        case '__typename':
          return literal(field.typename);
        case 'id':
          return globalId(`Session:${store}:`, 's.id', 'uuid');
        case 'store':
          return literal(store);
        case 'status':
          return `CASE WHEN s.expires_at <= ${now}::timestamptz THEN 'EXPIRED' ELSE 'ACTIVE' END`;
        case 'problem':
        case 'decodeNote':
          return 'NULL';
        case 'data':
          read.add('data');
          return 's.data';
        case 'userId':
          return 's.user_id';
        case 'createdAt':
          return createdIso;
        case 'expiresAt':
          return time('s.expires_at');
        case 'lastSeenAt':
          read.add('last_seen_at');
          return time('s.last_seen_at');
        case 'version':
          read.add('version');
          return 's.version';
        case 'ip':
          read.add('ip');
          return 's.ip';
        case 'userAgent':
          read.add('user_agent');
          return 's.user_agent';
        default:
          throw new NotCovered();
      }
    });

  // `now` is referenced even when no field needs it: a prepared statement must use every parameter it is given.
  const ok = (now: string) =>
    [`${now}::timestamptz IS NOT NULL`, ...new Set(timestamps)]
      .map((expr, i) => (i === 0 ? expr : printable(expr)))
      .join(' AND ');
  const join = plan.readsUser ? users.join('s.user_id') : '';
  const named = (text: string) =>
    `/* compiled_${createHash('sha1').update(text).digest('hex').slice(0, 16)} */ ${text}`;

  try {
    if (plan.root === 'session') {
      const body = sessionJson(plan.fields, '$2');
      return {
        byId: named(`SELECT ${body}::text AS body, ${ok('$2')} AS ok FROM (${byIdRow}) AS s ${join}`),
        byKey: null,
        page: null,
      };
    }
    if (plan.root === 'currentSession') {
      const body = sessionJson(plan.fields, '$2');
      return {
        byId: null,
        byKey: named(
          `SELECT ${body}::text AS body, ${ok('$2')} AS ok, s.id::text AS id, s.stale
             FROM (SELECT ${liveByKey.columns} ${liveByKey.from}) AS s ${join}`,
        ),
        page: null,
      };
    }
    const edges = plan.fields.find((field) => field.kind === 'object' && field.field === 'edges');
    // The creation time printed once per row, for the cursor and `createdAt` alike.
    const createdIso = time('s.created_at');
    const edge =
      edges?.kind === 'object'
        ? object(edges.fields, (field) => {
            if (field.field === '__typename' && field.kind === 'leaf') return literal(field.typename);
            if (field.field === 'cursor') {
              return base64url(
                `${literal(`[${JSON.stringify(store)},"`)} || s.created_iso || '","' || s.id::text || '"]'`,
              );
            }
            if (field.field === 'node' && field.kind === 'object') {
              return sessionJson(field.fields, '$1', 's.created_iso');
            }
            throw new NotCovered();
          })
        : `json_build_object()`;
    // One row for the page: pg parses one message instead of one per edge, and PostgreSQL sends one.
    // Row `size + 1`, when there is one, only says there is a next page.
    const page = (shape: PageShape) => {
      const size = shape.limit - 1;
      const last = `e.ord = least(e.fetched, ${size})`;
      return named(
        `SELECT string_agg(e.body, ',' ORDER BY e.ord) FILTER (WHERE e.ord <= ${size}) AS edges,
                count(*)::int AS fetched, coalesce(bool_and(e.ok), true) AS ok,
                min(e.created_iso) FILTER (WHERE e.ord = 1) AS first_at, min(e.id) FILTER (WHERE e.ord = 1) AS first_id,
                min(e.created_iso) FILTER (WHERE ${last}) AS last_at, min(e.id) FILTER (WHERE ${last}) AS last_id
           FROM (SELECT ${edge}::text AS body, ${ok('$1')} AS ok, s.created_iso, s.id::text AS id, s.ord, s.fetched
                   FROM (SELECT s.*, ${createdIso} AS created_iso,
                                row_number() OVER (ORDER BY s.created_at DESC, s.id DESC) AS ord, count(*) OVER () AS fetched
                           FROM (${pageRowsOfShape(catalog.keyPgType, shape, read)}) AS s) AS s ${join}) AS e`,
      );
    };
    return { byId: null, byKey: null, page: memoizedByShape(page) };
  } catch (error) {
    if (error instanceof NotCovered) return null;
    throw error;
  }
}
