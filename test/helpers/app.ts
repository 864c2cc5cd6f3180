import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type App, createApp, pipelinesTransactions } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createToken, SCOPES } from '../../src/auth/tokens.ts';
import { NotificationHub } from '../../src/db/notifications.ts';
import { EMBEDDED_CONNECTION_SETTINGS } from '../../src/db/embedded.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { createDemoUsers } from '../../src/demo/seed.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { createServer } from '../../src/yoga.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

/**
 * A running sessiongraph on a fresh database, driven through `yoga.fetch` (no port, no HTTP client).
 * `statements` records every SQL statement, so tests can count round trips per request.
 */
export interface TestApp {
  app: App;
  pool: Pool;
  database: TestDatabase;
  statements: string[];
  /** The API token (every scope) that `graphql` and `fetch` send by default. */
  adminToken: string;
  /** Moves the clock every status and expiry is computed against. */
  setNow(date: Date | null): void;
  graphql<R, V>(
    document: TypedDocumentNode<R, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<{ data?: R; errors?: { message: string; extensions?: Record<string, unknown> }[] }>;
  fetch(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Backfills every framework store not yet projected, then applies the whole change queue. */
  sync(): Promise<number>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  config?: Record<string, unknown>;
  /** Where the app logs (silent by default; TEST_LOG_LEVEL turns stdout logging on). */
  logger?: Logger;
  /** SQL run after the demo users table exists and before migrations (e.g. more users, other tables). */
  setup?: (pool: Pool) => Promise<void>;
  /** Follow notifications on a LISTEN connection of its own, as the server does (token cache, events). */
  notifications?: boolean;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const embedded = database.embedded ? EMBEDDED_CONNECTION_SETTINGS : {};
  const config = loadConfig(
    { DATABASE_URL: database.url },
    { logLevel: 'silent', ...embedded, ...options.config },
  );
  const pool = createPool(database.url, 5, {}, { pipeline: pipelinesTransactions(config) });
  await createDemoUsers(pool);
  await options.setup?.(pool);
  const statements: string[] = [];
  let fixedNow: Date | null = null;
  const logger = options.logger ?? createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const notifications = options.notifications ? new NotificationHub(database.url, logger) : undefined;
  await notifications?.start();
  const app = await createApp(config, {
    notifications,
    pool,
    logger,
    migrate: true,
    clock: () => fixedNow ?? new Date(),
    onStatement: (text) => statements.push(text),
  }).catch(async (error: unknown) => {
    // A start-up error is what some tests expect: the database still goes.
    await notifications?.stop();
    await pool.end().catch(() => {});
    await database.drop();
    throw error;
  });
  const yoga = createServer(app);
  // Tests act as an internal tool with every scope unless they say otherwise: pass
  // `{ authorization: '' }` to send no token (a browser, or nobody), or another value to send that.
  const admin = await createToken(pool, 'test-admin', SCOPES, null);
  const fetchGraphql = (body: unknown, headers: Record<string, string> = {}) => {
    const { authorization = `Bearer ${admin.token}`, ...rest } = headers;
    return Promise.resolve(
      yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
          ...rest,
        },
        body: JSON.stringify(body),
      }),
    );
  };
  return {
    app,
    pool,
    database,
    statements,
    adminToken: admin.token,
    setNow: (date) => {
      fixedNow = date;
    },
    fetch: fetchGraphql,
    async graphql(document, variables, headers) {
      const response = await fetchGraphql({ query: print(document), variables }, headers);
      return response.json();
    },
    async sync() {
      for (const store of app.frameworkStores.values()) {
        if (!app.projector.isReady(store.name)) await app.projector.backfill(pool, store);
      }
      let applied = 0;
      for (;;) {
        const batch = await app.projector.syncBatch(pool, app.frameworkStores, 500);
        applied += batch;
        if (batch === 0) return applied;
      }
    },
    async close() {
      await app.touches.close();
      await app.relay?.stop();
      await app.reads?.end();
      await notifications?.stop();
      await pool.end();
      await database.drop();
    },
  };
}
