/**
 * `npm run bench:scale`: sessiongraph at 10,000,000 native and 2,000,000 Django sessions (1,000,000 users), next
 * to the same figures at 100,000 native and 20,000 Django sessions (10,000 users), measured in the same run on
 * two databases of its own, dropped at the end (also on failure and on Ctrl-C).
 *
 * - Data (scale-data.ts): loaded in bulk, a third of each store expired, created_at over 30 days, keys and
 *   indexes built after the rows; then VACUUM (ANALYZE), as autovacuum would have left the tables.
 * - Backfill: `sessiongraph sync --backfill` (the built CLI) of the Django rows, with each of
 *   SCALE_DECODE_THREADS (`decodeThreads`; default 0, decoding in-process, and 2 worker threads), into an emptied projection: rows/s and the
 *   process's peak RSS.
 * - Workloads W1, W2, W3, W4, W6 (native and Django) of bench/workloads.ts against one sessiongraph server per
 *   database (run as `npm run bench` runs it), concurrency 32, BENCH_ROUNDS rounds of BENCH_ROUND_SECONDS
 *   alternating the sizes.
 * - Single requests: endUserSessions of a user with 10 sessions, totalCount of a user's sessions,
 *   estimatedCount, sessionStats by store and status.
 * - Sizes of every table and index.
 * - The sweep (scale-sweep.ts: sweepExpired as `npm run sweep` runs it) of a tenth of the native count (1,000,000
 *   at full size; native and Django, oldest expiry first), with 4 W4 writers running: rows/s and the writers'
 *   latency; then `npm run sweep` itself on the small database, for what it prints.
 *
 * Options: `--quick` (or SCALE=0.05) runs the large size at 1/20; SCALE=<fraction> any other. At full size it
 * first waits (up to SCALE_WAIT_MINUTES, 20) for a 1-minute load average under 1.0, and says if it ran without.
 * SCALE_WORKLOADS (ids, default all) measures only some workloads (the sweep's writers are W4 whatever it
 * says); SCALE_SWEEP_DUTY_CYCLE sweeps at another `sweepDutyCycle` than the default.
 * SCALE_KEEP=1 keeps the databases. Full-size results go to bench/results-scale.json, others to the temp dir.
 * Needs PostgreSQL (DATABASE_URL, else 127.0.0.1:5432, a superuser: it checkpoints and disables triggers while
 * loading) and psql.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import pg from 'pg';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { configSchema } from '../src/config.ts';
import { migrate } from '../src/db/migrations.ts';
import { readUsersCatalog } from '../src/users/catalog.ts';
import {
  CONNECTIONS,
  log,
  median,
  ROUND_SECONDS,
  ROUNDS,
  root,
  SAMPLE,
  SECRET,
  USERS,
  WARMUP_SECONDS,
} from './common.ts';
import type { DataSet } from './data.ts';
import { type Measurement, measure } from './measure.ts';
import {
  createTemplates,
  createUsers,
  dropTemplates,
  isExpired,
  loadDjango,
  loadNative,
  nativeKey,
  nativeKeyHash,
  RESERVED_USERS,
  type ScaleSize,
} from './scale-data.ts';
import {
  children,
  cliSweep,
  giveSessions,
  type Probe,
  probe,
  measureBackfill,
  sizes,
  sweepWithWriters,
} from './scale-phases.ts';
import { machine, otherProcesses, quietFor } from './scale-machine.ts';
import { printReport, type SizeResults, targetsOf, writeResults } from './scale-report.ts';
import { buildServers, type Server, startServer } from './servers.ts';
import { sessiongraphWorkloads, type Workload } from './workloads.ts';

const quick = process.argv.includes('--quick');
const SCALE = Number(process.env['SCALE'] ?? (quick ? 0.05 : 1));
if (!(SCALE > 0 && SCALE <= 1)) throw new Error('SCALE: expected a fraction in (0, 1]');
const FULL = SCALE === 1;
const label = (sessions: number) =>
  sessions >= 1_000_000 ? `${sessions / 1_000_000}M` : `${Math.round(sessions / 1000)}k`;
const sized = (sessions: number): ScaleSize => ({
  label: label(sessions),
  sessions,
  django: Math.round(sessions / 5),
  users: Math.round(sessions / 10),
});
const SMALL = sized(100_000);
const LARGE = sized(Math.round(10_000_000 * SCALE));
const DECODE_THREADS = (process.env['SCALE_DECODE_THREADS'] ?? '0,2').split(',').map(Number);
const WORKLOADS = (process.env['SCALE_WORKLOADS'] ?? 'W1,W2,W3,W4,W6n,W6d').split(',').filter(Boolean);
/** Single requests measured per probe, after PROBE_WARM unmeasured ones. */
const PROBES = 15;
const PROBE_WARM = 2;
const SWEEP_CLIENTS = 4;
const WAIT_MINUTES = Number(process.env['SCALE_WAIT_MINUTES'] ?? 20);
/** Before each measured phase (and round) at full size: other processes under this many cores for 5 s. */
const QUIET_CORES = 0.3;
const PHASE_WAIT_MINUTES = Number(process.env['SCALE_PHASE_WAIT_MINUTES'] ?? 3);
if (USERS > SMALL.users) throw new Error(`BENCH_USERS (${USERS}) must not exceed ${SMALL.users}`);

const serverUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const runId = randomBytes(4).toString('hex');
const decodeThreadsSetting = 'decodeThreads' in configSchema.shape;

/** The normal bench's configuration (bench/run.ts), with `decodeThreads` when given. */
const configOf = (threads?: number) => ({
  users: { table: 'public.users', key: 'id', columns: ['username', 'email'] },
  stores: [
    { kind: 'native', name: 'native', cookieName: 'sg_session' },
    { kind: 'django', name: 'django', table: 'django_session', secretKey: SECRET },
  ],
  limits: { perTokenPerMinute: 0, perIpPerMinute: 0 },
  ...(process.env['SCALE_SWEEP_DUTY_CYCLE'] && {
    sweepDutyCycle: Number(process.env['SCALE_SWEEP_DUTY_CYCLE']),
  }),
  ...(threads === undefined || !decodeThreadsSetting ? {} : { decodeThreads: threads }),
});

interface Target {
  size: ScaleSize;
  database: string;
  url: string;
  pool: pg.Pool;
  workDir: string;
  configPath: string;
  server: Server | null;
  token: string;
  workloads: Workload[];
  results: SizeResults;
}

/** Set on SIGINT/SIGTERM: the run stops, and what fails after that is not a failure to report. */
let interrupted = false;
const seconds = (from: number) => (performance.now() - from) / 1000;

/** At full size: waits for a quiet machine (1-minute load average under 1.0), at most WAIT_MINUTES. */
async function waitForQuiet() {
  const started = performance.now();
  const first = loadavg()[0]!;
  if (!FULL || WAIT_MINUTES <= 0) return { quiet: first < 1, loadAtStart: first, waitedSeconds: 0 };
  let lastLine = 0;
  while (loadavg()[0]! >= 1) {
    if (seconds(started) > WAIT_MINUTES * 60) {
      log(
        `the machine stayed busy for ${WAIT_MINUTES} min (load ${loadavg()[0]!.toFixed(2)}): running anyway`,
      );
      return { quiet: false, loadAtStart: loadavg()[0]!, waitedSeconds: seconds(started) };
    }
    if (performance.now() - lastLine > 60_000) {
      lastLine = performance.now();
      log(
        `waiting for a quiet machine: load average ${loadavg()
          .map((v) => v.toFixed(2))
          .join(' ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 15_000));
  }
  return { quiet: true, loadAtStart: loadavg()[0]!, waitedSeconds: seconds(started) };
}

/** The servers (servers.ts) and the CLI with its decode worker, as `npm run build` builds them. */
function build() {
  buildServers();
  buildSync({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli.ts', 'decode-worker': 'src/projection/decode-worker.ts' },
    outdir: 'dist',
  });
}

async function load(target: Target) {
  const { pool, size } = target;
  log(
    `loading ${target.database}: ${size.users.toLocaleString('en-US')} users, ${size.sessions.toLocaleString('en-US')} native and ${size.django.toLocaleString('en-US')} Django sessions`,
  );
  await createUsers(pool, size);
  await createTemplates(pool);
  const catalog = await readUsersCatalog(pool, configSchema.parse(configOf()).users);
  await migrate(pool, { users: catalog });
  // Django rows are encoded by child processes while PostgreSQL writes the native rows.
  const [django, native] = await Promise.all([
    loadDjango(pool, target.url, size, log),
    loadNative(pool, size, log),
  ]);
  await dropTemplates(pool);
  const started = performance.now();
  await pool.query('VACUUM (ANALYZE)');
  target.results.load = {
    nativeSeconds: native.seconds,
    djangoSeconds: django.seconds,
    djangoCompressed: django.compressed,
    indexSeconds: { ...native.indexSeconds, django_session: django.indexSeconds },
    vacuumSeconds: seconds(started),
  };
  log(
    `  ${size.label}: native ${native.seconds.toFixed(0)} s (${Math.round(size.sessions / native.seconds)} rows/s), Django ${django.seconds.toFixed(0)} s (${Math.round(size.django / django.seconds)} rows/s, ${django.compressed} compressed), VACUUM ANALYZE ${seconds(started).toFixed(0)} s`,
  );
}

/** The workloads' samples: sessions drawn at random from the whole table (their ids read back by key). */
async function workloadsOf(target: Target): Promise<Workload[]> {
  const { pool, size } = target;
  const picks = Array.from({ length: 5 * SAMPLE }, () => Math.floor(Math.random() * size.sessions));
  const ids = new Map(
    (
      await pool.query<{ id: string; key_hash: Buffer }>(
        'SELECT id::text AS id, key_hash FROM sessiongraph.sessions WHERE key_hash = ANY($1::bytea[])',
        [picks.map(nativeKeyHash)],
      )
    ).rows.map((row) => [row.key_hash.toString('hex'), row.id]),
  );
  const set: DataSet = { allIds: [], activeIds: [], activeKeys: [], createdUntil: new Date() };
  for (const index of picks) {
    const id = ids.get(nativeKeyHash(index).toString('hex'));
    if (!id) throw new Error(`native session ${index} is missing`);
    set.allIds.push(id);
    if (!isExpired(index)) {
      set.activeIds.push(id);
      set.activeKeys.push(nativeKey(index));
    }
  }
  // W6d: users (among the first USERS, as W6n's) with Django sessions; refs for W4d (not run).
  const users = (
    await pool.query<{ user_id: string }>(
      `SELECT DISTINCT user_id::text AS user_id FROM sessiongraph.projection
        WHERE store = 'django' AND user_id BETWEEN 1 AND $1 LIMIT ${SAMPLE}`,
      [USERS],
    )
  ).rows.map((row) => row.user_id);
  const refs = (
    await pool.query<{ ref: string }>(
      `SELECT ref FROM sessiongraph.projection
        WHERE store = 'django' AND valid AND expires_at > now() + interval '1 hour' LIMIT ${SAMPLE}`,
    )
  ).rows.map((row) => row.ref);
  const churn = {
    w8: { size: 0, next: () => '0', fill: async () => {}, clear: async () => {} },
    dropCreated: async () => 0,
  };
  // W4 is also the sweep's writers.
  return sessiongraphWorkloads(target.token, set, { users, refs }, churn).filter(
    (workload) => WORKLOADS.includes(workload.id) || workload.id === 'W4',
  );
}

async function sanity(target: Target) {
  for (const workload of target.workloads) {
    const next = workload.next();
    const response = await fetch(`http://127.0.0.1:${target.server!.port}${next.path}`, {
      method: workload.method,
      headers: {
        ...workload.headers,
        ...next.headers,
        ...(next.cookie ? { cookie: `sg_session=${next.cookie}` } : {}),
      },
      ...(next.body === undefined ? {} : { body: next.body }),
    });
    const body = await response.text();
    if (!response.ok || !workload.ok(body)) {
      throw new Error(`${workload.id} at ${target.size.label}: ${response.status} ${body.slice(0, 500)}`);
    }
  }
}

async function probes(target: Target): Promise<Probe[]> {
  const { server, token, size, pool } = target;
  const reserved = size.users + 1;
  await giveSessions(pool, reserved, Math.min(RESERVED_USERS, PROBES + PROBE_WARM), 10);
  const anyUser = () => ({ id: String(1 + Math.floor(Math.random() * USERS)) });
  const counted = (field: string) => (body: string) => new RegExp(`"${field}":\\d+`).test(body);
  const run = (
    name: string,
    query: string,
    variables: (i: number) => Record<string, unknown> | undefined,
    check?: (body: string) => boolean,
  ) => probe(server!, token, name, query, PROBES, PROBE_WARM, variables, check);
  return [
    await run(
      'endUserSessions (10 sessions)',
      `mutation P($userId: ID!) { endUserSessions(input: { userId: $userId }) {
        __typename ... on EndUserSessionsPayload { count } ... on Error { code } } }`,
      (i) => ({ userId: String(reserved + i) }),
      (body) => body.includes('"count":10'),
    ),
    await run(
      'totalCount of a user (native)',
      'query P($id: ID!) { sessions(userId: $id) { totalCount } }',
      anyUser,
      counted('totalCount'),
    ),
    await run(
      'totalCount of a user (Django)',
      'query P($id: ID!) { sessions(store: "django", userId: $id) { totalCount } }',
      anyUser,
      counted('totalCount'),
    ),
    await run(
      'estimatedCount (native)',
      '{ sessions { estimatedCount } }',
      () => undefined,
      counted('estimatedCount'),
    ),
    await run(
      'estimatedCount (Django, ACTIVE)',
      '{ sessions(store: "django", status: ACTIVE) { estimatedCount } }',
      () => undefined,
      counted('estimatedCount'),
    ),
    await run(
      'sessionStats by store and status',
      '{ sessionStats { store status count } }',
      () => undefined,
      counted('count'),
    ),
  ];
}

async function main() {
  const runStarted = performance.now();
  const phases: Record<string, { seconds: number; otherCores: number; load: number; waitedSeconds: number }> =
    {};
  const quiet = await waitForQuiet();
  log(
    `bench:scale ${LARGE.label} vs ${SMALL.label} (SCALE=${SCALE}${quick ? ', --quick' : ''}); load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  if (!decodeThreadsSetting)
    log('no `decodeThreads` setting in src/config.ts: one backfill per size, default decoding');
  build();
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const targets: Target[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () => {
    cleaning ??= (async () => {
      await Promise.all(targets.map((target) => target.server?.stop().catch(() => {})));
      for (const child of children) child.kill('SIGKILL');
      for (const target of targets) {
        if (process.env['SCALE_KEEP']) log(`kept the database ${target.database} (SCALE_KEEP)`);
        else await admin.query(`DROP DATABASE IF EXISTS ${target.database} WITH (FORCE)`).catch(() => {});
        await Promise.race([
          target.pool.end().catch(() => {}),
          new Promise((resolve) => setTimeout(resolve, 2000)),
        ]);
        rmSync(target.workDir, { recursive: true, force: true });
      }
      await admin.end().catch(() => {});
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`\n${signal}: stopping, dropping the bench's databases`);
      void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    for (const size of [SMALL, LARGE]) {
      const database = `sg_scale_${runId}_${size.label.toLowerCase()}`;
      await admin.query(`CREATE DATABASE ${database}`);
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
      pool.on('error', () => {});
      const workDir = mkdtempSync(join(tmpdir(), 'sg-scale-'));
      const configPath = join(workDir, 'sessiongraph.json');
      writeFileSync(configPath, JSON.stringify(configOf()));
      targets.push({
        size,
        database,
        url: url.toString(),
        pool,
        workDir,
        configPath,
        server: null,
        token: '',
        workloads: [],
        results: {
          size,
          database,
          load: {
            nativeSeconds: 0,
            djangoSeconds: 0,
            djangoCompressed: 0,
            indexSeconds: {},
            vacuumSeconds: 0,
          },
          backfill: [],
          workloads: [],
          probes: [],
          sizes: null,
          sweep: null,
          serverPeakRssBytes: 0,
        },
      });
    }
    const others = otherProcesses(
      () => [
        ...[...children].flatMap((child) => (child.pid ? [child.pid] : [])),
        ...targets.flatMap((target) => (target.server?.child.pid ? [target.server.child.pid] : [])),
      ],
      (database) => database.startsWith(`sg_scale_${runId}_`) || database === 'postgres',
    );
    /** Before a measurement, at full size: other processes off the machine (a few minutes at most). */
    const untilQuiet = async (label: string) =>
      FULL
        ? (
            await quietFor(others, {
              cores: QUIET_CORES,
              windowSeconds: 5,
              maxMinutes: PHASE_WAIT_MINUTES,
              label,
            })
          ).waitedSeconds
        : 0;
    const phase = async (name: string, work: () => Promise<void>, measured = true) => {
      log(`\n== ${name} (load average ${loadavg()[0]!.toFixed(2)})`);
      const waited = measured ? await untilQuiet(name) : 0;
      const started = performance.now();
      others.sinceLast();
      const load = loadavg()[0]!;
      await work();
      phases[name] = {
        seconds: seconds(started),
        otherCores: others.sinceLast(),
        load,
        waitedSeconds: waited,
      };
      log(
        `   ${name}: ${seconds(started).toFixed(0)} s; other processes used ${phases[name]!.otherCores.toFixed(2)} cores meanwhile`,
      );
    };

    await phase(
      'load',
      async () => {
        for (const target of targets) await load(target);
      },
      false,
    );

    await phase('backfill', async () => {
      for (const target of targets) {
        for (const threads of decodeThreadsSetting ? DECODE_THREADS : [-1]) {
          const path = join(target.workDir, `backfill-${threads}.json`);
          writeFileSync(path, JSON.stringify(configOf(threads < 0 ? undefined : threads)));
          const run = await measureBackfill(
            target.pool,
            { DATABASE_URL: target.url, SESSIONGRAPH_CONFIG: path },
            threads,
            target.size.label,
          );
          target.results.backfill.push(run);
          log(
            `  ${target.size.label} decodeThreads ${threads < 0 ? 'default' : threads}: ${run.rows} rows in ${run.seconds.toFixed(1)} s = ${run.rowsPerSecond} rows/s, peak RSS ${run.peakRssBytes === null ? '?' : Math.round(run.peakRssBytes / 2 ** 20)} MB`,
          );
        }
        await target.pool.query('VACUUM (ANALYZE) sessiongraph.projection');
      }
    });

    await phase(
      'servers',
      async () => {
        for (const target of targets) {
          target.server = await startServer(
            'sessiongraph',
            'dist/main.js',
            { DATABASE_URL: target.url, SESSIONGRAPH_CONFIG: target.configPath },
            target.workDir,
          );
          target.token = (await createToken(target.pool, 'bench', SCOPES, null)).token;
          target.workloads = await workloadsOf(target);
          await sanity(target);
        }
      },
      false,
    );

    await phase('workloads', async () => {
      // What loading and backfilling left dirty is written out before anything is measured.
      await targets[0]!.pool.query('CHECKPOINT');
      log(`  warm-up: ${WARMUP_SECONDS} s per workload and size, concurrency ${CONNECTIONS}`);
      for (const id of WORKLOADS) {
        for (const target of targets) {
          await measure(target.server!, target.workloads.find((w) => w.id === id)!, WARMUP_SECONDS);
        }
      }
      const runs = new Map<string, Measurement[]>();
      for (let round = 1; round <= ROUNDS; round += 1) {
        log(`  round ${round}/${ROUNDS}: ${ROUND_SECONDS} s per workload and size`);
        if (round > 1) await untilQuiet(`round ${round}`);
        for (const id of WORKLOADS) {
          // The sizes alternate which goes first, round by round.
          for (const target of round % 2 === 1 ? targets : [...targets].reverse()) {
            const measured = await measure(
              target.server!,
              target.workloads.find((w) => w.id === id)!,
              ROUND_SECONDS,
            );
            const key = `${id} ${target.size.label}`;
            runs.set(key, [...(runs.get(key) ?? []), measured]);
            log(
              `    ${key.padEnd(10)} ${Math.round(measured.requestsPerSecond).toString().padStart(6)} req/s  p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms  errors ${measured.errors}`,
            );
          }
        }
      }
      for (const target of targets) {
        target.results.workloads = target.workloads.map((workload) => {
          const measured = runs.get(`${workload.id} ${target.size.label}`) ?? [];
          return {
            workload: workload.id,
            description: workload.description,
            requestsPerSecond: median(measured.map((m) => m.requestsPerSecond)),
            p50Ms: median(measured.map((m) => m.p50Ms)),
            p99Ms: median(measured.map((m) => m.p99Ms)),
            errors: measured.reduce((sum, m) => sum + m.errors, 0),
            rounds: measured,
          };
        });
      }
    });

    await phase('single requests and sizes', async () => {
      // As before the workloads: what they wrote is on disk before single requests are timed.
      await targets[0]!.pool.query('CHECKPOINT');
      for (const target of targets) {
        target.results.probes = await probes(target);
        for (const it of target.results.probes) {
          log(
            `  ${target.size.label} ${it.name}: median ${it.medianMs.toFixed(1)} ms, max ${it.maxMs.toFixed(1)} ms`,
          );
        }
        target.results.sizes = await sizes(target.pool);
      }
    });

    await phase('sweep', async () => {
      await targets[0]!.pool.query('CHECKPOINT');
      for (const target of targets) {
        target.results.sweep = await sweepWithWriters(
          target.pool,
          target.database,
          target.server!,
          target.workloads.find((w) => w.id === 'W4')!,
          { DATABASE_URL: target.url, SESSIONGRAPH_CONFIG: target.configPath },
          Math.round(target.size.sessions / 10),
          SWEEP_CLIENTS,
          target.size.label,
        );
        const sweep = target.results.sweep;
        log(
          `  ${target.size.label}: ${sweep.deleted} rows in ${sweep.seconds.toFixed(1)} s = ${Math.round(sweep.rowsPerSecond)} rows/s; W4 meanwhile p99 ${sweep.writersDuring.p99Ms} ms, max ${sweep.writersDuring.maxMs} ms`,
        );
      }
    });

    const small = targets[0]!;
    const cli = await cliSweep({ DATABASE_URL: small.url, SESSIONGRAPH_CONFIG: small.configPath });
    log(`\n\`npm run sweep\` on ${small.size.label} (everything expired by now) printed:\n${cli.printed}`);

    for (const target of targets) target.results.serverPeakRssBytes = target.server!.peakRss();
    const [smallResults, largeResults] = targets.map((target) => target.results) as [
      SizeResults,
      SizeResults,
    ];
    const targetsMet = targetsOf(smallResults, largeResults);
    printReport(smallResults, largeResults, targetsMet);
    log('\nphases: seconds, load average at the start, cores other processes used meanwhile, wait for quiet');
    for (const [name, it] of Object.entries(phases)) {
      log(
        `  ${name.padEnd(26)} ${it.seconds.toFixed(0).padStart(5)} s  load ${it.load.toFixed(2)}  others ${it.otherCores.toFixed(2)} cores  waited ${it.waitedSeconds.toFixed(0)} s`,
      );
    }
    const postgres = (await small.pool.query<{ v: string }>('SHOW server_version')).rows[0]!.v;
    const settings = (
      await small.pool.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem',
           'maintenance_work_mem', 'min_wal_size', 'max_wal_size', 'wal_init_zero', 'wal_compression', 'autovacuum', 'jit', 'synchronous_commit', 'max_connections')`,
      )
    ).rows.map((row) => `${row.name}=${row.setting}${row.unit ?? ''}`);
    const totalSeconds = seconds(runStarted);
    log(`\nthe whole run took ${(totalSeconds / 60).toFixed(1)} min`);
    writeResults(
      FULL ? join(root, 'bench/results-scale.json') : join(tmpdir(), 'sessiongraph-results-scale.json'),
      {
        at: new Date().toISOString(),
        ...machine(),
        postgres,
        postgresSettings: settings,
        scale: SCALE,
        quiet,
        decodeThreadsSetting,
        connections: CONNECTIONS,
        roundSeconds: ROUND_SECONDS,
        rounds: ROUNDS,
        warmupSeconds: WARMUP_SECONDS,
        probes: { measured: PROBES, warm: PROBE_WARM },
        sweepClients: SWEEP_CLIENTS,
        phases,
        totalSeconds,
        cliSweep: cli,
      },
      [smallResults, largeResults],
      targetsMet,
    );
  } finally {
    await cleanup();
  }
}

await main().catch((error: unknown) => {
  if (interrupted) return new Promise(() => {}); // the signal handler exits once the databases are dropped
  process.stderr.write(`bench:scale failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
process.exit(0);
