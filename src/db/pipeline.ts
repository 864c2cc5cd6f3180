import type { Writable } from 'node:stream';
import pg from 'pg';
import { connectionOptions, type Pool, type PoolTimeouts, type Queryable, type Row, run } from './pool.ts';

/**
 * Single statements outside any transaction, many in flight on each of a few connections: PostgreSQL's
 * pipeline mode (pg's `pipeline: true`). A pool gives each statement a connection of its own, so each one
 * costs a write, a backend's wake-up and a read of its own; here the statements of the requests read in one
 * turn of the event loop leave in one write, one backend answers them in one go, and their answers come
 * back together. That is much of what a one-statement read costs the database and the server (the
 * README's Performance section).
 *
 * Only for statements that stand alone: a statement on a pipelined connection runs in its own implicit
 * transaction, and a transaction's statements would interleave with other requests' (those use the pool).
 * A statement waits for those sent before it on its connection, so each goes to the connection with the
 * fewest in flight, and a connection whose oldest statement has waited longer than `stallMilliseconds`
 * takes no new ones: with every connection stalled, statements go to the fallback (the pool). A connection
 * that fails (or whose statement outlives the client's timeout: pg then drops the connection to unblock the
 * rest) fails every statement in flight on it, and a new one replaces it; callers treat a failure as "answer
 * the general way" (src/fastpath/handler.ts).
 */
export interface PipelinedReads extends Queryable {
  /** Statements so far: on the pipelined connections, and sent to the fallback instead. */
  counts(): { pipeline: number; fallback: number };
  /** Closes the connections (after the statements in flight). */
  end(): Promise<void>;
}

interface Lane {
  client: pg.Client;
  ready: Promise<void>;
  /** When each statement in flight was sent, oldest first (a pipeline answers in order). */
  sent: number[];
  broken: boolean;
  /** When it was opened (performance.now()): a broken connection is replaced at most once a second. */
  openedAt: number;
  /** Whether its writes are held until the end of this turn of the event loop (holdWrites). */
  corked: boolean;
}

/** A connection whose oldest statement has waited this long takes no new ones. */
const STALL_MILLISECONDS = 50;
/** A broken connection is replaced no sooner than this after it was opened. */
const REOPEN_MILLISECONDS = 1000;

export function createPipelinedReads(
  connectionString: string,
  connections: number,
  timeouts: PoolTimeouts,
  fallback: Pool,
  stallMilliseconds = STALL_MILLISECONDS,
): PipelinedReads {
  const lanes: (Lane | null)[] = Array.from({ length: connections }, () => null);
  let ending = false;
  const counts = { pipeline: 0, fallback: 0 };

  function open(): Lane {
    const client = new pg.Client({
      ...connectionOptions(connectionString, timeouts),
      pipeline: true,
    } as pg.ClientConfig);
    const ready = client.connect().then(() => undefined);
    const lane: Lane = { client, ready, sent: [], broken: false, openedAt: performance.now(), corked: false };
    const broken = () => {
      lane.broken = true;
    };
    // Without a listener a lost connection would be an uncaught 'error' and end the process; a connection
    // opened while the database is down may fail with no statement waiting on it.
    client.on('error', broken);
    client.on('end', broken);
    ready.catch(broken);
    return lane;
  }

  /**
   * Holds the connection's writes until the event loop has run every callback of this turn, so the
   * statements of all the requests read in one turn leave in one write (pg corks only each statement's own
   * messages). The wait ends before the loop next waits for I/O.
   */
  function holdWrites(lane: Lane) {
    if (lane.corked) return;
    const stream = (lane.client as unknown as { connection?: { stream?: Partial<Writable> } }).connection
      ?.stream;
    if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return;
    lane.corked = true;
    stream.cork();
    setImmediate(() => {
      lane.corked = false;
      stream.uncork!();
    });
  }

  /**
   * The connection with the fewest statements in flight, unless stalled. A broken one is replaced first, but
   * not within a second of its opening: a database that refuses connections gets one attempt a second per
   * connection, and statements meanwhile go to the fallback.
   */
  function pick(now: number): Lane | null {
    let best: Lane | null = null;
    for (let i = 0; i < lanes.length; i++) {
      let lane: Lane | null = lanes[i] ?? null;
      if (lane?.broken) {
        if (now - lane.openedAt < REOPEN_MILLISECONDS) continue;
        // Whatever was still in flight on a broken connection fails with it.
        void lane.client.end().catch(() => {});
        lane = null;
      }
      if (lane === null) {
        lane = open();
        lanes[i] = lane;
      }
      const stalled = lane.sent.length > 0 && now - lane.sent[0]! > stallMilliseconds;
      if (!stalled && (best === null || lane.sent.length < best.sent.length)) best = lane;
    }
    return best;
  }

  return {
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
      if (ending) throw new Error('pipelined reads are closed');
      const now = performance.now();
      const lane = pick(now);
      if (lane === null) {
        counts.fallback += 1;
        return run<R>(fallback as never, text, params);
      }
      counts.pipeline += 1;
      lane.sent.push(now);
      try {
        await lane.ready;
        holdWrites(lane);
        return await run<R>(lane.client as never, text, params);
      } finally {
        lane.sent.shift();
      }
    },
    counts: () => ({ ...counts }),
    async end() {
      ending = true;
      await Promise.all(
        lanes.map((lane) => (lane ? lane.ready.then(() => lane.client.end()).catch(() => {}) : undefined)),
      );
    },
  };
}
