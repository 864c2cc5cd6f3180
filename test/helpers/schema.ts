import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { demoConfigOverrides } from '../../src/demo/config.ts';
import { createDemoUsers } from '../../src/demo/seed.ts';
import { createLogger } from '../../src/log.ts';
import { printSortedSchema } from '../../src/schema/index.ts';

/** The schema of the demo deployment (default config, demo users table): what schema/schema.graphql holds. */
export async function demoSchemaText(existingPool?: Pool): Promise<string> {
  const embedded = existingPool ? null : await startEmbeddedDatabase();
  const pool = existingPool ?? createPool(embedded!.url, 2);
  try {
    if (!existingPool) await createDemoUsers(pool);
    const config = loadConfig(
      { DATABASE_URL: 'postgres://localhost/unused' },
      { logLevel: 'silent', ...demoConfigOverrides },
    );
    const app = await createApp(config, { pool, logger: createLogger('silent'), migrate: false });
    return printSortedSchema(app);
  } finally {
    if (!existingPool) {
      await pool.end();
      await embedded!.stop();
    }
  }
}
