import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

const run = promisify(execFile);
const SECRET = 'cli-secret';

/** `sessiongraph sync --backfill`, `sync --verify` and `uninstall`, run as a deployment would run them. */
describe('sessiongraph sync and uninstall', () => {
  let t: TestApp;
  let configFile: string;
  const cli = (...args: string[]) =>
    run('npx', ['tsx', 'src/cli.ts', ...args], {
      env: {
        ...process.env,
        DATABASE_URL: t.database.url,
        SESSIONGRAPH_CONFIG: configFile,
        LOG_LEVEL: 'silent',
      },
    });

  beforeAll(async () => {
    const stores = [{ kind: 'django', name: 'django', secretKey: SECRET, passwordColumn: 'password_hash' }];
    const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ stores }));
    t = await startTestApp({
      config: { stores },
      setup: async (pool) => {
        await pool.query(`CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL,
          expire_date timestamptz NOT NULL)`);
        const codec = createDjangoCodec({ secretKey: SECRET });
        const keys = Array.from({ length: 2500 }, (_, index) => `cli${String(index).padStart(29, '0')}`);
        await pool.query(
          "INSERT INTO django_session SELECT k, $2, now() + interval '1 day' FROM unnest($1::text[]) k",
          [keys, codec.encode({ _auth_user_id: '1', theme: 'dark' }, new Date())],
        );
      },
    });
  });
  afterAll(() => t.close());

  it('should backfill with a progress line (rows, rows/s, time left) and report throughput', async () => {
    const { stdout, stderr } = await cli('sync', '--backfill');
    expect(stderr).toMatch(/django \[#+\] 2,500\/2,500 rows {2}[\d,]+ rows\/s {2}0\.0s left/);
    expect(stdout).toMatch(/^django: 2500 sessions projected in [\d.]+s \(\d+ sessions\/s\)$/m);
    const projected = await t.pool.query(
      `SELECT count(*)::int AS n FROM sessiongraph.projection WHERE user_id = 1`,
    );
    expect(projected.rows[0]).toEqual({ n: 2500 });
    const again = await cli('sync', '--backfill');
    expect(again.stdout).toMatch(/^django: 0 sessions projected/m);
  });

  it('should verify and repair drift, saying what it fixed', async () => {
    await t.pool.query(`DELETE FROM sessiongraph.projection WHERE session_key IN (
      SELECT session_key FROM sessiongraph.projection ORDER BY session_key LIMIT 7)`);
    const { stdout } = await cli('sync', '--verify');
    expect(stdout).toBe('django: checked 2500; repaired 7 missing, 0 stale, removed 0 orphaned\n');
  });

  it('should uninstall the triggers and schema and leave the framework table as it was', async () => {
    const { stdout } = await cli('uninstall');
    expect(stdout).toContain('dropped trigger sessiongraph_capture on "public"."django_session"');
    expect(stdout).toContain('dropped trigger sessiongraph_capture_truncate on "public"."django_session"');
    expect(stdout).toContain('dropped schema sessiongraph');
    const schema = await t.pool.query(`SELECT to_regnamespace('sessiongraph') AS present`);
    expect(schema.rows[0]).toEqual({ present: null });
    const rows = await t.pool.query('SELECT count(*)::int AS n FROM django_session');
    expect(rows.rows[0]).toEqual({ n: 2500 });
    await t.pool.query(`INSERT INTO django_session VALUES ('after-uninstall-000000000000000', 'x', now())`);
    const triggers = await t.pool.query(`SELECT 1 FROM pg_trigger WHERE tgname LIKE 'sessiongraph%'`);
    expect(triggers.rowCount).toBe(0);
    // Again: there is nothing left, and it says so.
    expect((await cli('uninstall')).stdout).toBe(
      'nothing to remove: no sessiongraph schema or triggers here\n',
    );
  });
});

describe('sessiongraph command line conventions', () => {
  /** The CLI with no database at all. */
  const bare = async (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent' };
    delete env['DATABASE_URL'];
    try {
      const { stdout, stderr } = await run('npx', ['tsx', 'src/cli.ts', ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };

  it('should answer --help and -h on every command, without a database', async () => {
    for (const args of [
      ['--help'],
      ['-h'],
      ['help'],
      ['sync', '--help'],
      ['token', '-h'],
      ['uninstall', '--help'],
    ]) {
      const { code, stdout } = await bare(...args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout, args.join(' ')).toMatch(/^usage: sessiongraph/);
    }
    expect((await bare('sync', '-h')).stdout).toContain('--verify');
  }, 60_000);

  it('should name an unknown command before asking for DATABASE_URL', async () => {
    const { code, stderr } = await bare('swep');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "swep"');
    expect(stderr).not.toContain('DATABASE_URL is not set');
  }, 30_000);
});
