import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.ts';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { encodeWebpySession } from '../src/codecs/webpy.ts';
import { loadConfig } from '../src/config.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createDemoUsers } from '../src/demo/seed.ts';
import { createLogger } from '../src/log.ts';
import { DecodePool, decodeWorkersLost } from '../src/projection/decode-pool.ts';
import { Projector, type VerifyReport } from '../src/projection/projector.ts';
import type { BlobRow } from '../src/stores/blob.sql.ts';
import { kindOf, STORE_KINDS } from '../src/stores/registry.ts';
import { encodeFlaskSession } from '../src/stores/flask/codec.ts';
import { laravelEncrypt } from '../src/stores/php/laravel-crypto.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { DJANGO_SECRET, djangoSigned, EXPRESS_SECRET, type HostileRow, hostileRows } from './hostile/rows.ts';

/**
 * Decoding on worker threads (src/projection/decode-pool.ts) gives the projection the in-process path gives:
 * the same tables, every kind, the hostile rows of test/hostile/rows.ts among ordinary ones, backfilled both
 * ways and compared column by column (data_json as text). Then verify and large sync batches on the workers,
 * and what a worker that dies costs: the row it was decoding, and nothing else.
 */

const SEED = Number(process.env['HOSTILE_SEED'] ?? randomInt(2 ** 31));
const APP_KEY = `base64:${randomBytes(32).toString('base64')}`;
const ROWS = 700;
const silent = createLogger('silent');

const STORES = [
  {
    kind: 'django',
    name: 'django',
    table: 'django_session',
    secretKey: DJANGO_SECRET,
    passwordColumn: 'password_hash',
  },
  { kind: 'webpy', name: 'webpy', table: 'sessions' },
  { kind: 'express', name: 'express', table: 'session', secrets: [EXPRESS_SECRET] },
  { kind: 'json-cache', name: 'cache', table: 'session_cache' },
  { kind: 'flask', name: 'flask', table: 'flask_sessions' },
  {
    kind: 'php',
    name: 'laravel',
    layout: 'laravel',
    table: 'laravel_sessions',
    encrypt: true,
    appKey: APP_KEY,
  },
  { kind: 'php', name: 'symfony', layout: 'symfony', table: 'symfony_sessions' },
];

const FIELDS = [
  { name: 'userRole', path: 'user_role', type: 'String' },
  { name: 'cartSize', path: ['cart', 'size'], type: 'Int' },
  { name: 'cart', path: 'cart', type: 'JSON' },
];

const TABLES = `
  CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text, expire_date timestamptz);
  CREATE TABLE sessions (session_id char(128) UNIQUE NOT NULL, atime timestamp NOT NULL DEFAULT current_timestamp,
    data text);
  CREATE TABLE session (sid varchar PRIMARY KEY, sess json, expire timestamp(6));
  CREATE TABLE session_cache (sessionid uuid PRIMARY KEY, userdict text, session_startutc timestamp,
    session_endutc timestamp);
  CREATE TABLE flask_sessions (id serial PRIMARY KEY, session_id varchar(255) UNIQUE, data bytea,
    expiry timestamp without time zone);
  CREATE TABLE laravel_sessions (id varchar(255) PRIMARY KEY, user_id bigint, ip_address varchar(45),
    user_agent text, payload text NOT NULL, last_activity integer NOT NULL);
  CREATE TABLE symfony_sessions (sess_id varchar(128) PRIMARY KEY, sess_data bytea NOT NULL,
    sess_lifetime integer NOT NULL, sess_time integer NOT NULL);`;

const HOSTILE_TABLES: Record<HostileRow['store'], { table: string; key: string }> = {
  django: { table: 'django_session', key: 'session_key' },
  webpy: { table: 'sessions', key: 'session_id' },
  express: { table: 'session', key: 'sid' },
  cache: { table: 'session_cache', key: 'sessionid' },
  flask: { table: 'flask_sessions', key: 'session_id' },
  native: { table: 'sessiongraph.sessions', key: 'id' },
};

/** As test/hostile/server.test.ts inserts them: plain values as parameters, `{ sql }` values as SQL. */
async function insertHostile(pool: Pool, row: HostileRow) {
  const { table, key } = HOSTILE_TABLES[row.store];
  const names = [key, ...Object.keys(row.columns)];
  const params: unknown[] = [row.key];
  const values = ['$1'];
  for (const [column, value] of Object.entries(row.columns)) {
    if (value !== null && typeof value === 'object' && 'sql' in (value as object)) {
      values.push((value as { sql: string }).sql);
    } else {
      params.push(value);
      values.push(`$${params.length}${row.casts?.[column] ? `::${row.casts[column]}` : ''}`);
    }
  }
  await pool.query(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${values.join(', ')})`, params);
}

const serialize = (value: unknown): string => {
  if (value === null) return 'N;';
  if (typeof value === 'number') return `i:${value};`;
  if (typeof value === 'string') return `s:${Buffer.byteLength(value)}:"${value}";`;
  if (Array.isArray(value))
    return `a:${value.length}:{${value.map((v, i) => `i:${i};${serialize(v)}`).join('')}}`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `a:${entries.length}:{${entries.map(([k, v]) => `${serialize(k)}${serialize(v)}`).join('')}}`;
};

/** Ordinary rows of every kind, with expired, anonymous, tampered, corrupt and jsonb-hostile ones among them. */
async function insertOrdinary(pool: Pool) {
  const django = createDjangoCodec({ secretKey: DJANGO_SECRET });
  const laravelKey = Buffer.from(APP_KEY.slice(7), 'base64');
  const now = Math.floor(Date.now() / 1000);
  const data = (i: number) => ({
    user_role: ['admin', 'member', 'guest'][i % 3]!,
    cart: { size: i % 7, items: Array.from({ length: i % 4 }, (_, k) => `SKU-${k}`) },
    ...(i % 50 === 0 ? { odd: 'nul \u0000 and lone \ud800' } : {}),
  });
  const user = (i: number) => (i % 5 === 0 ? null : (i % 10) + 1);
  for (let i = 0; i < ROWS; i += 1) {
    const expired = i % 9 === 0;
    const broken = i % 97 === 0;
    const uid = user(i);
    const djangoBlob = django.encode(
      { ...data(i), ...(uid === null ? {} : { _auth_user_id: String(uid) }) },
      new Date(),
    );
    await pool.query(`INSERT INTO django_session VALUES ($1, $2, now() + $3::interval)`, [
      `ord${String(i).padStart(5, '0')}${randomBytes(8).toString('hex')}`,
      broken ? `${djangoBlob}x` : djangoBlob,
      expired ? '-1 hour' : '1 day',
    ]);
    const webpyKey = randomBytes(20).toString('hex');
    await pool.query(`INSERT INTO sessions VALUES ($1, now() - $2::interval, $3)`, [
      webpyKey,
      expired ? '2 days' : '1 minute',
      broken ? 'not base64 at all!' : encodeWebpySession({ session_id: webpyKey, uid: uid ?? 0, ...data(i) }),
    ]);
    const cookie = {
      originalMaxAge: 86_400_000,
      expires: new Date(Date.now() + 86_400_000).toISOString(),
      httpOnly: true,
      path: '/',
    };
    await pool.query(`INSERT INTO session VALUES ($1, $2::json, now() + $3::interval)`, [
      randomBytes(24).toString('base64url'),
      JSON.stringify({
        cookie: broken ? null : cookie,
        ...(uid === null ? {} : { passport: { user: uid } }),
        ...data(i),
      }),
      expired ? '-1 hour' : '1 day',
    ]);
    await pool.query(
      `INSERT INTO session_cache VALUES ($1, $2, now() - interval '1 minute', now() + $3::interval)`,
      [
        randomUUID(),
        broken ? '{"unclosed": ' : JSON.stringify({ user_id: uid, ...data(i) }),
        expired ? '-1 second' : '1 hour',
      ],
    );
    const flask = {
      _permanent: true,
      ...(uid === null ? {} : { _user_id: String(uid), _fresh: true }),
      ...data(i),
    };
    await pool.query(
      `INSERT INTO flask_sessions (session_id, data, expiry) VALUES ($1, $2::bytea, (now() AT TIME ZONE 'UTC') + $3::interval)`,
      [
        `session:${randomUUID()}`,
        broken ? '\\x80049500' : encodeFlaskSession(flask, undefined),
        expired ? '-1 hour' : '1 day',
      ],
    );
    const attributes = {
      _token: randomBytes(20).toString('hex'),
      _flash: { old: [], new: [] },
      ...(uid === null ? {} : { login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d: uid }),
      user_role: data(i).user_role,
    };
    const sealed = laravelEncrypt(laravelKey, Buffer.from(serialize(serialize(attributes)), 'latin1'));
    await pool.query(
      `INSERT INTO laravel_sessions (id, user_id, payload, last_activity) VALUES ($1, $2, $3, $4)`,
      [
        randomBytes(20).toString('hex').slice(0, 40),
        uid,
        broken
          ? Buffer.from('{"iv":"x","value":"y","mac":"z"}').toString('base64')
          : Buffer.from(sealed, 'latin1').toString('base64'),
        expired ? now - 3 * 3600 : now,
      ],
    );
    const symfony = `_sf2_attributes|${serialize({ user_role: data(i).user_role, n: i })}_sf2_meta|${serialize({ u: now, c: now, l: 0 })}`;
    await pool.query(`INSERT INTO symfony_sessions VALUES ($1, $2::bytea, $3, $4)`, [
      randomBytes(16).toString('hex'),
      `\\x${Buffer.from(broken ? `${symfony.slice(0, 30)}` : symfony, 'latin1').toString('hex')}`,
      expired ? now - 60 : now + 1440,
      now,
    ]);
  }
}

/** The projection, every column (data_json as its text; not synced_at), in a stable order. */
async function snapshot(pool: Pool) {
  const result = await pool.query<Record<string, unknown>>(
    `SELECT p.*, p.data_json::text AS data_json_text FROM sessiongraph.projection p ORDER BY store, ref`,
  );
  return result.rows.map(({ synced_at: _synced, data_json: _json, ...row }) => row);
}

async function backfillAll(app: App, pool: Pool, batchSize: number) {
  await pool.query('DELETE FROM sessiongraph.projection');
  for (const store of app.frameworkStores.values()) {
    await app.projector.backfill(pool, store, { restart: true, batchSize });
  }
}

describe(`decode workers (hostile seed ${SEED})`, () => {
  let database: TestDatabase;
  let pool: Pool;
  let inProcess: App;
  let workers: App;
  let expected: Record<string, unknown>[];

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPool(database.url, 6);
    await createDemoUsers(pool);
    await pool.query(TABLES);
    const userIds = (await pool.query<{ id: number }>('SELECT id FROM users ORDER BY id')).rows.map((r) =>
      String(r.id),
    );
    for (const row of hostileRows(SEED, userIds)) await insertHostile(pool, row);
    await insertOrdinary(pool);
    const config = (decodeThreads: number) =>
      loadConfig(
        { DATABASE_URL: database.url },
        {
          logLevel: 'silent',
          decodeThreads,
          stores: STORES,
          fields: FIELDS,
        },
      );
    inProcess = await createApp(config(0), { pool, logger: silent, migrate: true });
    workers = await createApp(config(2), { pool, logger: silent, migrate: false });
    await backfillAll(inProcess, pool, 300);
    expected = await snapshot(pool);
  }, 240_000);

  afterAll(async () => {
    await workers?.projector.close();
    await pool?.end();
    await database?.drop();
  });

  it('should backfill every kind to the very rows the in-process path writes', async () => {
    const counts = await pool.query<{ store: string; n: number; invalid: number }>(
      'SELECT store, count(*)::int AS n, count(*) FILTER (WHERE NOT valid)::int AS invalid FROM sessiongraph.projection GROUP BY store',
    );
    // Every store has its rows, hostile and broken ones among them.
    expect(counts.rows.length).toBe(STORES.length);
    for (const row of counts.rows) {
      expect(row.n).toBeGreaterThanOrEqual(ROWS);
      expect(row.invalid).toBeGreaterThan(0);
    }
    await backfillAll(workers, pool, 300);
    // The workers did the decoding (the pool exists once bulk work used it).
    expect(Reflect.get(workers.projector, 'pool')).not.toBeNull();
    expect(await snapshot(pool)).toEqual(expected);
  }, 240_000);

  it('should verify and repair on the workers as in-process', async () => {
    await pool.query(`
      DELETE FROM sessiongraph.projection WHERE ref IN (SELECT ref FROM sessiongraph.projection ORDER BY ref LIMIT 20);
      UPDATE sessiongraph.projection SET version = version + 1
       WHERE ref IN (SELECT ref FROM sessiongraph.projection ORDER BY ref DESC LIMIT 20);
      INSERT INTO sessiongraph.projection (store, ref, session_key, valid, version, synced_at)
      VALUES ('django', repeat('0', 64), 'zzzz-gone', false, 0, now())`);
    const reports: VerifyReport[] = [];
    for (const store of workers.frameworkStores.values())
      reports.push(await workers.projector.verify(pool, store, 250));
    const sum = (key: 'missing' | 'stale' | 'orphaned') =>
      reports.reduce((total, report) => total + report[key], 0);
    expect({ missing: sum('missing'), stale: sum('stale'), orphaned: sum('orphaned') }).toEqual({
      missing: 20,
      stale: 20,
      orphaned: 1,
    });
    expect(await snapshot(pool)).toEqual(expected);
  }, 120_000);

  it('should apply a large sync batch on the workers as in-process', async () => {
    // Rewritten rows: the capture triggers queue them. Not the hostile express row whose sid is empty: the
    // queue reads an empty key as a TRUNCATE, and requeues the whole store for it every time.
    await pool.query(`UPDATE django_session SET session_data = session_data WHERE session_key LIKE 'ord%'`);
    await pool.query(`UPDATE sessions SET atime = atime + interval '1 second'`);
    await pool.query(`UPDATE session SET expire = expire + interval '1 second' WHERE sid <> ''`);
    // Sync batches use the workers once they run (a batch never waits for them to start).
    const decoders = Reflect.get(workers.projector, 'decodePool').call(workers.projector) as DecodePool;
    while (!decoders.warm()) await new Promise((resolve) => setTimeout(resolve, 50));
    let applied = 0;
    for (;;) {
      const batch = await workers.projector.syncBatch(pool, workers.frameworkStores, 2000);
      applied += batch;
      if (batch === 0) break;
    }
    expect(applied).toBeGreaterThan(3 * ROWS);
    const synced = await snapshot(pool);
    await backfillAll(inProcess, pool, 300);
    expect(synced).toEqual(await snapshot(pool));
    expected = await snapshot(pool);
  }, 120_000);

  it('should cost a worker that runs out of memory only the row it was decoding', async () => {
    // Decodes within these budgets, and needs far more than a 48 MB heap: 2 million values.
    const budgets = {
      maxInputBytes: 16 * 1024 * 1024,
      maxOutputBytes: 64 * 1024 * 1024,
      maxDepth: 512,
      maxValues: 10_000_000,
    };
    const config = (decodeThreads: number) =>
      loadConfig(
        { DATABASE_URL: database.url },
        {
          logLevel: 'silent',
          decodeThreads,
          budgets,
          stores: [{ ...STORES[0], name: 'oom', table: 'django_oom' }],
          fields: FIELDS,
        },
      );
    // The ordinary Django rows only: hostile ones would need more heap too, under these budgets.
    await pool.query(`CREATE TABLE django_oom AS SELECT * FROM django_session WHERE session_key LIKE 'ord%'`);
    const app = await createApp(config(1), { pool, logger: silent, migrate: false });
    const store = app.frameworkStores.get('oom')!;
    const errors: string[] = [];
    const projector = new Projector(config(1), app.catalog, (_store, ref) => errors.push(ref), {
      logger: silent,
      decodeHeapMb: { workers: 48, retry: 48 },
    });
    const bomb = djangoSigned(Buffer.from(`{"n":[${'{"a":[1,2,3]},'.repeat(500_000)}1]}`), true);
    expect(bomb.length).toBeLessThan(64 * 1024);
    await pool.query(`INSERT INTO django_oom VALUES ('ord00350heapbomb', $1, now() + interval '1 day')`, [
      bomb,
    ]);
    const djangoRows = async () => (await snapshot(pool)).filter((row) => row['store'] === 'oom');
    const before = decodeWorkersLost().get('out-of-memory') ?? 0;
    try {
      // In-process, under the same budgets, the row decodes (this process's heap is larger).
      await new Projector(config(0), app.catalog).backfill(pool, store, { restart: true, batchSize: 300 });
      const inProcessRows = await djangoRows();
      expect(inProcessRows.find((row) => row['session_key'] === 'ord00350heapbomb')?.['valid']).toBe(true);

      await pool.query("DELETE FROM sessiongraph.projection WHERE store = 'oom'");
      await projector.backfill(pool, store, { restart: true, batchSize: 300 });
      // Died on it, and again when it was tried alone.
      expect((decodeWorkersLost().get('out-of-memory') ?? 0) - before).toBe(2);
      const rows = await djangoRows();
      expect(rows.find((row) => row['session_key'] === 'ord00350heapbomb')).toMatchObject({
        valid: false,
        problem: expect.stringContaining(
          'internal: decoding this row stopped its decode worker (out-of-memory',
        ),
        data_json_text: '{}',
      });
      // The other rows of its job were decoded in-process, the worker replaced: everything else alike.
      const others = (list: Record<string, unknown>[]) =>
        list.filter((row) => row['session_key'] !== 'ord00350heapbomb');
      expect(others(rows)).toEqual(others(inProcessRows));
      expect(errors).toEqual([]);
    } finally {
      await projector.close();
      await pool.query("DELETE FROM sessiongraph.projection WHERE store = 'oom'; DROP TABLE django_oom");
    }
  }, 120_000);

  it("should load each kind's decoder where its framework traits have it: src/stores/<kind>/decoding.ts", async () => {
    const kinds = STORE_KINDS.map((kind) => kindOf(kind.kind)).filter((kind) => kind.framework?.decoder);
    expect(kinds.length).toBeGreaterThan(0);
    for (const kind of kinds) {
      const framework = kind.framework!;
      const module = (await import(`../src/stores/${kind.kind}/decoding.ts`)) as { decoder?: unknown };
      expect(module.decoder).toBe(framework.decoder);
    }
  });

  it('should give rows back for in-process decoding, and stop, when workers die before decoding anything', async () => {
    const store = workers.frameworkStores.get('webpy')!;
    const pool2 = new DecodePool({
      threads: 1,
      budgets: workers.config.budgets,
      fields: [],
      keyPgType: 'integer',
      heapMb: 64,
      retryHeapMb: 64,
      logger: silent,
      onRowError: () => {},
    });
    // A spec no worker can build a decoder from: each dies at its first job.
    const broken = {
      name: 'webpy',
      decoder: { ...store.decoder!, spec: { settings: { kind: 'nope', name: 'webpy' } } },
    };
    const rows = (await store.sql.scanByKey(pool, null, 10)).rows as BlobRow[];
    const before = decodeWorkersLost().get('crashed') ?? 0;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const result = await pool2.run(broken, rows, new Date(), false);
      expect(result.done).toBe(rows.length);
      expect(result.jsons.every((json) => json === null)).toBe(true);
      expect(result.lost.size).toBe(0);
    }
    expect((decodeWorkersLost().get('crashed') ?? 0) - before).toBe(3);
    expect(pool2.active).toBe(false);
    await pool2.close();
  }, 60_000);
});
