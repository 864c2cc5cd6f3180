/**
 * The bench's data set: USERS users and SESSIONS Django sessions in Django's signed format, written before
 * sessiongraph starts, and SESSIONS native sessions written after it migrated (≈10% expired, ≈5% large
 * enough to be compressed). Then W8_USERS more users for W8 (endUserSessions), whose sessions exist only
 * while W8 runs (`w8Users`), and the clean-up of the sessions W7 (createSession) adds (`dropCreated`).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createDjangoCodec } from '../src/codecs/django.ts';
import type { JsonObject } from '../src/codecs/result.ts';
import { SECRET, SESSIONS, USERS, W8_SESSIONS_PER_USER, W8_USERS } from './common.ts';
import { djangoLogin } from './django-data.ts';

const ROLES = ['admin', 'member', 'member', 'guest'];

function sessionData(index: number): JsonObject {
  return {
    user_role: ROLES[index % 4]!,
    current_page: `/products/${index % 500}`,
    cart: Array.from({ length: index % 4 }, (_, i) => ({
      sku: `SKU-${(index + i) % 1000}`,
      qty: 1 + (i % 3),
    })),
    ...(index % 20 === 0
      ? { history: Array.from({ length: 60 }, (_, i) => ({ page: `/p/${(index + i) % 997}`, at: i })) }
      : {}),
  };
}

const djangoData = (index: number, userId: number): JsonObject => ({
  ...djangoLogin(index, userId, SECRET),
  ...sessionData(index),
});

export interface DataSet {
  /** Native session ids (uuid) and raw keys of active sessions; all ids for W2. */
  activeIds: string[];
  allIds: string[];
  activeKeys: string[];
  /** Every session of the data set was created at this time or before: later ones are W7's. */
  createdUntil: Date;
}

export async function createFrameworkData(pool: pg.Pool) {
  await pool.query(`CREATE TABLE public.users (id serial PRIMARY KEY, username text NOT NULL,
    email text NOT NULL, password text NOT NULL)`);
  await pool.query(`INSERT INTO public.users (username, email, password)
    SELECT 'user' || g, 'user' || g || '@example.com', 'pbkdf2_sha256$260000$salt$' || g
      FROM generate_series(1, ${USERS + W8_USERS}) g`);
  await pool.query(`CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY,
    session_data text NOT NULL, expire_date timestamptz NOT NULL)`);
  await pool.query('CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)');
  const codec = createDjangoCodec({ secretKey: SECRET });
  const now = Date.now();
  let compressed = 0;
  for (let start = 0; start < SESSIONS; start += 10_000) {
    const keys: string[] = [];
    const rows: string[] = [];
    const expires: Date[] = [];
    for (let i = start; i < Math.min(SESSIONS, start + 10_000); i += 1) {
      keys.push(`${i.toString(36).padStart(8, '0')}${randomBytes(12).toString('hex')}`);
      const row = codec.encode(djangoData(i, 1 + Math.floor(Math.random() * USERS)), new Date(now));
      if (row.startsWith('.')) compressed += 1;
      rows.push(row);
      expires.push(new Date(now + (i % 10 === 0 ? -3600_000 : 14 * 86_400_000 - i * 1000)));
    }
    await pool.query(
      'INSERT INTO django_session SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])',
      [keys, rows, expires],
    );
  }
  return { compressed };
}

/** Native sessions written straight into sessiongraph.sessions (after the server migrated). */
export async function createNativeData(pool: pg.Pool): Promise<DataSet> {
  const now = Date.now();
  const set: DataSet = { activeIds: [], allIds: [], activeKeys: [], createdUntil: new Date(now) };
  for (let start = 0; start < SESSIONS; start += 10_000) {
    const ids: string[] = [];
    const hashes: Buffer[] = [];
    const users: (number | null)[] = [];
    const data: string[] = [];
    const created: Date[] = [];
    const expires: Date[] = [];
    for (let i = start; i < Math.min(SESSIONS, start + 10_000); i += 1) {
      const id = randomUUID();
      const key = randomBytes(32).toString('base64url');
      const createdAt = now - Math.floor(Math.random() * 14 * 86_400_000);
      const expired = i % 10 === 0;
      ids.push(id);
      hashes.push(createHash('sha256').update(key, 'utf8').digest());
      users.push(i % 9 === 0 ? null : 1 + Math.floor(Math.random() * USERS));
      data.push(JSON.stringify(sessionData(i)));
      created.push(new Date(createdAt));
      expires.push(new Date(expired ? now - 3600_000 : createdAt + 14 * 86_400_000 + 3600_000));
      set.allIds.push(id);
      if (!expired) {
        set.activeIds.push(id);
        set.activeKeys.push(key);
      }
    }
    await pool.query(
      `INSERT INTO sessiongraph.sessions (id, key_hash, user_id, data, created_at, expires_at)
       SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::int4[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[])`,
      [ids, hashes, users, data, created, expires],
    );
  }
  await pool.query('ANALYZE sessiongraph.sessions');
  return set;
}

/** Vacuumed and analyzed after a bulk change, so other workloads meet the table as the data set left it. */
const tidy = (pool: pg.Pool) => pool.query('VACUUM (ANALYZE) sessiongraph.sessions');

/**
 * Deletes the sessions W7 created (all created after the data set), after each W7 measurement: they would
 * otherwise head W1's newest-first pages and grow W6's users.
 */
export async function dropCreated(pool: pg.Pool, set: DataSet): Promise<number> {
  const result = await pool.query('DELETE FROM sessiongraph.sessions WHERE created_at > $1', [
    set.createdUntil,
  ]);
  await tidy(pool);
  return result.rowCount ?? 0;
}

/**
 * W8's users: ids USERS+1 … USERS+W8_USERS, without sessions except while W8 runs. `fill(count)` gives the
 * first `count` of them W8_SESSIONS_PER_USER native sessions each (old ones, so no page of newest sessions
 * reaches them) and starts `next()` over; each W8 request takes the next user and ends its sessions.
 * `clear()` deletes what a measurement left, so the other workloads see the data set's table.
 */
export interface UserPool {
  size: number;
  next(): string;
  fill(count: number): Promise<void>;
  clear(): Promise<void>;
}

export function w8Users(pool: pg.Pool): UserPool {
  const first = USERS + 1;
  let handed = 0;
  return {
    size: W8_USERS,
    next: () => String(first + handed++),
    async fill(count) {
      handed = 0;
      const last = first + Math.min(count, W8_USERS) - 1;
      await pool.query(
        `INSERT INTO sessiongraph.sessions (key_hash, user_id, data, created_at, expires_at)
         SELECT sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), u,
                jsonb_build_object('user_role', 'member', 'current_page', '/products/' || (u % 500) || '/' || n,
                  'cart', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (u % 1000), 'qty', 1))),
                now() - interval '30 days' + make_interval(secs => n), now() + interval '1 day'
           FROM generate_series($1::int, $2::int) AS u CROSS JOIN generate_series(1, $3::int) AS n
          WHERE NOT EXISTS (SELECT 1 FROM sessiongraph.sessions s WHERE s.user_id = u)`,
        [first, last, W8_SESSIONS_PER_USER],
      );
      await tidy(pool);
    },
    async clear() {
      await pool.query('DELETE FROM sessiongraph.sessions WHERE user_id BETWEEN $1 AND $2', [
        first,
        first + W8_USERS - 1,
      ]);
      await tidy(pool);
    },
  };
}

export async function waitForBackfill(pool: pg.Pool, store: string) {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ done: boolean }>(
      'SELECT backfilled_at IS NOT NULL AS done FROM sessiongraph.projection_state WHERE store = $1',
      [store],
    );
    if (rows[0]?.done) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the ${store} projection's backfill did not finish within 10 minutes`);
}
