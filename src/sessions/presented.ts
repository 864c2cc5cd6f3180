import { parse as parseCookieHeader } from 'cookie';
import type { SessionStore } from '../stores/types.ts';

/**
 * The session credentials a request presents for `currentSession`: the `X-Session-Key` header, and its
 * cookies (each store reads its own). Oversized values are ignored, not parsed.
 */

const MAX_KEY_LENGTH = 512;
const MAX_COOKIE_HEADER = 8192;

export interface Presented {
  header: string | null;
  cookies: Record<string, string | undefined>;
}

export function presentedCredentials(headers: { get(name: string): string | null }): Presented {
  const header = headers.get('x-session-key');
  const cookieHeader = headers.get('cookie');
  return {
    header: header && header.length <= MAX_KEY_LENGTH ? header : null,
    cookies: cookieHeader && cookieHeader.length <= MAX_COOKIE_HEADER ? parseCookieHeader(cookieHeader) : {},
  };
}

/**
 * The key presented to `store`: the header (for every store), else the store's own cookie. A cookie's value is
 * URL-decoded, so `%00` arrives as NUL, which no stored key holds (PostgreSQL text cannot) and which would fail
 * the look-up's statement: such a key is not presented.
 */
export function presentedKey(presented: Presented, store: SessionStore): string | undefined {
  const key = presented.header ?? presented.cookies[store.cookieName];
  return key?.includes('\u0000') ? undefined : key;
}
