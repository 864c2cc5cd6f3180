import type { Pool } from '../../src/db/pool.ts';
import { generateSessionKey, hashSessionKey } from '../../src/sessions/keys.ts';
import { encodeSessionId } from '../../src/sessions/ids.ts';

/** Small named helpers that put rows straight into the database, bypassing the API under test. */
export interface SeededSession {
  id: string;
  rowId: string;
  key: string;
}

export async function nativeSession(
  pool: Pool,
  values: { userId?: number | null; data?: object; createdAt?: Date; expiresAt?: Date } = {},
): Promise<SeededSession> {
  const key = generateSessionKey();
  const result = await pool.query<{ id: string }>(
    `INSERT INTO sessiongraph.sessions (key_hash, user_id, data, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [
      hashSessionKey(key),
      values.userId ?? null,
      JSON.stringify(values.data ?? {}),
      values.createdAt ?? new Date(),
      values.expiresAt ?? new Date(Date.now() + 3600_000),
    ],
  );
  const rowId = result.rows[0]!.id;
  return { id: encodeSessionId({ store: 'native', ref: rowId }), rowId, key };
}

export async function userIdNamed(pool: Pool, username: string): Promise<string> {
  const result = await pool.query<{ id: number }>('SELECT id FROM public.users WHERE username = $1', [
    username,
  ]);
  return String(result.rows[0]!.id);
}

/** Django 3.2's own `django_session` table, as its migration creates it. */
export const DJANGO_SESSION_TABLE = `CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY,
  session_data text NOT NULL, expire_date timestamp with time zone NOT NULL)`;

/** Symfony 5.4's PdoSessionHandler table, as its createTable() makes it for PostgreSQL. */
export const SYMFONY_SESSION_TABLE = `CREATE TABLE sessions (sess_id varchar(128) NOT NULL PRIMARY KEY,
  sess_data bytea NOT NULL, sess_lifetime integer NOT NULL, sess_time integer NOT NULL)`;

/** PHP's serialize() of a string: byte length, then the bytes. */
const phpString = (text: string) => `s:${Buffer.byteLength(text)}:"${text}";`;

/**
 * A Symfony 5.4 session logged in through form_login, as the firewall stores it (handler `php`): the attribute
 * `_security_main` holds serialize(UsernamePasswordToken) of make:user's App\Entity\User with the password
 * hash it logged in with. test/frameworks/php-symfony.test.ts has real Symfony write and load such sessions.
 */
export async function symfonySession(
  pool: Pool,
  values: {
    key: string;
    userId: number;
    email: string;
    password: string | null;
    data?: Record<string, string>;
  },
): Promise<void> {
  const property = (name: string) => phpString(`\u0000App\\Entity\\User\u0000${name}`);
  const user =
    `O:15:"App\\Entity\\User":4:{${property('id')}i:${values.userId};${property('email')}${phpString(values.email)}` +
    `${property('roles')}a:0:{}${property('password')}${values.password === null ? 'N;' : phpString(values.password)}}`;
  const tokenClass = 'Symfony\\Component\\Security\\Core\\Authentication\\Token\\UsernamePasswordToken';
  const token =
    `O:${tokenClass.length}:"${tokenClass}":3:{i:0;N;i:1;s:4:"main";` +
    `i:2;a:5:{i:0;${user}i:1;b:1;i:2;N;i:3;a:0:{}i:4;a:1:{i:0;s:9:"ROLE_USER";}}}`;
  const data = Object.entries(values.data ?? {});
  const attributes =
    `a:${data.length + 1}:{${data.map(([name, value]) => phpString(name) + phpString(value)).join('')}` +
    `${phpString('_security_main')}${phpString(token)}}`;
  const now = Math.floor(Date.now() / 1000);
  const meta = `a:3:{s:1:"u";i:${now};s:1:"c";i:${now};s:1:"l";i:0;}`;
  await pool.query('INSERT INTO sessions VALUES ($1, $2, $3, $4)', [
    values.key,
    Buffer.from(`_sf2_attributes|${attributes}_sf2_meta|${meta}`),
    now + 1440,
    now,
  ]);
}

/** Laravel 8's `session:table` migration, as its PostgresGrammar creates it. */
export const LARAVEL_SESSION_TABLE = `CREATE TABLE sessions (id varchar(255) NOT NULL PRIMARY KEY, user_id bigint NULL,
  ip_address varchar(45) NULL, user_agent text NULL, payload text NOT NULL, last_activity integer NOT NULL)`;

/**
 * A Laravel session of the database driver (plain payload, guard `web`) logged in as `userId`, with
 * AuthenticateSession's `password_hash_web` when `passwordHash` is given, as the middleware stores it after a
 * request. test/frameworks/php-laravel.test.ts has the real middleware write and judge such sessions.
 */
export async function laravelSession(
  pool: Pool,
  values: { key: string; userId: number; passwordHash?: string; data?: Record<string, string> },
): Promise<void> {
  const entries: [string, string][] = [
    ['_token', phpString('t'.repeat(40))],
    ...Object.entries(values.data ?? {}).map(([name, value]): [string, string] => [name, phpString(value)]),
    ['login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d', `i:${values.userId};`],
    ...(values.passwordHash === undefined
      ? []
      : [['password_hash_web', phpString(values.passwordHash)] as [string, string]]),
    ['_flash', 'a:2:{s:3:"old";a:0:{}s:3:"new";a:0:{}}'],
  ];
  const payload = `a:${entries.length}:{${entries.map(([name, value]) => phpString(name) + value).join('')}}`;
  await pool.query('INSERT INTO sessions (id, user_id, payload, last_activity) VALUES ($1, $2, $3, $4)', [
    values.key,
    values.userId,
    Buffer.from(payload).toString('base64'),
    Math.floor(Date.now() / 1000),
  ]);
}
