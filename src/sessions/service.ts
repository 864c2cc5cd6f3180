import DataLoader from 'dataloader';
import { checkPage, clientUserKey, presentedKeys } from '../auth/rules.ts';
import type { JsonObject } from '../codecs/result.ts';
import type { Queryable } from '../db/pool.ts';
import {
  BadArgumentError,
  ForbiddenError,
  InvalidInputError,
  SessionNotFoundError,
  StoreNotFoundError,
  UserNotFoundError,
  VersionConflictError,
} from '../errors/domain.ts';
import type { SessionRecord, SessionStatus, SessionStore, UpdateOutcome } from '../stores/types.ts';
import type { UserRow } from '../users/users.sql.ts';
import { assertStorable, type DataPatch, validatePatch } from './data.ts';
import { type ExpiryInput, parseExpiryChange, resolveExpiry } from './expiry.ts';
import { checkFacts, type FactFilter, isIpAddress } from './facts.ts';
import type { WhereCondition } from './fields.ts';
import { checkReferences } from './references.ts';
import { isDeadlock } from '../db/faults.ts';
import { idempotentStep, type WrittenRowResult } from './idempotency.ts';
import { decodeSessionId, encodeCursor, encodeSessionId, type SessionAddress } from './ids.ts';
import type { SessionScope } from './scope.ts';

/**
 * What the GraphQL resolvers and the compiled read path ask for, in terms of stores: lists with keyset
 * cursors, the caller's own session, and the mutations, each one transaction. It works on a `SessionScope`
 * (never the GraphQL context) and throws domain errors; the read rules it applies are src/auth/rules.ts's.
 */

export function storeNamed(scope: SessionScope, name: string | null | undefined): SessionStore {
  if (name === null || name === undefined) return scope.defaultStore;
  const store = scope.stores.get(name);
  if (!store) throw new StoreNotFoundError(name);
  return store;
}

const dataLimits = (scope: SessionScope) => ({ maxBytes: scope.config.maxDataBytes, maxDepth: 32 });

/**
 * Users by the ids clients and sessions hold, in one statement, in the order asked. Ids that cannot be keys
 * of the users table (a blob's "abc" for an integer key) are null users, never part of the batch: one bad
 * id must not fail every session's user on a page.
 */
export async function usersByClientIds(
  ctx: SessionScope,
  ids: readonly string[],
): Promise<(UserRow | null)[]> {
  const keys = ids.map((id) => clientUserKey(ctx.catalog, id));
  const valid = [...new Set(keys.filter((key): key is string => key !== null))];
  const rows = valid.length > 0 ? await ctx.users.usersByIds(ctx.db, valid) : [];
  const byKey = new Map(rows.filter((row): row is UserRow => row !== null).map((row) => [row.__key, row]));
  return keys.map((key) => (key === null ? null : (byKey.get(key) ?? null)));
}

export interface SessionEdge {
  cursor: string;
  node: SessionRecord;
}

export interface SessionPage {
  /** `totalCount` / `estimatedCount`, computed only when a client asks for them. */
  count: (estimate: boolean) => Promise<number>;
  edges: SessionEdge[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const noCount = async () => 0;

/** An edge whose cursor is printed when first asked for: most reads never select it. */
class LazyCursorEdge implements SessionEdge {
  #cursor: string | undefined;
  constructor(readonly node: SessionRecord) {}
  get cursor(): string {
    this.#cursor ??= encodeCursor(this.node.store, this.node.cursor);
    return this.#cursor;
  }
}

export function toPage(
  records: SessionRecord[] & { cutShort?: boolean },
  limit: number,
  hasPrevious: boolean,
  count: (estimate: boolean) => Promise<number> = noCount,
): SessionPage {
  const edges = records.slice(0, limit).map((node) => new LazyCursorEdge(node));
  return {
    count,
    edges,
    pageInfo: {
      // A page cut short at its byte budget (src/stores/blob-store.ts) has more after it.
      hasNextPage: records.length > limit || records.cutShort === true,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

export interface ListArgs {
  store?: string | null;
  where?: readonly WhereCondition[];
  userId?: string | null;
  status?: SessionStatus | null;
  first?: number | null;
  after?: string | null;
  facts?: FactFilter;
  /** The caller reads only the page's counts: its sessions are not read (the arguments are still checked). */
  countsOnly?: boolean;
}

export async function listSessions(ctx: SessionScope, args: ListArgs): Promise<SessionPage> {
  const store = ctx.stores.get(args.store ?? ctx.defaultStore.name);
  if (!store) throw new BadArgumentError('store', `no store is named "${args.store}"`);
  const facts = checkFacts(args.facts, store);
  // No stored value holds NUL in text PostgreSQL compares (jsonb cannot), and the statement would fail on it.
  for (const { field, value } of args.where ?? []) {
    if (typeof value === 'string' && value.includes('\u0000')) {
      throw new BadArgumentError('where', `\`where.${field.name}\` must not contain NUL characters`);
    }
  }
  const { limit, after, userId, noUser } = checkPage(ctx.config, ctx.catalog, store, args);
  if (noUser) return toPage([], limit, after !== null);
  const filter = { userId, status: args.status ?? null, now: ctx.now, where: args.where ?? [], facts };
  const count = (estimate: boolean) => store.count(ctx.db, filter, estimate);
  if (limit === 0 || args.countsOnly) return toPage([], 0, after !== null, count);
  const records = await store.list(ctx.db, { ...filter, limit: limit + 1, after, withUser: ctx.withUsers });
  return toPage(records, limit, after !== null, count);
}

/** The caller's own live session: the `X-Session-Key` header first, then each store's cookie. */
export async function currentSession(ctx: SessionScope): Promise<SessionRecord | null> {
  for (const { store, key } of presentedKeys(ctx.stores.values(), ctx.presented)) {
    const record = await store.findByKey(ctx.db, key, ctx.now, ctx.config.touchIntervalSeconds, {
      withUser: ctx.withUsers,
    });
    // A session the framework has logged out (Django, Symfony, Laravel after a password change) is not the
    // browser's to act as.
    if (record && record.status === 'ACTIVE' && ((await store.servesAsUser?.(ctx.db, record)) ?? true)) {
      return record;
    }
  }
  return null;
}

function addressOf(ctx: SessionScope, sessionId: string): { address: SessionAddress; store: SessionStore } {
  const address = decodeSessionId(sessionId);
  const store = address ? ctx.stores.get(address.store) : undefined;
  if (!address || !store) throw new SessionNotFoundError(sessionId);
  return { address, store };
}

function forget(ctx: SessionScope, address: SessionAddress) {
  ctx.sessionLoader.clear(`${address.store}:${address.ref}`);
}

export interface CreateSessionArgs extends Omit<ExpiryInput, 'extendBySeconds'> {
  store?: string | null;
  userId?: string | null;
  data?: JsonObject | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Retries of a keyed mutation rolled back to end a deadlock (see mutate). */
const MAX_DEADLOCK_RETRIES = 3;

/**
 * A mutation's transaction; with an Idempotency-Key, also its claim on the key (src/sessions/idempotency.ts),
 * so a retried request returns the first result instead of repeating the work.
 */
async function mutate<T>(
  ctx: SessionScope,
  operation: string,
  input: unknown,
  work: (tx: Queryable) => Promise<T>,
  fromWrittenRow?: WrittenRowResult<T>,
): Promise<T> {
  const scope = await ctx.idempotency();
  if (!scope) return ctx.db.transaction(work);
  const steps = scope.steps;
  const attempt = () =>
    ctx.db.transaction((tx) => idempotentStep(tx, scope, operation, input, () => work(tx), fromWrittenRow));
  for (let retries = 0; ; retries++) {
    try {
      return await attempt();
    } catch (error) {
      // A compiled update under the same key takes the session's row before the key, this way the key before
      // the row: PostgreSQL ends that deadlock by rolling one back, and if it was this one, nothing of it was
      // kept, so it runs again as the same step. Several compiled requests racing under one key can do that
      // to it more than once.
      if (!isDeadlock(error) || retries >= MAX_DEADLOCK_RETRIES) throw error;
      scope.steps = steps;
    }
  }
}

export async function createSession(ctx: SessionScope, input: CreateSessionArgs) {
  const store = storeNamed(ctx, input.store);
  const expiry = parseExpiryChange(input) ?? { kind: 'ttl', seconds: store.defaultTtlSeconds };
  const expiresAt = resolveExpiry(expiry, ctx.now, null, ctx.config.maxTtlSeconds);
  const data = input.data ?? {};
  assertStorable(data, dataLimits(ctx));
  let userId: string | null = null;
  if (input.userId !== null && input.userId !== undefined) {
    userId = clientUserKey(ctx.catalog, input.userId);
    if (userId === null) throw new UserNotFoundError(input.userId);
  }
  if (input.ip && !isIpAddress(input.ip)) {
    throw new InvalidInputError('ip', '`ip` must be an IPv4 or IPv6 address');
  }
  if (input.userAgent && input.userAgent.length > 1024) {
    throw new InvalidInputError('userAgent', '`userAgent` must be at most 1024 characters');
  }
  if (input.userAgent?.includes('\u0000')) {
    throw new InvalidInputError('userAgent', '`userAgent` must not contain NUL characters');
  }
  const created = await mutate(ctx, 'createSession', input, async (tx) => {
    await checkReferences(tx, ctx.config.fields, data);
    return store.create(
      tx,
      { userId, data, expiresAt, ip: input.ip ?? null, userAgent: input.userAgent ?? null },
      ctx.now,
    );
  });
  ctx.sessionLoader.prime(`${created.record.store}:${created.record.ref}`, created.record);
  return { session: created.record, sessionKey: created.key };
}

export interface UpdateSessionArgs extends ExpiryInput, DataPatch {
  id: string;
  expectedVersion?: number | null;
}

export async function updateSession(ctx: SessionScope, input: UpdateSessionArgs) {
  const { address, store } = addressOf(ctx, input.id);
  const patch: DataPatch = { set: input.set, unset: input.unset, replace: input.replace };
  validatePatch(patch);
  if (patch.set) assertStorable(patch.set, dataLimits(ctx), 'set');
  if (patch.replace) assertStorable(patch.replace, dataLimits(ctx), 'replace');
  const expiry = parseExpiryChange(input);
  const written = (cells: readonly (string | null)[]): UpdateOutcome | null => {
    const record = store.writtenRecord?.(cells) ?? null;
    return record && { kind: 'updated', record };
  };
  const outcome = await mutate(
    ctx,
    'updateSession',
    input,
    async (tx) => {
      await checkReferences(tx, ctx.config.fields, patch.replace ?? patch.set);
      return store.update(
        tx,
        address.ref,
        { patch, expiry, expectedVersion: input.expectedVersion ?? null },
        ctx.now,
        { maxTtlSeconds: ctx.config.maxTtlSeconds, maxDataBytes: ctx.config.maxDataBytes },
      );
    },
    written,
  );
  forget(ctx, address);
  if (outcome.kind === 'missing') throw new SessionNotFoundError(input.id);
  if (outcome.kind === 'conflict') {
    throw new VersionConflictError(input.id, input.expectedVersion!, outcome.actualVersion);
  }
  ctx.sessionLoader.prime(`${address.store}:${address.ref}`, outcome.record);
  return { session: outcome.record };
}

export async function endSession(ctx: SessionScope, sessionId: string) {
  const { address, store } = addressOf(ctx, sessionId);
  const ended = await mutate(ctx, 'endSession', sessionId, (tx) => store.end(tx, address.ref));
  forget(ctx, address);
  if (!ended) throw new SessionNotFoundError(sessionId);
  return { endedSessionId: sessionId };
}

export interface EndUserSessionsArgs {
  userId: string;
  store?: string | null;
  keepSessionId?: string | null;
}

export async function endUserSessions(ctx: SessionScope, input: EndUserSessionsArgs) {
  const userId = clientUserKey(ctx.catalog, input.userId);
  if (userId === null) throw new UserNotFoundError(input.userId);
  const stores = input.store ? [storeNamed(ctx, input.store)] : [...ctx.stores.values()];
  let keep: SessionAddress | null = null;
  if (input.keepSessionId) {
    keep = decodeSessionId(input.keepSessionId);
    if (!keep || !ctx.stores.has(keep.store)) {
      throw new InvalidInputError('keepSessionId', '`keepSessionId` is not a session id');
    }
  }
  const count = await mutate(ctx, 'endUserSessions', input, async (tx) => {
    let total = 0;
    for (const store of stores) {
      total += await store.endUserSessions(tx, userId, keep?.store === store.name ? keep.ref : null);
    }
    return total;
  });
  ctx.sessionLoader.clearAll();
  return { userId: input.userId, count };
}

export { encodeSessionId };

/** One loader per (store, status, page size) in a request: every user of a page in one statement. */
export function userSessionsLoader(
  ctx: SessionScope,
  store: SessionStore,
  status: SessionStatus | null,
  limit: number,
) {
  const cacheKey = `${store.name}|${status ?? ''}|${limit}`;
  let loader = ctx.userSessionLoaders.get(cacheKey);
  if (!loader) {
    loader = new DataLoader<string, SessionRecord[]>(async (userIds) => {
      const byUser = await store.listForUsers(ctx.db, userIds, { status, limit, now: ctx.now });
      return userIds.map((userId) => byUser.get(userId) ?? []);
    });
    ctx.userSessionLoaders.set(cacheKey, loader);
  }
  return loader;
}

export async function rotateSessionKey(ctx: SessionScope, sessionId: string) {
  const { address, store } = addressOf(ctx, sessionId);
  const rotated = await mutate(ctx, 'rotateSessionKey', sessionId, (tx) =>
    store.rotate(tx, address.ref, ctx.now),
  );
  forget(ctx, address);
  if (!rotated) throw new SessionNotFoundError(sessionId);
  return { session: rotated.record, sessionKey: rotated.key, previousSessionId: sessionId };
}

/** The browser's own session, or a typed refusal: every browser mutation starts here. */
async function viewerOrForbidden(ctx: SessionScope, operation: string): Promise<SessionRecord> {
  const viewer = await ctx.viewerSession();
  if (!viewer) throw new ForbiddenError(operation);
  return viewer;
}

export async function endCurrentSession(ctx: SessionScope) {
  const viewer = await viewerOrForbidden(ctx, 'endCurrentSession');
  const store = ctx.stores.get(viewer.store)!;
  await mutate(ctx, 'endCurrentSession', viewer.ref, (tx) => store.end(tx, viewer.ref));
  forget(ctx, viewer);
  return { endedSessionId: encodeSessionId(viewer) };
}

/** Ends every other session of the browser's user, in every store; the current one stays. */
export async function endOtherSessions(ctx: SessionScope) {
  const viewer = await viewerOrForbidden(ctx, 'endOtherSessions');
  if (viewer.userId === null) return { userId: null, count: 0 };
  const userId = viewer.userId;
  const count = await mutate(ctx, 'endOtherSessions', viewer.ref, async (tx) => {
    let total = 0;
    for (const store of ctx.stores.values()) {
      total += await store.endUserSessions(tx, userId, store.name === viewer.store ? viewer.ref : null);
    }
    return total;
  });
  ctx.sessionLoader.clearAll();
  return { userId, count };
}

/** A browser changes its own session, only the keys the deployment lets clients write. */
export async function updateCurrentSession(ctx: SessionScope, input: DataPatch) {
  const viewer = await viewerOrForbidden(ctx, 'updateCurrentSession');
  const writable = new Set(ctx.config.clientWritableKeys);
  for (const key of [...Object.keys(input.set ?? {}), ...(input.unset ?? [])]) {
    if (!writable.has(key)) {
      throw new InvalidInputError('set', `"${key}" is not a key clients may write`);
    }
  }
  return updateSession(ctx, { id: encodeSessionId(viewer), set: input.set, unset: input.unset });
}
