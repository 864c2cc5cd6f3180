import type { Queryable } from '../db/pool.ts';
import { BadArgumentError } from '../errors/domain.ts';
import { decodeCursor } from '../sessions/ids.ts';
import { type Presented, presentedKey } from '../sessions/presented.ts';
import type { SessionRecord, SessionStore } from '../stores/types.ts';
import { parseUserKey, type UsersCatalog } from '../users/catalog.ts';
import type { Caller } from './caller.ts';
import type { TokenCache } from './token-cache.ts';
import { checkToken } from './tokens.ts';

/**
 * The read rules, once: who the caller is, what it may read, which session `currentSession` is, and whether
 * a page's arguments hold. The resolvers (through the scope-auth plugin and the session service), the compiled
 * read path (src/fastpath/) and `/metrics` all ask here, so a change to a rule is one change.
 */

/** Who presents `authorization`: a token that checks out, or anonymous (saying why a token did not). */
export async function authenticate(
  db: Queryable,
  authorization: string | null,
  now: Date,
  tokenCache: TokenCache | null,
): Promise<Caller> {
  if (authorization === null) return { kind: 'anonymous', failedToken: null };
  const check = await checkToken(db, authorization, now, tokenCache);
  return check.ok
    ? { kind: 'token', tokenId: check.row.id, name: check.row.name, scopes: check.scopes }
    : { kind: 'anonymous', failedToken: check.reason };
}

/** A token may read every session (sessions, stats, counts, events). */
export const mayReadSessions = (caller: Caller) =>
  caller.kind === 'token' && caller.scopes.has('sessions:read');

/** A token may read every user; a browser only the user of its own session. */
export const mayReadUsers = (caller: Caller) => caller.kind === 'token' && caller.scopes.has('users:read');

/** A token may create, change and end any session (`sessions:write`). */
export const mayWriteSessions = (caller: Caller) =>
  caller.kind === 'token' && caller.scopes.has('sessions:write');

export const mayReadMetrics = (caller: Caller) =>
  caller.kind === 'token' && caller.scopes.has('metrics:read');

/** Whether `viewer` (the caller's own live session) is `session`: a browser reads its own and no other. */
export const isViewer = (viewer: SessionRecord | null, session: Pick<SessionRecord, 'store' | 'ref'>) =>
  viewer !== null && viewer.store === session.store && viewer.ref === session.ref;

/** Whether the caller may read the user keyed `userKey`: with users:read any, a browser its own session's. */
export const mayReadUser = (caller: Caller, viewer: SessionRecord | null, userKey: string) =>
  mayReadUsers(caller) || (viewer !== null && viewer.userId === userKey);

/** Whether the caller may follow the events of sessions: every one with sessions:read, a browser its own. */
export const mayFollowSessions = (caller: Caller, viewer: SessionRecord | null) =>
  mayReadSessions(caller) || viewer !== null;

/** Why a caller may not follow sessions: what the refusal says, and its code. */
export interface FollowRefusal {
  message: string;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
}

/**
 * Why `caller` may not follow sessions, or null where it may: a token with sessions:read follows any, a
 * browser only `own`, its own session.
 */
export function followRefusal(caller: Caller, own: SessionRecord | null): FollowRefusal | null {
  if (mayFollowSessions(caller, own)) return null;
  const failed = caller.kind === 'anonymous' ? caller.failedToken : null;
  if (failed) {
    return {
      message: `The API token is ${failed === 'unknown' ? 'not known' : failed}.`,
      code: 'UNAUTHENTICATED',
    };
  }
  return {
    message: 'This needs an API token with sessions:read (Authorization: Bearer …) or your own session.',
    code: caller.kind === 'token' ? 'FORBIDDEN' : 'UNAUTHENTICATED',
  };
}

/**
 * Whether a subscriber may go on following sessions, asked again before each event it is sent: `started` is
 * the browser session it followed (null: it followed as a token with sessions:read), `now` who presents the
 * same credentials now. A token must still check out (not revoked, not expired) and read sessions; a browser's
 * key must still open that same live session (not ended, expired, or replaced by a new key).
 */
export function stillFollows(
  started: SessionRecord | null,
  now: { caller: Caller; viewer: SessionRecord | null },
): FollowRefusal | null {
  if (started === null) return followRefusal(now.caller, null);
  return isViewer(now.viewer, started)
    ? null
    : {
        message: 'The session these events follow has ended, expired or been given a new key.',
        code: 'UNAUTHENTICATED',
      };
}

/** Whether the caller may read `session`: any with sessions:read, a browser its own. */
export const mayReadSession = (caller: Caller, viewer: SessionRecord | null, session: SessionRecord) =>
  mayReadSessions(caller) || isViewer(viewer, session);

/**
 * The keys `currentSession` tries, in order: the `X-Session-Key` header for every store, else each store's own
 * cookie, in the configured order of the stores. The first that opens a live (ACTIVE) session, which its
 * framework still serves as its user's (`SessionStore.servesAsUser`), is the caller's.
 */
export function presentedKeys(
  stores: Iterable<SessionStore>,
  presented: Presented,
): { store: SessionStore; key: string }[] {
  const keys: { store: SessionStore; key: string }[] = [];
  for (const store of stores) {
    const key = presentedKey(presented, store);
    if (key) keys.push({ store, key });
  }
  return keys;
}

/** The page settings the page rules read. */
export interface PageSettings {
  maxPageSize: number;
  defaultPageSize: number;
}

/** `first` checked against the page settings: the page's size. */
export function pageSize(settings: PageSettings, first: number | null | undefined): number {
  if (first === null || first === undefined) return settings.defaultPageSize;
  if (first < 0) throw new BadArgumentError('first', '`first` must not be negative');
  if (first > settings.maxPageSize) {
    throw new BadArgumentError('first', `\`first\` must be at most ${settings.maxPageSize}`);
  }
  return first;
}

/** A user id a client gives, as the users key's type; null: it cannot name any user (so none matches). */
export const clientUserKey = (catalog: Pick<UsersCatalog, 'keyPgType'>, raw: string): string | null =>
  parseUserKey(catalog, raw);

export interface PageArguments {
  first?: number | null;
  after?: string | null;
  userId?: string | null;
}

/**
 * A page of `store`'s sessions, its arguments checked: the size, the keyset position after the cursor, and the
 * user (`noUser`: the id names no possible user, so the page is empty). A cursor of another list or store is
 * an input error, as is a size out of bounds.
 */
export function checkPage(
  settings: PageSettings,
  catalog: Pick<UsersCatalog, 'keyPgType'>,
  store: SessionStore,
  args: PageArguments,
): { limit: number; after: string[] | null; userId: string | null; noUser: boolean } {
  const limit = pageSize(settings, args.first);
  let after: string[] | null = null;
  if (args.after !== null && args.after !== undefined) {
    const cursor = decodeCursor(args.after);
    if (!cursor || cursor.store !== store.name || !store.isCursor(cursor.position)) {
      throw new BadArgumentError('after', '`after` is not a cursor of this list');
    }
    after = cursor.position as string[];
  }
  let userId: string | null = null;
  let noUser = false;
  if (args.userId !== null && args.userId !== undefined) {
    userId = clientUserKey(catalog, args.userId);
    noUser = userId === null;
  }
  return { limit, after, userId, noUser };
}
