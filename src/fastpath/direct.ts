import type { App } from '../app.ts';
import {
  authenticate,
  checkPage,
  clientUserKey,
  mayReadSessions,
  mayReadUsers,
  presentedKeys,
} from '../auth/rules.ts';
import type { Queryable } from '../db/pool.ts';
import { decodeSessionId, encodeCursor, userKeyFromInput } from '../sessions/ids.ts';
import { hashSessionKey, isNativeKeyShape } from '../sessions/keys.ts';
import { presentedCredentials } from '../sessions/presented.ts';
import { keysetOf } from '../stores/cursor.ts';
import { isNativeRef } from '../stores/native/store.ts';
import type { SessionStore } from '../stores/types.ts';
import { createUserJoin } from '../users/users.sql.ts';
import type { Plan } from './compile.ts';
import { connection, response } from './json-text.ts';
import { createPrinter, literal, NotCovered, named, type PageRow } from './json-sql.ts';
import { createNativeJsonStatements, type NativeJsonStatements } from './native.sql.ts';
import { createProjectedPageStatements, type ProjectedPageShape } from './projected.sql.ts';

/**
 * The compiled path's shortest route: a plan over the native store, or a page of a framework store whose
 * projection is complete, is answered by one statement whose result is already the response's JSON
 * (src/fastpath/native.sql.ts, src/fastpath/projected.sql.ts), with the caller checked the way the resolvers
 * check it. It answers only the plain case — a caller allowed everything the plan reads, an argument that
 * names a native session or a page it covers, every value printable, a projection that is current — and
 * returns null for anything
 * else, having written nothing, so the request goes on to the general compiled path (and from there to
 * Yoga), which gives the proper answer or error.
 */

/** A response body: its text, or its parts in order. */
export type ResponseBody = string | readonly [string, string, string];

export interface DirectPath {
  /** The whole response body, or null: not answered here. */
  answer(
    plan: Plan,
    args: Record<string, unknown>,
    headers: Headers,
    db: Queryable,
    now: Date,
    /** A `user` root's arguments of its `sessions`. */
    inner?: Record<string, unknown>,
  ): Promise<ResponseBody | null>;
}

/** The request's headers, as the gate and the context read them. */
type Headers = { get(name: string): string | null };

type Row = { body: string; ok: boolean };

/** A page's statement for a shape; null: not answered here (the shape, e.g. INVALID, is not covered). */
type PageStatement = (shape: ProjectedPageShape) => string | null;

interface PlanStatements {
  native: NativeJsonStatements | null;
  /** Native pages (never INVALID ones: native sessions always decode). */
  nativePage: PageStatement | null;
  /** Page statements per framework store, made when a page of it is first asked for. */
  projected: Map<string, PageStatement | null>;
}

/**
 * Where a page's edges go in the response printed around them: a NUL, which JSON text never holds raw (the
 * rest is printed here, with JSON.stringify's escapes).
 */
const EDGES = '\u0000';
/** Where a user's page goes in the user's object as PostgreSQL prints it (which escapes control characters). */
const PAGE = '\u0001';

/**
 * The response as the text before the edges, the edges as PostgreSQL sent them, and the text after: written
 * as they are, the edges (most of the response) are never copied into a string of the whole.
 */
function around(skeleton: string, edges: string): ResponseBody {
  const at = skeleton.indexOf(EDGES);
  if (at < 0) return skeleton;
  // Edges asked for twice (aliases) print twice.
  if (skeleton.includes(EDGES, at + 1)) return skeleton.split(EDGES).join(edges);
  return [skeleton.slice(0, at), edges, skeleton.slice(at + 1)];
}

/** Declines in a row after which a store's pages skip this route for a while, and how long. */
const DECLINES_BEFORE_REST = 8;
const REST_MILLISECONDS = 1000;

/**
 * A page this route declines has cost a statement before the general way runs its own. Pages of a busy
 * framework table may decline often (its newest rows wait in the change queue a few ms after each write),
 * and a page with a row the projection cannot print declines every time: after a run of declines the
 * store's pages go straight the general way for a second, then this route tries again.
 */
function createDeclineTracker() {
  const stores = new Map<string, { declines: number; until: number }>();
  return {
    resting: (store: string, now: Date) => (stores.get(store)?.until ?? 0) > now.getTime(),
    declined(store: string, now: Date) {
      const state = stores.get(store) ?? { declines: 0, until: 0 };
      state.declines += 1;
      if (state.declines >= DECLINES_BEFORE_REST) {
        state.declines = 0;
        state.until = now.getTime() + REST_MILLISECONDS;
      }
      stores.set(store, state);
    },
    answered(store: string) {
      if (stores.size > 0) stores.delete(store);
    },
  };
}

export function createDirectPath(app: App): DirectPath {
  const declines = createDeclineTracker();
  const native: SessionStore | undefined = [...app.stores.values()].find((store) => store.kind === 'native');
  const users = createUserJoin(app.catalog);
  const statements = new WeakMap<Plan, PlanStatements>();
  const statementsFor = (plan: Plan) => {
    let found = statements.get(plan);
    if (found === undefined) {
      const nativeSql = native
        ? createNativeJsonStatements(plan, native.name, app.catalog, users, app.config.budgets.maxDepth)
        : null;
      const page = nativeSql?.page;
      found = {
        native: nativeSql,
        nativePage: page
          ? (shape) => (shape.status === 'INVALID' ? null : page({ ...shape, status: shape.status }))
          : null,
        projected: new Map(),
      };
      statements.set(plan, found);
    }
    return found;
  };

  /**
   * The store a page is read from and its statement: native pages always, framework pages once the store's
   * projection is complete (before that, only decoding its blobs finds its rows).
   */
  function pageRoute(
    plan: Plan,
    sql: PlanStatements,
    storeName: string,
  ): { store: SessionStore; statement: PageStatement } | null {
    const store = app.stores.get(storeName);
    if (!store) return null;
    if (store === native) return sql.nativePage ? { store, statement: sql.nativePage } : null;
    if (!app.frameworkStores.has(storeName) || !app.projector.isReady(storeName)) return null;
    let statement = sql.projected.get(storeName);
    if (statement === undefined) {
      statement = createProjectedPageStatements(plan, storeName, app.catalog, users, store.facts);
      sql.projected.set(storeName, statement);
    }
    return statement ? { store, statement } : null;
  }

  /**
   * The key presented to the native store, when it is the first store `currentSession` would ask
   * (`more`: other stores would be asked after it); undefined when another store comes first.
   */
  function nativeKey(headers: Headers): { key: string | null; more: boolean } | undefined {
    const keys = presentedKeys(app.stores.values(), presentedCredentials(headers));
    if (keys.length === 0) return { key: null, more: false };
    if (!native || keys[0]!.store !== native) return undefined;
    return { key: keys[0]!.key, more: keys.length > 1 };
  }

  /**
   * For a `user` root: its page's statement wrapped to print the user too (`$2` is the user's key), per page
   * statement; null when the user's fields are not printed by SQL.
   */
  const userStatements = new WeakMap<Plan, ((statement: string) => string) | null>();
  const userStatementFor = (plan: Plan) => {
    let found = userStatements.get(plan);
    if (found === undefined) {
      found = null;
      try {
        const printer = createPrinter(app.catalog);
        const body = printer.user(plan.fields, () => literal(PAGE));
        const ok = printer.ok('$1');
        const texts = new Map<string, string>();
        found = (statement) => {
          let text = texts.get(statement);
          if (text === undefined) {
            text = named(
              `SELECT p.*, ${body} AS user_body, ${ok} AS user_ok FROM (${statement}) AS p ${users.join('$2')}`,
            );
            texts.set(statement, text);
          }
          return text;
        };
      } catch (error) {
        if (!(error instanceof NotCovered)) throw error;
      }
      userStatements.set(plan, found);
    }
    return found;
  };

  /** A single session's row as the response, or null (go the general way) when it printed differently. */
  const single = (plan: Plan, row: Row | undefined) =>
    row === undefined ? response(plan, () => 'null') : row.ok ? response(plan, () => row.body) : null;

  return {
    async answer(plan, args, headers, db, now, inner) {
      if (plan.root === 'user') {
        const caller = await authenticate(db, headers.get('authorization'), now, app.tokenCache);
        if (!mayReadSessions(caller) || !mayReadUsers(caller)) return null;
        return answerUser(plan, args, inner, db, now);
      }
      const statements = statementsFor(plan);
      const sql = statements.native;
      const storeName = (args['store'] as string | undefined) ?? app.defaultStore.name;
      const route = plan.root === 'sessions' ? pageRoute(plan, statements, storeName) : null;
      if (plan.root === 'sessions' ? !route : !sql) return null;
      const caller = await authenticate(db, headers.get('authorization'), now, app.tokenCache);
      // A token that fails is answered (and audited) the general way.
      if (caller.kind === 'anonymous' && caller.failedToken) return null;

      if (plan.root === 'currentSession') {
        const presented = nativeKey(headers);
        if (!presented || !sql?.byKey) return null;
        if (presented.key === null || !isNativeKeyShape(presented.key)) {
          return presented.more ? null : single(plan, undefined);
        }
        const { rows } = await db.query<Row & { id: string; stale: boolean }>(sql.byKey, [
          hashSessionKey(presented.key),
          now,
          app.config.touchIntervalSeconds,
        ]);
        const row = rows[0];
        if (row === undefined && presented.more) return null;
        if (row?.stale) app.touches.touch(row.id, now);
        return single(plan, row);
      }

      // A browser reads other roots (its own session by id, its own user) only the general way.
      if (!mayReadSessions(caller)) return null;
      if (plan.readsUser && !mayReadUsers(caller)) return null;

      if (plan.root === 'session') {
        if (!native || !sql?.byId) return null;
        const address = decodeSessionId(String(args['id']));
        if (!address || address.store !== native.name || !isNativeRef(address.ref)) return null;
        const { rows } = await db.query<Row>(sql.byId, [address.ref, now]);
        return single(plan, rows[0]);
      }

      if (!route) return null;
      const read = await readPage<PageRow>(plan, route, storeName, pageArguments(args), db, now);
      if (read === null) return null;
      const skeleton = response(plan, read.connection);
      return skeleton === null || read.row.edges === null ? skeleton : around(skeleton, read.row.edges);
    },
  };

  /**
   * A page of `plan` (a `sessions` connection) by one statement, or null (go the general way): its row and
   * its connection printed with EDGES where the edges go. `wrap` reads more in the same statement.
   */
  async function readPage<R extends PageRow>(
    plan: Plan,
    route: { store: SessionStore; statement: PageStatement },
    storeName: string,
    args: PageArgs,
    db: Queryable,
    now: Date,
    wrap: (statement: string) => string = (statement) => statement,
  ): Promise<{ row: R; connection: () => string } | null> {
    let checked: ReturnType<typeof checkPage>;
    try {
      checked = checkPage(app.config, app.catalog, route.store, args);
    } catch {
      // An input error, which the general path words.
      return null;
    }
    // An empty page (no possible user, a size of 0) is printed the general way.
    if (checked.noUser || checked.limit === 0) return null;
    const { limit, userId } = checked;
    const after = checked.after ? keysetOf(checked.after) : null;
    const shape = { user: userId !== null, status: args.status, after: after !== null, limit: limit + 1 };
    const params: unknown[] = [now];
    if (userId !== null) params.push(userId);
    if (after) params.push(after[0], after[1]);
    const statement = route.statement(shape);
    if (statement === null || declines.resting(storeName, now)) return null;
    const { rows } = await db.query<R>(wrap(statement), params);
    const row = rows[0];
    if (!row?.ok) {
      declines.declined(storeName, now);
      return null;
    }
    declines.answered(storeName);
    const cursor = (at: string | null, id: string | null) =>
      at === null || id === null ? null : encodeCursor(storeName, [at, id]);
    return {
      row,
      connection: () =>
        connection(
          plan.fields,
          () => (row.edges === null ? [] : [EDGES]),
          () => ({
            hasNextPage: row.fetched > limit,
            hasPreviousPage: after !== null,
            startCursor: cursor(row.first_at, row.first_id),
            endCursor: cursor(row.last_at, row.last_id),
          }),
        ),
    };
  }

  /**
   * `user(id) { … sessions { … } }`: the user's page read as `sessions(userId:)` is, with the user's own
   * object printed by the same statement around PAGE, where the page goes.
   */
  async function answerUser(
    plan: Plan,
    args: Record<string, unknown>,
    inner: Record<string, unknown> | undefined,
    db: Queryable,
    now: Date,
  ): Promise<ResponseBody | null> {
    const nested = plan.sessions;
    if (!nested || !inner) return null;
    const userSql = userStatementFor(plan);
    if (!userSql) return null;
    const key = clientUserKey(app.catalog, userKeyFromInput(String(args['id'])));
    if (key === null) return null;
    const storeName = (inner['store'] as string | undefined) ?? app.defaultStore.name;
    const route = pageRoute(nested, statementsFor(nested), storeName);
    if (!route) return null;
    const read = await readPage<PageRow & { user_body: string; user_ok: boolean }>(
      nested,
      route,
      storeName,
      { ...pageArguments(inner), userId: key },
      db,
      now,
      userSql,
    );
    // A missing user is printed the general way.
    if (read === null || !read.row.user_ok || read.row.user_body === 'null') return null;
    const { row } = read;
    const skeleton = response(plan, () => row.user_body.replace(PAGE, read.connection));
    return skeleton === null || row.edges === null ? skeleton : around(skeleton, row.edges);
  }
}

/** What a page is asked for with. */
type PageArgs = {
  first: number | null;
  after: string | null;
  userId: string | null;
  status: ProjectedPageShape['status'];
};

const pageArguments = (args: Record<string, unknown>): PageArgs => ({
  first: (args['first'] as number | undefined) ?? null,
  after: args['after'] === undefined || args['after'] === null ? null : String(args['after']),
  userId: args['userId'] === undefined || args['userId'] === null ? null : String(args['userId']),
  status: (args['status'] as ProjectedPageShape['status'] | undefined) ?? null,
});
