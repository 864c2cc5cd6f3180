import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelinedReads } from '../db/pipeline.ts';
import type { Pool } from '../db/pool.ts';
import { expiredBacklog } from '../db/session-counts.ts';
import { decodeWorkersLost } from '../projection/decode-pool.ts';
import { oldestChangeAgeSeconds } from './ops.sql.ts';

/**
 * Prometheus metrics, one registry per app (tests run several apps in one process). Names follow
 * Prometheus conventions: `_total` counters, `_seconds` durations, base units.
 */
export interface MetricsOptions {
  projection: boolean;
  reads?: PipelinedReads | null;
  /** `last_seen_at` refreshes queued or being written by this replica. */
  touchBacklog?: () => number;
  /** The name the native store's counts are reported under. */
  nativeStore?: string;
}

export function createMetrics(pool: Pool, options: MetricsOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sessiongraph_process_' });

  const requests = new Counter({
    name: 'sessiongraph_requests_total',
    help: 'GraphQL requests by operation name and outcome (ok, error).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sessiongraph_request_duration_seconds',
    help: 'Time from request to response, by operation name.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const statements = new Histogram({
    name: 'sessiongraph_sql_statements_per_request',
    help: 'SQL statements one GraphQL request ran.',
    buckets: [0, 1, 2, 3, 5, 8, 13, 21],
    registers: [registry],
  });
  const decodeFailures = new Counter({
    name: 'sessiongraph_decode_failures_total',
    help: 'Stored sessions that did not decode, by store and problem (tampered, corrupt, unsafe, ...).',
    labelNames: ['store', 'problem'] as const,
    registers: [registry],
  });
  const rowErrors = new Counter({
    name: 'sessiongraph_row_errors_total',
    help:
      'Stored rows that made sessiongraph fail unexpectedly (a bug met by some data), by store: each was ' +
      'served or projected as INVALID and logged with its ref. Alert on any increase.',
    labelNames: ['store'] as const,
    registers: [registry],
  });
  const syncWorkerRestarts = new Counter({
    name: 'sessiongraph_sync_worker_restarts_total',
    help: 'Times the sync worker stopped on an unexpected error and was restarted (with backoff).',
    registers: [registry],
  });
  new Counter({
    name: 'sessiongraph_decode_workers_lost_total',
    help:
      'Decode worker threads that died (out-of-memory, crashed, or stalled on a row), by reason: the row it was ' +
      'decoding was tried alone once more and projected INVALID if that failed too, its other rows were decoded ' +
      'in-process, and the worker was replaced (logged with the store and ref). Counted for the whole process.',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of decodeWorkersLost()) this.inc({ reason }, count);
    },
  });
  const swept = new Counter({
    name: 'sessiongraph_sweeper_deleted_total',
    help: "Expired sessions the server's sweeper deleted, per store.",
    labelNames: ['store'] as const,
    registers: [registry],
  });
  const compiled = new Counter({
    name: 'sessiongraph_compiled_requests_total',
    help:
      'JSON POSTs the compiled path considered: answered there (sql: by one statement that builds the JSON; ' +
      'answered: from rows), or declined and passed to GraphQL execution; sql_error: the statement failed and ' +
      'the request went the general way.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const lastSeenRefreshes = new Counter({
    name: 'sessiongraph_last_seen_refreshes_total',
    help: 'Queued refreshes of last_seen_at: written, or dropped with their batch when its write failed.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const databaseFaults = new Counter({
    name: 'sessiongraph_database_faults_total',
    help: 'Requests answered SERVICE_UNAVAILABLE because of a database fault, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'sessiongraph_db_pool_connections',
    help: 'Pool connections by state: total, idle, and callers waiting for one.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  const touchBacklog = options.touchBacklog;
  if (touchBacklog) {
    new Gauge({
      name: 'sessiongraph_last_seen_backlog',
      help: 'Refreshes of last_seen_at this replica has queued and not yet written (each replica writes its own).',
      registers: [registry],
      collect() {
        this.set(touchBacklog());
      },
    });
  }
  new Gauge({
    name: 'sessiongraph_sweeper_backlog',
    help:
      'Sessions that expired before the current hour and are still stored, by store: what the sweeper has left ' +
      'to delete (from the kept session counts; any replica reports the same).',
    labelNames: ['store'] as const,
    registers: [registry],
    async collect() {
      const backlog = await expiredBacklog(pool, options.nativeStore ?? 'native').catch(() => null);
      if (backlog === null) return;
      this.reset();
      for (const { store, count } of backlog) this.set({ store }, count);
    },
  });
  const reads = options.reads;
  if (reads) {
    new Counter({
      name: 'sessiongraph_pipelined_statements_total',
      help:
        "The compiled path's statements: sent on its pipelined connections (pipeline), or to the pool because " +
        'every pipelined connection was stalled behind a slow statement or being reopened (pool).',
      labelNames: ['route'] as const,
      registers: [registry],
      collect() {
        const { pipeline, fallback } = reads.counts();
        this.reset();
        this.inc({ route: 'pipeline' }, pipeline);
        this.inc({ route: 'pool' }, fallback);
      },
    });
  }
  if (options.projection) {
    new Gauge({
      name: 'sessiongraph_projection_lag_seconds',
      help: 'Age of the oldest framework change not yet applied to the projection (0 when none).',
      registers: [registry],
      async collect() {
        // A scrape while the database is down reports nothing rather than failing the whole scrape.
        const age = await oldestChangeAgeSeconds(pool).catch(() => null);
        if (age !== null) this.set(age);
      },
    });
  }

  return {
    registry,
    requests,
    duration,
    statements,
    decodeFailures,
    rowErrors,
    syncWorkerRestarts,
    swept,
    databaseFaults,
    compiled,
    lastSeenRefreshes,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
