import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.ts';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { loadConfig } from '../src/config.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createLogger } from '../src/log.ts';
import { createServer } from '../src/yoga.ts';

/**
 * The README's least-privilege set-up, run as written: sessiongraph's own role owns only its schema, reads
 * the users table, and works a framework table it does not own; the framework's role keeps writing through
 * sessiongraph's triggers with the four grants the README lists.
 */

const SECRET = 'privileges-test-secret';

describe.skipIf(!process.env['DATABASE_URL'])('a role that cannot touch other tables', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `sg_priv_${suffix}`;
  const sgRole = `sg_role_${suffix}`;
  const appRole = `app_role_${suffix}`;
  const server = new URL(process.env['DATABASE_URL']!);
  const as = (role: string) => {
    const url = new URL(server);
    url.username = role;
    url.password = '';
    url.pathname = `/${database}`;
    return url.toString();
  };
  let admin: pg.Client;
  let sgPool: Pool;
  let appPool: Pool;
  let app: App;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`CREATE ROLE ${appRole} LOGIN`);
    await admin.query(`CREATE ROLE ${sgRole} LOGIN`);
    await admin.query(`CREATE DATABASE ${database} OWNER ${appRole}`);
    const owner = new pg.Client({ connectionString: as(appRole) });
    await owner.connect();
    await owner.query(
      `CREATE TABLE public.auth_user (id serial PRIMARY KEY, username text NOT NULL, password text)`,
    );
    await owner.query(
      `INSERT INTO public.auth_user (username, password) VALUES ('ada', 'pbkdf2_sha256$1$x$y')`,
    );
    await owner.query(`CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL,
      expire_date timestamptz NOT NULL)`);
    await owner.query('CREATE TABLE payroll (salary int)');
    await owner.end();
    // What an administrator runs once (README, Deployment).
    const dba = new pg.Client({
      connectionString: (() => {
        const url = new URL(server);
        url.pathname = `/${database}`;
        return url.toString();
      })(),
    });
    await dba.connect();
    await dba.query(`CREATE SCHEMA sessiongraph AUTHORIZATION ${sgRole}`);
    await dba.query(`GRANT SELECT, REFERENCES ON public.auth_user TO ${sgRole}`);
    await dba.query(`GRANT SELECT, INSERT, UPDATE, DELETE, TRIGGER ON public.django_session TO ${sgRole}`);
    sgPool = createPool(as(sgRole), 3);
    const config = loadConfig(
      { DATABASE_URL: as(sgRole) },
      {
        logLevel: 'silent',
        users: { table: 'public.auth_user', key: 'id' },
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, passwordColumn: 'password' },
        ],
      },
    );
    app = await createApp(config, { pool: sgPool, logger: createLogger('silent'), migrate: true });
    await dba.query(`GRANT USAGE ON SCHEMA sessiongraph TO ${appRole}`);
    await dba.query(`GRANT INSERT ON sessiongraph.changes TO ${appRole}`);
    await dba.query(`GRANT USAGE ON SEQUENCE sessiongraph.changes_id_seq TO ${appRole}`);
    await dba.query(`GRANT SELECT ON sessiongraph.revoked_keys TO ${appRole}`);
    await dba.end();
    appPool = createPool(as(appRole), 2);
  }, 60_000);

  afterAll(async () => {
    await appPool?.end();
    await sgPool?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${sgRole}`);
    await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
    await admin.end();
  });

  it('should migrate, read and write with only the listed grants, and be refused everything else', async () => {
    const { token } = await createToken(sgPool, 'admin', SCOPES, null);
    const yoga = createServer(app);
    const ask = async (query: string) =>
      (await (
        await yoga.fetch('http://yoga/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data: Record<string, unknown>; errors?: unknown[] };

    // The framework writes its own row, as its own role, through sessiongraph's triggers.
    const codec = createDjangoCodec({ secretKey: SECRET });
    await appPool.query(
      `INSERT INTO django_session VALUES ('k0000000000000000000000000000001', $1, now() + interval '1 day')`,
      [codec.encode({ _auth_user_id: '1', cart: [1, 2] }, new Date())],
    );
    for (const store of app.frameworkStores.values()) {
      if (!app.projector.isReady(store.name)) await app.projector.backfill(sgPool, store);
    }
    while ((await app.projector.syncBatch(sgPool, app.frameworkStores, 500)) > 0) {}

    const listed = await ask(
      '{ sessions(store: "django", first: 5) { edges { node { data user { username } } } } }',
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data).toEqual({
      sessions: {
        edges: [{ node: { data: { _auth_user_id: '1', cart: [1, 2] }, user: { username: 'ada' } } }],
      },
    });
    const created = await ask(
      'mutation { n: createSession(input: { userId: "1", data: {} }) { __typename } d: createSession(input: { store: "django", userId: "1", data: { a: 1 } }) { __typename } }',
    );
    expect(created.data).toEqual({
      n: { __typename: 'CreateSessionPayload' },
      d: { __typename: 'CreateSessionPayload' },
    });
    expect((await appPool.query('SELECT count(*)::int AS n FROM django_session')).rows[0].n).toBe(2);

    await expect(sgPool.query('SELECT * FROM payroll')).rejects.toThrow(/permission denied/);
    await expect(sgPool.query('DELETE FROM public.auth_user')).rejects.toThrow(/permission denied/);
  });
});
