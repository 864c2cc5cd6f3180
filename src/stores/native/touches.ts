import type { Queryable } from '../../db/pool.ts';
import type { Logger } from '../../log.ts';
import { touchSessions } from './native.sql.ts';

/**
 * Refreshes of native sessions' `last_seen_at`, queued by reads and written together. A read that refreshed
 * its row in its own statement cost PostgreSQL about twice a plain read (the bench's W3); a hundred refreshes
 * in one statement cost about what one did alone. The price: refreshes queued when the process dies are lost,
 * so `last_seen_at` may lag by up to the batch delay, which it already did by up to the touch interval.
 *
 * A row another transaction holds is skipped (src/stores/native/native.sql.ts). A failed write (a lost
 * connection, a timeout) drops its batch with a warning: `last_seen_at` is a hint, and retrying would only
 * pile up behind whatever went wrong.
 *
 * Each replica owns the refreshes its own reads queued, and writes only those; replicas never coordinate,
 * and the newest time wins whichever replica writes last (each write only moves `last_seen_at` forward).
 */
export interface TouchWriter {
  /** Queues `last_seen_at = at` for the session `id`. */
  touch(id: string, at: Date): void;
  /** Writes what is queued now; resolves when written (or dropped). */
  flush(): Promise<void>;
  /** Writes what is queued and stops the timer; touches after this are written at once. */
  close(): Promise<void>;
  /** Refreshes queued or being written. */
  backlog(): number;
}

/** Runs `work` in one transaction on one connection (withTransaction over the pool). */
export type Transaction = (work: (db: Queryable) => Promise<void>) => Promise<void>;

/**
 * Rows held by others are skipped; this bounds any other wait (a lock on the table, say) so a batch never
 * stalls behind it.
 */
const LOCK_TIMEOUT = "SET LOCAL lock_timeout = '100ms'";

/** A flush writes at most this many rows; more waiting start another flush at once. */
const MAX_BATCH = 1000;

/** Told how each batch ended, with its size. */
export type TouchOutcome = (outcome: 'written' | 'dropped', sessions: number) => void;

export function createTouchWriter(
  transaction: Transaction,
  logger: Logger,
  delayMilliseconds: number,
  onOutcome: TouchOutcome = () => {},
): TouchWriter {
  let queued = new Map<string, Date>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const inFlight = new Set<Promise<void>>();
  let writing = 0;

  async function write(batch: Map<string, Date>): Promise<void> {
    const ids = [...batch.keys()].sort();
    try {
      await transaction(async (db) => {
        await db.query(LOCK_TIMEOUT);
        await db.query(touchSessions, [ids, ids.map((id) => batch.get(id))]);
      });
      onOutcome('written', ids.length);
    } catch (error) {
      logger.warn({ err: error, sessions: ids.length }, 'last_seen_at refreshes dropped');
      onOutcome('dropped', ids.length);
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queued.size > 0) {
      const batch = queued;
      queued = new Map();
      writing += batch.size;
      const done = write(batch).finally(() => {
        writing -= batch.size;
        inFlight.delete(done);
      });
      inFlight.add(done);
    }
    return Promise.all(inFlight).then(() => undefined);
  }

  return {
    touch(id, at) {
      const earlier = queued.get(id);
      if (earlier === undefined || earlier < at) queued.set(id, at);
      if (closed || queued.size >= MAX_BATCH) void flush();
      else if (timer === null) {
        timer = setTimeout(flush, delayMilliseconds);
        timer.unref();
      }
    },
    flush,
    backlog: () => queued.size + writing,
    async close() {
      closed = true;
      await flush();
    },
  };
}
