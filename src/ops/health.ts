import type { App } from '../app.ts';
import { appliedMigrations, latestMigration } from '../db/migrations.ts';
import { oldestChangeAgeSeconds } from './ops.sql.ts';

/**
 * `/readyz`: whether this replica should get traffic. Not ready while the database does not answer, while
 * the schema is older than this build expects, while framework changes wait longer than the configured lag
 * (reads of framework stores would be stale), or while the process is shutting down (so the balancer
 * drains it first).
 */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
  reasons: string[];
}

const PROBE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function readiness(app: App, shuttingDown: boolean): Promise<Readiness> {
  const checks: Readiness['checks'] = {};
  if (shuttingDown) checks['shutdown'] = { ok: false, detail: 'shutting down' };
  try {
    const applied = Math.max(0, ...(await withTimeout(appliedMigrations(app.pool), 'the database')));
    checks['database'] = { ok: true };
    checks['migrations'] =
      applied >= latestMigration
        ? { ok: true }
        : {
            ok: false,
            detail: `schema at migration ${applied}, this build needs ${latestMigration}: run \`sessiongraph migrate\``,
          };
    if (app.frameworkStores.size > 0) {
      const lag = await withTimeout(oldestChangeAgeSeconds(app.pool), 'the database');
      const limit = app.config.readyMaxLagSeconds;
      checks['syncLag'] =
        lag <= limit
          ? { ok: true, detail: `${lag.toFixed(1)} s` }
          : {
              ok: false,
              detail: `oldest unapplied framework change is ${lag.toFixed(1)} s old (limit ${limit} s): is a sync worker running?`,
            };
    }
  } catch (error) {
    // /readyz answers anyone: the driver's message can name the database's host, port, socket or user, so it
    // goes to the log.
    app.logger.warn({ err: error }, 'readiness: the database is unreachable');
    checks['database'] = { ok: false, detail: 'unreachable (see the server log)' };
  }
  if (app.syncWorker) checks['syncWorker'] = app.syncWorker.health();
  if (app.projector.held.size > 0) {
    checks['secrets'] = { ok: false, detail: [...app.projector.held.values()].join('; ') };
  }
  const reasons = Object.entries(checks)
    .filter(([, check]) => !check.ok)
    .map(([name, check]) => `${name}: ${check.detail ?? 'failed'}`);
  return { ready: reasons.length === 0, checks, reasons };
}
