import { createHash } from 'node:crypto';
import type { UsersCatalog } from '../users/catalog.ts';
import { quoteIdent } from '../users/catalog.ts';
import type { FieldPlan, LeafPlan, Plan } from './compile.ts';

/**
 * What every statement of the SQL route shares (native pages and sessions, projected framework pages):
 * PostgreSQL printing a plan's fields as JSON exactly as the resolvers print them — global ids in Pothos's
 * base64, DateTime as `Date#toISOString` (UTC, milliseconds truncated) — and a page's edges aggregated into
 * one row. Every statement also returns `ok`: false when a value would not print the same way (a timestamp
 * outside years 1-9999, infinity, or a row the store's own conditions exclude), and the request then goes
 * the general way.
 */

/** A plan the SQL route does not cover: the request goes the general way. */
export class NotCovered extends Error {}

/** Postgres's `to_char` pattern for `Date#toISOString`, which truncates to milliseconds as `MS` does. */
const iso = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
/** Where `iso` prints what JavaScript prints: four-digit years, no infinities. */
const printable = (expr: string) =>
  `(${expr} IS NULL OR (${expr} >= '0001-01-01 00:00:00+00' AND ${expr} < '10000-01-01 00:00:00+00'))`;
export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
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

/** A page cursor as `encodeCursor(store, [time, id])` prints it, from the printed time and the id's text. */
const cursorOf = (store: string, timeIso: string, id: string) =>
  base64url(`${literal(`[${JSON.stringify(store)},"`)} || ${timeIso} || '","' || ${id} || '"]'`);

/**
 * A value as JSON text, in SQL: what an object's `concat` joins. Texts known to need no escapes (ids,
 * timestamps, cursors, enum values) are quoted as they are; everything else goes through `to_json`, which
 * prints as `json_build_object` does. Printing objects by `concat` rather than `json_build_object`, which
 * works out each argument's type on every call, made the page of 50 about a sixth cheaper in PostgreSQL
 * (and its text more compact).
 */
export const json = {
  /** Text that JSON needs no escapes for (base64, ISO times, enum names); null prints null. */
  plain: (expr: string) => `coalesce('"' || (${expr}) || '"', 'null')`,
  /** Any value, as json_build_object prints it: strings escaped, numbers and booleans bare, null. */
  value: (expr: string) => `coalesce(to_json(${expr})::text, 'null')`,
  /** A json or jsonb value: its own text. */
  text: (expr: string) => `coalesce((${expr})::text, 'null')`,
  constant: (value: unknown) => literal(JSON.stringify(value)),
  null: `'null'`,
};

/** `concat` takes at most 100 arguments: the opening, then a key and a value per field. */
const MAX_KEYS = 49;

/** A JSON object of `fields`, each printed by `value` as JSON text (see `json`). */
export function object(fields: readonly FieldPlan[], value: (plan: FieldPlan) => string): string {
  if (fields.length > MAX_KEYS) throw new NotCovered();
  if (fields.length === 0) return `'{}'`;
  const parts = fields.flatMap((plan, index) => [
    literal(`${index === 0 ? '{' : ','}${JSON.stringify(plan.key)}:`),
    value(plan),
  ]);
  return `concat(${parts.join(', ')}, '}')`;
}

/**
 * A page's edge as the plan asks for it: its cursor from the row's printed sort time (`s.sort_iso`) and `id`,
 * its node from `node`. A plan without edges prints an empty object per row (the rows still count).
 */
export function edgeObject(
  plan: Plan,
  store: string,
  id: string,
  node: (fields: readonly FieldPlan[]) => string,
): string {
  const edges = plan.fields.find((field) => field.kind === 'object' && field.field === 'edges');
  if (edges?.kind !== 'object') return `'{}'`;
  return object(edges.fields, (field) => {
    if (field.field === '__typename' && field.kind === 'leaf') return json.constant(field.typename);
    if (field.field === 'cursor') return json.plain(cursorOf(store, 's.sort_iso', id));
    if (field.field === 'node' && field.kind === 'object') return node(field.fields);
    throw new NotCovered();
  });
}

/** The statement's text, named after a hash of it (a prepared statement per distinct plan). */
export const named = (text: string) =>
  `/* compiled_${createHash('sha1').update(text).digest('hex').slice(0, 16)} */ ${text}`;

/**
 * Prints a session's fields: `leaf` gives each stored field's expression, `user` the joined user `u`.
 * Timestamps printed through `time` are checked by `ok`.
 */
export function createPrinter(catalog: UsersCatalog) {
  const timestamps: string[] = [];
  const checks: string[] = [];
  const columns = new Map(catalog.columns.map((column) => [column.field, column]));

  const time = (expr: string) => {
    timestamps.push(expr);
    return iso(expr);
  };

  const user = (fields: readonly FieldPlan[], nested?: (field: FieldPlan & { kind: 'object' }) => string) =>
    `CASE WHEN u.__key IS NULL THEN 'null' ELSE ${object(fields, (field) => {
      if (field.kind !== 'leaf') {
        if (!nested) throw new NotCovered();
        return nested(field);
      }
      if (field.field === '__typename') return json.constant(field.typename);
      if (field.field === 'id') return json.plain(globalId('User:', 'u.__key', catalog.keyPgType));
      if (field.field === 'rowId') return json.value('u.__key');
      const column = columns.get(field.field);
      if (!column || column.list) throw new NotCovered();
      const ref = `u.${quoteIdent(column.column)}`;
      // What pg hands the resolvers for these prints the same from SQL; anything else goes the general way.
      switch (column.graphqlType) {
        case 'String':
        case 'Int':
        case 'Boolean':
          return json.value(ref);
        case 'DateTime':
          if (column.pgType !== 'timestamptz') throw new NotCovered();
          return json.plain(time(ref));
        default:
          throw new NotCovered();
      }
    })} END`;

  return {
    time,
    /** The joined user `u` as an object; `nested` prints its object fields (none by default). */
    user,
    /** A condition every printed row must meet (checked by `ok`). */
    require(condition: string) {
      checks.push(condition);
    },
    /** A session's object; `leaf` prints each stored field as JSON text (see `json`). */
    session: (fields: readonly FieldPlan[], leaf: (field: LeafPlan) => string) =>
      object(fields, (field) => {
        if (field.kind === 'object') {
          if (field.field !== 'user') throw new NotCovered();
          return user(field.fields);
        }
        return field.field === '__typename' ? json.constant(field.typename) : leaf(field);
      }),
    /**
     * Whether the row printed as the resolvers print. `now` is referenced even when nothing needs it: a
     * prepared statement must use every parameter it is given.
     */
    ok: (now: string) =>
      [`${now}::timestamptz IS NOT NULL`, ...checks, ...[...new Set(timestamps)].map(printable)].join(
        ' AND ',
      ),
  };
}

export type Printer = ReturnType<typeof createPrinter>;

/** A page's answer: its edges' JSON, comma-separated (null for none), and what pageInfo needs. */
export type PageRow = {
  edges: string | null;
  /** Rows read: one more than the page size when there is a next page. */
  fetched: number;
  ok: boolean;
  /** The first and last edge's cursor position (sort time as printed, id); null without edges. */
  first_at: string | null;
  first_id: string | null;
  last_at: string | null;
  last_id: string | null;
};

/**
 * One row for a page: pg parses one message instead of one per edge, and PostgreSQL sends one. `rows` is the
 * page's row source (aliased `s`, at most `size + 1` rows; row `size + 1`, when there is one, only says there
 * is a next page), `order` its order, `sortIso` its printed sort time and `id` its id as text: the cursor's
 * two parts. `edge` may read `s.sort_iso`. `current`, when given, is a condition on the whole page, which
 * may aggregate the `carry` columns of its rows (as `e.<name>`; `e.ord <= size` are the printed ones). Only
 * the printed rows must print as the resolvers print: the look-ahead row is never printed.
 */
export function pageStatement(page: {
  size: number;
  rows: string;
  order: string;
  sortIso: string;
  id: string;
  edge: string;
  ok: string;
  join: string;
  current?: string;
  carry?: readonly string[];
}): string {
  const last = `e.ord = least(e.fetched, ${page.size})`;
  const current = page.current ? ` AND ${page.current}` : '';
  return named(
    `SELECT string_agg(e.body, ',' ORDER BY e.ord) FILTER (WHERE e.ord <= ${page.size}) AS edges,
            count(*)::int AS fetched, coalesce(bool_and(e.ok) FILTER (WHERE e.ord <= ${page.size}), true)${current} AS ok,
            min(e.sort_iso) FILTER (WHERE e.ord = 1) AS first_at, min(e.id) FILTER (WHERE e.ord = 1) AS first_id,
            min(e.sort_iso) FILTER (WHERE ${last}) AS last_at, min(e.id) FILTER (WHERE ${last}) AS last_id
       FROM (SELECT ${page.edge} AS body, ${page.ok} AS ok, s.sort_iso, ${page.id} AS id, s.ord, s.fetched${(page.carry ?? []).map((column) => `, s.${column}`).join('')}
               FROM (SELECT s.*, ${page.sortIso} AS sort_iso,
                            row_number() OVER (ORDER BY ${page.order}) AS ord, count(*) OVER () AS fetched
                       FROM (${page.rows}) AS s) AS s ${page.join}) AS e`,
  );
}

/** What selects a page's rows: the statement's text depends on it, not on its values. */
interface Shape {
  user: boolean;
  status: string | null;
  after: boolean;
  /** Rows to read: one more than the page size. */
  limit: number;
}

/** Page statements per shape: a handful per plan in practice (the page sizes clients use); bounded anyway. */
const MAX_PAGE_SHAPES = 64;

export function memoizedByShape<S extends Shape>(build: (shape: S) => string): (shape: S) => string {
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
