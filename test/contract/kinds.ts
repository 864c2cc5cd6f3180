import { sign } from 'cookie-signature';
import type { Pool } from '../../src/db/pool.ts';
import { DJANGO_SECRET, djangoSigned } from '../hostile/rows.ts';

/**
 * What the contract suite (stores.test.ts) needs to know of each registered store kind to run it: its
 * table as the framework creates it, a store's settings, a stored value over the decode budgets, and how a
 * browser presents a key. A kind registered without a fixture here fails the suite: adding a kind is adding
 * its folder, its registry line and its fixture.
 */
export interface KindFixture {
  /** The store's settings (name `contract`). */
  config: Record<string, unknown>;
  /** Creates the store's table, as its framework does (nothing for the native store). */
  setup(pool: Pool): Promise<void>;
  /**
   * Inserts a row of `key` whose stored value nests past the depth budget (512), as the framework's own
   * table holds values; null for the native store, whose table only the API writes.
   */
  insertTooDeep: ((pool: Pool, key: string) => Promise<void>) | null;
  /** A key of the framework's own shape, for rows the suite inserts itself. */
  newKey(): string;
  /** The Cookie header a browser sends for a key the API handed out. */
  cookie(key: string): string;
}

const deepJson = (depth: number) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
const hex = (length: number) =>
  Array.from({ length }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
const EXPRESS_SECRET = 'contract-express-secret';

export const KIND_FIXTURES: Record<string, KindFixture> = {
  native: {
    config: { kind: 'native', name: 'contract', cookieName: 'contract_session' },
    setup: async () => {},
    insertTooDeep: null,
    newKey: () => hex(40),
    cookie: (key) => `contract_session=${key}`,
  },
  django: {
    config: {
      kind: 'django',
      name: 'contract',
      table: 'django_session',
      secretKey: DJANGO_SECRET,
      passwordColumn: 'password_hash',
    },
    setup: async (pool) => {
      await pool.query(`CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY,
        session_data text NOT NULL, expire_date timestamp with time zone NOT NULL)`);
    },
    insertTooDeep: async (pool, key) => {
      await pool.query(`INSERT INTO django_session VALUES ($1, $2, now() + interval '1 hour')`, [
        key,
        djangoSigned(Buffer.from(deepJson(600)), true),
      ]);
    },
    newKey: () => hex(32),
    cookie: (key) => `sessionid=${key}`,
  },
  webpy: {
    config: { kind: 'webpy', name: 'contract', table: 'sessions' },
    setup: async (pool) => {
      await pool.query(`CREATE TABLE sessions (session_id char(128) UNIQUE NOT NULL,
        atime timestamp NOT NULL DEFAULT current_timestamp, data text)`);
    },
    insertTooDeep: async (pool, key) => {
      // Protocol 2: a dict holding lists nested 600 deep.
      const nest = Buffer.concat([Buffer.from(']('.repeat(600)), Buffer.from('e'.repeat(600))]);
      const pickle = Buffer.concat([
        Buffer.from([0x80, 0x02]),
        Buffer.from('}(X\u0001\u0000\u0000\u0000a', 'latin1'),
        nest,
        Buffer.from('u.'),
      ]);
      await pool.query(`INSERT INTO sessions (session_id, atime, data) VALUES ($1, now(), $2)`, [
        key,
        pickle.toString('base64'),
      ]);
    },
    newKey: () => hex(40),
    cookie: (key) => `webpy_session_id=${key}`,
  },
  express: {
    config: { kind: 'express', name: 'contract', table: 'session', secrets: [EXPRESS_SECRET] },
    setup: async (pool) => {
      // connect-pg-simple's table.sql.
      await pool.query(`CREATE TABLE "session" ("sid" varchar NOT NULL COLLATE "default", "sess" json NOT NULL,
        "expire" timestamp(6) NOT NULL) WITH (OIDS=FALSE);
        ALTER TABLE "session" ADD CONSTRAINT "session_pkey" PRIMARY KEY ("sid") NOT DEFERRABLE INITIALLY IMMEDIATE;
        CREATE INDEX "IDX_session_expire" ON "session" ("expire")`);
    },
    insertTooDeep: async (pool, key) => {
      const sess = `{"cookie":{"originalMaxAge":3600000,"expires":null,"httpOnly":true,"path":"/"},"a":${'['.repeat(600)}${']'.repeat(600)}}`;
      await pool.query(`INSERT INTO session VALUES ($1, $2::json, now() + interval '1 hour')`, [key, sess]);
    },
    newKey: () => hex(32),
    cookie: (key) =>
      `connect.sid=${encodeURIComponent(key.startsWith('s:') ? key : `s:${sign(key, EXPRESS_SECRET)}`)}`,
  },
  flask: {
    config: { kind: 'flask', name: 'contract', useSigner: true, secretKey: 'contract-flask-secret' },
    setup: async (pool) => {
      // Flask-Session's SQLAlchemy model, as db.create_all() makes it.
      await pool.query(`CREATE TABLE sessions (id serial PRIMARY KEY, session_id varchar(255) UNIQUE,
        data bytea, expiry timestamp without time zone)`);
    },
    insertTooDeep: async (pool, key) => {
      const nest = Buffer.concat([Buffer.from(']('.repeat(600)), Buffer.from('e'.repeat(600))]);
      const pickle = Buffer.concat([
        Buffer.from([0x80, 0x04]),
        Buffer.from('}(X\u0001\u0000\u0000\u0000a', 'latin1'),
        nest,
        Buffer.from('u.'),
      ]);
      await pool.query(
        `INSERT INTO sessions (session_id, data, expiry) VALUES ($1, $2, (now() AT TIME ZONE 'UTC') + interval '1 hour')`,
        [key, pickle],
      );
    },
    newKey: () => `session:${crypto.randomUUID()}`,
    cookie: (key) => `session=${key}`,
  },
  php: {
    // The Laravel layout: the contract creates logged-in sessions, which the Symfony layout does not forge.
    config: { kind: 'php', name: 'contract', layout: 'laravel', table: 'sessions' },
    setup: async (pool) => {
      // Laravel 8's `session:table` migration, as its PostgresGrammar prints it.
      await pool.query(`create table "sessions" ("id" varchar(255) not null, "user_id" bigint null,
        "ip_address" varchar(45) null, "user_agent" text null, "payload" text not null, "last_activity" integer not null);
        alter table "sessions" add primary key ("id");
        create index "sessions_user_id_index" on "sessions" ("user_id");
        create index "sessions_last_activity_index" on "sessions" ("last_activity")`);
    },
    insertTooDeep: async (pool, key) => {
      // base64(serialize(['a' => [[[...600 deep...]]]])), as Laravel's DatabaseSessionHandler stores it.
      const payload = `a:1:{s:1:"a";${'a:1:{i:0;'.repeat(600)}N;${'}'.repeat(600)}}`;
      await pool.query(
        'INSERT INTO sessions (id, payload, last_activity) VALUES ($1, $2, extract(epoch FROM now())::integer)',
        [key, Buffer.from(payload).toString('base64')],
      );
    },
    newKey: () => hex(40),
    cookie: (key) => `laravel_session=${key}`,
  },
  'json-cache': {
    config: { kind: 'json-cache', name: 'contract', table: 'session_cache' },
    setup: async (pool) => {
      await pool.query(`CREATE TABLE session_cache (sessionid uuid PRIMARY KEY, userdict text,
        session_startutc timestamp, session_endutc timestamp)`);
    },
    insertTooDeep: async (pool, key) => {
      await pool.query(
        `INSERT INTO session_cache VALUES ($1, $2, now() AT TIME ZONE 'UTC', (now() AT TIME ZONE 'UTC') + interval '1 day')`,
        [key, deepJson(600)],
      );
    },
    newKey: () => crypto.randomUUID(),
    cookie: (key) => `session_id=${key}`,
  },
};
