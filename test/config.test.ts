import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, namesDatabase } from '../src/config.ts';
import { appliedMigrations, latestMigration, migrate, migrations } from '../src/db/migrations.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createDemoUsers } from '../src/demo/seed.ts';
import { readUsersCatalog } from '../src/users/catalog.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { startTestApp } from './helpers/app.ts';

const run = promisify(execFile);

describe('configuration', () => {
  it('should name the setting that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(
      new ConfigError('PORT: expected an integer, got "eighty"'),
    );
    expect(() => loadConfig({ PORT: '99999' })).toThrow(/port: Too big/i);
    expect(() => loadConfig({ MIGRATE_ON_START: 'perhaps' })).toThrow(
      /MIGRATE_ON_START: expected true or false/,
    );
    expect(() => loadConfig({ USERS_TABLE: 'users; drop table x' })).toThrow(
      /users\.table: must be "table" or "schema\.table"/,
    );
    expect(() =>
      loadConfig(
        {},
        {
          stores: [
            { kind: 'native', name: 'a' },
            { kind: 'native', name: 'a' },
          ],
        },
      ),
    ).toThrow(/the store name "a" is used twice/);
    expect(() => loadConfig({}, { stores: [{ kind: 'redis' }] })).toThrow(/stores\.0\.kind/);
    // A sweep that rests more than 19 times as long as it works would hardly sweep at all.
    expect(() => loadConfig({}, { sweepDutyCycle: 0.01 })).toThrow(/sweepDutyCycle/);
    expect(loadConfig({}, { sweepDutyCycle: 0.05 }).sweepDutyCycle).toBe(0.05);
  });

  it('should follow a page cap below the default page unless the default is set, and refuse a default above the cap', () => {
    expect(loadConfig({ MAX_PAGE_SIZE: '10' })).toMatchObject({ maxPageSize: 10, defaultPageSize: 10 });
    expect(loadConfig({ MAX_PAGE_SIZE: '10', DEFAULT_PAGE_SIZE: '5' })).toMatchObject({
      maxPageSize: 10,
      defaultPageSize: 5,
    });
    expect(loadConfig({})).toMatchObject({ maxPageSize: 100, defaultPageSize: 20 });
    expect(() => loadConfig({ MAX_PAGE_SIZE: '10', DEFAULT_PAGE_SIZE: '50' })).toThrow(
      new ConfigError('defaultPageSize: must not exceed maxPageSize'),
    );
  });

  it('should take CORS origins only as browsers send them', () => {
    expect(loadConfig({}, { corsOrigins: ['https://app.example'] }).corsOrigins).toEqual([
      'https://app.example',
    ]);
    expect(() => loadConfig({}, { corsOrigins: ['https://app.example/'] })).toThrow(
      /must be an origin alone/,
    );
  });

  it('should run the demo only where neither the environment nor the config file names a database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-names-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const named = file('named.json', '{ "databaseUrl": "postgres://db.example/app" }');
    // What `init` writes before the secret is set: loading it whole would fail on the secret.
    const unset = file(
      'unset.jsonc',
      '{ "stores": [{ "kind": "django", "name": "django", "secretKey": { "env": "SG_UNSET_SECRET" } }] }',
    );
    expect(namesDatabase({ DATABASE_URL: 'postgres://db.example/app' })).toBe(true);
    expect(namesDatabase({ SESSIONGRAPH_CONFIG: named })).toBe(true);
    expect(namesDatabase({ SESSIONGRAPH_CONFIG: unset })).toBe(false);
    expect(() => namesDatabase({ SESSIONGRAPH_CONFIG: join(dir, 'missing.json') })).toThrow(ConfigError);
    // ./sessiongraph.jsonc is read only for its databaseUrl, and one that cannot be read is no deployment.
    const cwd = process.cwd();
    try {
      process.chdir(dir);
      expect(namesDatabase({})).toBe(false);
      file('sessiongraph.jsonc', '{ not json');
      expect(namesDatabase({})).toBe(false);
      file('sessiongraph.jsonc', '{ "databaseUrl": "postgres://db.example/app" }');
      expect(namesDatabase({})).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('should refuse unknown settings anywhere, naming each and the nearest known one', () => {
    const refused = () =>
      loadConfig(
        {},
        {
          store: [{ kind: 'native', name: 'native' }],
          limits: { perTokenPerMinut: 5 },
          stores: [{ kind: 'django', name: 'd', secretKey: 'x', tabel: 'django_session' }],
          fields: [{ name: 'a', path: 'a', type: 'String', indexd: true }],
          budgets: { somethingElse: 1 },
        },
      );
    expect(refused).toThrow(/\(top level\): unknown setting "store" \(did you mean "stores"\?\)/);
    expect(refused).toThrow(
      /limits: unknown setting "perTokenPerMinut" \(did you mean "perTokenPerMinute"\?\)/,
    );
    expect(refused).toThrow(/stores\.0: unknown setting "tabel" \(did you mean "table"\?\)/);
    expect(refused).toThrow(/fields\.0: unknown setting "indexd" \(did you mean "indexed"\?\)/);
    expect(refused).toThrow(/budgets: unknown setting "somethingElse"$/m);
    expect(() => loadConfig({}, { users: { colums: [] } })).toThrow(
      /users: unknown setting "colums" \(did you mean "columns"\?\)/,
    );
  });

  it('should refuse a django store without a secret, naming the store and the fix', () => {
    expect(() => loadConfig({}, { stores: [{ kind: 'django', name: 'shop' }] })).toThrow(
      /stores\.shop\.secretKey: the django store "shop" needs the project's SECRET_KEY .*set "secretKey"/,
    );
    expect(() =>
      loadConfig({}, { stores: [{ kind: 'django', name: 'shop', secretKey: { env: 'NOPE' } }] }),
    ).toThrow(/stores\.shop\.secretKey: the environment variable NOPE \(or NOPE_FILE\) is not set/);
    const config = loadConfig(
      { SHOP_SECRET: 's3cret' },
      { stores: [{ kind: 'django', name: 'shop', secretKey: { env: 'SHOP_SECRET' } }] },
    );
    expect(config.stores[0]).toMatchObject({ kind: 'django', secretKey: 's3cret' });
  });

  it('should read a JSON config file, with the environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-config-'));
    const file = join(dir, 'sessiongraph.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 5000, maxPageSize: 50, users: { table: 'accounts', key: 'uid' } }),
    );
    const config = loadConfig({ SESSIONGRAPH_CONFIG: file, PORT: '6000' });
    expect(config).toMatchObject({ port: 6000, maxPageSize: 50, users: { table: 'accounts', key: 'uid' } });
    writeFileSync(file, '{ not json');
    expect(() => loadConfig({ SESSIONGRAPH_CONFIG: file })).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ SESSIONGRAPH_CONFIG: join(dir, 'missing.json') })).toThrow(
      /SESSIONGRAPH_CONFIG: cannot read/,
    );
  });

  it('should read secrets from *_FILE variables', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-secret-'));
    writeFileSync(join(dir, 'url'), 'postgres://user@db.example/app\n');
    expect(loadConfig({ DATABASE_URL_FILE: join(dir, 'url') }).databaseUrl).toBe(
      'postgres://user@db.example/app',
    );
  });

  it('should refuse to start on a users table that does not exist, saying how to fix it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-start-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ users: { table: 'public.no_such_users' } }));
    const database = await createTestDatabase();
    try {
      const failure = await run('npx', ['tsx', 'src/main.ts'], {
        env: { ...process.env, DATABASE_URL: database.url, SESSIONGRAPH_CONFIG: file, PORT: '0' },
      }).catch((error: { code: number; stderr: string }) => error);
      expect(failure).toMatchObject({ code: 2 });
      expect((failure as { stderr: string }).stderr).toContain(
        'users.table: the table public.no_such_users does not exist',
      );
    } finally {
      await database.drop();
    }
  });
});

describe('store tables', () => {
  it('should refuse to start on a store table or column that does not exist, naming the store and the setting', async () => {
    const missingTable = await startTestApp({
      config: { stores: [{ kind: 'webpy', name: 'legacy', table: 'public.no_sessions_here' }] },
    }).catch((error: Error) => error);
    expect((missingTable as Error).message).toMatch(
      /^stores\.legacy\.table: the table public\.no_sessions_here does not exist; create it .* or point "table" at the right one$/,
    );
    const missingColumn = await startTestApp({
      config: { stores: [{ kind: 'express', name: 'web', table: 'public.users' }] },
    }).catch((error: Error) => error);
    expect((missingColumn as Error).message).toBe(
      'stores.web.columns.key: public.users has no column "sid"; set "columns.key"',
    );
  });
});

describe('users table', () => {
  it('should expose only listed columns, never secret-looking ones, with types from the catalog', async () => {
    const t = await startTestApp({
      config: {
        users: {
          columns: [
            'username',
            'password_hash',
            'is_staff',
            'api_token',
            'two_factor_recovery_codes',
            'tags',
            'profile',
          ],
        },
      },
      setup: async (pool) => {
        await pool.query("ALTER TABLE public.users ADD COLUMN api_token text DEFAULT 'tok'");
        await pool.query(
          "ALTER TABLE public.users ADD COLUMN two_factor_recovery_codes text DEFAULT 'codes'",
        );
        await pool.query("ALTER TABLE public.users ADD COLUMN tags text[] DEFAULT '{a,b}'");
        await pool.query(`ALTER TABLE public.users ADD COLUMN profile jsonb DEFAULT '{"lang":"fr"}'`);
      },
    });
    try {
      const { columns, hidden } = t.app.catalog;
      expect(columns.map((column) => [column.field, column.graphqlType, column.list])).toEqual([
        ['username', 'String', false],
        ['isStaff', 'Boolean', false],
        ['tags', 'String', true],
        ['profile', 'JSON', false],
      ]);
      expect(hidden.map((entry) => entry.column)).toEqual([
        'password_hash',
        'api_token',
        'two_factor_recovery_codes',
      ]);
      const response = await t.fetch({ query: '{ user(id: "1") { username isStaff tags profile } }' });
      expect(await response.json()).toEqual({
        data: { user: { username: 'ada', isStaff: true, tags: ['a', 'b'], profile: { lang: 'fr' } } },
      });
    } finally {
      await t.close();
    }
  });
});

describe('migrations', () => {
  let database: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url, 4);
    await createDemoUsers(pool);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('should be idempotent, also when replicas run them at once', async () => {
    const catalog = await readUsersCatalog(pool, loadConfig({}).users);
    const results = await Promise.all([migrate(pool, { users: catalog }), migrate(pool, { users: catalog })]);
    const all = migrations.map((migration) => migration.version);
    expect(results.flat().sort((a, b) => a - b)).toEqual(all);
    expect(await migrate(pool, { users: catalog })).toEqual([]);
    expect(await appliedMigrations(pool)).toEqual(all);
    expect(Math.max(...all)).toBe(latestMigration);
  });

  it('should run from the command line: npm run migrate', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/cli.ts', 'migrate'], {
      env: { ...process.env, DATABASE_URL: database.url, SESSIONGRAPH_CONFIG: '' },
    });
    expect(stdout).toContain(`nothing to do; schema sessiongraph is at version ${latestMigration}`);
  });
});
