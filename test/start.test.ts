import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { demoUsersDatabase } from './helpers/db.ts';
import { configFile, type ServerProcess, startServerProcess } from './helpers/process.ts';

/** What the server starts on when the config file, not the environment, names the database. */
describe.skipIf(!process.env['DATABASE_URL'])('a database named by the config file alone', () => {
  const db = demoUsersDatabase();
  let server: ServerProcess;
  let config: ReturnType<typeof configFile> | undefined;

  beforeAll(async () => {
    config = configFile({
      databaseUrl: db.database.url,
      graphiql: false,
      console: false,
      fields: [{ name: 'theme', path: 'theme', type: 'String' }],
    });
    server = await startServerProcess({ DATABASE_URL: '', SESSIONGRAPH_CONFIG: config.path });
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    config?.remove();
  });

  it("should serve that database with the file's settings, never the embedded demo's", async () => {
    expect(server.output()).toContain('GraphiQL is off');
    expect(server.output()).not.toContain('embedded PGlite');
    expect((await fetch(`${server.url}/console`)).status).toBe(404);
    await db.pool.query(
      `INSERT INTO sessiongraph.sessions (key_hash, data, expires_at)
       VALUES (sha256('start-test'::bytea), '{"theme":"dark"}', now() + interval '1 hour')`,
    );
    const { token } = await createToken(db.pool, 'start-test', ['sessions:read'], null);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ sessions { totalCount edges { node { theme } } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { sessions: { totalCount: 1, edges: [{ node: { theme: 'dark' } }] } },
    });
  }, 60_000);
});
