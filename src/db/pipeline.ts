import pg from 'pg';
import { type PoolTimeouts, type Queryable, type Row, run } from './pool.ts';

/**
 * Single statements outside any transaction, many in flight on each of a few connections: PostgreSQL's
 * pipeline mode (pg's `pipeline: true`). A pool gives each statement a connection of its own, so every
 * request costs its own write, its own backend wake-up and its own read; on a pipelined connection the
 * statements of requests that arrive together go out in one write and come back in one read, and the
 * backend answers them in one go. That is most of what a one-statement read costs the server and the
 * database (measured with the bench's W2: see the README's Performance section).
 *
 * Only for statements that stand alone: a statement on a pipelined connection runs in its own implicit
 * transaction, and a transaction's statements would interleave with other requests' (those go to the
 * pool). A statement behind a slow one waits for it, so each statement goes to the connection with the
 * fewest in flight. A connection that fails (or whose statement times out: pg then drops the connection to
 * unblock the rest) fails every statement in flight on it, and the next statement opens a new one; callers
 * treat a failure as "answer the general way" (src/fastpath/handler.ts).
 */
export interface PipelinedReads extends Queryable {
  /** Closes the connections (after the statements in flight). */
  end(): Promise<void>;
}

interface Lane {
  client: pg.Client;
  ready: Promise<void>;
  inFlight: number;
  broken: boolean;
}

export function createPipelinedReads(
  connectionString: string,
  connections: number,
  timeouts: PoolTimeouts = {},
): PipelinedReads {
  const lanes: (Lane | null)[] = Array.from({ length: connections }, () => null);
  const statement = timeouts.statementMilliseconds ?? 10_000;
  let ending = false;

  function open(): Lane {
    const client = new pg.Client({
      connectionString,
      pipeline: true,
      keepAlive: true,
      connectionTimeoutMillis: timeouts.connectMilliseconds ?? 5_000,
      ...(statement > 0 ? { statement_timeout: statement, query_timeout: statement + 5_000 } : {}),
    } as pg.ClientConfig);
    const lane: Lane = { client, ready: Promise.resolve(), inFlight: 0, broken: false };
    // Without a listener a lost connection would be an uncaught 'error' and end the process.
    client.on('error', () => {
      lane.broken = true;
    });
    client.on('end', () => {
      lane.broken = true;
    });
    lane.ready = client.connect().then(
      () => undefined,
      (error: unknown) => {
        lane.broken = true;
        throw error;
      },
    );
    // A lane opened while the database is down may fail to connect with no statement waiting on it.
    lane.ready.catch(() => {});
    return lane;
  }

  /** The connection with the fewest statements in flight; a broken one is replaced first. */
  function pick(): Lane {
    let best: Lane | null = null;
    for (let i = 0; i < lanes.length; i++) {
      let lane = lanes[i]!;
      if (lane === null || lane.broken) {
        // Whatever was still in flight on a broken connection fails with it.
        if (lane) void lane.client.end().catch(() => {});
        lane = open();
        lanes[i] = lane;
      }
      if (best === null || lane.inFlight < best.inFlight) best = lane;
    }
    return best!;
  }

  return {
    async query<R extends Row = Row>(text: string, params?: readonly unknown[]) {
      if (ending) throw new Error('pipelined reads are closed');
      const lane = pick();
      lane.inFlight += 1;
      try {
        await lane.ready;
        return await run<R>(lane.client as never, text, params);
      } finally {
        lane.inFlight -= 1;
      }
    },
    async end() {
      ending = true;
      await Promise.all(
        lanes.map((lane) => (lane ? lane.ready.then(() => lane.client.end()).catch(() => {}) : undefined)),
      );
    },
  };
}
