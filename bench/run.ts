/**
 * `npm run bench`: sessiongraph over HTTP, side by side with a hand-written node:http + pg server (the
 * practical ceiling), on one realistic data set in one run.
 *
 * - Data: USERS users in `public.users`, BENCH_SESSIONS native sessions (known keys, kept in memory only)
 *   and BENCH_SESSIONS Django sessions written in Django's signed format (≈10% expired, ≈5% large enough
 *   to be compressed).
 * - Servers: sessiongraph (`src/main.ts`), `bench/handwritten.ts` and `bench/postgraphile.ts`, each built to
 *   plain JavaScript in dist/ (as `npm start` runs sessiongraph) and run as a child process with
 *   `bench/preload.ts` preloaded to count SQL statements.
 * - Load: autocannon in-process, concurrency 32, a warm-up, then BENCH_ROUNDS alternating rounds of
 *   BENCH_ROUND_SECONDS per workload and server; medians reported and written to bench/results.json.
 *
 * Workloads: W1 a page of 50 active sessions with their users; W2 one session by id with its user; W3
 * currentSession with a cookie; W4 updateSession setting one key; W5 W1 on the Django store; W6 all
 * sessions of one user (native and Django). The hand-written server runs W1-W3.
 *
 * Needs a PostgreSQL: DATABASE_URL, else 127.0.0.1:5432. Creates and drops its own database.
 * Env: BENCH_SESSIONS (100000), BENCH_USERS (10000), BENCH_ROUND_SECONDS (10), BENCH_ROUNDS (3),
 * BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32), BENCH_ONLY (workload ids, e.g. "W1,W2"; default all),
 * BENCH_PROFILE (a directory: sessiongraph runs with --cpu-prof and writes its profile there on exit),
 * BENCH_KEEP (keep the database afterwards, to look at plans).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { buildSync } from 'esbuild';
import pg from 'pg';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { createDjangoCodec } from '../src/codecs/django.ts';
import type { JsonObject } from '../src/codecs/result.ts';
import { djangoLogin } from './django-data.ts';
import { encodeSessionId } from '../src/sessions/ids.ts';

const SECRET = 'bench-secret-key';
const int = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a positive number`);
  return value;
};
const USERS = int('BENCH_USERS', 10_000);
const SESSIONS = int('BENCH_SESSIONS', 100_000);
const ROUND_SECONDS = int('BENCH_ROUND_SECONDS', 10);
const ROUNDS = int('BENCH_ROUNDS', 3);
const WARMUP_SECONDS = int('BENCH_WARMUP_SECONDS', Math.min(2, ROUND_SECONDS));
const CONNECTIONS = int('BENCH_CONNECTIONS', 32);
const SAMPLE = 1000;
const ONLY = process.env['BENCH_ONLY']?.split(',').map((id) => id.trim());

const root = fileURLToPath(new URL('..', import.meta.url));
const serverUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `sg_bench_${randomBytes(4).toString('hex')}`;
const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;
const sample = <T>(values: readonly T[], count: number): T[] =>
  Array.from({ length: Math.min(count, values.length) }, () => pick(values));
const ROLES = ['admin', 'member', 'member', 'guest'];

function sessionData(index: number): JsonObject {
  return {
    user_role: ROLES[index % 4]!,
    current_page: `/products/${index % 500}`,
    cart: Array.from({ length: index % 4 }, (_, i) => ({
      sku: `SKU-${(index + i) % 1000}`,
      qty: 1 + (i % 3),
    })),
    ...(index % 20 === 0
      ? { history: Array.from({ length: 60 }, (_, i) => ({ page: `/p/${(index + i) % 997}`, at: i })) }
      : {}),
  };
}

const djangoData = (index: number, userId: number): JsonObject => ({
  ...djangoLogin(index, userId, SECRET),
  ...sessionData(index),
});

// ---------------------------------------------------------------------------------------------- data

interface DataSet {
  /** Native session ids (uuid) and raw keys of active sessions; all ids for W2. */
  activeIds: string[];
  allIds: string[];
  activeKeys: string[];
}

async function createFrameworkData(pool: pg.Pool) {
  await pool.query(`CREATE TABLE public.users (id serial PRIMARY KEY, username text NOT NULL,
    email text NOT NULL, password text NOT NULL)`);
  await pool.query(`INSERT INTO public.users (username, email, password)
    SELECT 'user' || g, 'user' || g || '@example.com', 'pbkdf2_sha256$260000$salt$' || g
      FROM generate_series(1, ${USERS}) g`);
  await pool.query(`CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY,
    session_data text NOT NULL, expire_date timestamptz NOT NULL)`);
  await pool.query('CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)');
  const codec = createDjangoCodec({ secretKey: SECRET });
  const now = Date.now();
  let compressed = 0;
  for (let start = 0; start < SESSIONS; start += 10_000) {
    const keys: string[] = [];
    const rows: string[] = [];
    const expires: Date[] = [];
    for (let i = start; i < Math.min(SESSIONS, start + 10_000); i += 1) {
      keys.push(`${i.toString(36).padStart(8, '0')}${randomBytes(12).toString('hex')}`);
      const row = codec.encode(djangoData(i, 1 + Math.floor(Math.random() * USERS)), new Date(now));
      if (row.startsWith('.')) compressed += 1;
      rows.push(row);
      expires.push(new Date(now + (i % 10 === 0 ? -3600_000 : 14 * 86_400_000 - i * 1000)));
    }
    await pool.query(
      'INSERT INTO django_session SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])',
      [keys, rows, expires],
    );
  }
  return { compressed };
}

/** Native sessions written straight into sessiongraph.sessions (after the server migrated). */
async function createNativeData(pool: pg.Pool): Promise<DataSet> {
  const now = Date.now();
  const set: DataSet = { activeIds: [], allIds: [], activeKeys: [] };
  for (let start = 0; start < SESSIONS; start += 10_000) {
    const ids: string[] = [];
    const hashes: Buffer[] = [];
    const users: (number | null)[] = [];
    const data: string[] = [];
    const created: Date[] = [];
    const expires: Date[] = [];
    for (let i = start; i < Math.min(SESSIONS, start + 10_000); i += 1) {
      const id = randomUUID();
      const key = randomBytes(32).toString('base64url');
      const createdAt = now - Math.floor(Math.random() * 14 * 86_400_000);
      const expired = i % 10 === 0;
      ids.push(id);
      hashes.push(createHash('sha256').update(key, 'utf8').digest());
      users.push(i % 9 === 0 ? null : 1 + Math.floor(Math.random() * USERS));
      data.push(JSON.stringify(sessionData(i)));
      created.push(new Date(createdAt));
      expires.push(new Date(expired ? now - 3600_000 : createdAt + 14 * 86_400_000 + 3600_000));
      set.allIds.push(id);
      if (!expired) {
        set.activeIds.push(id);
        set.activeKeys.push(key);
      }
    }
    await pool.query(
      `INSERT INTO sessiongraph.sessions (id, key_hash, user_id, data, created_at, expires_at)
       SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::int4[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[])`,
      [ids, hashes, users, data, created, expires],
    );
  }
  await pool.query('ANALYZE sessiongraph.sessions');
  return set;
}

// ------------------------------------------------------------------------------------------- servers

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
  /** SQL statements sent so far (through the preload's counter). */
  statements(): Promise<number>;
  /** CPU seconds the server process has used so far (user + system). */
  cpuSeconds(): number;
  /** Peak resident set size in bytes since the last resetPeak (VmHWM). */
  peakRss(): number;
  /** Resident set size now, in bytes (VmRSS). */
  rss(): number;
  resetPeak(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const TICKS_PER_SECOND = 100;

/**
 * User + system CPU seconds of a process (0 once it is gone), from /proc/<pid>/stat; with `children`, also
 * those of its children that have exited.
 */
function processCpuSeconds(pid: number | string, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by every PostgreSQL process on this machine, backends that have exited included
 * (the postmaster reaps them, so their time is in its children's).
 */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres')
        total += processCpuSeconds(pid, true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  workDir: string,
): Promise<Server> {
  const port = await freePort();
  const countFile = join(workDir, `${name}.statements`);
  const preload = pathToFileURL(join(root, 'dist/bench/preload.js')).href;
  const profile = name === 'sessiongraph' && process.env['BENCH_PROFILE'];
  // sessiongraph with the flags `npm start` gives it.
  const flags = [
    ...(name === 'sessiongraph'
      ? ['--enable-source-maps', '--expose-gc', `--max-old-space-size=${process.env['HEAP_MB'] ?? 256}`]
      : []),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
  ];
  const child = spawn(process.execPath, [...flags, '--import', preload, script], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      // Every server runs as it would in production (graphql-js skips its development-mode checks).
      NODE_ENV: 'production',
      BENCH_QUERY_COUNT_FILE: countFile,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  let stopping = false;
  child.once('exit', (code, signal) => {
    exited = true;
    if (!stopping) log(`${name} exited unexpectedly (${code ?? signal}):\n${stderr.slice(-2000)}`);
  });
  const deadline = Date.now() + 120_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${name} exited at start:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`${name} did not listen within 120 s:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const pid = child.pid!;
  return {
    name,
    port,
    child,
    async statements() {
      rmSync(countFile, { force: true });
      child.kill('SIGUSR2');
      for (let i = 0; i < 200 && !existsSync(countFile); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return existsSync(countFile) ? Number(readFileSync(countFile, 'utf8')) : Number.NaN;
    },
    cpuSeconds: () => processCpuSeconds(pid),
    rss() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    },
    peakRss() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // not permitted here: the peak then includes start-up (and the projection's backfill)
      }
    },
    async stop() {
      if (exited) return;
      stopping = true;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

// ----------------------------------------------------------------------------------------- workloads

interface Workload {
  id: string;
  server: string;
  description: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Path and body of the next request. */
  next(): { path: string; body?: string; cookie?: string };
  /** Whether a 2xx response is a success (no GraphQL `errors`, the expected payload). */
  ok(body: string): boolean;
}

const graphql = (query: string, variables?: Record<string, unknown>) =>
  JSON.stringify(variables ? { query, variables } : { query });

function sessiongraphWorkloads(token: string, set: DataSet, djangoUsers: string[]): Workload[] {
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const pageQuery = (store: string) =>
    graphql(`{ sessions(store: "${store}", status: ACTIVE, first: 50) { edges { node {
      id createdAt expiresAt data user { id username email } } } } }`);
  const noErrors = (marker: string) => (body: string) => body.includes(marker) && !body.includes('"errors"');
  const w2Ids = sample(set.allIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const w4Ids = sample(set.activeIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const userIds = sample(
    Array.from({ length: USERS }, (_, i) => String(i + 1)),
    SAMPLE,
  );
  const byUser = `query W6($id: ID!, $store: String!) { user(id: $id) { id username
    sessions(store: $store, first: 100) { edges { node { id createdAt expiresAt data } } } } }`;
  let counter = 0;
  const common = { server: 'sessiongraph', method: 'POST' as const };
  return [
    {
      ...common,
      id: 'W1',
      description: '50 active sessions, newest first, with users (native)',
      headers: auth,
      next: () => ({ path: '/graphql', body: pageQuery('native') }),
      ok: noErrors('"edges":[{'),
    },
    {
      ...common,
      id: 'W2',
      description: 'one session by id with its user',
      headers: auth,
      next: () => ({
        path: '/graphql',
        body: graphql(
          'query W2($id: ID!) { session(id: $id) { id createdAt expiresAt data user { id username email } } }',
          { id: pick(w2Ids) },
        ),
      }),
      ok: noErrors('"session":{'),
    },
    {
      ...common,
      id: 'W3',
      description: 'currentSession with a cookie',
      headers: { 'content-type': 'application/json', 'x-graphql-csrf': '1' },
      next: () => ({
        path: '/graphql',
        body: graphql('{ currentSession { id data user { id username email } } }'),
        cookie: pick(set.activeKeys),
      }),
      ok: noErrors('"currentSession":{'),
    },
    {
      ...common,
      id: 'W4',
      description: 'updateSession setting one key',
      headers: auth,
      next: () => {
        counter += 1;
        return {
          path: '/graphql',
          body: graphql(
            `mutation W4($id: ID!, $set: JSONObject!) { updateSession(input: { id: $id, set: $set }) {
              __typename ... on UpdateSessionPayload { session { id version } } ... on Error { code } } }`,
            { id: pick(w4Ids), set: { bench_counter: counter } },
          ),
        };
      },
      ok: noErrors('"UpdateSessionPayload"'),
    },
    {
      ...common,
      id: 'W5',
      description: 'W1 on the Django store',
      headers: auth,
      next: () => ({ path: '/graphql', body: pageQuery('django') }),
      ok: noErrors('"edges":[{'),
    },
    {
      ...common,
      id: 'W6n',
      description: 'all sessions of one user (native)',
      headers: auth,
      next: () => ({ path: '/graphql', body: graphql(byUser, { id: pick(userIds), store: 'native' }) }),
      ok: noErrors('"user":{'),
    },
    {
      ...common,
      id: 'W6d',
      description: 'all sessions of one user (Django)',
      headers: auth,
      next: () => ({ path: '/graphql', body: graphql(byUser, { id: pick(djangoUsers), store: 'django' }) }),
      ok: noErrors('"user":{'),
    },
  ];
}

function handwrittenWorkloads(set: DataSet): Workload[] {
  const w2Ids = sample(set.allIds, SAMPLE);
  const common = { server: 'handwritten', method: 'GET' as const, headers: {} };
  const found = (body: string) => body !== 'null' && !body.includes('"error"');
  return [
    {
      ...common,
      id: 'W1',
      description: '50 active sessions, newest first, with users (native)',
      next: () => ({ path: '/sessions' }),
      ok: (body) => body.startsWith('[{'),
    },
    {
      ...common,
      id: 'W2',
      description: 'one session by id with its user',
      next: () => ({ path: `/sessions/${pick(w2Ids)}` }),
      ok: found,
    },
    {
      ...common,
      id: 'W3',
      description: 'the session of a cookie',
      next: () => ({ path: '/current', cookie: pick(set.activeKeys) }),
      ok: found,
    },
  ];
}

function postgraphileWorkloads(set: DataSet): Workload[] {
  const w2Ids = sample(set.allIds, SAMPLE);
  const common = {
    server: 'postgraphile',
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
  };
  const noErrors = (marker: string) => (body: string) => body.includes(marker) && !body.includes('"errors"');
  return [
    {
      ...common,
      id: 'W1',
      description: '50 active sessions, newest first, with users (native)',
      next: () => ({
        path: '/graphql',
        body: graphql(`{ publicActiveSessions(first: 50) { nodes { id createdAt expiresAt data
          publicUserByUserId { id username email } } } }`),
      }),
      ok: noErrors('"nodes":[{'),
    },
    {
      ...common,
      id: 'W2',
      description: 'one session by id with its user',
      next: () => ({
        path: '/graphql',
        body: graphql(
          `query W2($id: UUID!) { sessionByRowId(rowId: $id) { id createdAt expiresAt data
            publicUserByUserId { id username email } } }`,
          { id: pick(w2Ids) },
        ),
      }),
      ok: noErrors('"sessionByRowId":{'),
    },
  ];
}

// ------------------------------------------------------------------------------------------- running

interface Measurement {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  statementsPerRequest: number;
  /**
   * CPU per request in microseconds: the server process, all of PostgreSQL, and this process (the load
   * generator). On a shared machine these add up to what one request costs the whole box.
   */
  cpuMicros: { server: number; postgres: number; load: number };
  /** The server's largest RSS sampled (every 100 ms) during this measurement, in bytes. */
  rssBytes: number;
}

async function measure(server: Server, workload: Workload, seconds: number): Promise<Measurement> {
  let bad = 0;
  const before = await server.statements();
  const cpuBefore = { server: server.cpuSeconds(), postgres: postgresCpuSeconds(), load: process.cpuUsage() };
  let rssBytes = server.rss();
  const sampler = setInterval(() => {
    rssBytes = Math.max(rssBytes, server.rss());
  }, 100);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: workload.method,
        setupRequest: (request) => {
          const next = workload.next();
          return {
            ...request,
            method: workload.method,
            path: next.path,
            headers: {
              ...workload.headers,
              ...(next.cookie ? { cookie: `sg_session=${next.cookie}` } : {}),
            },
            ...(next.body === undefined ? {} : { body: next.body }),
          };
        },
        onResponse: (status, body) => {
          if (status >= 200 && status < 300 && !workload.ok(body)) bad += 1;
        },
      },
    ],
  });
  clearInterval(sampler);
  const after = await server.statements();
  const requests = result.requests.total;
  const load = process.cpuUsage(cpuBefore.load);
  const perRequest = (seconds: number) => (requests > 0 ? (seconds * 1e6) / requests : 0);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    errors: result.errors + result.timeouts + result.non2xx + bad,
    statementsPerRequest: requests > 0 ? (after - before) / requests : 0,
    cpuMicros: {
      server: perRequest(server.cpuSeconds() - cpuBefore.server),
      postgres: perRequest(postgresCpuSeconds() - cpuBefore.postgres),
      load: perRequest((load.user + load.system) / 1e6),
    },
    rssBytes,
  };
}

async function waitForBackfill(pool: pg.Pool, store: string) {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ done: boolean }>(
      'SELECT backfilled_at IS NOT NULL AS done FROM sessiongraph.projection_state WHERE store = $1',
      [store],
    );
    if (rows[0]?.done) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the ${store} projection's backfill did not finish within 10 minutes`);
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);
const pad = (text: string, width: number) => text.padStart(width);

/**
 * Every server runs as plain JavaScript, built the way `npm start` builds sessiongraph: no TypeScript loader
 * in the measured processes (its hooks thread alone is some 60 MB of RSS).
 */
function buildServers() {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'esm' as const,
    packages: 'external' as const,
    logLevel: 'warning' as const,
    absWorkingDir: root,
  };
  buildSync({ ...common, entryPoints: ['src/main.ts'], outdir: 'dist' });
  buildSync({
    ...common,
    entryPoints: ['bench/preload.ts', 'bench/handwritten.ts', 'bench/postgraphile.ts'],
    outdir: 'dist/bench',
  });
}

async function main() {
  buildServers();
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  let ending = false;
  pool.on('error', (error) => {
    if (!ending) log(`bench pool: ${error.message}`);
  });
  const workDir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const servers: Server[] = [];
  try {
    log(`bench on ${database}: ${USERS} users, ${SESSIONS} native + ${SESSIONS} Django sessions`);
    let started = Date.now();
    const { compressed } = await createFrameworkData(pool);
    log(`Django rows written in ${((Date.now() - started) / 1000).toFixed(1)} s (${compressed} compressed)`);

    const configPath = join(workDir, 'sessiongraph.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        users: { table: 'public.users', key: 'id', columns: ['username', 'email'] },
        stores: [
          { kind: 'native', name: 'native', cookieName: 'sg_session' },
          { kind: 'django', name: 'django', table: 'django_session', secretKey: SECRET },
        ],
        limits: { perTokenPerMinute: 0, perIpPerMinute: 0 },
      }),
    );
    started = Date.now();
    const sessiongraph = await startServer(
      'sessiongraph',
      'dist/main.js',
      { DATABASE_URL: databaseUrl, SESSIONGRAPH_CONFIG: configPath },
      workDir,
    );
    servers.push(sessiongraph);
    log(
      `sessiongraph listening on ${sessiongraph.port} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    started = Date.now();
    const set = await createNativeData(pool);
    log(`native rows written in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const { token } = await createToken(pool, 'bench', SCOPES, null);
    started = Date.now();
    await waitForBackfill(pool, 'django');
    log(
      `Django projection backfilled in ${((Date.now() - started) / 1000).toFixed(1)} s (since native rows)`,
    );
    const djangoUsers = (
      await pool.query<{ user_id: string }>(
        `SELECT DISTINCT user_id::text AS user_id FROM sessiongraph.projection
          WHERE store = 'django' AND user_id IS NOT NULL LIMIT ${SAMPLE}`,
      )
    ).rows.map((row) => row.user_id);
    await pool.query('ANALYZE');

    await pool.query(`CREATE FUNCTION public.active_sessions() RETURNS SETOF sessiongraph.sessions
      LANGUAGE sql STABLE AS $$ SELECT * FROM sessiongraph.sessions WHERE expires_at > now()
      ORDER BY created_at DESC, id DESC $$`);
    const postgraphile = await startServer(
      'postgraphile',
      'dist/bench/postgraphile.js',
      { DATABASE_URL: databaseUrl, NODE_ENV: 'production' },
      workDir,
    );
    servers.push(postgraphile);

    const handwritten = await startServer(
      'handwritten',
      'dist/bench/handwritten.js',
      { DATABASE_URL: databaseUrl, POOL_SIZE: '10' },
      workDir,
    );
    servers.push(handwritten);

    const byName = new Map(servers.map((server) => [server.name, server]));
    const workloads = [
      ...sessiongraphWorkloads(token, set, djangoUsers),
      ...handwrittenWorkloads(set),
      ...postgraphileWorkloads(set),
    ]
      .filter((workload) => !ONLY || ONLY.includes(workload.id))
      .sort((a, b) => a.id.localeCompare(b.id));

    // Sanity: one request of each, so a broken workload fails loudly before minutes of load.
    for (const workload of workloads) {
      const server = byName.get(workload.server)!;
      const next = workload.next();
      const response = await fetch(`http://127.0.0.1:${server.port}${next.path}`, {
        method: workload.method,
        headers: { ...workload.headers, ...(next.cookie ? { cookie: `sg_session=${next.cookie}` } : {}) },
        ...(next.body === undefined ? {} : { body: next.body }),
      });
      const body = await response.text();
      if (!response.ok || !workload.ok(body)) {
        if (workload.server === 'postgraphile') {
          const fields = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: graphql('{ __type(name: "Query") { fields { name } } }'),
          });
          log(await fields.text());
        }
        throw new Error(`${workload.id} on ${workload.server}: ${response.status} ${body.slice(0, 500)}`);
      }
    }

    log(`warm-up: ${WARMUP_SECONDS} s per workload and server, concurrency ${CONNECTIONS}`);
    for (const workload of workloads) await measure(byName.get(workload.server)!, workload, WARMUP_SECONDS);
    for (const server of servers) server.resetPeak();

    const runs = new Map<string, Measurement[]>();
    for (let round = 1; round <= ROUNDS; round += 1) {
      log(`round ${round}/${ROUNDS}: ${ROUND_SECONDS} s per workload and server`);
      for (const workload of workloads) {
        const key = `${workload.id} ${workload.server}`;
        const measured = await measure(byName.get(workload.server)!, workload, ROUND_SECONDS);
        runs.set(key, [...(runs.get(key) ?? []), measured]);
        log(
          `  ${key.padEnd(26)} ${pad(fixed(measured.requestsPerSecond), 7)} req/s  p50 ${fixed(measured.p50Ms, 1)} ms  p99 ${fixed(measured.p99Ms, 1)} ms  errors ${measured.errors}  CPU µs/req server ${fixed(measured.cpuMicros.server)} pg ${fixed(measured.cpuMicros.postgres)} load ${fixed(measured.cpuMicros.load)}`,
        );
      }
    }
    const peaks = Object.fromEntries(servers.map((server) => [server.name, server.peakRss()]));

    const rows = workloads.map((workload) => {
      const measured = runs.get(`${workload.id} ${workload.server}`) ?? [];
      return {
        workload: workload.id,
        server: workload.server,
        description: workload.description,
        requestsPerSecond: median(measured.map((m) => m.requestsPerSecond)),
        p50Ms: median(measured.map((m) => m.p50Ms)),
        p99Ms: median(measured.map((m) => m.p99Ms)),
        errors: measured.reduce((sum, m) => sum + m.errors, 0),
        requests: measured.reduce((sum, m) => sum + m.requests, 0),
        statementsPerRequest: median(measured.map((m) => m.statementsPerRequest)),
        cpuMicros: {
          server: median(measured.map((m) => m.cpuMicros.server)),
          postgres: median(measured.map((m) => m.cpuMicros.postgres)),
          load: median(measured.map((m) => m.cpuMicros.load)),
        },
        peakRssBytes: peaks[workload.server] ?? 0,
        // The largest RSS seen while this workload ran (the server-wide peak is the column above).
        workloadRssBytes: Math.max(0, ...measured.map((m) => m.rssBytes)),
        rounds: measured,
      };
    });
    const ratios = rows
      .filter((row) => row.server === 'sessiongraph')
      .flatMap((row) =>
        ['handwritten', 'postgraphile'].flatMap((against) => {
          const other = rows.find((it) => it.workload === row.workload && it.server === against);
          // Medians of per-round ratios: rounds alternate servers, so each round compares like with like
          // (the machine's state drifts between rounds more than within one).
          const perRound = (pick: (m: Measurement) => number) =>
            median(row.rounds.map((mine, i) => pick(mine) / pick(other!.rounds[i] ?? mine)));
          return other
            ? [
                {
                  workload: row.workload,
                  against,
                  requestsPerSecond: perRound((m) => m.requestsPerSecond),
                  p50: perRound((m) => m.p50Ms),
                  p99: perRound((m) => m.p99Ms),
                },
              ]
            : [];
        }),
      );

    log('');
    log(
      `${'workload'.padEnd(9)}${'server'.padEnd(14)}${pad('req/s', 8)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}${pad('SQL/req', 9)}${pad('peak RSS', 10)}${pad('CPU µs/req: server', 20)}${pad('pg', 6)}${pad('load', 6)}${pad('RSS in run', 12)}`,
    );
    for (const row of rows) {
      log(
        `${row.workload.padEnd(9)}${row.server.padEnd(14)}${pad(fixed(row.requestsPerSecond), 8)}${pad(fixed(row.p50Ms, 1), 9)}${pad(fixed(row.p99Ms, 1), 9)}${pad(String(row.errors), 8)}${pad(fixed(row.statementsPerRequest, 2), 9)}${pad(`${fixed(row.peakRssBytes / 2 ** 20)} MB`, 10)}${pad(fixed(row.cpuMicros.server), 20)}${pad(fixed(row.cpuMicros.postgres), 6)}${pad(fixed(row.cpuMicros.load), 6)}${pad(`${fixed(row.workloadRssBytes / 2 ** 20)} MB`, 12)}`,
      );
    }
    log('');
    log('ratios: medians of per-round ratios');
    for (const ratio of ratios) {
      log(
        `${ratio.workload} sessiongraph/${ratio.against}: req/s ×${ratio.requestsPerSecond.toFixed(2)}, p50 ×${ratio.p50.toFixed(2)}, p99 ×${ratio.p99.toFixed(2)}`,
      );
    }
    // The issue's targets, each a median of per-round ratios (or the run's figure), met or not.
    const row = (workload: string, server = 'sessiongraph') =>
      rows.find((it) => it.workload === workload && it.server === server);
    const between = (a: string, b: string) => {
      const mine = row(a);
      const other = row(b);
      if (!mine || !other) return null;
      return median(
        mine.rounds.map((m, i) => m.requestsPerSecond / (other.rounds[i] ?? m).requestsPerSecond),
      );
    };
    const against = (workload: string) =>
      ratios.find((ratio) => ratio.workload === workload && ratio.against === 'handwritten')
        ?.requestsPerSecond ?? null;
    const targets = [
      ...['W1', 'W2', 'W3'].map((w) => ({
        target: `${w} ≥ 0.7× hand-written`,
        value: against(w),
        met: (v: number) => v >= 0.7,
      })),
      { target: 'W5 ≥ 0.6× W1', value: between('W5', 'W1'), met: (v: number) => v >= 0.6 },
      {
        target: 'W6 Django within 2× of native (req/s ratio)',
        value: between('W6d', 'W6n'),
        met: (v: number) => v >= 0.5,
      },
      ...['W2', 'W3'].map((w) => ({
        target: `${w} p99 < 25 ms`,
        value: row(w)?.p99Ms ?? null,
        met: (v: number) => v < 25,
      })),
      {
        target: 'peak RSS < 250 MB',
        value: rows.some((it) => it.server === 'sessiongraph')
          ? Math.max(...rows.filter((it) => it.server === 'sessiongraph').map((it) => it.peakRssBytes)) /
            2 ** 20
          : null,
        met: (v: number) => v < 250,
      },
    ]
      .filter((target) => target.value !== null)
      .map((target) => ({
        target: target.target,
        value: Number(target.value!.toFixed(2)),
        met: target.met(target.value!),
      }));
    log('');
    log('targets');
    for (const target of targets) {
      log(`${target.met ? 'met    ' : 'MISSED '} ${target.target}: ${target.value}`);
    }
    const results = {
      at: new Date().toISOString(),
      node: process.version,
      postgres: (await pool.query<{ v: string }>('SHOW server_version')).rows[0]!.v,
      users: USERS,
      sessionsPerStore: SESSIONS,
      djangoCompressed: compressed,
      connections: CONNECTIONS,
      roundSeconds: ROUND_SECONDS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP_SECONDS,
      results: rows,
      ratios,
      targets,
    };
    writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    log('\nwritten to bench/results.json');
  } finally {
    for (const server of servers) await server.stop();
    ending = true;
    await pool.end();
    if (process.env['BENCH_KEEP']) log(`kept the database ${database} (BENCH_KEEP)`);
    else await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
process.exit(0);
