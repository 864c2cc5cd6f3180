import { setTimeout as sleep } from 'node:timers/promises';
import { type Pool, type Queryable, run } from '../db/pool.ts';
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

/** One batch as it ended: rows deleted of `size` asked, its statement's milliseconds (it commits as it ends), and whether PostgreSQL cancelled it. */
export interface BatchReport {
  rows: number;
  size: number;
  ms: number;
  cancelled: boolean;
}

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
        `${MAX_CANCELS_AT_ONE} times in a row; the database is overloaded or a trigger is slow; raise ` +
        'sweepLockMilliseconds to sweep anyway',
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

  /**
   * After a cancelled batch: how long to rest before the next (0 while batches can still shrink), or null
   * once single rows have been cancelled too often.
   */
  cancelled(): number | null {
    if (this.size > 1) {
      this.size = Math.max(1, Math.floor(this.size / 4));
      return 0;
    }
    this.cancelsAtOne += 1;
    if (this.cancelsAtOne >= MAX_CANCELS_AT_ONE) return null;
    return Math.min(LONGEST_REST_MS, this.lockMilliseconds * 2 ** this.cancelsAtOne);
  }
}

const isCancel = (error: unknown) => (error as { code?: unknown } | null)?.code === QUERY_CANCELED;

/**
 * Runs `step` in batches on `db` (a connection of the sweep's own, whose statement_timeout is
 * `lockMilliseconds`) until one deletes fewer rows than asked. Each batch is one statement that commits as
 * it ends, so its rows are held for that statement alone; its events are announced afterwards, on another
 * connection of the pool (not under the sweep's timeout). Returns the rows deleted.
 */
async function drain(
  db: Queryable,
  pool: Pool,
  what: string,
  config: SweepScope['config'],
  step: (db: Queryable, size: number) => Promise<SweepBatch>,
  onBatch?: OnBatch,
): Promise<number> {
  const sizer = new BatchSizer(config.sweepBatchSize, config.sweepLockMilliseconds);
  let total = 0;
  for (;;) {
    const size = sizer.size;
    const started = performance.now();
    let batch: SweepBatch;
    try {
      batch = await step(db, size);
    } catch (error) {
      if (!isCancel(error)) throw error;
      onBatch?.(what, total, { rows: 0, size, ms: performance.now() - started, cancelled: true });
      const rest = sizer.cancelled();
      if (rest === null) throw new SweepStalledError(what, config.sweepLockMilliseconds);
      if (rest > 0) await sleep(rest);
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
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(`SET statement_timeout = ${Math.round(config.sweepLockMilliseconds)}`);
    const db: Queryable = { query: (text, params) => run(client as never, text, params) };
    const deleted: Record<string, number> = {};
    for (const store of scope.stores.values()) {
      deleted[store.name] = await drain(
        db,
        pool,
        store.name,
        config,
        (db, size) => store.sweep(db, scope.clock(), size),
        onBatch,
      );
    }
    await drain(db, pool, 'session counts', config, async (db, size) => counted(await pruneCounts(db, size)));
    await drain(db, pool, 'tombstones', config, async (db, size) => counted(await pruneTombstones(db, size)));
    await drain(db, pool, 'idempotency keys', config, async (db, size) =>
      counted(await pruneIdempotency(db, config.idempotencyKeySeconds, size)),
    );
    await client.query('RESET statement_timeout');
    return deleted;
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // A connection left with the sweep's timeout (a failure before the RESET) is closed, not pooled.
    client.release(broken);
  }
}
