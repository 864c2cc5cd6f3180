import { initContextCache } from '@pothos/core';
import DataLoader from 'dataloader';
import type { App } from './app.ts';
import { CountingDb, type Queryable, RequestDb } from './db/pool.ts';
import { recordAudit } from './auth/audit.sql.ts';
import type { Caller } from './auth/caller.ts';
import { authenticate } from './auth/rules.ts';
import { parseSessionNodeId } from './sessions/ids.ts';
import { BadHeaderError } from './errors/domain.ts';
import type { Logger } from './log.ts';
import type { RequestScope } from './ops/request-scope.ts';
import { type IdempotencyScope, parseIdempotencyKey } from './sessions/idempotency.ts';
import type { SessionScope } from './sessions/scope.ts';
import { currentSession } from './sessions/service.ts';
import { presentedCredentials, presentedKey } from './sessions/presented.ts';
import type { SessionRecord } from './stores/types.ts';

/**
 * Per-request state: the clock reading every status is computed against, the database handle that counts
 * statements, the presented session credentials, and the request's loaders.
 */
export interface Context extends SessionScope {
  app: App;
  /** Whether a browser session was presented and found (known once `viewerSession` has answered). */
  viewerFound: boolean;
  /** The client address, for the audit log and rate limits (null when unknown). */
  clientIp: string | null;
  db: RequestDb;
  /** The app's logger with this request's `reqId` on every line. */
  log: Logger;
  /** The request's id, operation and statement count (when it came through the HTTP front). */
  scope: RequestScope | undefined;
  /** Other per-request loaders, made on first use by `requestLoader`. */
  loaders: Map<string, DataLoader<string, unknown>>;
  /**
   * Who presents this request's credentials now, and its own live session now: asked again by what outlives
   * the moment the request came (a subscription), since a token may be revoked or expire and a session end or
   * get a new key meanwhile.
   */
  callerNow(ask: { viewer: boolean }): Promise<{ caller: Caller; viewer: SessionRecord | null }>;
}

/** The request's loader named `name`, made with `batch` on first use. */
export function requestLoader<V>(
  ctx: Context,
  name: string,
  batch: (keys: readonly string[]) => Promise<(V | Error)[]>,
): DataLoader<string, V> {
  let loader = ctx.loaders.get(name) as DataLoader<string, V> | undefined;
  if (!loader) {
    loader = new DataLoader<string, V>(batch);
    ctx.loaders.set(name, loader as DataLoader<string, unknown>);
  }
  return loader;
}

function createSessionLoader(app: App, db: RequestDb, now: Date, withUser: boolean) {
  return new DataLoader<string, SessionRecord | null>(async (nodeIds) => {
    const byStore = new Map<string, string[]>();
    for (const nodeId of nodeIds) {
      const address = parseSessionNodeId(nodeId);
      if (!address || !app.stores.has(address.store)) continue;
      const refs = byStore.get(address.store) ?? [];
      refs.push(address.ref);
      byStore.set(address.store, refs);
    }
    const found = new Map<string, SessionRecord>();
    await Promise.all(
      [...byStore].map(async ([storeName, refs]) => {
        const records = await app.stores.get(storeName)!.findByRefs(db, refs, now, { withUser });
        for (const record of records) if (record) found.set(`${record.store}:${record.ref}`, record);
      }),
    );
    return nodeIds.map((nodeId) => found.get(nodeId) ?? null);
  });
}

/** The caller (src/auth/rules.ts), with a refused token recorded in the audit log. */
async function resolveCaller(
  app: App,
  db: RequestDb,
  request: Request,
  now: Date,
  log: () => Logger,
): Promise<Caller> {
  const caller = await authenticate(db, request.headers.get('authorization'), now, app.tokenCache);
  if (caller.kind === 'anonymous' && caller.failedToken) {
    await recordAudit(db, {
      actor: 'anonymous',
      action: 'authenticate',
      outcome: `refused:${caller.failedToken}`,
      detail: null,
    }).catch((error: unknown) => log().error({ err: error }, 'audit write failed'));
  }
  return caller;
}

/** The request's database handle, counting its statements for the request scope and the app's listener. */
export const requestDb = (app: App, scope: RequestScope | undefined) =>
  new RequestDb(app.pool, (text) => {
    if (scope) scope.statements += 1;
    app.onStatement?.(text);
  });

/** One-statement reads outside any transaction (the compiled path's), counted like requestDb's. */
export const requestReads = (app: App, scope: RequestScope | undefined): Queryable =>
  new CountingDb(app.reads ?? app.pool, (text) => {
    if (scope) scope.statements += 1;
    app.onStatement?.(text);
  });

export async function createContext(
  app: App,
  request: Request,
  clientIp: string | null = null,
  lookahead: { withUsers?: boolean; scope?: RequestScope } = {},
): Promise<Context> {
  const scope = lookahead.scope;
  const db = requestDb(app, scope);
  const now = app.clock();
  // A child logger costs more than most requests ever log: made on first use.
  let child: Logger | null = scope ? null : app.logger;
  const log = () => {
    child ??= app.logger.child({ reqId: scope!.requestId });
    return child;
  };
  const caller = await resolveCaller(app, db, request, now, log);
  const presented = presentedCredentials(request.headers);
  const presentsSession = [...app.stores.values()].some((store) => presentedKey(presented, store));
  let viewer: Promise<SessionRecord | null> | null = null;
  const idempotencyKey = parseIdempotencyKey(request.headers.get('idempotency-key'));
  let idempotency: IdempotencyScope | null = null;
  const context: Context = {
    ...initContextCache(),
    app,
    stores: app.stores,
    defaultStore: app.defaultStore,
    config: app.config,
    catalog: app.catalog,
    users: app.users,
    caller,
    clientIp,
    viewerFound: false,
    viewerSession: () => {
      viewer ??= currentSession(context).then((session) => {
        context.viewerFound = session !== null;
        return session;
      });
      return viewer;
    },
    db,
    now,
    presented,
    sessionLoader: createSessionLoader(app, db, now, lookahead.withUsers === true),
    withUsers: lookahead.withUsers === true,
    get log() {
      return log();
    },
    scope,
    idempotency: async () => {
      if (idempotencyKey === null) return null;
      if (idempotencyKey instanceof Error)
        throw new BadHeaderError('Idempotency-Key', idempotencyKey.message);
      // Scoped to who asks: a token, else the browser's session (two browsers may pick the same key).
      idempotency ??= {
        key: idempotencyKey,
        caller:
          caller.kind === 'token'
            ? `token:${caller.tokenId}`
            : `browser:${(await context.viewerSession())?.ref ?? 'none'}`,
        steps: 0,
      };
      return idempotency;
    },
    userSessionLoaders: new Map(),
    loaders: new Map(),
    callerNow: async (ask) => {
      const at = app.clock();
      const callerAt = await authenticate(db, request.headers.get('authorization'), at, app.tokenCache);
      const viewerAt =
        ask.viewer && presentsSession
          ? await currentSession({ ...context, now: at, withUsers: false })
          : null;
      return { caller: callerAt, viewer: viewerAt };
    },
  };
  // A browser (no token) that presents a session is looked up now, once: refusals can then tell a
  // browser that is signed in (FORBIDDEN) from one that is not (UNAUTHENTICATED).
  if (caller.kind === 'anonymous' && presentsSession) await context.viewerSession();
  return context;
}
