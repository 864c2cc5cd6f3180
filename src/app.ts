import { getHeapStatistics } from 'node:v8';
import type { Config } from './config.ts';
import { migrate } from './db/migrations.ts';
import { createPool, useJsonBudgets, usePreparedStatements, type Pool, withTransaction } from './db/pool.ts';
import { createLogger, type Logger } from './log.ts';
import { createPipelinedReads, type PipelinedReads } from './db/pipeline.ts';
import type { Queryable } from './db/pool.ts';
import type { ProjectableStore } from './projection/projector.ts';
import { Projector } from './projection/projector.ts';
import { ensureProjection } from './projection/schema.ts';
import { TokenCache } from './auth/token-cache.ts';
import type { NotificationHub } from './db/notifications.ts';
import { EventRelay } from './events/relay.ts';
import { SessionEventBus } from './events/bus.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { createTouchWriter, type TouchWriter } from './stores/native/touches.ts';
import { unverifiedSecrets } from './projection/secret-check.ts';
import { isFrameworkKind, kindOf } from './stores/registry.ts';
import type { SessionStore } from './stores/types.ts';
import { readUsersCatalog, type UsersCatalog } from './users/catalog.ts';
import { createUsersQueries, type UsersQueries } from './users/users.sql.ts';

/**
 * Everything process-wide, built once at start: the pool, the users catalog, the stores. Requests hang
 * their per-request state (loaders, statement counter) off a context that points here.
 */
export interface App {
  config: Config;
  pool: Pool;
  /** Pipelined connections for one-statement reads (null: they use the pool); close it before the pool. */
  reads: PipelinedReads | null;
  logger: Logger;
  catalog: UsersCatalog;
  users: UsersQueries;
  stores: ReadonlyMap<string, SessionStore>;
  /** The stores over framework tables, which the projection mirrors. */
  frameworkStores: ReadonlyMap<string, SessionStore & ProjectableStore>;
  projector: Projector;
  defaultStore: SessionStore;
  clock: () => Date;
  /** Sees every SQL statement any request runs (tests count them; metrics will too). */
  onStatement?: (text: string) => void;
  /** The process's LISTEN connection, when it has one (the server does; one-shot CLI commands do not). */
  notifications: NotificationHub | null;
  tokenCache: TokenCache | null;
  metrics: Metrics;
  /** Session changes committed anywhere, when the process follows notifications. */
  events: SessionEventBus | null;
  /** Sends the outbox's session events (src/events/relay.ts), when the process follows notifications: stop it before the pool. */
  relay: EventRelay | null;
  /** Queued `last_seen_at` refreshes: close it before the pool. */
  touches: TouchWriter;
  /** The sync worker running in this process, once started (its health is part of /readyz). */
  syncWorker?: { health(): { ok: boolean; detail?: string } };
}

export interface AppOptions {
  pool?: Pool;
  logger?: Logger;
  clock?: () => Date;
  onStatement?: (text: string) => void;
  /** Apply migrations before serving; defaults to `config.migrateOnStart`. */
  migrate?: boolean;
  /** Follow notifications (token revocations, session events) on this hub. */
  notifications?: NotificationHub;
}

function startRelay(pool: Pool, logger: Logger): EventRelay {
  const relay = new EventRelay(pool, logger);
  relay.start();
  return relay;
}

/** Builds each configured store, checking its table against the catalog (a mismatch stops start-up). */
export async function createStores(
  db: Queryable,
  config: Config,
  catalog: UsersCatalog,
  users: UsersQueries,
  projector: Projector,
  metrics: Metrics,
  touches: TouchWriter,
  onRowError: (store: string, ref: string, error: unknown) => void,
): Promise<Map<string, SessionStore>> {
  const stores = new Map<string, SessionStore>();
  const frameworkStoreCount = config.stores.filter((store) => isFrameworkKind(store.kind)).length;
  const deps = {
    onDecodeFailure: (store: string, problem: string) => metrics.decodeFailures.inc({ store, problem }),
    onRowError,
    budgets: config.budgets,
    catalog,
    users,
    // One budget for the process, shared out: each framework store keeps its own cache.
    decodeCacheBytes: Math.floor(config.decodeCacheBytes / Math.max(1, frameworkStoreCount)),
    projection: projector,
    tombstoneSeconds: config.tombstoneSeconds,
    touches,
  };
  for (const storeConfig of config.stores) {
    stores.set(storeConfig.name, await kindOf(storeConfig.kind).create(db, storeConfig, deps));
  }
  return stores;
}

export const poolTimeouts = (config: Config) => ({
  connectMilliseconds: config.poolWaitMilliseconds,
  statementMilliseconds: config.statementTimeoutMilliseconds,
});

/** Whether the pool's connections pipeline (src/db/pool.ts): where reads may (see readPipelines). */
export const pipelinesTransactions = (config: Config) => config.readPipelines > 0;

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  if (!config.databaseUrl && !options.pool) {
    throw new Error('createApp needs config.databaseUrl or a pool');
  }
  const logger = options.logger ?? createLogger(config.logLevel);
  const heapLimitBytes = getHeapStatistics().heap_size_limit;
  if (config.decodeCacheBytes > heapLimitBytes / 2) {
    logger.warn(
      { decodeCacheBytes: config.decodeCacheBytes, heapLimitBytes },
      'decodeCacheBytes is more than half the heap limit: raise HEAP_MB (npm start) or --max-old-space-size',
    );
  }
  usePreparedStatements(config.preparedStatements);
  useJsonBudgets(config.budgets);
  const pool =
    options.pool ??
    createPool(config.databaseUrl!, config.poolSize, poolTimeouts(config), {
      pipeline: pipelinesTransactions(config),
    });
  const catalog = await readUsersCatalog(pool, config.users);
  for (const hidden of catalog.hidden) {
    logger.warn({ column: hidden.column, reason: hidden.reason }, 'users column not exposed');
  }
  if (options.migrate ?? config.migrateOnStart) {
    const applied = await migrate(pool, { users: catalog });
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  const users = createUsersQueries(catalog);
  // Metrics are made below (they need the pipelined reads); rows that fail are rare, so a late binding is fine.
  let rowErrors: ((store: string) => void) | null = null;
  const onRowError = (store: string, ref: string, error: unknown) => {
    rowErrors?.(store);
    logger.error({ err: error, store, ref }, 'a stored row could not be read; it is served as INVALID');
  };
  const projector = new Projector(config, catalog, onRowError);
  // Stores check their tables first, so a wrong table is reported by name before any trigger is installed.
  const reads =
    config.readPipelines > 0 && config.databaseUrl
      ? createPipelinedReads(config.databaseUrl, config.readPipelines, poolTimeouts(config), pool)
      : null;
  const metrics = createMetrics(pool, {
    projection: config.stores.some((store) => isFrameworkKind(store.kind)),
    reads,
    touchBacklog: () => touches.backlog(),
    nativeStore: config.stores.find((store) => store.kind === 'native')?.name ?? 'native',
  });
  rowErrors = (store) => metrics.rowErrors.inc({ store });
  const touches = createTouchWriter(
    (work) => withTransaction(pool, work),
    logger,
    config.touchBatchMilliseconds,
    (outcome, sessions) => metrics.lastSeenRefreshes.inc({ outcome }, sessions),
  );
  const stores = await createStores(pool, config, catalog, users, projector, metrics, touches, onRowError);
  if (options.migrate ?? config.migrateOnStart) await ensureProjection(pool, config);
  await projector.refreshReady(pool);
  const frameworkStores = new Map(
    [...stores].filter((entry): entry is [string, SessionStore & ProjectableStore] => 'sql' in entry[1]),
  );
  for (const [store, warning] of await unverifiedSecrets(pool, frameworkStores.values(), new Date())) {
    projector.held.set(store, warning);
    logger.warn({ store }, warning);
  }
  return {
    config,
    pool,
    reads,
    logger,
    catalog,
    users,
    stores,
    projector,
    frameworkStores,
    defaultStore: stores.values().next().value!,
    clock: options.clock ?? (() => new Date()),
    onStatement: options.onStatement,
    notifications: options.notifications ?? null,
    metrics,
    touches,
    events: options.notifications
      ? new SessionEventBus(
          options.notifications,
          config.stores.find((store) => !isFrameworkKind(store.kind))?.name ?? 'native',
          logger,
        )
      : null,
    relay: options.notifications ? startRelay(pool, logger) : null,
    tokenCache:
      options.notifications && config.tokenCacheSeconds > 0
        ? new TokenCache(options.notifications, config.tokenCacheSeconds * 1000)
        : null,
  };
}
