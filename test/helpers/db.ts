import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { createDemoUsers } from '../../src/demo/seed.ts';

/**
 * A fresh database per test file: a new database on DATABASE_URL's server when it is set (as in CI),
 * else a new embedded PGlite. Dropped again in `drop()`.
 */
export interface TestDatabase {
  url: string;
  embedded: boolean;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env['DATABASE_URL'];
  if (!serverUrl) {
    const embedded = await startEmbeddedDatabase();
    return { url: embedded.url, embedded: true, drop: () => embedded.stop() };
  }
  const name = `sg_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    embedded: false,
    async drop() {
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/**
 * A fresh database with the demo users table for the enclosing `describe`, made before its tests and dropped
 * after them; `db.database` and `db.pool` are set once the first test runs.
 */
export function demoUsersDatabase(): { readonly database: TestDatabase; readonly pool: Pool } {
  const state = {} as { database: TestDatabase; pool: Pool };
  beforeAll(async () => {
    state.database = await createTestDatabase();
    state.pool = createPool(state.database.url, 2);
    await createDemoUsers(state.pool);
  });
  afterAll(async () => {
    await state.pool?.end();
    await state.database?.drop();
  });
  return state;
}
