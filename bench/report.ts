/**
 * The report: medians per workload and server over the rounds, sessiongraph's ratios to the other servers
 * and the targets met or missed, printed and written to bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import {
  CONNECTIONS,
  log,
  median,
  ROUND_SECONDS,
  ROUNDS,
  SESSIONS,
  USERS,
  W8_SESSIONS_PER_USER,
  W8_USERS,
  WARMUP_SECONDS,
} from './common.ts';
import type { Measurement } from './measure.ts';
import type { Workload } from './workloads.ts';

export const fixed = (value: number, digits = 0) => value.toFixed(digits);
export const pad = (text: string, width: number) => text.padStart(width);

/** The line a round prints for one workload on one server. */
export const roundLine = (key: string, measured: Measurement) =>
  `  ${key.padEnd(26)} ${pad(fixed(measured.requestsPerSecond), 7)} req/s  p50 ${fixed(measured.p50Ms, 1)} ms  p99 ${fixed(measured.p99Ms, 1)} ms  errors ${measured.errors}  CPU µs/req server ${fixed(measured.cpuMicros.server)} pg ${fixed(measured.cpuMicros.postgres)} load ${fixed(measured.cpuMicros.load)}${measured.capped ? `  (all ${measured.cap} requests it could make, in ${fixed(measured.seconds, 1)} s)` : ''}`;

/** Per workload and server: the medians of its rounds, and the server's peak RSS (`peaks`, by server name). */
export function summarize(
  workloads: Workload[],
  runs: Map<string, Measurement[]>,
  peaks: Record<string, number>,
) {
  return workloads.map((workload) => {
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
}

export type Row = ReturnType<typeof summarize>[number];

/** sessiongraph's figures over the other servers' on the same workload. */
export function ratiosOf(rows: Row[]) {
  return rows
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
}

export type Ratio = ReturnType<typeof ratiosOf>[number];

/** The issue's targets, each a median of per-round ratios (or the run's figure), met or not. */
export function targetsOf(rows: Row[], ratios: Ratio[]) {
  const row = (workload: string, server = 'sessiongraph') =>
    rows.find((it) => it.workload === workload && it.server === server);
  const between = (a: string, b: string) => {
    const mine = row(a);
    const other = row(b);
    if (!mine || !other) return null;
    return median(mine.rounds.map((m, i) => m.requestsPerSecond / (other.rounds[i] ?? m).requestsPerSecond));
  };
  const against = (workload: string) =>
    ratios.find((ratio) => ratio.workload === workload && ratio.against === 'handwritten')
      ?.requestsPerSecond ?? null;
  const label = (w: string) => (w === 'W6n' ? 'W6 (native)' : w);
  const handwritten = (workloads: string[], at: number) =>
    workloads.map((w) => ({
      target: `${label(w)} ≥ ${at}× hand-written`,
      value: against(w),
      met: (v: number) => v >= at,
    }));
  return [
    ...handwritten(['W1', 'W2', 'W3'], 0.9),
    ...handwritten(['W4', 'W6n', 'W7', 'W8'], 0.7),
    { target: 'W4 p99 < 25 ms', value: row('W4')?.p99Ms ?? null, met: (v: number) => v < 25 },
    { target: 'W4i (Idempotency-Key) ≥ 0.8× W4', value: between('W4i', 'W4'), met: (v: number) => v >= 0.8 },
    { target: 'W4d (Django store) ≥ 0.5× W4', value: between('W4d', 'W4'), met: (v: number) => v >= 0.5 },
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
      value: Number(target.value!.toFixed(3)),
      met: target.met(target.value!),
    }));
}

export type Target = ReturnType<typeof targetsOf>[number];

/** The table of medians, the ratios and the targets, on stdout. */
export function printReport(rows: Row[], ratios: Ratio[], targets: Target[]) {
  log('');
  log(
    `${'workload'.padEnd(9)}${'server'.padEnd(14)}${pad('req/s', 8)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}${pad('SQL/req', 9)}${pad('peak RSS', 10)}${pad('CPU µs/req: server', 20)}${pad('pg', 6)}${pad('load', 6)}${pad('RSS in run', 12)}`,
  );
  for (const row of rows) {
    log(
      `${row.workload.padEnd(9)}${row.server.padEnd(14)}${pad(fixed(row.requestsPerSecond), 8)}${pad(fixed(row.p50Ms, 1), 9)}${pad(fixed(row.p99Ms, 1), 9)}${pad(String(row.errors), 8)}${pad(fixed(row.statementsPerRequest, 2), 9)}${pad(`${fixed(row.peakRssBytes / 2 ** 20)} MB`, 10)}${pad(fixed(row.cpuMicros.server), 20)}${pad(fixed(row.cpuMicros.postgres), 6)}${pad(fixed(row.cpuMicros.load), 6)}${pad(`${fixed(row.workloadRssBytes / 2 ** 20)} MB`, 12)}`,
    );
  }
  const capped = rows.flatMap((row) =>
    row.rounds.flatMap((m, i) =>
      m.capped
        ? [`${row.workload} ${row.server} round ${i + 1}: ${m.cap} requests in ${fixed(m.seconds, 1)} s`]
        : [],
    ),
  );
  if (capped.length > 0) {
    log('');
    log(
      `rounds that made every request they could (W8: one per user with sessions; more users: BENCH_W8_USERS, now ${W8_USERS}); their rate is over the time they took:`,
    );
    for (const line of capped) log(`  ${line}`);
  }
  log('');
  log('ratios: medians of per-round ratios');
  for (const ratio of ratios) {
    log(
      `${ratio.workload} sessiongraph/${ratio.against}: req/s ×${ratio.requestsPerSecond.toFixed(2)}, p50 ×${ratio.p50.toFixed(2)}, p99 ×${ratio.p99.toFixed(2)}`,
    );
  }
  log('');
  log('targets');
  for (const target of targets) {
    log(`${target.met ? 'met    ' : 'MISSED '} ${target.target}: ${target.value}`);
  }
}

/** bench/results.json: the run's settings and everything the report printed, rounds included. */
export function writeResults(
  run: { postgres: string; djangoCompressed: number },
  rows: Row[],
  ratios: Ratio[],
  targets: Target[],
) {
  const results = {
    at: new Date().toISOString(),
    node: process.version,
    postgres: run.postgres,
    users: USERS,
    sessionsPerStore: SESSIONS,
    w8: { users: W8_USERS, sessionsPerUser: W8_SESSIONS_PER_USER },
    djangoCompressed: run.djangoCompressed,
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
}
