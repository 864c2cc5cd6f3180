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
