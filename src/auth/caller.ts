import type { SessionRecord } from '../stores/types.ts';
import type { Scope } from './tokens.ts';

/**
 * Who is asking. Internal tools present an API token (`Authorization: Bearer sg_…`); browsers present
 * their own session (the store's cookie or `X-Session-Key`); anyone else is anonymous. A token that
 * does not check out is remembered as such, so the answer can say "unauthenticated", not "forbidden".
 */
export type Caller =
  | { kind: 'token'; tokenId: string; name: string; scopes: ReadonlySet<Scope> }
  | { kind: 'anonymous'; failedToken: 'malformed' | 'unknown' | 'expired' | 'revoked' | null };

/** The browser side of a request: its own live session, looked up once, only when a field needs it. */
export type ViewerSession = () => Promise<SessionRecord | null>;

export const hasScope = (caller: Caller, scope: Scope) => caller.kind === 'token' && caller.scopes.has(scope);

/** How the audit log names a caller: never a key or a token. */
export function actorOf(caller: Caller, viewer: SessionRecord | null): string {
  if (caller.kind === 'token') return `token:${caller.name}`;
  if (viewer) return `session:${viewer.store}:${viewer.ref.slice(0, 16)}`;
  return 'anonymous';
}
