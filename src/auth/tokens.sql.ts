import type { Queryable } from '../db/pool.ts';

/** All SQL of API tokens. */

export type TokenRow = {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
};

const columns = 'id, name, scopes, created_at, expires_at, revoked_at';

export async function findTokenByHash(db: Queryable, hash: Buffer): Promise<TokenRow | null> {
  const result = await db.query<TokenRow>(
    `/* findTokenByHash */ SELECT ${columns} FROM sessiongraph.api_tokens WHERE token_hash = $1`,
    [hash],
  );
  return result.rows[0] ?? null;
}

export async function insertToken(
  db: Queryable,
  values: { name: string; hash: Buffer; scopes: readonly string[]; expiresAt: Date | null },
): Promise<TokenRow> {
  const result = await db.query<TokenRow>(
    `/* insertToken */ INSERT INTO sessiongraph.api_tokens (name, token_hash, scopes, expires_at)
     VALUES ($1, $2, $3, $4) RETURNING ${columns}`,
    [values.name, values.hash, values.scopes, values.expiresAt],
  );
  return result.rows[0]!;
}

export async function listTokens(db: Queryable): Promise<TokenRow[]> {
  const result = await db.query<TokenRow>(
    `/* listTokens */ SELECT ${columns} FROM sessiongraph.api_tokens ORDER BY name`,
  );
  return result.rows;
}

export async function revokeToken(db: Queryable, nameOrId: string): Promise<TokenRow | null> {
  const result = await db.query<TokenRow>(
    `/* revokeToken */ UPDATE sessiongraph.api_tokens SET revoked_at = COALESCE(revoked_at, now())
      WHERE name = $1 OR id::text = $1 RETURNING ${columns}`,
    [nameOrId],
  );
  return result.rows[0] ?? null;
}

export async function liveTokenCount(db: Queryable): Promise<number> {
  const result = await db.query<{ n: number }>(
    `/* liveTokenCount */ SELECT count(*)::int AS n FROM sessiongraph.api_tokens
      WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
  );
  return result.rows[0]?.n ?? 0;
}
