import { type Pool, type Queryable, withTransaction } from '../db/pool.ts';
import { pruneCounts } from '../db/session-counts.ts';
import { announce } from '../events/announce.ts';
import { pruneTombstones } from '../security/tombstones.sql.ts';
import type { SessionStore, SweepBatch } from '../stores/types.ts';
import { pruneIdempotency } from './idempotency.sql.ts';

/** What the sweep needs of the process. */
export interface SweepScope {
  stores: ReadonlyMap<string, SessionStore>;
  config: { sweepBatchSize: number; sweepLockMilliseconds: number; idempotencyKeySeconds: number };
  clock: () => Date;
}

/** One batch as it ended: rows deleted, milliseconds from BEGIN to COMMIT, and whether PostgreSQL cancelled it. */
export interface BatchReport {
  rows: number;
  size: number;
  ms: number;
  cancelled: boolean;
}

/** `deleted`: the store's running total. */
export type OnBatch = (store: string, deleted: number, batch: BatchReport) => void;

/** PostgreSQL's code for a cancelled statement; here, one past the batch's statement_timeout. */
const QUERY_CANCELED = '57014';

/** Batches start this small and grow while they stay quick: a cold table's first batch is its slowest. */
const FIRST_BATCH = 100;

/** Cancelled this many times in a row at one row a batch, the sweep gives up rather than spin. */
const MAX_CANCELS_AT_ONE = 3;

export class SweepStalledError extends Error {
  constructor(what: string, lockMilliseconds: number) {
    super(
      `sweeping ${what}: deleting even one row took longer than sweepLockMilliseconds (${lockMilliseconds} ms); ` +
        'the database is overloaded or a trigger is slow; raise sweepLockMilliseconds to sweep anyway',
    );
    this.name = 'SweepStalledError';
  }
}

/**
 * Sizes batches by how long they hold their rows. A writer that meets a row a batch is deleting waits for
 * the batch's commit, so each batch aims at a third of `lockMilliseconds`, and PostgreSQL cancels one that
 * reaches it (statement_timeout): nothing of it is deleted, its rows are free at once, and the next batch is
 * a quarter of its size. `sweepBatchSize` is the largest batch.
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

  /** After a batch that committed in `ms`. */
  committed(ms: number): void {
    this.cancelsAtOne = 0;
    const aim = this.lockMilliseconds / 3;
    const scaled = Math.round((this.size * aim) / Math.max(ms, 0.5));
    const bounded = Math.min(this.size * 2, Math.max(Math.floor(this.size / 4), scaled));
    this.size = Math.max(1, Math.min(this.largest, bounded));
  }

  /** After a cancelled batch; false once even single rows keep being cancelled. */
  cancelled(): boolean {
    if (this.size === 1) this.cancelsAtOne += 1;
    this.size = Math.max(1, Math.floor(this.size / 4));
    return this.cancelsAtOne < MAX_CANCELS_AT_ONE;
  }
}

const isCancel = (error: unknown) => (error as { code?: unknown } | null)?.code === QUERY_CANCELED;

/**
 * Runs `step` in batches until one deletes fewer rows than asked: each batch its own transaction, cancelled
 * by PostgreSQL past `lockMilliseconds`. The batch's events are announced after its commit. Returns the
 * rows deleted.
 */
async function drain(
  pool: Pool,
  what: string,
  config: SweepScope['config'],
  step: (tx: Queryable, size: number) => Promise<SweepBatch>,
  onBatch?: OnBatch,
): Promise<number> {
  const { sweepBatchSize, sweepLockMilliseconds } = config;
  const sizer = new BatchSizer(sweepBatchSize, sweepLockMilliseconds);
  let total = 0;
  for (;;) {
    const size = sizer.size;
    const started = performance.now();
    let batch: SweepBatch;
    try {
      batch = await withTransaction(pool, async (tx) => {
        await tx.query(`SET LOCAL statement_timeout = ${Math.round(sweepLockMilliseconds)}`);
        return step(tx, size);
      });
    } catch (error) {
      if (!isCancel(error)) throw error;
      onBatch?.(what, total, { rows: 0, size, ms: performance.now() - started, cancelled: true });
      if (!sizer.cancelled()) throw new SweepStalledError(what, sweepLockMilliseconds);
      continue;
    }
    const ms = performance.now() - started;
    await announce(pool, batch.events);
    total += batch.deleted;
    onBatch?.(what, total, { rows: batch.deleted, size, ms, cancelled: false });
    if (batch.deleted < size) return total;
    sizer.committed(ms);
  }
}

const counted = (deleted: number): SweepBatch => ({ deleted, events: [] });

/**
 * Deletes every expired session, store by store, in batches no writer waits long behind (see BatchSizer),
 * telling `onBatch` each batch and the store's running total; then the housekeeping rows: empty counts,
 * tombstones whose window has passed and idempotency keys past their retention (not reported: they are not
 * sessions). Returns the sessions deleted per store.
 */
export async function sweepExpired(
  scope: SweepScope,
  pool: Pool,
  onBatch?: OnBatch,
): Promise<Record<string, number>> {
  const { config } = scope;
  const deleted: Record<string, number> = {};
  for (const store of scope.stores.values()) {
    deleted[store.name] = await drain(
      pool,
      store.name,
      config,
      (tx, size) => store.sweep(tx, scope.clock(), size),
      onBatch,
    );
  }
  await drain(pool, 'session counts', config, async (tx, size) => counted(await pruneCounts(tx, size)));
  await drain(pool, 'tombstones', config, async (tx, size) => counted(await pruneTombstones(tx, size)));
  await drain(pool, 'idempotency keys', config, async (tx, size) =>
    counted(await pruneIdempotency(tx, config.idempotencyKeySeconds, size)),
  );
  return deleted;
}
