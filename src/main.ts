import { createServer as createHttpServer } from 'node:http';
import { type App, createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { startEmbeddedDatabase } from './db/embedded.ts';
import { createPool } from './db/pool.ts';
import { SyncWorker } from './projection/worker.ts';
import { demoConfigOverrides } from './demo/config.ts';
import { createDemoUsers, demoSessionKey, seedDemoSessions } from './demo/seed.ts';
import { createLogger } from './log.ts';
import { sweepExpired } from './sessions/service.ts';
import { UsersTableError } from './users/catalog.ts';
import { createServer } from './yoga.ts';

/** Starts the server: on DATABASE_URL if set, else on an embedded PGlite filled with demo data. */
async function main() {
  // The demo's typed fields apply only when nothing else configures fields.
  const config =
    process.env['DATABASE_URL'] || process.env['DATABASE_URL_FILE']
      ? loadConfig()
      : loadConfig(process.env, demoConfigOverrides);
  const logger = createLogger(config.logLevel);
  let embedded: Awaited<ReturnType<typeof startEmbeddedDatabase>> | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedDatabase();
    databaseUrl = embedded.url;
    const setupPool = createPool(databaseUrl, 1);
    await createDemoUsers(setupPool);
    await setupPool.end();
  }
  const pool = createPool(databaseUrl, config.poolSize);
  const app = await createApp(
    { ...config, databaseUrl },
    { pool, logger, migrate: embedded ? true : undefined },
  );
  if (embedded) await seedDemoSessions(pool);

  const yoga = createServer(app);
  const server = createHttpServer(yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host}:${port}/graphql`;
  printBanner(url, embedded !== null);
  logger.info({ url, embedded: embedded !== null, stores: [...app.stores.keys()] }, 'sessiongraph listening');

  const sweeper = startSweeper(app);
  const worker =
    config.syncInServer && app.frameworkStores.size > 0
      ? new SyncWorker(pool, databaseUrl, app.projector, app.frameworkStores, logger, {
          batchSize: config.syncBatchSize,
        })
      : null;
  worker?.start();
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    if (sweeper) clearInterval(sweeper);
    server.close();
    await worker?.stop();
    await pool.end();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

function startSweeper(app: App) {
  const seconds = app.config.sweepIntervalSeconds;
  if (seconds === 0) return null;
  return setInterval(() => {
    sweepExpired(app)
      .then((deleted) => app.logger.info({ deleted }, 'swept expired sessions'))
      .catch((error: unknown) => app.logger.error({ err: error }, 'sweep failed'));
  }, seconds * 1000).unref();
}

function printBanner(url: string, demo: boolean) {
  const lines = [
    '',
    `  sessiongraph is running: ${url}  (GraphiQL in the browser)`,
    demo ? '  Database: embedded PGlite with demo users and sessions (set DATABASE_URL to use yours).' : '',
    '',
    '  A first query to try (paste it into GraphiQL):',
    '',
    '    { sessions(first: 5, status: ACTIVE) { edges { node { id status data user { username email } } } } }',
    '',
    demo ? '  Your "own" session, as a browser would present it (header X-Session-Key):' : '',
    demo
      ? `    curl -s ${url} -H 'content-type: application/json' -H 'x-session-key: ${demoSessionKey}' \\`
      : '',
    demo ? `      -d '{"query":"{ currentSession { data user { username } } }"}'` : '',
    '',
  ];
  process.stdout.write(
    `${lines.filter((line, index) => line !== '' || lines[index - 1] !== '').join('\n')}\n`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsersTableError) {
    process.stderr.write(`sessiongraph: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sessiongraph: failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
