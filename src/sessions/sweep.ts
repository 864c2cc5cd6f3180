import { setTimeout as sleep } from 'node:timers/promises';
import { LastStatement, type Pool, withTransaction } from '../db/pool.ts';
import { pruneCounts } from '../db/session-counts.ts';
import { announce } from '../events/announce.ts';
import { wakeSyncWorkers } from '../projection/projection.sql.ts';
import { pruneTombstones } from '../security/tombstones.sql.ts';
import type { SessionStore, SweepBatch } from '../stores/types.ts';
import { pruneIdempotency } from './idempotency.sql.ts';

/** What the sweep needs of the process. */
export interface SweepScope {
  stores: ReadonlyMap<string, SessionStore>;
  config: {
    sweepBatchSize: number;
    sweepLockMilliseconds: number;
    sweepDutyCycle: number;
    idempotencyKeySeconds: number;
  };
  clock: () => Date;
}

/**
 * One batch as it ended: rows deleted of the `size` it was given, its milliseconds from BEGIN to COMMIT, and
 * whether PostgreSQL cancelled it.
 */
export interface BatchReport {
  rows: number;
  size: number;
  ms: number;
  cancelled: boolean;
}

/** The sessions a sweep deleted over all stores, from what sweepExpired returns. */
export const sweptTotal = (deleted: Record<string, number>): number =>
  Object.values(deleted).reduce((sum, count) => sum + count, 0);

/** `deleted`: the store's running total. */
export type OnBatch = (store: string, deleted: number, batch: BatchReport) => void;

/** PostgreSQL's code for a cancelled statement; here, one past the sweep's statement_timeout. */
const QUERY_CANCELED = '57014';

/** Batches start this small and grow while they stay quick: a cold table's first batch is its slowest. */
const FIRST_BATCH = 100;

/**
 * Cancelled this many times in a row at one row a batch, with a growing rest between tries (a saturated
 * database frees up), the sweep gives up rather than spin.
 */
const MAX_CANCELS_AT_ONE = 6;
const LONGEST_REST_MS = 2000;

export class SweepStalledError extends Error {
  constructor(what: string, lockMilliseconds: number) {
    super(
      `sweeping ${what}: deleting even one row took longer than sweepLockMilliseconds (${lockMilliseconds} ms), ` +
        `${MAX_CANCELS_AT_ONE} times in a row; the database is overloaded, a trigger is slow or the delete ` +
        'waited on a lock; raise sweepLockMilliseconds to sweep anyway',
    );
    this.name = 'SweepStalledError';
  }
}

/**
 * Sizes batches by how long they hold their rows. A writer that meets a row a batch is deleting waits for
 * the batch's commit, so each batch aims at a third of `lockMilliseconds`, and PostgreSQL cancels one that
 * reaches it (statement_timeout): nothing of it is deleted, its rows are free at once, and the next batch is
 * a quarter of its size. `sweepBatchSize` (what one search finds) is the largest batch.
 */
export class BatchSizer {
  size: number;
  private cancelsAtOne = 0;

  constructor(
    private readonly largest: number,
    private readonly lockMilliseconds: number,
  ) {
    this.size = Math.min(largest, FIRST_BATCH);
  }

  /** After a batch of `tried` rows that committed in `ms`. */
  committed(tried: number, ms: number): void {
    this.cancelsAtOne = 0;
    const aim = this.lockMilliseconds / 3;
    // A short chunk (the last of a search) that was quick says little about a full one.
    if (tried < this.size && ms <= aim) return;
    const scaled = Math.round((tried * aim) / Math.max(ms, 0.5));
    const bounded = Math.min(Math.max(this.size, tried * 2), Math.max(Math.floor(tried / 4), scaled));
    this.size = Math.max(1, Math.min(this.largest, bounded));
  }

  /**
   * After a cancelled batch of `tried` rows: how long to rest before the next (0 while batches can still
   * shrink), or null once single rows have been cancelled too often.
   */
  cancelled(tried: number): number | null {
    if (tried > 1) {
      this.size = Math.max(1, Math.floor(tried / 4));
      return 0;
    }
    this.size = 1;
    this.cancelsAtOne += 1;
    if (this.cancelsAtOne >= MAX_CANCELS_AT_ONE) return null;
    return Math.min(LONGEST_REST_MS, this.lockMilliseconds * 2 ** this.cancelsAtOne);
  }
}

const isCancel = (error: unknown) => (error as { code?: unknown } | null)?.code === QUERY_CANCELED;

/** Rests `ms`, or less when `signal` aborts: whether the sweep may go on. */
async function restFor(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  if (ms <= 0) return true;
  try {
    // A timer counts from the event loop's clock as this turn began, so it may end early by as long as the
    // turn has run: the rest goes on until `ms` have passed.
    const until = performance.now() + ms;
    for (let left = ms; left > 0; left = until - performance.now()) {
      await sleep(Math.ceil(left), undefined, signal ? { signal } : undefined);
    }
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

/**
 * Sweeps one store. The expired sessions are found `sweepBatchSize` at a time, reading and locking nothing
 * (however long the search takes, no writer waits on it), then deleted in batches, each a transaction of its
 * own whose delete runs under a statement_timeout of `sweepLockMilliseconds` and leaves with its COMMIT (one
 * write on a pipelined connection), so the batch holds its rows for the delete and its commit. Each batch's
 * events are announced after it commits. Ends when a search finds fewer than it asked for, or none of what
 * it found could be deleted (refreshed, taken by another replica, or held by writers: left for the next
 * sweep). Stops before its next search or batch, or in a rest, once `signal` aborts; a batch in flight
 * commits first. Returns the rows deleted.
 */
async function sweepStore(
  pool: Pool,
  store: SessionStore,
  scope: SweepScope,
  onBatch: OnBatch | undefined,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { sweepBatchSize, sweepLockMilliseconds, sweepDutyCycle } = scope.config;
  const restAfter = (ms: number) => (ms * (1 - sweepDutyCycle)) / sweepDutyCycle;
  // For this batch's transaction only: the delete's time limit; quiet triggers (the batch's events and
  // wake-ups are sent after its commit, so it never holds the notify lock); and a commit that does not wait
  // for the disk, so the batch frees its rows without queueing for a WAL flush, and adds no flush of its own
  // to the writers' (a batch lost in a crash leaves expired rows, which the next sweep deletes and announces
  // again: a subscriber may hear of such a row twice).
  const limit = `SELECT set_config('statement_timeout', '${Math.round(sweepLockMilliseconds)}', true),
    set_config('sessiongraph.sweeping', 'on', true), set_config('synchronous_commit', 'off', true)`;
  const sizer = new BatchSizer(sweepBatchSize, sweepLockMilliseconds);
  let total = 0;
  // Where the last search ended. Rows before it are the next sweep's: one a batch could not delete (held
  // by a writer, or refreshed), and one written with an expiry already behind it (an import, a framework
  // server whose clock is behind). Without it they would be found again in this sweep, at the cost of
  // walking, at every search, the entries of all the rows this sweep deleted.
  let from: string | null = null;
  for (;;) {
    if (signal?.aborted) return total;
    const now = scope.clock();
    const { keys, last } = await store.expiredKeys(pool, now, sweepBatchSize, from);
    from = last;
    let deletedNow = 0;
    for (let offset = 0; offset < keys.length; ) {
      if (signal?.aborted) return total;
      const chunk = keys.slice(offset, offset + sizer.size);
      const started = performance.now();
      let batch: SweepBatch;
      try {
        batch = await withTransaction(pool, async (tx) => {
          await tx.query(limit);
          const { text, params, read } = store.sweep(now, chunk);
          return LastStatement.reading(text, params, read);
        });
      } catch (error) {
        if (!isCancel(error)) throw error;
        const ms = performance.now() - started;
        onBatch?.(store.name, total, { rows: 0, size: chunk.length, ms, cancelled: true });
        const rest = sizer.cancelled(chunk.length);
        if (rest === null) throw new SweepStalledError(store.name, sweepLockMilliseconds);
        // A cancelled batch kept the disk as busy as one that committed.
        if (!(await restFor(Math.max(rest, restAfter(ms)), signal))) return total;
        continue;
      }
      const ms = performance.now() - started;
      await announce(pool, batch.events);
      if (batch.wake !== undefined && batch.deleted > 0) await wakeSyncWorkers(pool, batch.wake);
      offset += chunk.length;
      deletedNow += batch.deleted;
      total += batch.deleted;
      onBatch?.(store.name, total, { rows: batch.deleted, size: chunk.length, ms, cancelled: false });
      sizer.committed(chunk.length, ms);
      // No rest after the store's last batch: nothing of this sweep follows it on this store.
      const rest = offset >= keys.length && keys.length < sweepBatchSize ? 0 : restAfter(ms);
      if (!(await restFor(rest, signal))) return total;
    }
    if (keys.length < sweepBatchSize || deletedNow === 0) return total;
  }
}

/**
 * Runs a housekeeping prune (rows no writer touches) in batches of `batchSize` until one comes up short or
 * `signal` aborts.
 */
async function prune(
  batchSize: number,
  signal: AbortSignal | undefined,
  batch: () => Promise<number>,
): Promise<void> {
  while (!signal?.aborted && (await batch()) >= batchSize) {}
}

/**
 * Deletes every expired session, store by store, in batches no writer waits long behind (see BatchSizer and
 * sweepStore), telling `onBatch` each batch and the store's running total; then the housekeeping rows, in
 * batches of `sweepBatchSize`: empty counts, tombstones whose window has passed and idempotency keys past
 * their retention (not reported: they are not sessions). A store that fails does not keep the others and
 * the housekeeping from their turn; the first failure is thrown once all have had it. Once `signal` aborts
 * (a server shutting down, an operator's Ctrl-C) it stops at the next batch, search or rest, after the batch
 * in flight commits, and leaves the rest for the next sweep. Returns the sessions deleted per store swept.
 */
export async function sweepExpired(
  scope: SweepScope,
  pool: Pool,
  onBatch?: OnBatch,
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const { config } = scope;
  const deleted: Record<string, number> = {};
  const failures: unknown[] = [];
  for (const store of scope.stores.values()) {
    if (signal?.aborted) break;
    try {
      deleted[store.name] = await sweepStore(pool, store, scope, onBatch, signal);
    } catch (error) {
      failures.push(error);
    }
  }
  const size = config.sweepBatchSize;
  await prune(size, signal, () => pruneCounts(pool, size));
  await prune(size, signal, () => pruneTombstones(pool, size));
  await prune(size, signal, () => pruneIdempotency(pool, config.idempotencyKeySeconds, size));
  if (failures.length > 0) throw failures[0];
  return deleted;
}
