import {
  byIdRow,
  liveByKey,
  type OptionalColumn,
  type PageShape,
  pageRowsOfShape,
} from '../stores/native/native.sql.ts';
import { shallowerThan } from '../stores/native/native.sql.ts';
import type { UsersCatalog } from '../users/catalog.ts';
import type { UserJoin } from '../users/users.sql.ts';
import type { FieldPlan, Plan } from './compile.ts';
import {
  createPrinter,
  type Printer,
  edgeObject,
  globalId,
  json,
  memoizedByShape,
  NotCovered,
  named,
  pageStatement,
} from './json-sql.ts';

/**
 * The compiled path's SQL for the native store: the statement that answers a plan has PostgreSQL build the
 * response's JSON, field by field in the order asked (as the hand-written server in bench/ does), so the
 * server passes text through instead of parsing rows and printing them again (see src/fastpath/json-sql.ts).
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

/** Stored data up to this size is printed by PostgreSQL; larger goes the general way. */
export const PRINTED_DATA_BYTES = 128 * 1024;

/**
 * Prints a native session row `s` (with its owner `u` when joined) as a plan's fields ask, under `printer`'s
 * checks; `read` collects the optional columns the printing needs.
 */
export function nativeSessionJson(
  printer: Printer,
  store: string,
  maxDepth: number,
  read: Set<OptionalColumn>,
) {
  return (fields: readonly FieldPlan[], now: string, createdIso = printer.time('s.created_at')) =>
    printer.session(fields, (field) => {
      switch (field.field) {
        case 'id':
          return json.plain(globalId(`Session:${store}:`, 's.id', 'uuid'));
        case 'store':
          return json.constant(store);
        case 'status':
          return json.plain(`CASE WHEN s.expires_at <= ${now}::timestamptz THEN 'EXPIRED' ELSE 'ACTIVE' END`);
        case 'problem':
        case 'decodeNote':
          return json.null;
        case 'data':
          read.add('data');
          // A page is one response row: data larger than the API ever writes goes the general way, whose
          // pages stop at a byte budget (see PAGE_DATA_BYTES).
          printer.require(`pg_column_size(s.data) <= ${PRINTED_DATA_BYTES}`);
          printer.require(shallowerThan('s.data', maxDepth));
          return json.text('s.data');
        case 'userId':
          return json.value('s.user_id');
        case 'createdAt':
          return json.plain(createdIso);
        case 'expiresAt':
          return json.plain(printer.time('s.expires_at'));
        case 'lastSeenAt':
          read.add('last_seen_at');
          return json.plain(printer.time('s.last_seen_at'));
        case 'version':
          read.add('version');
          return json.value('s.version');
        case 'ip':
          read.add('ip');
          return json.value('s.ip');
        case 'userAgent':
          read.add('user_agent');
          return json.value('s.user_agent');
        default:
          throw new NotCovered();
      }
    });
}

export function createNativeJsonStatements(
  plan: Plan,
  store: string,
  catalog: UsersCatalog,
  users: UserJoin,
  maxDepth: number,
): NativeJsonStatements | null {
  const printer = createPrinter(catalog);
  const read = new Set<OptionalColumn>();
  const sessionJson = nativeSessionJson(printer, store, maxDepth, read);

  const join = plan.readsUser ? users.join('s.user_id') : '';

  try {
    if (plan.root === 'session') {
      const body = sessionJson(plan.fields, '$2');
      return {
        byId: named(`SELECT ${body} AS body, ${printer.ok('$2')} AS ok FROM (${byIdRow}) AS s ${join}`),
        byKey: null,
        page: null,
      };
    }
    if (plan.root === 'currentSession') {
      const body = sessionJson(plan.fields, '$2');
      return {
        byId: null,
        byKey: named(
          `SELECT ${body} AS body, ${printer.ok('$2')} AS ok, s.id::text AS id, s.stale
             FROM (SELECT ${liveByKey.columns} ${liveByKey.from}) AS s ${join}`,
        ),
        page: null,
      };
    }
    // The creation time printed once per row, for the cursor and `createdAt` alike.
    const sortIso = printer.time('s.created_at');
    const edge = edgeObject(plan, store, 's.id::text', (fields) => sessionJson(fields, '$1', 's.sort_iso'));
    const page = (shape: PageShape) =>
      pageStatement({
        size: shape.limit - 1,
        rows: pageRowsOfShape(catalog.keyPgType, shape, read),
        order: 's.created_at DESC, s.id DESC',
        sortIso,
        id: 's.id::text',
        edge,
        ok: printer.ok('$1'),
        join,
      });
    return { byId: null, byKey: null, page: memoizedByShape(page) };
  } catch (error) {
    if (error instanceof NotCovered) return null;
    throw error;
  }
}
