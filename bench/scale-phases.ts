/**
 * The scale bench's measurements other than the workloads (src: scale.ts): the projection's backfill as
 * `sessiongraph sync --backfill` runs it, single requests (endUserSessions, totalCount, estimatedCount,
 * sessionStats), table and index sizes, and the sweep with writers running beside it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import type pg from 'pg';
import { log, median, root } from './common.ts';
import { postgresCpuSeconds } from './cpu.ts';
import type { Server } from './servers.ts';
import type { Workload } from './workloads.ts';
import { CLAIM_CHANGES } from '../src/projection/projection.sql.ts';

export const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
};

/** Every child process the bench starts, so an interrupted run can stop them all. */
export const children = new Set<ChildProcess>();
export const track = (child: ChildProcess) => {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};

export interface BackfillRun {
  threads: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Peak RSS of the `sessiongraph sync` process (worker threads included), from wait4 via /usr/bin/time. */
  peakRssBytes: number | null;
  cpuSeconds: { user: number; system: number } | null;
  /** CPU seconds all of PostgreSQL used meanwhile (this machine's, other databases' included). */
  postgresCpuSeconds: number;
  /** What the command printed on stdout. */
  printed: string;
  /** Earlier attempts that failed (the error they printed), each followed by a fresh start. */
  failedAttempts: string[];
}

/** Attempts of one backfill measurement: a failed one is reported, and the next starts over. */
const BACKFILL_ATTEMPTS = 3;

/** `runBackfill`, started over after a failure (up to BACKFILL_ATTEMPTS), the failures kept in the result. */
export async function measureBackfill(
  pool: pg.Pool,
  env: Record<string, string>,
  threads: number,
  label: string,
): Promise<BackfillRun> {
  const failedAttempts: string[] = [];
  for (;;) {
    try {
      return { ...(await runBackfill(pool, env, threads, label)), failedAttempts };
    } catch (error) {
      const message = (error as Error).message;
      const cause = /sessiongraph: error: [^\n]*/.exec(message)?.[0] ?? message.slice(-500);
      failedAttempts.push(cause);
      log(`  [${label}, decodeThreads ${threads}] FAILED: ${cause}`);
      if (failedAttempts.length >= BACKFILL_ATTEMPTS) throw error;
      log(`  [${label}, decodeThreads ${threads}] starting over`);
    }
  }
}

/**
 * `sessiongraph sync --backfill` (the built CLI, dist/cli.js, as `node dist/cli.js` runs it) over a projection
 * emptied first, so every run writes the same rows into an empty table; `configPath` sets `decodeThreads`.
 * The rate is the command's own (time inside the backfill, start-up excluded).
 */
async function runBackfill(
  pool: pg.Pool,
  env: Record<string, string>,
  threads: number,
  label: string,
): Promise<Omit<BackfillRun, 'failedAttempts'>> {
  await pool.query('TRUNCATE sessiongraph.projection');
  await pool.query("DELETE FROM sessiongraph.projection_state WHERE store = 'django'");
  // Each run starts from the same state of PostgreSQL's buffers and WAL.
  await pool.query('CHECKPOINT');
  const timeBinary = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const postgresBefore = postgresCpuSeconds();
  const command = [process.execPath, 'dist/cli.js', 'sync', '--backfill'];
  const child = track(
    spawn(
      timeBinary ?? command[0]!,
      timeBinary ? ['-f', 'scale-time %M %U %S', ...command] : command.slice(1),
      { cwd: root, env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  let stdout = '';
  let stderr = '';
  let lastShown = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const latest = stderr.split(/[\r\n]/).filter((line) => line.includes('rows/s'));
    if (latest.length > 0 && performance.now() - lastShown > 5000) {
      lastShown = performance.now();
      log(`  [${label}, decodeThreads ${threads}] ${latest.at(-1)!.trim()}`);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const postgres = postgresCpuSeconds() - postgresBefore;
  if (code !== 0) throw new Error(`sync --backfill exited ${code}:\n${stdout}\n${stderr.slice(-3000)}`);
  const done = /(\d+) sessions projected in ([\d.]+)s \((\d+) sessions\/s\)/.exec(stdout);
  if (!done) throw new Error(`sync --backfill printed no result:\n${stdout}`);
  const timed = /scale-time (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
  return {
    threads,
    rows: Number(done[1]),
    seconds: Number(done[2]),
    rowsPerSecond: Number(done[3]),
    peakRssBytes: timed ? Number(timed[1]) * 1024 : null,
    cpuSeconds: timed ? { user: Number(timed[2]), system: Number(timed[3]) } : null,
    postgresCpuSeconds: postgres,
    printed: stdout.trim(),
  };
}

/**
 * One kept-alive connection for the probes, as a client of the API would hold one: a request's time is then
 * the server's answer, not a connection's set-up or `fetch`'s own work (1–2 ms a request here, measured).
 */
const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** A probe that has no answer by then fails the run instead of hanging it. */
const PROBE_TIMEOUT_MS = 60_000;

/** One GraphQL request and its time at the client. */
export function request(
  server: Server,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ ms: number; body: string; ok: boolean }> {
  const payload = JSON.stringify(variables ? { query, variables } : { query });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sent = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/graphql',
        method: 'POST',
        agent: probeAgent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const ms = performance.now() - started;
          const body = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          resolve({ ms, body, ok: status >= 200 && status < 300 && !body.includes('"errors"') });
        });
      },
    );
    sent.on('error', reject);
    sent.setTimeout(PROBE_TIMEOUT_MS, () => sent.destroy(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)));
    sent.end(payload);
  });
}

export interface Probe {
  name: string;
  samples: number[];
  medianMs: number;
  maxMs: number;
  /** The first answer, to show what was counted. */
  answer: string;
}

/** Users (after the data set's) given 10 native sessions each before the endUserSessions probe. */
export async function giveSessions(pool: pg.Pool, firstUser: number, users: number, perUser: number) {
  await pool.query(
    `INSERT INTO sessiongraph.sessions (key_hash, user_id, data, created_at, expires_at)
     SELECT sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), u,
            jsonb_build_object('user_role', 'member', 'current_page', '/products/' || n, 'cart', '[]'::jsonb),
            now() - interval '30 days' + make_interval(secs => n), now() + interval '1 day'
       FROM generate_series($1::int, $2::int) AS u CROSS JOIN generate_series(1, $3::int) AS n`,
    [firstUser, firstUser + users - 1, perUser],
  );
}

/**
 * Single requests, one after another: `warm` unmeasured ones first (the first of a shape prepares its
 * statements), then `count` measured. `variables(i)` gives the i-th request's variables; `check` its answer.
 */
export async function probe(
  server: Server,
  token: string,
  name: string,
  query: string,
  count: number,
  warm: number,
  variables: (i: number) => Record<string, unknown> | undefined,
  check: (body: string) => boolean = () => true,
): Promise<Probe> {
  const samples: number[] = [];
  let answer = '';
  for (let i = 0; i < warm + count; i += 1) {
    const result = await request(server, token, query, variables(i));
    if (!result.ok || !check(result.body)) {
      throw new Error(`probe ${name}: unexpected answer ${result.body.slice(0, 500)}`);
    }
    if (i >= warm) samples.push(result.ms);
    if (i === warm) answer = result.body.slice(0, 2000);
  }
  return { name, samples, medianMs: median(samples), maxMs: Math.max(...samples), answer };
}

export interface Sizes {
  databaseBytes: number;
  tables: { relation: string; rows: number; totalBytes: number; heapBytes: number; indexBytes: number }[];
  indexes: { index: string; relation: string; bytes: number }[];
}

/** pg_total_relation_size of the bench's tables, and each index's size. */
export async function sizes(pool: pg.Pool): Promise<Sizes> {
  const tables = await pool.query<{
    relation: string;
    rows: string;
    total: string;
    heap: string;
    indexes: string;
  }>(
    `SELECT c.oid::regclass::text AS relation, c.reltuples::bigint AS rows, pg_total_relation_size(c.oid) AS total,
            pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname IN ('public', 'sessiongraph') AND pg_total_relation_size(c.oid) > 65536
      ORDER BY pg_total_relation_size(c.oid) DESC`,
  );
  const indexes = await pool.query<{ index: string; relation: string; bytes: string }>(
    `SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS relation,
            pg_relation_size(i.indexrelid) AS bytes
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('public', 'sessiongraph') AND pg_relation_size(i.indexrelid) > 65536
      ORDER BY 3 DESC`,
  );
  const database = await pool.query<{ bytes: string }>(
    'SELECT pg_database_size(current_database()) AS bytes',
  );
  return {
    databaseBytes: Number(database.rows[0]!.bytes),
    tables: tables.rows.map((row) => ({
      relation: row.relation,
      rows: Number(row.rows),
      totalBytes: Number(row.total),
      heapBytes: Number(row.heap),
      indexBytes: Number(row.indexes),
    })),
    indexes: indexes.rows.map((row) => ({ ...row, bytes: Number(row.bytes) })),
  };
}

export interface WriterStream {
  connections: number;
  seconds: number;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The slowest responses: when each came (seconds from the stream's start) and how long it took. */
  slowest: { atSeconds: number; ms: number }[];
}

/**
 * A statement of this database seen running longer than SLOW_STATEMENT_MS: who ran it (the sweep's child
 * names itself `sessiongraph-sweep`), when it began (seconds from the sweep's start), the longest it was seen
 * running, and what it was seen waiting on (PostgreSQL's wait_event_type:wait_event; `cpu` when none).
 */
export interface SlowStatement {
  who: string;
  atSeconds: number;
  ms: number;
  waits: string[];
  query: string;
}

/**
 * A W4 stream (updateSession, `connections` clients one request at a time each) until `until` settles; the
 * latency of every response between `from` settling and `until` settling is kept, so the figures cover
 * exactly that span.
 */
export async function writers(
  server: Server,
  workload: Workload,
  connections: number,
  until: Promise<unknown>,
  from: Promise<unknown> = Promise.resolve(),
): Promise<WriterStream> {
  const latencies: number[] = [];
  let errors = 0;
  let counting = false;
  let started = performance.now();
  void from.then(() => {
    started = performance.now();
    counting = true;
  });
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${server.port}`,
      connections,
      duration: 3600,
      requests: [
        {
          method: workload.method,
          setupRequest: (request) => {
            const next = workload.next();
            return {
              ...request,
              method: workload.method,
              path: next.path,
              headers: { ...workload.headers, ...next.headers },
              ...(next.body === undefined ? {} : { body: next.body }),
            };
          },
          onResponse: (status, body) => {
            if (counting && (status < 200 || status >= 300 || !workload.ok(body))) errors += 1;
          },
        },
      ],
    },
    () => {},
  );
  const slowest: { atSeconds: number; ms: number }[] = [];
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    if (!counting) return;
    latencies.push(responseTime);
    if (slowest.length < SLOWEST || responseTime > slowest.at(-1)!.ms) {
      slowest.push({ atSeconds: (performance.now() - started) / 1000, ms: responseTime });
      slowest.sort((a, b) => b.ms - a.ms);
      slowest.length = Math.min(slowest.length, SLOWEST);
    }
  });
  await until.catch(() => {});
  counting = false;
  const seconds = (performance.now() - started) / 1000;
  const stopped = new Promise((resolve) => instance.once('done', resolve));
  instance.stop();
  await stopped;
  return {
    connections,
    seconds,
    requests: latencies.length,
    errors,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    // A loop, not a spread: a long sweep's writers give more latencies than a call's arguments may hold.
    maxMs: latencies.reduce((max, ms) => (ms > max ? ms : max), 0),
    slowest,
  };
}

/** How many of the slowest responses and statements a sweep run keeps. */
const SLOWEST = 8;
/** A statement running at least this long when sampled is kept as a SlowStatement. */
const SLOW_STATEMENT_MS = 40;
/** The application_name of the sweep child's connections. */
const SWEEP_APPLICATION = 'sessiongraph-sweep';

const slowestOf = (statements: SlowStatement[]) => statements.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);

/** `url` with the application_name its connections report to pg_stat_activity. */
const named = (url: string, name: string) =>
  `${url}${url.includes('?') ? '&' : '?'}application_name=${encodeURIComponent(name)}`;

export interface SweepRun {
  target: number;
  at: string;
  due: { native: number; django: number };
  byStore: Record<string, number>;
  deleted: number;
  seconds: number;
  rowsPerSecond: number;
  batches: number;
  /** Mean rows per committed batch (batches are sized by sweepLockMilliseconds). */
  batchSize: number;
  /** Batches PostgreSQL cancelled at sweepLockMilliseconds (retried smaller). */
  cancelled: number;
  batchMs: { p50: number; p99: number; max: number };
  /** W4 before the sweep (same clients, a few seconds) and while it ran. */
  writersBefore: WriterStream;
  writersDuring: WriterStream;
  /** The most backends of this database seen waiting on a lock at once (sampled every 25 ms). */
  lockWaitersMax: number;
  lockWaitSamples: string[];
  /** The longest-running statements seen by the same samples, other than the sweep's, and the sweep's. */
  slowStatements: SlowStatement[];
  slowSweepStatements: SlowStatement[];
  /**
   * Django deletions the server's sync worker still had queued when the sweep ended, how long it took to
   * apply them (null: not within a minute), and how many were left then.
   */
  queuedAtEnd: number;
  drainSeconds: number | null;
  queuedAfterWait: number;
  /** When the queue did not drain: the claim statement's plans, run and rolled back. */
  drainDiagnosis: string[] | null;
  serverRssMaxBytes: number;
}

/** What scale-sweep.ts reports on its last line. */
type SweepChildResult = Pick<
  SweepRun,
  'byStore' | 'seconds' | 'batches' | 'batchSize' | 'cancelled' | 'batchMs'
>;

/** The time by which exactly `count` sessions (native and Django) had expired: the sweep's clock. */
export async function sweepCutoff(pool: pg.Pool, count: number) {
  const cutoff = await pool.query<{ at: Date }>(
    `SELECT at FROM (SELECT expires_at AS at FROM sessiongraph.sessions
                     UNION ALL SELECT expire_date FROM django_session) AS expiry
      ORDER BY at OFFSET $1 LIMIT 1`,
    [count - 1],
  );
  const at = cutoff.rows[0]!.at;
  const due = await pool.query<{ native: string; django: string }>(
    `SELECT (SELECT count(*) FROM sessiongraph.sessions WHERE expires_at <= $1) AS native,
            (SELECT count(*) FROM django_session WHERE expire_date <= $1) AS django`,
    [at],
  );
  return { at, native: Number(due.rows[0]!.native), django: Number(due.rows[0]!.django) };
}

/**
 * The sweep (scale-sweep.ts, a child process) of the `count` sessions that expired first, while `clients`
 * W4 writers update live sessions through the server; a few seconds of the same writers before it, for
 * comparison.
 */
export async function sweepWithWriters(
  pool: pg.Pool,
  database: string,
  server: Server,
  w4: Workload,
  env: Record<string, string>,
  count: number,
  clients: number,
  label: string,
): Promise<SweepRun> {
  const cutoff = await sweepCutoff(pool, count);
  log(
    `  [${label}] sweep clock ${cutoff.at.toISOString()}: ${cutoff.native} native + ${cutoff.django} Django sessions due`,
  );
  const writersBefore = await writers(
    server,
    w4,
    clients,
    new Promise((resolve) => setTimeout(resolve, 5000)),
  );
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'bench/scale-sweep.ts'], {
      cwd: root,
      env: {
        ...process.env,
        ...env,
        ...(env['DATABASE_URL'] ? { DATABASE_URL: named(env['DATABASE_URL'], SWEEP_APPLICATION) } : {}),
        SCALE_SWEEP_AT: cutoff.at.toISOString(),
        LOG_LEVEL: 'warn',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = createInterface({ input: child.stdout! });
  let result: SweepChildResult = {
    byStore: {},
    seconds: 0,
    batches: 0,
    batchSize: 0,
    cancelled: 0,
    batchMs: { p50: 0, p99: 0, max: 0 },
  };
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  let finished: () => void = () => {};
  const isFinished = new Promise<void>((resolve) => {
    finished = resolve;
  });
  lines.on('line', (line) => {
    if (line === 'ready') ready();
    else if (line.startsWith('progress ')) {
      const [, rows, rate, store] = line.split(' ');
      log(`  [${label}] swept ${Number(rows).toLocaleString('en-US')} rows (${rate} rows/s, now ${store})`);
    } else if (line.startsWith('result ')) {
      result = JSON.parse(line.slice('result '.length));
      finished();
    }
  });
  await Promise.race([
    isReady,
    exited.then((code) => {
      throw new Error(`the sweep exited ${code} before starting:\n${stderr}`);
    }),
  ]);
  // Lock waits in this database while the sweep runs, and statements running long.
  let lockWaitersMax = 0;
  const lockWaitSamples = new Set<string>();
  const slow = new Map<string, SlowStatement>();
  let sweepStartedAt = Date.now();
  let rssMax = server.rss();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      rssMax = Math.max(rssMax, server.rss());
      // One look at the database a sample: backends waiting on a lock, with the lock (for an `object` lock on
      // pg_database, class 1262, that is the NOTIFY queue's lock taken at commit), and statements running long.
      try {
        const seen = await pool.query<{
          pid: number;
          who: string;
          began: string;
          ms: number;
          wait: string;
          query: string;
          lock: string | null;
          slow: boolean;
        }>(
          `SELECT a.pid, a.application_name AS who, extract(epoch FROM a.query_start) * 1000 AS began,
                  extract(epoch FROM clock_timestamp() - a.query_start) * 1000 AS ms,
                  coalesce(a.wait_event_type || ':' || a.wait_event, 'cpu') AS wait,
                  left(regexp_replace(a.query, '\\s+', ' ', 'g'), 90) AS query,
                  CASE WHEN a.wait_event_type = 'Lock'
                       THEN concat_ws(' ', a.wait_event, l.locktype, l.classid::regclass::text, l.mode) END AS lock,
                  a.state = 'active' AND clock_timestamp() - a.query_start > make_interval(secs => $2 / 1000.0) AS slow
             FROM pg_stat_activity a LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
            WHERE a.datname = $1 AND a.pid <> pg_backend_pid()
              AND (a.wait_event_type = 'Lock'
                   OR (a.state = 'active' AND clock_timestamp() - a.query_start > make_interval(secs => $2 / 1000.0)))`,
          [database, SLOW_STATEMENT_MS],
        );
        const waiting = seen.rows.filter((row) => row.lock !== null);
        lockWaitersMax = Math.max(lockWaitersMax, waiting.length);
        for (const row of waiting) {
          if (lockWaitSamples.size < 20) lockWaitSamples.add(`${row.lock}: ${row.query}`);
        }
        for (const row of seen.rows.filter((it) => it.slow)) {
          const key = `${row.pid} ${row.began}`;
          const statement = slow.get(key) ?? {
            who: row.who,
            atSeconds: (Number(row.began) - sweepStartedAt) / 1000,
            ms: 0,
            waits: [],
            query: row.query,
          };
          statement.ms = Math.max(statement.ms, Number(row.ms));
          if (!statement.waits.includes(row.wait)) statement.waits.push(row.wait);
          slow.set(key, statement);
        }
      } catch {
        // a sample lost (the database busy or going away) is only a sample
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  // The writers run a second before the sweep starts; their figures count from its start.
  let go: () => void = () => {};
  const going = new Promise<void>((resolve) => {
    go = resolve;
  });
  const during = writers(server, w4, clients, isFinished, going);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  child.stdin!.write('go\n');
  sweepStartedAt = Date.now();
  go();
  const code = await exited;
  finished();
  const writersDuring = await during;
  sampling = false;
  await sampler;
  if (code !== 0 || result.batches === 0) throw new Error(`the sweep exited ${code}:\n${stderr}`);
  // The server's sync worker removes the swept Django sessions from the projection.
  const queued = async () =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM sessiongraph.changes')).rows[0]!.n);
  const queuedAtEnd = await queued();
  let drainSeconds: number | null = 0;
  let queuedAfterWait = 0;
  if (queuedAtEnd > 0) {
    log(
      `  [${label}] the server's sync worker has ${queuedAtEnd} swept Django sessions queued; waiting (1 min at most)`,
    );
    const started = performance.now();
    drainSeconds = null;
    while (performance.now() - started < 60_000) {
      queuedAfterWait = await queued();
      if (queuedAfterWait === 0) {
        drainSeconds = (performance.now() - started) / 1000;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  // A queue that did not drain: how PostgreSQL plans the sync worker's claim now, as a fresh (custom) plan and
  // as the generic plan a long-lived prepared statement may be using, each run and rolled back.
  let drainDiagnosis: string[] | null = null;
  if (queuedAfterWait > 0) {
    const client = await pool.connect();
    drainDiagnosis = [];
    try {
      await client.query(`PREPARE bench_claim(int) AS ${CLAIM_CHANGES}`);
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query('BEGIN');
        await client.query(`SET LOCAL plan_cache_mode = ${mode}`);
        await client.query(`SET LOCAL statement_timeout = '60s'`);
        const plan = await client.query<{ 'QUERY PLAN': string }>(
          'EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_claim(500)',
        );
        drainDiagnosis.push(`${mode}:`, ...plan.rows.map((row) => row['QUERY PLAN']));
        await client.query('ROLLBACK');
      }
      await client.query('DEALLOCATE bench_claim');
      log(`  [${label}] the claim's plans now:\n    ${drainDiagnosis.join('\n    ')}`);
    } catch (error) {
      drainDiagnosis.push(`failed: ${(error as Error).message}`);
      await client.query('ROLLBACK').catch(() => {});
    } finally {
      client.release();
    }
  }
  const deleted = Object.values(result.byStore).reduce((sum, n) => sum + n, 0);
  return {
    target: count,
    at: cutoff.at.toISOString(),
    due: { native: cutoff.native, django: cutoff.django },
    byStore: result.byStore,
    deleted,
    seconds: result.seconds,
    rowsPerSecond: deleted / result.seconds,
    batches: result.batches,
    batchSize: result.batchSize,
    cancelled: result.cancelled,
    batchMs: result.batchMs,
    writersBefore,
    writersDuring,
    lockWaitersMax,
    lockWaitSamples: [...lockWaitSamples],
    slowStatements: slowestOf([...slow.values()].filter((it) => it.who !== SWEEP_APPLICATION)),
    slowSweepStatements: slowestOf([...slow.values()].filter((it) => it.who === SWEEP_APPLICATION)),
    queuedAtEnd,
    drainSeconds,
    queuedAfterWait,
    drainDiagnosis,
    serverRssMaxBytes: rssMax,
  };
}

/** `npm run sweep` itself (the built CLI), for what it prints; it sweeps everything expired by now. */
export async function cliSweep(env: Record<string, string>) {
  const started = performance.now();
  const child = track(
    spawn(process.execPath, ['dist/cli.js', 'sweep'], {
      cwd: root,
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let printed = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    printed += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, printed: printed.trim(), seconds: (performance.now() - started) / 1000 };
}
