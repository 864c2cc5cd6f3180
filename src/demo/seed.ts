import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import { hashSessionKey } from '../sessions/keys.ts';

/**
 * Demo data for the embedded database: an application's users table (with a password hash column that
 * sessiongraph must never expose) and a spread of native sessions — logged in, anonymous, expired.
 */

export const demoUsersTable = `
  CREATE TABLE IF NOT EXISTS public.users (
    id serial PRIMARY KEY,
    username text NOT NULL UNIQUE,
    email text NOT NULL,
    full_name text,
    is_staff boolean NOT NULL DEFAULT false,
    password_hash text NOT NULL,
    date_joined timestamptz NOT NULL DEFAULT now()
  )`;

const names = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances', 'edsger', 'radia'];
const pages = ['index', 'cart', 'checkout', 'profile', 'search'];

/** A fixed key for the first demo session, so the README and the start banner can show `currentSession`. */
export const demoSessionKey = createHash('sha256').update('sessiongraph demo session').digest('base64url');

export async function createDemoUsers(db: Queryable): Promise<void> {
  await db.query(demoUsersTable);
  await db.query(
    `INSERT INTO public.users (username, email, full_name, is_staff, password_hash)
     SELECT name, name || '@example.com', initcap(name), name = 'ada',
            'pbkdf2_sha256$260000$demo$' || md5(name)
       FROM unnest($1::text[]) AS name
     ON CONFLICT (username) DO NOTHING`,
    [names],
  );
}

export async function seedDemoSessions(db: Queryable, now = new Date()): Promise<void> {
  const existing = await db.query('SELECT 1 FROM sessiongraph.sessions LIMIT 1');
  if ((existing.rowCount ?? 0) > 0) return;
  const hour = 3600 * 1000;
  const rows: unknown[][] = [];
  for (let index = 0; index < 30; index += 1) {
    const userId = index % 6 === 5 ? null : (index % names.length) + 1;
    const expired = index % 7 === 6;
    const createdAt = new Date(now.getTime() - (index + 1) * 3 * hour);
    const expiresAt = new Date(expired ? now.getTime() - hour : now.getTime() + 14 * 24 * hour);
    const key = index === 0 ? demoSessionKey : `demo-${index}-${Math.random()}`;
    const data = {
      current_page: pages[index % pages.length],
      user_role: userId === 1 ? 'admin' : userId === null ? 'invited' : 'member',
      cart: index % 3 === 0 ? [{ sku: `SKU-${100 + index}`, qty: (index % 4) + 1 }] : [],
      theme: index % 2 === 0 ? 'dark' : 'light',
    };
    rows.push([
      hashSessionKey(key),
      userId,
      JSON.stringify(data),
      createdAt,
      expiresAt,
      `192.0.2.${index + 1}`,
    ]);
  }
  for (const row of rows) {
    await db.query(
      `INSERT INTO sessiongraph.sessions (key_hash, user_id, data, created_at, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6::inet, 'Mozilla/5.0 (demo)')`,
      row,
    );
  }
}
