/**
 * The bench's data set: USERS users and SESSIONS Django sessions in Django's signed format, written before
 * sessiongraph starts, and SESSIONS native sessions written after it migrated (≈10% expired, ≈5% large
 * enough to be compressed).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createDjangoCodec } from '../src/codecs/django.ts';
import type { JsonObject } from '../src/codecs/result.ts';
import { SECRET, SESSIONS, USERS } from './common.ts';
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
}

export async function createFrameworkData(pool: pg.Pool) {
  await pool.query(`CREATE TABLE public.users (id serial PRIMARY KEY, username text NOT NULL,
    email text NOT NULL, password text NOT NULL)`);
  await pool.query(`INSERT INTO public.users (username, email, password)
    SELECT 'user' || g, 'user' || g || '@example.com', 'pbkdf2_sha256$260000$salt$' || g
      FROM generate_series(1, ${USERS}) g`);
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
  const set: DataSet = { activeIds: [], allIds: [], activeKeys: [] };
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
