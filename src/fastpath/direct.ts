import type { IncomingMessage } from 'node:http';
import { parse as parseCookieHeader } from 'cookie';
import type { App } from '../app.ts';
import { checkToken } from '../auth/tokens.ts';
import type { Queryable } from '../db/pool.ts';
import { decodeCursor, encodeSessionId } from '../sessions/ids.ts';
import { hashSessionKey, isNativeKeyShape } from '../sessions/keys.ts';
import { clientUserKey, pageSize } from '../sessions/service.ts';
import { keysetOf } from '../stores/cursor.ts';
import type { PageShape } from '../stores/native.sql.ts';
import type { SessionStore } from '../stores/types.ts';
import { createUserJoin } from '../users/users.sql.ts';
import type { FieldPlan, Plan } from './compile.ts';
import { createNativeJsonStatements, type NativeJsonStatements } from './native.sql.ts';

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
    req: IncomingMessage,
    db: Queryable,
    now: Date,
  ): Promise<string | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_KEY_LENGTH = 512;
const MAX_COOKIE_HEADER = 8192;
const MAX_PAGE_SHAPES = 64;

type Row = { body: string; ok: boolean };
type PageRow = Row & { cursor: string };

const header = (req: IncomingMessage, name: string): string | null => {
  const value = req.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

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
  const sessionIdPrefix = `Session:${native.name}:`;
  // Page statements by plan and shape: a handful per plan in practice (page sizes clients use), bounded.
  const pages = new WeakMap<Plan, Map<string, string>>();
  const pageText = (plan: Plan, build: (shape: PageShape) => string, shape: PageShape) => {
    let texts = pages.get(plan);
    if (!texts) {
      texts = new Map();
      pages.set(plan, texts);
    }
    const key = `${shape.user}|${shape.status}|${shape.after}|${shape.limit}`;
    let text = texts.get(key);
    if (text === undefined) {
      if (texts.size >= MAX_PAGE_SHAPES) texts.clear();
      text = build(shape);
      texts.set(key, text);
    }
    return text;
  };

  /** The scopes of the caller's token; null without a token; undefined: a token that fails (audited elsewhere). */
  async function scopesOf(req: IncomingMessage, db: Queryable, now: Date) {
    const authorization = header(req, 'authorization');
    if (authorization === null) return null;
    const check = await checkToken(db, authorization, now, app.tokenCache);
    return check.ok ? check.scopes : undefined;
  }

  /** The key the caller presents for the native store, if the native store is the first one presented. */
  function presentedKey(req: IncomingMessage): { key: string | null; more: boolean } | undefined {
    const fromHeader = header(req, 'x-session-key');
    const sessionHeader = fromHeader && fromHeader.length <= MAX_KEY_LENGTH ? fromHeader : null;
    const cookieHeader = header(req, 'cookie');
    const cookies =
      sessionHeader === null && cookieHeader && cookieHeader.length <= MAX_COOKIE_HEADER
        ? parseCookieHeader(cookieHeader)
        : {};
    const presented: SessionStore[] = [];
    for (const store of app.stores.values())
      if (sessionHeader ?? cookies[store.cookieName]) presented.push(store);
    if (presented.length === 0) return { key: null, more: false };
    if (presented[0] !== native) return undefined;
    return { key: sessionHeader ?? cookies[native.cookieName] ?? null, more: presented.length > 1 };
  }

  const envelope = (plan: Plan, body: string) => `{"data":{${JSON.stringify(plan.key)}:${body}}}`;

  function pageJson(fields: readonly FieldPlan[], rows: PageRow[], limit: number, hasPrevious: boolean) {
    const edges = rows.slice(0, limit);
    const pageInfo: Record<string, string> = {
      hasNextPage: String(rows.length > limit),
      hasPreviousPage: String(hasPrevious),
      startCursor: JSON.stringify(edges[0]?.cursor ?? null),
      endCursor: JSON.stringify(edges.at(-1)?.cursor ?? null),
    };
    const parts = fields.map((field) => {
      let value: string;
      if (field.field === '__typename') value = JSON.stringify(field.kind === 'leaf' ? field.typename : null);
      else if (field.field === 'edges') value = `[${edges.map((row) => row.body).join(',')}]`;
      else if (field.kind === 'object') {
        value = `{${field.fields
          .map(
            (inner) =>
              `${JSON.stringify(inner.key)}:${
                inner.field === '__typename' && inner.kind === 'leaf'
                  ? JSON.stringify(inner.typename)
                  : pageInfo[inner.field]
              }`,
          )
          .join(',')}}`;
      } else return null;
      return `${JSON.stringify(field.key)}:${value}`;
    });
    return parts.includes(null) ? null : `{${parts.join(',')}}`;
  }

  return {
    async answer(plan, args, req, db, now) {
      const sql = statementsFor(plan);
      if (!sql) return null;
      const scopes = await scopesOf(req, db, now);
      if (scopes === undefined) return null;

      if (plan.root === 'currentSession') {
        const presented = presentedKey(req);
        if (!presented || !sql.byKey) return null;
        if (presented.key === null || !isNativeKeyShape(presented.key)) {
          return presented.more ? null : envelope(plan, 'null');
        }
        const { rows } = await db.query<Row>(sql.byKey, [
          hashSessionKey(presented.key),
          now,
          app.config.touchIntervalSeconds,
        ]);
        const row = rows[0];
        if (!row) return presented.more ? null : envelope(plan, 'null');
        return row.ok ? envelope(plan, row.body) : null;
      }

      // The other roots need sessions:read, and a user needs users:read (a browser sees only its own).
      if (scopes?.has('sessions:read') !== true) return null;
      if (plan.readsUser && scopes.has('users:read') !== true) return null;

      if (plan.root === 'session') {
        if (!sql.byId) return null;
        const id = String(args['id']);
        const decoded = Buffer.from(id, 'base64').toString('utf8');
        if (!decoded.startsWith(sessionIdPrefix)) return null;
        const ref = decoded.slice(sessionIdPrefix.length);
        if (!UUID.test(ref) || encodeSessionId({ store: native.name, ref }) !== id) return null;
        const { rows } = await db.query<Row>(sql.byId, [ref, now]);
        const row = rows[0];
        if (!row) return envelope(plan, 'null');
        return row.ok ? envelope(plan, row.body) : null;
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
      const { rows } = await db.query<PageRow>(pageText(plan, sql.page, shape), params);
      if (!rows.every((row) => row.ok)) return null;
      const body = pageJson(plan.fields, rows, limit, after !== null);
      return body === null ? null : envelope(plan, body);
    },
  };
}
