import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { revokeToken } from '../src/auth/tokens.sql.ts';
import { loadConfig } from '../src/config.ts';
import { demoUsersDatabase } from './helpers/db.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

const run = promisify(execFile);

type Outcome = { code: number; stdout: string; stderr: string };

/** Settings a developer's shell might carry that would change what the commands do. */
const cleanEnv = () => {
  const env: Record<string, string | undefined> = {
    ...process.env,
    SESSIONGRAPH_CONFIG: '',
    LOG_LEVEL: 'silent',
  };
  for (const name of [
    'ALLOW_UNAUTHENTICATED_LISTEN',
    'DATABASE_URL_FILE',
    'HOST',
    'PORT',
    'MIGRATE_ON_START',
  ])
    delete env[name];
  return env;
};

const SESSIONS = { query: '{ sessions(first: 1) { edges { node { id } } } }' };
const TOKEN = /^(sg_[A-Za-z0-9_-]{43})$/m;

describe('sessiongraph token', () => {
  let t: TestApp;
  const cli = (...args: string[]): Promise<Outcome> =>
    run('npx', ['tsx', 'src/cli.ts', 'token', ...args], {
      env: { ...cleanEnv(), DATABASE_URL: t.database.url },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: Outcome) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  const create = async (...args: string[]) => {
    const outcome = await cli('create', ...args);
    expect(outcome.code, outcome.stderr).toBe(0);
    return { ...outcome, token: TOKEN.exec(outcome.stdout)![1]! };
  };
  const sessionsWith = async (token: string) =>
    (await (await t.fetch(SESSIONS, { authorization: `Bearer ${token}` })).json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
  const listed = async () => {
    const { code, stdout } = await cli('list');
    expect(code).toBe(0);
    const [header, ...rows] = stdout.trimEnd().split('\n');
    return { stdout, header: header!.split(/\s{2,}/), rows: rows.map((row) => row.split(/\s{2,}/)) };
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('should print a new token once, with the header to send, and the token should work', async () => {
    const { stdout, stderr, token } = await create(
      '--name',
      'support',
      '--scopes',
      'sessions:read,sessions:write,users:read',
      '--expires-in',
      '30d',
    );
    expect(stderr).not.toContain('sessiongraph:');
    expect(stdout).toMatch(/^created API token "support" \(id [0-9a-f-]{36}\)$/m);
    expect(stdout).toContain('  scopes:  sessions:read,sessions:write,users:read\n');
    expect(stdout).toContain('will not be shown again');
    expect(stdout).toContain(`Authorization: Bearer ${token}`);
    const expires = /^ {2}expires: (\S+ \S+)$/m.exec(stdout)![1]!;
    const days = (Date.parse(expires.replace(' ', 'T')) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    // Stored only as its SHA-256.
    const stored = await t.pool.query<{ token_hash: Buffer }>(
      "SELECT token_hash FROM sessiongraph.api_tokens WHERE name = 'support'",
    );
    expect(stored.rows[0]!.token_hash).toEqual(createHash('sha256').update(token).digest());

    const answer = await sessionsWith(token);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toMatchObject({ sessions: { edges: expect.any(Array) } });

    // The CLI writes what it did to the audit log.
    const audit = await t.pool.query(
      "SELECT actor, action, outcome, detail->>'name' AS name FROM sessiongraph.audit_log WHERE action = 'createToken'",
    );
    expect(audit.rows).toContainEqual({
      actor: 'cli',
      action: 'createToken',
      outcome: 'ok',
      name: 'support',
    });
  });

  it('should refuse unknown scopes, duplicate names, bad durations and missing options with exit code 2', {
    timeout: 90_000,
  }, async () => {
    // Independent refusals run side by side: each is a process start.
    const [unknown, duration, noName, noScopes, emptyScopes, badCommand] = await Promise.all([
      cli('create', '--name', 'x', '--scopes', 'sessions:read,admin'),
      cli('create', '--name', 'y', '--scopes', 'sessions:read', '--expires-in', '3w'),
      cli('create', '--scopes', 'sessions:read'),
      cli('create', '--name', 'z'),
      cli('create', '--name', 'z', '--scopes', ''),
      cli('delete', 'x'),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain(
      'unknown scope admin; the scopes are sessions:read, sessions:write, users:read, audit:read',
    );

    await create('--name', 'twice', '--scopes', 'audit:read');
    const duplicate = await cli('create', '--name', 'twice', '--scopes', 'sessions:read');
    expect(duplicate).toMatchObject({ code: 2, stdout: '' });
    expect(duplicate.stderr).toContain('an API token named "twice" already exists (active)');

    expect(duration).toMatchObject({ code: 2, stdout: '' });
    expect(duration.stderr).toContain(
      '--expires-in: expected a positive duration like 30d, 12h, 90m or 3600s',
    );

    expect(noName).toMatchObject({ code: 2, stdout: '' });
    expect(noName.stderr).toContain('token create needs --name');
    expect(noScopes).toMatchObject({ code: 2 });
    expect(noScopes.stderr).toContain('token create needs --scopes');
    expect(emptyScopes).toMatchObject({ code: 2 });
    expect(emptyScopes.stderr).toContain('give at least one scope');
    expect(badCommand).toMatchObject({ code: 2 });
    expect(badCommand.stderr).toContain('unknown token command "delete"');

    const names = await t.pool.query<{ name: string }>('SELECT name FROM sessiongraph.api_tokens');
    expect(names.rows.map((row) => row.name)).not.toEqual(expect.arrayContaining(['x', 'y', 'z']));
  });

  it('should revoke by name or id, idempotently, and a revoked token is UNAUTHENTICATED', {
    timeout: 90_000,
  }, async () => {
    const { token, stdout } = await create('--name', 'revoke-me', '--scopes', 'sessions:read');
    const id = /\(id ([0-9a-f-]{36})\)/.exec(stdout)![1]!;
    expect((await sessionsWith(token)).errors).toBeUndefined();

    const revoked = await cli('revoke', 'revoke-me');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe(
      `revoked API token "revoke-me" (id ${id}); requests presenting it are refused from now on\n`,
    );
    const refused = await sessionsWith(token);
    expect(refused.data).toBeNull();
    expect(refused.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(refused.errors![0]!.message).toBe('The API token is revoked.');

    const again = await cli('revoke', id);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /^API token "revoke-me" \(id [0-9a-f-]{36}\) was already revoked at \S+ \S+Z$/m,
    );

    const nothing = await cli('revoke', 'no-such-token');
    expect(nothing).toMatchObject({ code: 2, stdout: '' });
    expect(nothing.stderr).toContain('no API token is named or has the id "no-such-token"');
    expect((await cli('revoke')).code).toBe(2);

    // A revoked name stays taken.
    const reuse = await cli('create', '--name', 'revoke-me', '--scopes', 'sessions:read');
    expect(reuse.code).toBe(2);
    expect(reuse.stderr).toContain('already exists (revoked)');
  });

  it('should refuse an expired token as UNAUTHENTICATED', async () => {
    const { token } = await create('--name', 'short', '--scopes', 'sessions:read', '--expires-in', '1h');
    expect((await sessionsWith(token)).errors).toBeUndefined();
    await t.pool.query(
      "UPDATE sessiongraph.api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'short'",
    );
    const refused = await sessionsWith(token);
    expect(refused.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(refused.errors![0]!.message).toBe('The API token is expired.');
  });

  it('should answer FORBIDDEN to a token without the scope a field needs', async () => {
    const { token } = await create('--name', 'users-only', '--scopes', 'users:read');
    const sessions = await sessionsWith(token);
    expect(sessions.data).toBeNull();
    expect(sessions.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const users = await (
      await t.fetch({ query: '{ user(id: "1") { username } }' }, { authorization: `Bearer ${token}` })
    ).json();
    expect(users).toEqual({ data: { user: { username: 'ada' } } });
  });

  it('should list name, scopes, created, expires and status, never a token or a hash', async () => {
    const { stdout, header, rows } = await listed();
    expect(header).toEqual(['NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'STATUS', 'ID']);
    const byName = new Map(rows.map((row) => [row[0]!, row]));
    const stamp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/;
    expect(byName.get('support')).toEqual([
      'support',
      'sessions:read,sessions:write,users:read',
      expect.stringMatching(stamp),
      expect.stringMatching(stamp),
      'active',
      expect.stringMatching(/^[0-9a-f-]{36}$/),
    ]);
    expect(byName.get('users-only')!.slice(1, 5)).toEqual([
      'users:read',
      expect.stringMatching(stamp),
      'never',
      'active',
    ]);
    expect(byName.get('revoke-me')![4]).toBe('revoked');
    expect(byName.get('short')![4]).toBe('expired');
    expect(byName.get('test-admin')![4]).toBe('active');
    expect(stdout).not.toMatch(/sg_[A-Za-z0-9_-]{43}/);
    const hashes = await t.pool.query<{ hex: string; b64: string }>(
      "SELECT encode(token_hash, 'hex') AS hex, encode(token_hash, 'base64') AS b64 FROM sessiongraph.api_tokens",
    );
    for (const { hex, b64 } of hashes.rows) {
      expect(stdout).not.toContain(hex);
      expect(stdout).not.toContain(b64);
    }
  });
});

describe('configuration for access control', () => {
  it('should read ALLOW_UNAUTHENTICATED_LISTEN, off by default', () => {
    expect(loadConfig({}).allowUnauthenticatedListen).toBe(false);
    expect(loadConfig({ ALLOW_UNAUTHENTICATED_LISTEN: 'true' }).allowUnauthenticatedListen).toBe(true);
    expect(() => loadConfig({ ALLOW_UNAUTHENTICATED_LISTEN: 'maybe' })).toThrow(
      /ALLOW_UNAUTHENTICATED_LISTEN: expected true or false/,
    );
  });

  it('should read a secret named by {"env": NAME} from NAME_FILE too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-secret-'));
    writeFileSync(join(dir, 'secret'), 'from-a-file\n');
    const stores = [{ kind: 'express', name: 'express', secrets: [{ env: 'EXPRESS_SECRET' }] }];
    const fromFile = loadConfig({ EXPRESS_SECRET_FILE: join(dir, 'secret') }, { stores });
    expect(fromFile.stores[0]).toMatchObject({ secrets: ['from-a-file'] });
    expect(loadConfig({ EXPRESS_SECRET: 'plain' }, { stores }).stores[0]).toMatchObject({
      secrets: ['plain'],
    });
    expect(() => loadConfig({}, { stores })).toThrow(
      /stores\.express\.secrets\.0: the environment variable EXPRESS_SECRET \(or EXPRESS_SECRET_FILE\) is not set/,
    );
  });
});

/** `npx tsx src/main.ts` until it prints its banner (then SIGTERM) or exits on its own. */
function startServer(env: Record<string, string | undefined>): Promise<Outcome & { started: boolean }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so the signal reaches the server under npx and tsx.
    const child: ChildProcess = spawn('npx', ['tsx', 'src/main.ts'], { env, detached: true });
    let stdout = '';
    let stderr = '';
    let started = false;
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`the server neither started nor exited in time\n${stdout}\n${stderr}`));
    }, 25_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!started && stdout.includes('sessiongraph is running')) {
        started = true;
        process.kill(-child.pid!, 'SIGTERM');
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, started });
    });
  });
}

describe('listening beyond loopback', () => {
  const db = demoUsersDatabase();
  const env = (extra: Record<string, string> = {}) => ({
    ...cleanEnv(),
    DATABASE_URL: db.database.url,
    HOST: '0.0.0.0',
    PORT: '0',
    ...extra,
  });

  it('should refuse while no live API token exists, naming the setting and the command', async () => {
    const refused = await startServer(env());
    expect(refused).toMatchObject({ code: 2, started: false });
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0');
    expect(refused.stderr).toContain('no live API token exists');
    expect(refused.stderr).toContain('allowUnauthenticatedListen (ALLOW_UNAUTHENTICATED_LISTEN=true)');
    expect(refused.stderr).toContain('sessiongraph token create');
  });

  it('should start when told to with ALLOW_UNAUTHENTICATED_LISTEN=true', async () => {
    const started = await startServer(env({ ALLOW_UNAUTHENTICATED_LISTEN: 'true' }));
    expect(started.started, started.stderr).toBe(true);
    expect(started.stdout).toMatch(/sessiongraph is running: http:\/\/localhost:\d+\/graphql/);
  });

  it('should count only live tokens: a revoked one does not do, an active one does', async () => {
    const old = await createToken(db.pool, 'old', ['sessions:read'], null);
    await revokeToken(db.pool, old.row.id);
    await createToken(db.pool, 'lapsed', ['sessions:read'], new Date(Date.now() - 1000));
    expect(await startServer(env())).toMatchObject({ code: 2, started: false });
    await createToken(db.pool, 'live', ['sessions:read'], null);
    const started = await startServer(env());
    expect(started.started, started.stderr).toBe(true);
  });

  it('should listen on loopback without any token', async () => {
    await db.pool.query('DELETE FROM sessiongraph.api_tokens');
    const started = await startServer(env({ HOST: '127.0.0.1' }));
    expect(started.started, started.stderr).toBe(true);
  });
});
