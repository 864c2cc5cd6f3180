import './v8-flags.ts';
import { createServer as createHttpServer } from 'node:http';
import { type App, createApp, pipelinesTransactions, poolTimeouts } from './app.ts';
import { createToken, SCOPES } from './auth/tokens.ts';
import { liveTokenCount } from './auth/tokens.sql.ts';
import { ConfigError, loadConfig, namesDatabase, withDefaultConfigFile } from './config.ts';
import { EMBEDDED_CONNECTION_SETTINGS, startEmbeddedDatabase } from './db/embedded.ts';
import { NotificationHub } from './db/notifications.ts';
import { createPool, type Pool } from './db/pool.ts';
import { missingProjection } from './projection/schema.ts';
import { SyncWorker } from './projection/worker.ts';
import { demoConfigOverrides } from './demo/config.ts';
import { createDemoUsers, demoSessionKey, seedDemoSessions } from './demo/seed.ts';
import { createLogger } from './log.ts';
import { sweepExpired, sweptTotal } from './sessions/sweep.ts';
import { UsersTableError } from './users/catalog.ts';
import { createGraphql } from './yoga.ts';
import { createHttpFront } from './ops/http.ts';

/**
 * Starts the server: on the database DATABASE_URL or the config file names, else on an embedded PGlite filled
 * with demo data.
 */
async function main() {
  // The embedded demo, with its stores, fields and GraphiQL, only where neither the environment nor the
  // config file names a database: the demo's settings must never replace a deployment's.
  const loaded = namesDatabase(process.env)
    ? loadConfig(withDefaultConfigFile(process.env))
    : loadConfig(process.env, demoConfigOverrides);
  // The server's bulk decoding has its own thread count (see serverDecodeThreads).
  const config = { ...loaded, decodeThreads: loaded.serverDecodeThreads };
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
  // PGlite serves every connection from one backend: its transactions are not pipelined.
  const pool = createPool(databaseUrl, config.poolSize, poolTimeouts(config), {
    pipeline: !embedded && pipelinesTransactions(config),
  });
  const notifications = new NotificationHub(databaseUrl, logger);
  await notifications.start();
  const app = await createApp(
    // PGlite serves every socket client from one backend, so NOTIFY never reaches another connection:
    // the embedded demo checks tokens on every request rather than trusting a cache it cannot invalidate.
    {
      ...config,
      databaseUrl,
      ...(embedded ? { tokenCacheSeconds: 0, ...EMBEDDED_CONNECTION_SETTINGS } : {}),
    },
    { pool, logger, migrate: embedded ? true : undefined, notifications },
  );
  if (!embedded && !config.migrateOnStart) {
    const missing = await missingProjection(pool, config);
    if (missing.length > 0) {
      throw new StartRefused(
        `migrateOnStart is off and this configuration's projection is not installed (${missing.join('; ')}): ` +
          'run "sessiongraph migrate" with this configuration first, or start with MIGRATE_ON_START=true',
      );
    }
  }
  if (embedded) await seedDemoSessions(pool);
  const demoToken = embedded ? await mintDemoToken(pool) : null;
  await refuseUnauthenticatedExposure(app, pool);

  // GraphiQL starts with the demo token in its headers panel, so its first query just works; only on a
  // loopback address, since the page itself would hand the token to whoever can load it.
  const graphiqlHasToken = demoToken !== null && isLoopback(config.host);
  const { yoga, fast } = createGraphql(
    app,
    graphiqlHasToken ? { graphiqlHeaders: { Authorization: `Bearer ${demoToken}` } } : {},
  );
  const front = createHttpFront(app, yoga, app.metrics, app.config.compiledReads ? fast : undefined);
  const server = createHttpServer(front.handle);
  front.track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const metricsServer = config.metricsPort === null ? null : createHttpServer(front.metricsOnly);
  if (metricsServer) {
    await new Promise<void>((resolve, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(config.metricsPort!, config.metricsHost, resolve);
    });
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host === '127.0.0.1' || host === '0.0.0.0' ? 'localhost' : host}:${port}/graphql`;
  printBanner(url, demoToken, graphiqlHasToken, app.config.graphiql, app.config.console);
  logger.info({ url, embedded: embedded !== null, stores: [...app.stores.keys()] }, 'sessiongraph listening');

  const sweeper = startSweeper(app);
  const worker =
    config.syncInServer && app.frameworkStores.size > 0
      ? new SyncWorker(pool, databaseUrl, app.projector, app.frameworkStores, logger, {
          batchSize: config.syncBatchSize,
          notifications,
          onRestart: () => app.metrics.syncWorkerRestarts.inc(),
        })
      : null;
  if (worker) app.syncWorker = worker;
  worker?.start();

  // SIGTERM: stop accepting, let requests in flight finish (bounded), let the sync worker commit the batch
  // in hand, then close the pool and exit 0. A second signal exits at once.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    const started = Date.now();
    logger.info({ signal, inFlight: front.inFlight() }, 'shutting down');
    front.beginShutdown();
    // A sweep in progress stops after the batch in flight; its pool is closed only once it has.
    const swept = sweeper?.stop();
    if (config.shutdownDelaySeconds > 0) {
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelaySeconds * 1000));
    }
    metricsServer?.close();
    const clean = await front.close(server, config.shutdownTimeoutSeconds * 1000);
    if (!clean) logger.warn('shutdown timeout: connections still open were cut');
    await swept;
    await worker?.stop();
    await app.touches.close();
    await app.relay?.stop();
    await notifications.stop();
    await app.reads?.end();
    await pool.end();
    await embedded?.stop();
    logger.info({ ms: Date.now() - started }, 'shut down');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Sweeps every `sweepIntervalSeconds`; `stop` ends the timer and the sweep in progress (see sweepExpired). */
function startSweeper(app: App): { stop(): Promise<void> } | null {
  const seconds = app.config.sweepIntervalSeconds;
  if (seconds === 0) return null;
  const stopping = new AbortController();
  // A sweep that outlasts the interval is not joined by another.
  let sweeping: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = sweepExpired(app, app.pool, undefined, stopping.signal)
      .then((deleted) => {
        for (const [store, count] of Object.entries(deleted)) app.metrics.swept.inc({ store }, count);
        app.logger.info(
          { deleted: sweptTotal(deleted), byStore: deleted, stopped: stopping.signal.aborted },
          stopping.signal.aborted ? 'sweep stopped for shutdown' : 'swept expired sessions',
        );
      })
      .catch((error: unknown) => app.logger.error({ err: error }, 'sweep failed'))
      .finally(() => {
        sweeping = null;
      });
  }, seconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await sweeping;
    },
  };
}

/** Loopback addresses: the only ones the server listens on while no live API token exists. */
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const isLoopback = (host: string) => LOOPBACK.has(host.trim().toLowerCase());

/** A refusal to start that the operator can fix: the message, and exit code 2. */
class StartRefused extends Error {
  override name = 'StartRefused';
}

/**
 * Safe default: a server reachable beyond this machine while no live API token exists is a deployment
 * whose access control was never set up, so it does not listen unless `allowUnauthenticatedListen` says so.
 */
async function refuseUnauthenticatedExposure(app: App, pool: Pool) {
  const { host, allowUnauthenticatedListen } = app.config;
  if (isLoopback(host)) return;
  const live = await liveTokenCount(pool).catch((error: unknown) => {
    // Migrations not applied (MIGRATE_ON_START=false on a fresh schema): no token table, so no token.
    if ((error as { code?: string }).code === '42P01') return 0;
    throw error;
  });
  if (live > 0) return;
  if (allowUnauthenticatedListen) {
    app.logger.warn(
      { host },
      'listening on a non-loopback address with no live API token (allowUnauthenticatedListen is set)',
    );
    return;
  }
  throw new StartRefused(
    `refusing to listen on ${host}: it is not a loopback address and no live API token exists, so ` +
      'access control has not been set up for callers on the network. Create a token first with ' +
      '`sessiongraph token create --name <name> --scopes <scopes>` (same DATABASE_URL), listen on ' +
      '127.0.0.1, or set allowUnauthenticatedListen (ALLOW_UNAUTHENTICATED_LISTEN=true) to listen anyway.',
  );
}

/**
 * The embedded demo's API token, with every scope: minted at each start and shown only in the banner
 * (its raw value is never stored). Token names are unique, so a previous `demo` is revoked and renamed.
 */
async function mintDemoToken(pool: Pool): Promise<string> {
  await pool.query(
    `/* retireDemoToken */ UPDATE sessiongraph.api_tokens
        SET revoked_at = COALESCE(revoked_at, now()), name = 'demo-replaced-' || id::text
      WHERE name = 'demo'`,
  );
  const { token } = await createToken(pool, 'demo', SCOPES, null);
  return token;
}

function printBanner(
  url: string,
  demoToken: string | null,
  graphiqlHasToken: boolean,
  graphiql: boolean,
  consoleOn: boolean,
) {
  const demo = demoToken !== null;
  const consoleUrl = url.replace(/\/graphql$/, '/console');
  const lines = [
    '',
    graphiql
      ? `  sessiongraph is running: ${url}  (GraphiQL in the browser)`
      : `  sessiongraph is running: ${url}`,
    graphiql
      ? ''
      : '  GraphiQL is off: start with GRAPHIQL=true (or "graphiql": true in the config file) to use it in a browser.',
    consoleOn
      ? `  Sessions console: ${consoleUrl}  (sign in with an API token${demo ? ': the demo token below' : ''})`
      : '  The sessions console is off: CONSOLE=true (or "console": true in the config file) serves it on /console.',
    demo ? '  Database: embedded PGlite with demo users and sessions (set DATABASE_URL to use yours).' : '',
    '',
    graphiql ? '  A first query to try (paste it into GraphiQL):' : '  A first query to try:',
    '',
    '    { sessions(first: 5, status: ACTIVE) { edges { node { id status data user { username email } } } } }',
    '',
    ...(demo
      ? [
          '  The demo API token (every scope; minted at this start, shown only here).',
          graphiqlHasToken
            ? "  GraphiQL's headers panel starts with it; anywhere else, send these headers:"
            : "  Paste this into GraphiQL's headers panel:",
          `    {"Authorization": "Bearer ${demoToken}"}`,
        ]
      : [
          '  Internal tools send an API token (create one with `sessiongraph token create`):',
          '    Authorization: Bearer <token>',
        ]),
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
  if (error instanceof ConfigError || error instanceof UsersTableError || error instanceof StartRefused) {
    process.stderr.write(`sessiongraph: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sessiongraph: failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
