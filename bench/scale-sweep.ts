/**
 * The scale bench's sweep (src: scale.ts runs it as a child process): what `npm run sweep` does — the app made
 * as `sessiongraph sweep` makes it (its own 2-connection pool, no migrations), then `sweepExpired` — with the
 * clock set to SCALE_SWEEP_AT, so that exactly the sessions that expired by then (the bench's chosen count)
 * are due. Each store's `sweep` is wrapped only to time its batches.
 *
 * Protocol: prints `ready`, waits for a line on stdin (the parent starts its writers meanwhile), sweeps,
 * printing `progress <rows> <rows/s>` every 2 s, then one line `result <json>`.
 * Env: DATABASE_URL, SESSIONGRAPH_CONFIG, SCALE_SWEEP_AT (an ISO time).
 */
import { once } from 'node:events';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createPool } from '../src/db/pool.ts';
import { createLogger } from '../src/log.ts';
import { sweepExpired } from '../src/sessions/service.ts';
import type { SessionStore } from '../src/stores/types.ts';

const at = new Date(process.env['SCALE_SWEEP_AT'] ?? Number.NaN);
if (Number.isNaN(at.getTime())) throw new Error('SCALE_SWEEP_AT: expected an ISO time');
const config = loadConfig();
const pool = createPool(config.databaseUrl!, 2);
const app = await createApp(config, {
  pool,
  logger: createLogger('warn'),
  migrate: false,
  clock: () => at,
});

const batchMs: number[] = [];
let deleted = 0;
const started = { at: 0 };
let lastLine = 0;
const stores = new Map<string, SessionStore>(
  [...app.stores].map(([name, store]) => [
    name,
    new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'sweep') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<SessionStore['sweep']>) => {
          const batchStarted = performance.now();
          const rows = await target.sweep(...args);
          const now = performance.now();
          batchMs.push(now - batchStarted);
          deleted += rows;
          if (now - lastLine > 2000) {
            lastLine = now;
            process.stdout.write(
              `progress ${deleted} ${Math.round(deleted / ((now - started.at) / 1000))} ${name}\n`,
            );
          }
          return rows;
        };
      },
    }),
  ]),
);

process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
started.at = performance.now();
const byStore = await sweepExpired({ stores, config: app.config, clock: app.clock }, pool);
const seconds = (performance.now() - started.at) / 1000;
const sorted = [...batchMs].sort((a, b) => a - b);
const at99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
process.stdout.write(
  `result ${JSON.stringify({
    byStore,
    seconds,
    batches: batchMs.length,
    batchSize: app.config.sweepBatchSize,
    batchMs: {
      p50: sorted[Math.floor(sorted.length / 2)] ?? 0,
      p99: at99,
      max: sorted.at(-1) ?? 0,
    },
  })}\n`,
);
await pool.end();
process.exit(0);
