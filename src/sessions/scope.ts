import type DataLoader from 'dataloader';
import type { Caller, ViewerSession } from '../auth/caller.ts';
import type { Config } from '../config.ts';
import type { Queryable, TransactionRunner } from '../db/pool.ts';
import type { SessionRecord, SessionStore } from '../stores/types.ts';
import type { UsersCatalog } from '../users/catalog.ts';
import type { UsersQueries } from '../users/users.sql.ts';
import type { IdempotencyScope } from './idempotency.ts';
import type { Presented } from './presented.ts';

/**
 * What the session service (service.ts) works with for one request: the stores and settings it needs, the
 * request's database handle and clock reading, who the caller is, and the request's batching. The GraphQL
 * context is one (src/context.ts); the service never sees GraphQL, and throws domain errors (src/errors/) that
 * the GraphQL layer maps.
 */
export interface SessionScope {
  stores: ReadonlyMap<string, SessionStore>;
  defaultStore: SessionStore;
  config: Pick<
    Config,
    | 'maxPageSize'
    | 'defaultPageSize'
    | 'maxTtlSeconds'
    | 'maxDataBytes'
    | 'touchIntervalSeconds'
    | 'clientWritableKeys'
    | 'fields'
  >;
  catalog: UsersCatalog;
  users: UsersQueries;
  db: Queryable & TransactionRunner;
  now: Date;
  caller: Caller;
  /** The caller's own live session (from its cookie or `X-Session-Key`), looked up on first use. */
  viewerSession: ViewerSession;
  /** Credentials the caller presented for `currentSession`: the header, then each store's cookie. */
  presented: Presented;
  /** Whether reads should fetch each session's user in the same statement. */
  withUsers: boolean;
  /** Batches session look-ups by node id (`store:ref`) across the whole request. */
  sessionLoader: DataLoader<string, SessionRecord | null>;
  /** `User.sessions` loaders, one per (store, status, page size). */
  userSessionLoaders: Map<string, DataLoader<string, SessionRecord[]>>;
  /** The request's Idempotency-Key scope (null without the header). */
  idempotency(): Promise<IdempotencyScope | null>;
}
