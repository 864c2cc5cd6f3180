import { WHOLE_STORE } from '../projection/schema.ts';
import type { SessionStatus } from '../stores/types.ts';
import type { FactName } from '../sessions/facts.ts';
import type { UsersCatalog } from '../users/catalog.ts';
import type { UserJoin } from '../users/users.sql.ts';
import type { Plan } from './compile.ts';
import { PRINTED_DATA_BYTES } from './native.sql.ts';
import {
  createPrinter,
  edgeObject,
  globalId,
  json,
  literal,
  memoizedByShape,
  NotCovered,
  pageStatement,
} from './json-sql.ts';

/**
 * The compiled path's SQL for a page of a framework store (Django, web.py, express, json-cache) once its
 * projection is complete: PostgreSQL prints the page from `sessiongraph.projection`, which holds each
 * session's data as the JSON text the resolvers print and its user id as the blob names it, so no blob is
 * read, parsed or decoded (see src/fastpath/json-sql.ts for the printing).
 *
 * The projection answers only where it is what the framework table decodes to, in the statement's own
 * snapshot: every write to the table either updates the projection in its transaction (API writes) or
 * queues its key in `sessiongraph.changes` (the capture trigger), and the sync worker removes a key from the
 * queue in the transaction that updates the projection. So a row with no change of its key queued is
 * current. The page is printed when none of its rows has one (one probe when nothing of the store is queued
 * at all, the usual case; one per row otherwise, so a busy table's pages still print) and no TRUNCATE waits;
 * otherwise `ok` is false and the request goes the general way, which reads the blobs themselves. Which rows
 * make the page is the projection's answer on either way.
 * Rows the projection cannot print as the general way would (projected before the printed columns existed,
 * data jsonb had to repair, no sort time) turn `ok` false too.
 */

export interface ProjectedPageShape {
  user: boolean;
  status: SessionStatus | null;
  after: boolean;
  /** Rows to read: one more than the page size. */
  limit: number;
}

/** The parameters are now ($1), then the user when `user`, then the keyset (time, ref) when `after`. */
function projectedRows(store: string, keyType: string, shape: ProjectedPageShape): string {
  if (!Number.isSafeInteger(shape.limit) || shape.limit < 0)
    throw new Error('a page limit is a whole number');
  let last = 1;
  const next = () => `$${++last}`;
  const conditions = [`p.store = ${literal(store)}`];
  if (shape.user) conditions.push(`p.user_id = ${next()}::${keyType}`);
  // The rows `projectedStatus` (src/stores/blob.sql.ts) selects for the general way. As for native pages
  // (src/stores/native.sql.ts), `+ interval '0'` keeps one generic plan, newest first; the general way's
  // text also serves `estimatedCount`, which needs the column's statistics, so it keeps them.
  if (shape.status === 'ACTIVE') conditions.push(`p.valid AND p.expires_at + interval '0' > $1::timestamptz`);
  if (shape.status === 'EXPIRED') conditions.push('p.valid AND p.expires_at <= $1::timestamptz');
  if (shape.status === 'INVALID') conditions.push('NOT p.valid');
  if (shape.after) conditions.push(`(p.sort_at, p.ref) < (${next()}::timestamptz, ${next()}::text)`);
  return `SELECT p.ref, p.session_key, p.sort_at, p.valid, p.problem, p.note, p.data_json, p.user_text, p.user_id,
                 p.created_at, p.expires_at, p.last_seen_at, p.version
            FROM sessiongraph.projection p
           WHERE ${conditions.join(' AND ')}
           ORDER BY p.sort_at DESC, p.ref DESC
           LIMIT ${shape.limit}`;
}

/** A `sessions` plan's page statement per shape for the store, or null when the plan is not covered. */
export function createProjectedPageStatements(
  plan: Plan,
  store: string,
  catalog: UsersCatalog,
  users: UserJoin,
  facts: ReadonlySet<FactName>,
): ((shape: ProjectedPageShape) => string) | null {
  if (plan.root !== 'sessions') return null;
  const printer = createPrinter(catalog);
  printer.require('s.data_json IS NOT NULL');
  printer.require('s.sort_at IS NOT NULL');
  try {
    const sortIso = printer.time('s.sort_at');
    const edge = edgeObject(plan, store, 's.ref', (fields) =>
      printer.session(fields, (field) => {
        switch (field.field) {
          case 'id':
            return json.plain(globalId(`Session:${store}:`, 's.ref', 'text'));
          case 'store':
            return json.constant(store);
          case 'status':
            return json.plain(
              `CASE WHEN NOT s.valid THEN 'INVALID' WHEN s.expires_at <= $1::timestamptz THEN 'EXPIRED' ELSE 'ACTIVE' END`,
            );
          case 'problem':
            return json.value('s.problem');
          case 'decodeNote':
            return json.value('s.note');
          case 'data':
            printer.require(`octet_length(s.data_json::text) <= ${PRINTED_DATA_BYTES}`);
            return json.text('s.data_json');
          case 'userId':
            return json.value('s.user_text');
          case 'createdAt':
            return json.plain(printer.time('s.created_at'));
          case 'expiresAt':
            return json.plain(printer.time('s.expires_at'));
          case 'lastSeenAt':
            return json.plain(printer.time('s.last_seen_at'));
          case 'version':
            return json.value('s.version');
          case 'ip':
          case 'userAgent':
            // The projection keeps neither: a store that has them (Laravel's columns, web.py's `ip` in its
            // data) is read through its rows.
            if (facts.has(field.field)) throw new NotCovered();
            return json.null;
          default:
            throw new NotCovered();
        }
      }),
    );
    const join = plan.readsUser ? users.join('s.user_id') : '';
    const queued = `sessiongraph.changes c WHERE c.store = ${literal(store)}`;
    // OR evaluates its left side first: with nothing queued, the rows are never probed. The printed rows
    // are probed (the look-ahead row only says there is a next page, which the projection decides either way).
    const current = (size: number) => `(NOT EXISTS (SELECT 1 FROM ${queued})
      OR NOT EXISTS (SELECT 1 FROM ${queued} AND c.session_key = ANY (
        array_append(array_agg(e.session_key) FILTER (WHERE e.ord <= ${size}), ${literal(WHOLE_STORE)}))))`;
    return memoizedByShape((shape: ProjectedPageShape) =>
      pageStatement({
        size: shape.limit - 1,
        rows: projectedRows(store, catalog.keyPgType, shape),
        order: 's.sort_at DESC, s.ref DESC',
        sortIso,
        id: 's.ref',
        edge,
        ok: printer.ok('$1'),
        join,
        current: current(shape.limit - 1),
        carry: ['session_key'],
      }),
    );
  } catch (error) {
    if (error instanceof NotCovered) return null;
    throw error;
  }
}
