import type { JsonObject } from '../codecs/result.ts';
import type { Queryable } from '../db/pool.ts';
import type { DataPatch } from '../sessions/data.ts';
import type { ExpiryChange } from '../sessions/expiry.ts';
import type { FactFilter, FactName } from '../sessions/facts.ts';
import type { WhereCondition } from '../sessions/fields.ts';
import type { UserRow } from '../users/users.sql.ts';

/**
 * The shape every store adapter (native, Django, web.py, express, json-cache) gives the GraphQL layer.
 * A store owns its table's SQL and its codec; everything above it sees only `SessionRecord`s.
 */

export type SessionStatus = 'ACTIVE' | 'EXPIRED' | 'INVALID';

export interface SessionRecord {
  store: string;
  /** The store's reference to its row, used in the opaque `Session.id`; never the session key. */
  ref: string;
  status: SessionStatus;
  problem: string | null;
  /** Something worth knowing about a session that did decode (a legacy format, Python 2 bytes). */
  note?: string | null;
  data: JsonObject;
  /** `JSON.stringify(data)`, when the store already has it (a cached decoding): printed as is. */
  dataJson?: string;
  userId: string | null;
  createdAt: Date | null;
  expiresAt: Date | null;
  lastSeenAt: Date | null;
  version: number;
  ip: string | null;
  userAgent: string | null;
  /** The types `data`'s JSON erased, by JSON pointer (pickled tuples, datetimes); absent for JSON stores. */
  dataTypes?: () => Record<string, string>;
  /** Keys the framework manages, hidden from `data` (e.g. Django's `_auth_user_hash`); never exposed. */
  managed?: JsonObject;
  /** The keyset position of this row in its store's newest-first order. */
  cursor: string[];
  /**
   * The owner's users-table row, read in the same statement when the request selects `user` (see
   * `ReadOptions`); absent when not read, null when there is no such user.
   */
  user?: UserRow | null;
}

/** How a read should shape its statement. */
export interface ReadOptions {
  /** Also read each session's user in the same statement (the request selects `Session.user`). */
  withUser?: boolean;
}

export interface ListQuery {
  userId: string | null;
  status: SessionStatus | null;
  /** Rows to return; stores return up to `limit` rows. */
  limit: number;
  after: string[] | null;
  now: Date;
  /** Typed-field conditions that must all hold (`sessions(where:)`). */
  where: readonly WhereCondition[];
  /** Conditions on the IP, user agent and times, checked against the store's `facts` (checkFacts). */
  facts?: FactFilter;
  withUser?: boolean;
}

export interface CreateInput {
  userId: string | null;
  data: JsonObject;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export interface UpdateInput {
  patch: DataPatch;
  expiry: ExpiryChange | null;
  expectedVersion: number | null;
}

export type UpdateOutcome =
  | { kind: 'updated'; record: SessionRecord }
  | { kind: 'missing' }
  | { kind: 'conflict'; actualVersion: number };

export interface StoreLimits {
  maxTtlSeconds: number;
  maxDataBytes: number;
}

export interface SessionStore {
  readonly name: string;
  readonly kind: string;
  /** The cookie a browser presents this store's key in. */
  readonly cookieName: string;
  readonly defaultTtlSeconds: number;
  /** What beside its data this store keeps of a session, and `sessions` can filter by. */
  readonly facts: ReadonlySet<FactName>;

  /** Whether a cursor taken from this store's `cursor` has the right shape. */
  isCursor(parts: unknown[]): parts is string[];
  findByRefs(
    db: Queryable,
    refs: readonly string[],
    now: Date,
    options?: ReadOptions,
  ): Promise<(SessionRecord | null)[]>;
  /** The live session a presented key opens, or null (unknown, expired, malformed: all alike). */
  findByKey(
    db: Queryable,
    key: string,
    now: Date,
    touchIntervalSeconds: number,
    options?: ReadOptions,
  ): Promise<SessionRecord | null>;
  /**
   * Whether the framework still serves `record`, a live session a browser presents, as its user's: Django no
   * longer does once the user's password changed (its `_auth_user_hash` no longer matches), and flushes it;
   * Symfony's firewall no longer does once the user's password hash differs from the one its token serialized,
   * or the user is gone, and removes the token; Laravel's AuthenticateSession no longer does once the hash it
   * kept in the session (`password_hash_<guard>`) is not the user's, and flushes it. Absent where the session
   * alone decides.
   */
  servesAsUser?(db: Queryable, record: SessionRecord): Promise<boolean>;
  list(db: Queryable, query: ListQuery): Promise<SessionRecord[]>;
  /** How many sessions `list` would page through: exactly, or the planner's estimate (cheap). */
  count(db: Queryable, query: Omit<ListQuery, 'after' | 'limit'>, estimate: boolean): Promise<number>;
  /** One batch for many users: each user's first `limit` sessions in newest-first order. */
  listForUsers(
    db: Queryable,
    userIds: readonly string[],
    query: Omit<ListQuery, 'userId' | 'after' | 'where'>,
  ): Promise<Map<string, SessionRecord[]>>;

  create(tx: Queryable, input: CreateInput, now: Date): Promise<{ record: SessionRecord; key: string }>;
  update(
    tx: Queryable,
    ref: string,
    input: UpdateInput,
    now: Date,
    limits: StoreLimits,
  ): Promise<UpdateOutcome>;
  /**
   * The session an update wrote, from the cells its statement kept for an Idempotency-Key (the compiled
   * path's, src/fastpath/mutations.ts), for a retry's answer; absent where no statement keeps them.
   */
  writtenRecord?(cells: readonly (string | null)[]): SessionRecord | null;
  /** Gives the session a new key, same data, in the caller's transaction; null when it does not exist. */
  rotate(tx: Queryable, ref: string, now: Date): Promise<{ record: SessionRecord; key: string } | null>;
  /** Returns whether a row was deleted. */
  end(tx: Queryable, ref: string): Promise<boolean>;
  endUserSessions(tx: Queryable, userId: string, keepRef: string | null): Promise<number>;
  /**
   * Up to `limit` references (the sweep's own; keys, for a framework store) of sessions expired by `now`,
   * read without locking anything, in expiry order where an index gives one. `from` is a previous answer's
   * `last`: the search goes on from that expiry (included) instead of walking again, from the start of the
   * index, the entries of every row swept since the last VACUUM. `last` is null when there is no order.
   */
  expiredKeys(
    db: Queryable,
    now: Date,
    limit: number,
    from: string | null,
  ): Promise<{ keys: string[]; last: string | null }>;
  /**
   * The statement that deletes those of `keys` (from `expiredKeys`) still expired and held by no other
   * transaction, for the sweep to send as its batch transaction's last statement; `read` turns its answer
   * into how many it deleted and the events to announce once it has committed.
   */
  sweep(now: Date, keys: readonly string[]): SweepStatement;
}

/**
 * One sweep batch: rows deleted, notification payloads to send after its commit, and the store whose sync
 * workers to wake then (a framework store's capture stays quiet in a sweep batch).
 */
export interface SweepBatch {
  deleted: number;
  events: readonly string[];
  wake?: string;
}

export interface SweepStatement {
  text: string;
  params: readonly unknown[];
  read(answer: { rows: readonly Record<string, unknown>[]; rowCount: number | null }): SweepBatch;
}
