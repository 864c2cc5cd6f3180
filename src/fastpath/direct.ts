import type { App } from '../app.ts';
import { checkToken } from '../auth/tokens.ts';
import type { Queryable } from '../db/pool.ts';
import { decodeCursor, decodeSessionId, encodeCursor } from '../sessions/ids.ts';
import { hashSessionKey, isNativeKeyShape } from '../sessions/keys.ts';
import { presentedCredentials, presentedKey } from '../sessions/presented.ts';
import { clientUserKey, pageSize } from '../sessions/service.ts';
import { keysetOf } from '../stores/cursor.ts';
import { isNativeRef } from '../stores/native.ts';
import type { PageShape } from '../stores/native.sql.ts';
import type { SessionStore } from '../stores/types.ts';
import { createUserJoin } from '../users/users.sql.ts';
import type { Plan } from './compile.ts';
import { connection, response } from './json-text.ts';
import { createNativeJsonStatements, type NativeJsonStatements, type PageRow } from './native.sql.ts';

/**
 * The compiled path's shortest route: a plan over the native store is answered by one statement whose
 * result is already the response's JSON (src/fastpath/native.sql.ts), with the caller checked the way the
 * resolvers check it. It answers only the plain case — a caller allowed everything the plan reads, an
 * argument that names a native session or page, every value printable — and returns null for anything
 * else, having written nothing, so the request goes on to the general compiled path (and from there to
 * Yoga), which gives the proper answer or error.
 */

export interface DirectPath {
  /** The whole response body, or null: not answered here. */
  answer(
    plan: Plan,
    args: Record<string, unknown>,
    headers: Headers,
    db: Queryable,
    now: Date,
  ): Promise<string | null>;
}

/** The request's headers, as the gate and the context read them. */
type Headers = { get(name: string): string | null };

type Row = { body: string; ok: boolean };

export function createDirectPath(app: App): DirectPath | null {
  const found = [...app.stores.values()].find((store) => store.kind === 'native');
  if (!found) return null;
  const native: SessionStore = found;
  const users = createUserJoin(app.catalog);
  const statements = new WeakMap<Plan, NativeJsonStatements | null>();
  const statementsFor = (plan: Plan) => {
    let found = statements.get(plan);
    if (found === undefined) {
      found = createNativeJsonStatements(plan, native.name, app.catalog, users);
      statements.set(plan, found);
    }
    return found;
  };

  /** The scopes of the caller's token; null without a token; undefined: a token that fails (audited elsewhere). */
  async function scopesOf(headers: Headers, db: Queryable, now: Date) {
    const authorization = headers.get('authorization');
    if (authorization === null) return null;
    const check = await checkToken(db, authorization, now, app.tokenCache);
    return check.ok ? check.scopes : undefined;
  }

  /**
   * The key presented to the native store, when it is the first store `currentSession` would ask
   * (`more`: other stores would be asked after it); undefined when another store comes first.
   */
  function nativeKey(headers: Headers): { key: string | null; more: boolean } | undefined {
    const presented = presentedCredentials(headers);
    const stores = [...app.stores.values()].filter((store) => presentedKey(presented, store));
    if (stores.length === 0) return { key: null, more: false };
    if (stores[0] !== native) return undefined;
    return { key: presentedKey(presented, native) ?? null, more: stores.length > 1 };
  }

  /** A single session's row as the response, or null (go the general way) when it printed differently. */
  const single = (plan: Plan, row: Row | undefined) =>
    row === undefined ? response(plan, () => 'null') : row.ok ? response(plan, () => row.body) : null;

  return {
    async answer(plan, args, headers, db, now) {
      const sql = statementsFor(plan);
      if (!sql) return null;
      const scopes = await scopesOf(headers, db, now);
      if (scopes === undefined) return null;

      if (plan.root === 'currentSession') {
        const presented = nativeKey(headers);
        if (!presented || !sql.byKey) return null;
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

      // The other roots need sessions:read, and a user needs users:read (a browser sees only its own).
      if (scopes?.has('sessions:read') !== true) return null;
      if (plan.readsUser && scopes.has('users:read') !== true) return null;

      if (plan.root === 'session') {
        if (!sql.byId) return null;
        const address = decodeSessionId(String(args['id']));
        if (!address || address.store !== native.name || !isNativeRef(address.ref)) return null;
        const { rows } = await db.query<Row>(sql.byId, [address.ref, now]);
        return single(plan, rows[0]);
      }

      if (!sql.page) return null;
      if (((args['store'] as string | undefined) ?? app.defaultStore.name) !== native.name) return null;
      const status = (args['status'] as string | undefined) ?? null;
      if (status === 'INVALID') return null;
      const first = (args['first'] as number | undefined) ?? null;
      // Out of bounds is an input error, which the general path words.
      if (first !== null && (first <= 0 || first > app.config.maxPageSize)) return null;
      const limit = pageSize(app, first);
      let after: [Date, string] | null = null;
      if (args['after'] !== undefined && args['after'] !== null) {
        const cursor = decodeCursor(String(args['after']));
        if (!cursor || cursor.store !== native.name || !native.isCursor(cursor.position)) return null;
        after = keysetOf(cursor.position as string[]);
      }
      let userId: string | null = null;
      if (args['userId'] !== undefined && args['userId'] !== null) {
        userId = clientUserKey(app, String(args['userId']));
        if (userId === null) return null;
      }
      const shape = {
        user: userId !== null,
        status: status as PageShape['status'],
        after: after !== null,
        limit: limit + 1,
      };
      const params: unknown[] = [now];
      if (userId !== null) params.push(userId);
      if (after) params.push(after[0], after[1]);
      const { rows } = await db.query<PageRow>(sql.page(shape), params);
      const page = rows[0];
      if (!page?.ok) return null;
      const cursor = (at: string | null, id: string | null) =>
        at === null || id === null ? null : encodeCursor(native.name, [at, id]);
      return response(plan, () =>
        connection(plan.fields, () => (page.edges === null ? [] : [page.edges]), {
          hasNextPage: page.fetched > limit,
          hasPreviousPage: after !== null,
          startCursor: cursor(page.first_at, page.first_id),
          endCursor: cursor(page.last_at, page.last_id),
        }),
      );
    },
  };
}
