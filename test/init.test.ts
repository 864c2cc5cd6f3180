import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { loadConfig } from '../src/config.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { findSessionTables, findUsersTable } from '../src/init/detect.ts';
import { djangoEnvironment, runDjango } from './frameworks/django-harness.ts';
import { createSessionTable } from './frameworks/express-app.ts';
import { prepareWebpyDatabase, writeWebpy } from './frameworks/webpy-harness.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { type ServerProcess, startServerProcess } from './helpers/process.ts';
import { until } from './helpers/until.ts';

/**
 * `sessiongraph init` on a database as the frameworks left it (Django's migrations and sessions, web.py's
 * DBStore table, connect-pg-simple's table): what it finds, what its samples say with the right and a wrong
 * SECRET_KEY, the file it writes (secrets by reference only), and a server started on that file.
 */

const SECRET = 'init-test-django-secret-key-abcdefghijklmnop';
const execute = promisify(execFile);

describe.skipIf(!process.env['DATABASE_URL'])('sessiongraph init', () => {
  let database: TestDatabase;
  let pool: Pool;
  let directory: string;
  let server: ServerProcess | undefined;

  const init = async (env: Record<string, string>, ...args: string[]) =>
    execute('npx', ['tsx', 'src/cli.ts', 'init', ...args], {
      env: { ...process.env, DATABASE_URL: database.url, SESSIONGRAPH_CONFIG: '', ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url, 2);
    directory = mkdtempSync(join(tmpdir(), 'sessiongraph-init-'));
    const django = djangoEnvironment(database.url, SECRET);
    await runDjango(django, 'migrate', {});
    await runDjango(django, 'create-users', ['alice']);
    await runDjango(django, 'write', [
      { name: 'a', user: 'alice', data: { page: 'home' } },
      { name: 'b', data: { cart: [1, 2] } },
      { name: 'c', user: 'alice', data: {} },
    ]);
    await prepareWebpyDatabase(pool);
    await writeWebpy([{ id: randomBytes(20).toString('hex'), data: { uid: 1 } }]);
    const expressPool = new pg.Pool({ connectionString: database.url, max: 1 });
    await createSessionTable(expressPool);
    await expressPool.end();
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await pool?.end();
    await database?.drop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('finds every session table and the users table, and says how many sampled rows verify', async () => {
    const out = join(directory, 'sessiongraph.jsonc');
    const { code, stdout } = await init({ DJANGO_SECRET_KEY: SECRET }, '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain(
      'django: Django (django.contrib.sessions, db or cached_db engine) in public.django_session',
    );
    expect(stdout).toContain('3 of 3 sampled rows verify with DJANGO_SECRET_KEY');
    expect(stdout).toContain('webpy: web.py (web.session.DBStore) in public.sessions');
    expect(stdout).toContain('1 of 1 sampled rows decode');
    expect(stdout).toContain('express: express-session with connect-pg-simple in public.session');
    expect(stdout).toContain('Users: public.auth_user (key id)');
    expect(stdout).toContain('set DJANGO_SECRET_KEY');

    // The secret is referenced, never written; the file is commented, and it is a valid configuration.
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).toContain('"secretKey": { "env": "DJANGO_SECRET_KEY" }');
    expect(text).toContain('// Sample: 3 of 3 sampled rows verify with DJANGO_SECRET_KEY.');
    const config = loadConfig({
      DATABASE_URL: database.url,
      DJANGO_SECRET_KEY: SECRET,
      SESSIONGRAPH_CONFIG: out,
    });
    expect(config.stores.map((store) => `${store.kind}:${store.name}`)).toEqual([
      'native:native',
      'django:django',
      'express:express',
      'webpy:webpy',
    ]);
    expect(config.users).toMatchObject({ table: 'public.auth_user', key: 'id' });

    // init changes nothing in the database.
    const schema = await pool.query(`SELECT to_regnamespace('sessiongraph') AS oid`);
    expect(schema.rows[0]!.oid).toBeNull();
  }, 60_000);

  it('says when no sampled row verifies with the SECRET_KEY given, and when the secret is not set', async () => {
    const out = join(directory, 'wrong.jsonc');
    const wrong = await init({ DJANGO_SECRET_KEY: 'not-this-projects-key' }, '--out', out);
    expect(wrong.stdout).toContain('0 of 3 sampled rows verify with DJANGO_SECRET_KEY');
    expect(wrong.stdout).toContain("no row verifies: is DJANGO_SECRET_KEY the project's SECRET_KEY");
    const unset = await init({ DJANGO_SECRET_KEY: '' }, '--out', out, '--force');
    expect(unset.stdout).toContain('not checked: set DJANGO_SECRET_KEY');
    // An existing file is kept unless --force says otherwise.
    const kept = await init({ DJANGO_SECRET_KEY: SECRET }, '--out', out);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain('exists; --force replaces it');
  }, 60_000);

  it('recognises the Flask-Session, Symfony, Laravel and session_cache layouts by their columns', async () => {
    const other = await createTestDatabase();
    const otherPool = createPool(other.url, 1);
    try {
      // The tables as the frameworks create them (Flask-Session 0.3.2's model, Symfony's and Laravel's DDL).
      await otherPool.query(`CREATE SCHEMA flaskapp; CREATE SCHEMA symfonyapp; CREATE SCHEMA laravelapp;
        CREATE TABLE flaskapp.sessions (id serial PRIMARY KEY, session_id varchar(255) UNIQUE, data bytea,
          expiry timestamp);
        CREATE TABLE symfonyapp.sessions (sess_id varchar(128) PRIMARY KEY, sess_data bytea NOT NULL,
          sess_lifetime integer NOT NULL, sess_time integer NOT NULL);
        CREATE TABLE laravelapp.sessions (id varchar(255) PRIMARY KEY, user_id bigint, ip_address varchar(45),
          user_agent text, payload text NOT NULL, last_activity integer NOT NULL);
        CREATE TABLE public.session_cache (sessionid uuid PRIMARY KEY, userdict text,
          session_startutc timestamptz, session_endutc timestamptz);
        CREATE TABLE public.users (id serial PRIMARY KEY, email text)`);
      const found = await findSessionTables(otherPool);
      expect(found.map((table) => [table.kind, table.table, table.shape.settings ?? null])).toEqual([
        ['flask', 'flaskapp.sessions', null],
        ['php', 'laravelapp.sessions', { layout: 'laravel' }],
        ['json-cache', 'public.session_cache', null],
        ['php', 'symfonyapp.sessions', { layout: 'symfony' }],
      ]);
      expect(await findUsersTable(otherPool)).toEqual({ table: 'public.users', key: 'id' });
    } finally {
      await otherPool.end();
      await other.drop();
    }
  });

  it('starts a server on the file it wrote, with the secret set: the Django sessions are there', async () => {
    const out = join(directory, 'sessiongraph.jsonc');
    server = await startServerProcess({
      DATABASE_URL: database.url,
      SESSIONGRAPH_CONFIG: out,
      DJANGO_SECRET_KEY: SECRET,
    });
    const { token } = await createToken(pool, 'init-test', ['sessions:read', 'users:read'], null);
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: '{ sessions(store: "django") { edges { node { status user { label } } } } }',
      }),
    });
    const body = (await response.json()) as {
      data: { sessions: { edges: { node: { status: string; user: { label: string } | null } }[] } };
    };
    expect(body.data.sessions.edges.map(({ node }) => node.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);
    expect(body.data.sessions.edges.filter(({ node }) => node.user?.label === 'alice')).toHaveLength(2);
  }, 90_000);

  it('reads the database from DATABASE_URL_FILE, as every other command does', async () => {
    const urlFile = join(directory, 'database-url');
    writeFileSync(urlFile, `${database.url}\n`);
    const out = join(directory, 'from-file.jsonc');
    const { code, stdout } = await init(
      { DATABASE_URL: '', DATABASE_URL_FILE: urlFile, DJANGO_SECRET_KEY: SECRET },
      '--out',
      out,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('django_session');
  }, 60_000);

  it('with migrateOnStart off: refuses to start without the projection, and serves new Django sessions once `sessiongraph migrate` has run', async () => {
    await server?.stop();
    server = undefined;
    const out = join(directory, 'sessiongraph.jsonc');
    const env = { DATABASE_URL: database.url, SESSIONGRAPH_CONFIG: out, DJANGO_SECRET_KEY: SECRET };
    // As a release that deploys a new store finds it: the framework table without sessiongraph's triggers.
    await pool.query('DROP TRIGGER sessiongraph_capture ON public.django_session');
    await expect(startServerProcess({ ...env, MIGRATE_ON_START: 'false' })).rejects.toThrow(
      /trigger sessiongraph_capture on "public"\."django_session" \(store "django"\)[\s\S]*run "sessiongraph migrate"/,
    );

    const migrated = await execute('npx', ['tsx', 'src/cli.ts', 'migrate'], {
      env: { ...process.env, ...env },
    });
    expect(migrated.stdout).toContain('projection triggers in place on "public"."django_session"');
    server = await startServerProcess({ ...env, MIGRATE_ON_START: 'false' });

    // Django writes a session; the server that did not migrate shows it.
    await runDjango(djangoEnvironment(database.url, SECRET), 'write', [
      { name: 'd', user: 'alice', data: { page: 'after-migrate' } },
    ]);
    const { token } = await createToken(pool, 'init-migrate', ['sessions:read'], null);
    const pages = async () => {
      const response = await fetch(`${server!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ sessions(store: "django") { edges { node { data } } } }' }),
      });
      const body = (await response.json()) as {
        data: { sessions: { edges: { node: { data: Record<string, unknown> } }[] } };
      };
      return body.data.sessions.edges.map(({ node }) => node.data['page']);
    };
    await until(async () => (await pages()).includes('after-migrate'), 20_000);
  }, 120_000);
});
