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
 * currentSession with a cookie; W4 updateSession setting one key (W4i with an Idempotency-Key, W4d on a
 * Django session); W5 W1 on the Django store; W6 all sessions of one user (native and Django); W7
 * createSession for a user; W8 endUserSessions of a user with 10 sessions. The hand-written server runs
 * W1-W4, W6 (native), W7 and W8, each one statement per request. W7's sessions are deleted after each of its
 * measurements; W8's users get their sessions before each of its measurements (as many as the measurement
 * can end at twice the server's last rate, at most BENCH_W8_USERS; the measurement stops when all are ended)
 * and lose the rest after it, so the other workloads always see the data set as created.
 *
 * Needs a PostgreSQL: DATABASE_URL, else 127.0.0.1:5432. Creates and drops its own database.
 * Env: BENCH_SESSIONS (100000), BENCH_USERS (10000), BENCH_ROUND_SECONDS (10), BENCH_ROUNDS (3),
 * BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32), BENCH_W8_USERS (4000 × BENCH_ROUND_SECONDS),
 * BENCH_ONLY (workload ids, e.g. "W1,W2"; default all),
 * BENCH_PROFILE (a directory: sessiongraph runs with --cpu-prof and writes its profile there on exit),
 * BENCH_SERVER_FLAGS (more node flags for sessiongraph, e.g. "--trace-gc"; with BENCH_SERVER_LOGS to see them),
 * BENCH_KEEP (keep the database afterwards, to look at plans).
 *
 * This file runs the bench; the parts are beside it: common.ts (these settings), data.ts (the data set),
 * servers.ts (building and running the servers), cpu.ts (CPU time from /proc), workloads.ts, measure.ts
 * (one autocannon run and its costs) and report.ts (medians, ratios, targets, bench/results.json).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import {
  CONNECTIONS,
  log,
  ONLY,
  ROUND_SECONDS,
  ROUNDS,
  SAMPLE,
  SECRET,
  SESSIONS,
  USERS,
  W8_USERS,
  WARMUP_SECONDS,
} from './common.ts';
import { createFrameworkData, createNativeData, dropCreated, w8Users, waitForBackfill } from './data.ts';
import { type Measurement, measure } from './measure.ts';
import { printReport, ratiosOf, roundLine, summarize, targetsOf, writeResults } from './report.ts';
import { buildServers, type Server, startServer } from './servers.ts';
import { graphql, handwrittenWorkloads, postgraphileWorkloads, sessiongraphWorkloads } from './workloads.ts';

const serverUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `sg_bench_${randomBytes(4).toString('hex')}`;

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
    log(
      `bench on ${database}: ${USERS} users (and ${W8_USERS} for W8), ${SESSIONS} native + ${SESSIONS} Django sessions`,
    );
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
    // W4d's sessions: live Django sessions that decode.
    const djangoRefs = (
      await pool.query<{ ref: string }>(
        `SELECT ref FROM sessiongraph.projection
          WHERE store = 'django' AND valid AND expires_at > now() + interval '1 hour' LIMIT ${SAMPLE}`,
      )
    ).rows.map((row) => row.ref);
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
    const churn = { w8: w8Users(pool), dropCreated: () => dropCreated(pool, set) };
    const workloads = [
      ...sessiongraphWorkloads(token, set, { users: djangoUsers, refs: djangoRefs }, churn),
      ...handwrittenWorkloads(set, churn),
      ...postgraphileWorkloads(set),
    ]
      .filter((workload) => !ONLY || ONLY.includes(workload.id))
      .sort((a, b) => a.id.localeCompare(b.id));

    // Sanity: one request of each, so a broken workload fails loudly before minutes of load.
    for (const workload of workloads) {
      const server = byName.get(workload.server)!;
      await workload.prepare?.(0);
      const next = workload.next();
      const response = await fetch(`http://127.0.0.1:${server.port}${next.path}`, {
        method: workload.method,
        headers: {
          ...workload.headers,
          ...next.headers,
          ...(next.cookie ? { cookie: `sg_session=${next.cookie}` } : {}),
        },
        ...(next.body === undefined ? {} : { body: next.body }),
      });
      const body = await response.text();
      await workload.finish?.();
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
        log(roundLine(key, measured));
      }
    }
    const peaks = Object.fromEntries(servers.map((server) => [server.name, server.peakRss()]));
    const rows = summarize(workloads, runs, peaks);
    const ratios = ratiosOf(rows);
    const targets = targetsOf(rows, ratios);
    printReport(rows, ratios, targets);
    const postgres = (await pool.query<{ v: string }>('SHOW server_version')).rows[0]!.v;
    writeResults({ postgres, djangoCompressed: compressed }, rows, ratios, targets);
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
