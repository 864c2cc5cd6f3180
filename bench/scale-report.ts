/**
 * The scale bench's report (src: scale.ts): each figure at the large size next to the same at 100,000
 * sessions, the issue's targets met or missed, printed and written to bench/results-scale.json.
 */
import { writeFileSync } from 'node:fs';
import { log, median } from './common.ts';
import type { Measurement } from './measure.ts';
import type { ScaleSize } from './scale-data.ts';
import type { BackfillRun, Probe, Sizes, SweepRun } from './scale-phases.ts';

export interface WorkloadRow {
  workload: string;
  description: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  rounds: Measurement[];
}

export interface SizeResults {
  size: ScaleSize;
  database: string;
  load: {
    nativeSeconds: number;
    djangoSeconds: number;
    djangoCompressed: number;
    indexSeconds: Record<string, number>;
    vacuumSeconds: number;
  };
  backfill: BackfillRun[];
  workloads: WorkloadRow[];
  probes: Probe[];
  sizes: Sizes | null;
  sweep: SweepRun | null;
  serverPeakRssBytes: number;
}

export interface Target {
  target: string;
  value: number;
  met: boolean;
}

const MB = 2 ** 20;
const fixed = (value: number, digits = 0) => value.toFixed(digits);
const count = (value: number) => Math.round(value).toLocaleString('en-US');
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) {
    log(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
        .join('  '),
    );
  }
};

/** The rate ratio large/small of a workload: the median of per-round ratios (rounds alternate the sizes). */
export function workloadRatio(small: SizeResults, large: SizeResults, workload: string): number | null {
  const mine = large.workloads.find((row) => row.workload === workload);
  const other = small.workloads.find((row) => row.workload === workload);
  if (!mine || !other || mine.rounds.length === 0) return null;
  return median(mine.rounds.map((m, i) => m.requestsPerSecond / (other.rounds[i] ?? m).requestsPerSecond));
}

const backfillRate = (results: SizeResults, threads: number) =>
  results.backfill.find((run) => run.threads === threads)?.rowsPerSecond ?? null;

/** The issue's targets, on the large size's figures (ratios against the small size's). */
export function targetsOf(small: SizeResults, large: SizeResults): Target[] {
  const label = large.size.label;
  const probe = (name: string) => large.probes.find((it) => it.name === name);
  const targets: { target: string; value: number | null | undefined; met: (v: number) => boolean }[] = [
    ...['W1', 'W2', 'W3', 'W4', 'W6n', 'W6d'].map((workload) => ({
      target: `${workload} at ${label} ≥ 0.85× its rate at ${small.size.label}`,
      value: workloadRatio(small, large, workload),
      met: (v: number) => v >= 0.85,
    })),
    {
      target: `sweep at ${label}: no W4 writer waits over 100 ms (max ms)`,
      value: large.sweep?.writersDuring.maxMs,
      met: (v) => v <= 100,
    },
    {
      target: `sweep at ${label}: W4 writers' p99 under 100 ms`,
      value: large.sweep?.writersDuring.p99Ms,
      met: (v) => v <= 100,
    },
    {
      target: `backfill at ${label}: 2 decode worker threads ≥ 1.6× decoding in-process (one thread)`,
      value: (() => {
        const one = backfillRate(large, 0);
        const two = backfillRate(large, 2);
        return one && two ? two / one : null;
      })(),
      met: (v) => v >= 1.6,
    },
    ...(
      [
        ['endUserSessions (10 sessions)', 10],
        ['totalCount of a user (native)', 10],
        ['estimatedCount (native)', 10],
        ['sessionStats by store and status', 250],
      ] as const
    ).flatMap(([name, limit]) => [
      {
        target: `${name} at ${label}: median < ${limit} ms`,
        value: probe(name)?.medianMs,
        met: (v: number) => v < limit,
      },
      {
        target: `${name} at ${label}: max < ${limit} ms`,
        value: probe(name)?.maxMs,
        met: (v: number) => v < limit,
      },
    ]),
    {
      target: `peak server RSS at ${label} < 250 MB`,
      value: large.serverPeakRssBytes / MB,
      met: (v) => v < 250,
    },
  ];
  return targets
    .filter((target) => target.value !== null && target.value !== undefined)
    .map((target) => ({
      target: target.target,
      value: Number(target.value!.toFixed(3)),
      met: target.met(target.value!),
    }));
}

export function printReport(small: SizeResults, large: SizeResults, targets: Target[]) {
  const [a, b] = [small.size.label, large.size.label];
  log('');
  log(
    `workloads (concurrency 32; rates are medians of the rounds, the ratio the median of per-round ratios ${b}/${a})`,
  );
  table([
    ['workload', `${a} req/s`, 'p50/p99 ms', `${b} req/s`, 'p50/p99 ms', 'ratio', 'errors'],
    ...large.workloads.map((row) => {
      const other = small.workloads.find((it) => it.workload === row.workload);
      const ratio = workloadRatio(small, large, row.workload);
      return [
        `${row.workload} ${row.description}`,
        count(other?.requestsPerSecond ?? 0),
        `${fixed(other?.p50Ms ?? 0, 1)}/${fixed(other?.p99Ms ?? 0, 1)}`,
        count(row.requestsPerSecond),
        `${fixed(row.p50Ms, 1)}/${fixed(row.p99Ms, 1)}`,
        ratio === null ? '' : `${ratio.toFixed(2)}×`,
        `${(other?.errors ?? 0) + row.errors}`,
      ];
    }),
  ]);
  log('');
  log('projection backfill of the Django rows (`sessiongraph sync --backfill`, built CLI)');
  table([
    [
      'size',
      'decodeThreads',
      'rows',
      'seconds',
      'rows/s',
      'peak RSS',
      'CPU user+sys s',
      'PostgreSQL CPU s',
      'failed attempts',
    ],
    ...[small, large].flatMap((results) =>
      results.backfill.map((run) => [
        results.size.label,
        String(run.threads),
        count(run.rows),
        fixed(run.seconds, 1),
        count(run.rowsPerSecond),
        run.peakRssBytes === null ? '?' : `${fixed(run.peakRssBytes / MB)} MB`,
        run.cpuSeconds ? fixed(run.cpuSeconds.user + run.cpuSeconds.system, 1) : '?',
        fixed(run.postgresCpuSeconds, 1),
        String(run.failedAttempts.length),
      ]),
    ),
  ]);
  for (const results of [small, large]) {
    for (const run of results.backfill) {
      for (const failure of run.failedAttempts) {
        log(`  ${results.size.label} decodeThreads ${run.threads}, failed attempt: ${failure}`);
      }
    }
  }
  log('');
  log('sweep (sweepExpired as `npm run sweep` runs it, clock set so that the chosen count is due)');
  table([
    [
      'size',
      'rows',
      'seconds',
      'rows/s',
      'batches (mean rows, cancelled)',
      'batch p50/max ms',
      'W4 before p99/max',
      'W4 during req/s',
      'p50/p99/max ms',
      'lock waiters',
    ],
    ...[small, large].flatMap((results) => {
      const sweep = results.sweep;
      if (!sweep) return [];
      return [
        [
          results.size.label,
          `${count(sweep.deleted)} (${Object.entries(sweep.byStore)
            .map(([store, n]) => `${store} ${count(n)}`)
            .join(', ')})`,
          fixed(sweep.seconds, 1),
          count(sweep.rowsPerSecond),
          `${count(sweep.batches)} (${count(sweep.batchSize)}, ${count(sweep.cancelled ?? 0)})`,
          `${fixed(sweep.batchMs.p50, 1)}/${fixed(sweep.batchMs.max, 1)}`,
          `${fixed(sweep.writersBefore.p99Ms)}/${fixed(sweep.writersBefore.maxMs)}`,
          count(sweep.writersDuring.requestsPerSecond),
          `${fixed(sweep.writersDuring.p50Ms)}/${fixed(sweep.writersDuring.p99Ms)}/${fixed(sweep.writersDuring.maxMs)}`,
          String(sweep.lockWaitersMax),
          sweep.queuedAtEnd === 0
            ? '0'
            : `${count(sweep.queuedAtEnd)} in ${sweep.drainSeconds === null ? '>120' : fixed(sweep.drainSeconds, 1)} s`,
        ],
      ];
    }),
  ]);
  for (const results of [small, large]) {
    const sweep = results.sweep;
    if (!sweep?.slowStatements) continue;
    const at = (seconds: number) => `${fixed(seconds, 1)} s`;
    log(
      `  ${results.size.label}: slowest W4 responses during the sweep (when, from its start: ms): ${sweep.writersDuring.slowest
        .map((it) => `${at(it.atSeconds)}: ${fixed(it.ms)}`)
        .join(', ')}`,
    );
    for (const [what, statements] of [
      ['other statements', sweep.slowStatements],
      ["the sweep's statements", sweep.slowSweepStatements],
    ] as const) {
      log(`  ${results.size.label}: ${what} seen running longest (sampled every 25 ms)`);
      for (const it of statements) {
        log(
          `    ${at(it.atSeconds)}: ${fixed(it.ms)} ms+ ${it.who || '-'} [${it.waits.join(' ')}] ${it.query}`,
        );
      }
    }
  }
  log('');
  log('single requests, one at a time (ms at the client)');
  table([
    ['request', `${a} median`, 'max', `${b} median`, 'max'],
    ...large.probes.map((it) => {
      const other = small.probes.find((p) => p.name === it.name);
      return [
        it.name,
        fixed(other?.medianMs ?? 0, 1),
        fixed(other?.maxMs ?? 0, 1),
        fixed(it.medianMs, 1),
        fixed(it.maxMs, 1),
      ];
    }),
  ]);
  log('');
  log('sizes (MB; pg_total_relation_size, heap, indexes; then each index)');
  const relations = [...new Set([...large.sizes!.tables, ...small.sizes!.tables].map((t) => t.relation))];
  table([
    ['relation', `${a} total`, `${b} total`, `${b} heap`, `${b} indexes`, `${b} rows`],
    ...relations.map((relation) => {
      const mine = large.sizes!.tables.find((t) => t.relation === relation);
      const other = small.sizes!.tables.find((t) => t.relation === relation);
      return [
        relation,
        fixed((other?.totalBytes ?? 0) / MB),
        fixed((mine?.totalBytes ?? 0) / MB),
        fixed((mine?.heapBytes ?? 0) / MB),
        fixed((mine?.indexBytes ?? 0) / MB),
        count(mine?.rows ?? 0),
      ];
    }),
    ['database', fixed(small.sizes!.databaseBytes / MB), fixed(large.sizes!.databaseBytes / MB), '', '', ''],
  ]);
  table([
    ['index', `${a} MB`, `${b} MB`],
    ...large.sizes!.indexes.map((index) => [
      index.index,
      fixed((small.sizes!.indexes.find((it) => it.index === index.index)?.bytes ?? 0) / MB, 1),
      fixed(index.bytes / MB, 1),
    ]),
  ]);
  log('');
  log(
    `peak server RSS (VmHWM, whole run): ${a} ${fixed(small.serverPeakRssBytes / MB)} MB, ${b} ${fixed(large.serverPeakRssBytes / MB)} MB`,
  );
  log('');
  log('targets');
  for (const target of targets)
    log(`${target.met ? 'met    ' : 'MISSED '} ${target.target}: ${target.value}`);
}

export function writeResults(
  path: string,
  run: Record<string, unknown>,
  sizes: SizeResults[],
  targets: Target[],
) {
  const ratios = Object.fromEntries(
    ['W1', 'W2', 'W3', 'W4', 'W6n', 'W6d'].map((w) => [w, workloadRatio(sizes[0]!, sizes[1]!, w)]),
  );
  writeFileSync(path, `${JSON.stringify({ ...run, sizes, ratios, targets }, null, 2)}\n`);
  log(`\nwritten to ${path}`);
}
