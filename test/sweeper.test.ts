import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { demoUsersDatabase } from './helpers/db.ts';
import { configFile, type ServerProcess, startServerProcess } from './helpers/process.ts';
import { until } from './helpers/until.ts';

/** The server's own sweeper (`sweepIntervalSeconds`): what it counts and logs, and how it stops on SIGTERM. */

type LogLine = { msg: string; deleted?: number; stopped?: boolean };

const logOf = (server: ServerProcess): LogLine[] =>
  server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);

const seedExpired = (db: ReturnType<typeof demoUsersDatabase>, from: number, count: number) =>
  db.pool.query(
    `INSERT INTO sessiongraph.sessions (key_hash, data, created_at, expires_at)
     SELECT sha256(('sweeper-' || g)::bytea), '{}', now() - interval '2 hours', now() - interval '1 hour'
       FROM generate_series($1::int, $2::int) AS g`,
    [from, from + count - 1],
  );

const countExpired = async (db: ReturnType<typeof demoUsersDatabase>) =>
  (
    await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sessiongraph.sessions WHERE expires_at <= now()',
    )
  ).rows[0]!.n;

/**
 * Exactly `count` expired sessions, each deleted in 5 ms: the first batch (100 rows) takes half a second, and
 * the rest after it (sweepDutyCycle 0.05) about 9 s.
 */
async function slowDeletes(db: ReturnType<typeof demoUsersDatabase>, count: number) {
  await db.pool.query(`
    DROP TRIGGER IF EXISTS slow_delete ON sessiongraph.sessions;
    DELETE FROM sessiongraph.sessions;
    CREATE OR REPLACE FUNCTION public.slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(0.005); RETURN OLD; END $$;
    CREATE TRIGGER slow_delete BEFORE DELETE ON sessiongraph.sessions
      FOR EACH ROW EXECUTE FUNCTION public.slow_delete();`);
  await seedExpired(db, 1000, count);
}

describe.skipIf(!process.env['DATABASE_URL'])('the server sweeper', () => {
  const db = demoUsersDatabase();
  let server: ServerProcess;
  let config: ReturnType<typeof configFile> | undefined;

  beforeAll(async () => {
    // Batches may hold their rows for 5 s and the sweep rests 19 times as long as a batch took: with the
    // slow deletes below, a rest of about 9 s follows each batch of 100 rows.
    config = configFile({ sweepIntervalSeconds: 1, sweepLockMilliseconds: 5000, sweepDutyCycle: 0.05 });
    server = await startServerProcess({ DATABASE_URL: db.database.url, SESSIONGRAPH_CONFIG: config.path });
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    config?.remove();
  });

  it('should delete expired sessions, count them in sessiongraph_sweeper_deleted_total, and log the sweep', async () => {
    await seedExpired(db, 1, 5);
    await until(async () => (await countExpired(db)) === 0, 20_000);
    const { token } = await createToken(db.pool, 'metrics', SCOPES, null);
    await until(async () => {
      const text = await (
        await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      ).text();
      return text.includes('\nsessiongraph_sweeper_deleted_total{store="native"} 5\n');
    }, 10_000);
    const log = logOf(server);
    expect(log.filter((line) => line.msg === 'sweep failed')).toEqual([]);
    const swept = log.filter((line) => line.msg === 'swept expired sessions');
    expect(swept.map((line) => line.deleted ?? 0).reduce((sum, n) => sum + n, 0)).toBe(5);
  }, 60_000);

  it('should stop a sweep in its rest on SIGTERM, leave the rest expired for the next one, and exit 0', async () => {
    await slowDeletes(db, 1000);
    await until(async () => (await countExpired(db)) < 1000, 20_000);
    const code = await server.stop('SIGTERM');
    expect(code).toBe(0);
    // Stopped in the rest after the first batch: the other 900 are the next sweep's.
    expect(await countExpired(db)).toBe(900);
    const log = logOf(server);
    expect(log.filter((line) => line.msg === 'sweep failed')).toEqual([]);
    expect(log.filter((line) => line.msg === 'sweep stopped for shutdown')).toMatchObject([
      { deleted: 100, stopped: true },
    ]);
    expect(log.at(-1)!.msg).toBe('shut down');
  }, 60_000);

  it('should stop `sessiongraph sweep` on Ctrl-C after the batch in flight, print what it deleted, and exit 130', async () => {
    await slowDeletes(db, 900);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sweep'], {
      env: { ...process.env, DATABASE_URL: db.database.url, SESSIONGRAPH_CONFIG: config!.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(async () => (await countExpired(db)) < 900, 30_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await countExpired(db)).toBe(800);
    expect(stdout).toContain('native: 100 deleted');
    expect(stdout).toContain('stopped: swept 100 expired sessions; the rest are left for the next sweep');
  }, 60_000);
});
