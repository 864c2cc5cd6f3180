/**
 * The scale bench's sweep (src: scale.ts runs it as a child process): what `npm run sweep` does — the app made
 * as `sessiongraph sweep` makes it (its own 2-connection pool, no migrations), then `sweepExpired` — with the
 * clock set to SCALE_SWEEP_AT, so that exactly the sessions that expired by then (the bench's chosen count)
 * are due. Its batches are timed from BEGIN to COMMIT, as the sweep sizes them.
 *
 * Protocol: prints `ready`, waits for a line on stdin (the parent starts its writers meanwhile), sweeps,
 * printing `progress <rows> <rows/s>` every 2 s, then one line `result <json>`.
 * Env: DATABASE_URL, SESSIONGRAPH_CONFIG, SCALE_SWEEP_AT (an ISO time).
 */
import { once } from 'node:events';
import { createApp, pipelinesTransactions } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/log.ts';
import { type OnBatch, sweepExpired } from '../src/sessions/sweep.ts';

const at = new Date(process.env['SCALE_SWEEP_AT'] ?? Number.NaN);
if (Number.isNaN(at.getTime())) throw new Error('SCALE_SWEEP_AT: expected an ISO time');
const config = loadConfig();
const pool = createPool(config.databaseUrl!, 2, {}, { pipeline: pipelinesTransactions(config) });
const app = await createApp(config, {
  pool,
  logger: createLogger('warn'),
  migrate: false,
  clock: () => at,
});

const batchMs: number[] = [];
let deleted = 0;
let cancelled = 0;
const started = { at: 0 };
let lastLine = 0;
const onBatch: OnBatch = (store, _total, batch) => {
  if (batch.cancelled) cancelled += 1;
  else batchMs.push(batch.ms);
  deleted += batch.rows;
  const now = performance.now();
  if (now - lastLine > 2000) {
    lastLine = now;
    process.stdout.write(
      `progress ${deleted} ${Math.round(deleted / ((now - started.at) / 1000))} ${store}\n`,
    );
  }
};

process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
started.at = performance.now();
const byStore = await sweepExpired(app, pool, onBatch);
const seconds = (performance.now() - started.at) / 1000;
const sorted = [...batchMs].sort((a, b) => a - b);
const at99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
process.stdout.write(
  `result ${JSON.stringify({
    byStore,
    seconds,
    batches: batchMs.length,
    batchSize: batchMs.length > 0 ? deleted / batchMs.length : 0,
    cancelled,
    batchMs: {
      p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
      p99: at99,
      max: sorted.at(-1) ?? 0,
    },
  })}\n`,
);
await pool.end();
process.exit(0);
