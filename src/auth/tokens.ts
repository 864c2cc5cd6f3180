import { createHash, hash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { TokenCache } from './token-cache.ts';
import { findTokenByHash, insertToken, type TokenRow } from './tokens.sql.ts';

/**
 * API tokens for internal tools: `sg_` and 32 random bytes, handed out once, stored only as SHA-256,
 * each with its scopes and an optional expiry.
 */
export const SCOPES = [
  'sessions:read',
  'sessions:write',
  'users:read',
  'audit:read',
  'metrics:read',
] as const;
export type Scope = (typeof SCOPES)[number];

const TOKEN = /^sg_[A-Za-z0-9_-]{43}$/;

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new Error(`unknown scope ${unknown.join(', ')}; the scopes are ${SCOPES.join(', ')}`);
  }
  if (scopes.length === 0) throw new Error(`give at least one scope: ${SCOPES.join(', ')}`);
  return [...new Set(scopes)] as Scope[];
}

export async function createToken(
  db: Queryable,
  name: string,
  scopes: readonly Scope[],
  expiresAt: Date | null,
): Promise<{ token: string; row: TokenRow }> {
  const token = `sg_${randomBytes(32).toString('base64url')}`;
  const row = await insertToken(db, { name, hash: hashToken(token), scopes, expiresAt });
  return { token, row };
}

export type TokenCheck =
  | { ok: true; row: TokenRow; scopes: ReadonlySet<Scope> }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'revoked' };

/** Each cached row's scopes, as a set, made once (a request asks for them on every check). */
const scopeSets = new WeakMap<TokenRow, ReadonlySet<Scope>>();

function scopesOf(row: TokenRow): ReadonlySet<Scope> {
  let scopes = scopeSets.get(row);
  if (!scopes) {
    scopes = new Set(
      row.scopes.filter((scope): scope is Scope => (SCOPES as readonly string[]).includes(scope)),
    );
    scopeSets.set(row, scopes);
  }
  return scopes;
}

/**
 * The token an `Authorization` header presents, or null when it is not `Bearer sg_…`. Many headers present the
 * same token (the scheme's letter case, the spaces around it): whatever counts per token counts this.
 */
export function presentedToken(header: string): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match && TOKEN.test(match[1]!) ? match[1]! : null;
}

/** What an `Authorization: Bearer …` header is worth (from `cache` when it vouches for the token). */
export async function checkToken(
  db: Queryable,
  header: string,
  now: Date,
  cache: TokenCache | null = null,
): Promise<TokenCheck> {
  const token = presentedToken(header);
  if (token === null) return { ok: false, reason: 'malformed' };
  // One-shot hex digest: the cache's key, without a Hash object per request.
  const hashHex = hash('sha256', token, 'hex');
  let row = cache?.get(hashHex, now.getTime()) ?? null;
  if (!row) {
    const epoch = cache?.epoch ?? 0;
    row = await findTokenByHash(db, Buffer.from(hashHex, 'hex'));
    if (row) cache?.set(hashHex, row, now.getTime(), epoch);
  }
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revoked_at) return { ok: false, reason: 'revoked' };
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, row, scopes: scopesOf(row) };
}
