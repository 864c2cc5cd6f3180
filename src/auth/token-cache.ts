import type { NotificationHub } from '../db/notifications.ts';
import type { TokenRow } from './tokens.sql.ts';

/**
 * Valid API tokens, remembered for a short while so an authenticated request does not pay a round trip for
 * its token check. Revocation stays immediate across replicas: a trigger on the tokens table notifies
 * `sessiongraph_tokens` (migration 5) and every replica drops the token at once. The cache is only trusted
 * while the notification connection is up; when it drops, notifications may be lost, so it empties and
 * stays off until the connection is back.
 */
export const TOKEN_CHANNEL = 'sessiongraph_tokens';

const MAX_ENTRIES = 10_000;

export class TokenCache {
  private readonly entries = new Map<string, { row: TokenRow; until: number }>();
  private forgettings = 0;

  constructor(
    private readonly hub: NotificationHub,
    private readonly maxAgeMilliseconds: number,
  ) {
    hub.on(TOKEN_CHANNEL, (tokenId) => this.forget(tokenId));
    hub.onState(() => {
      this.forgettings += 1;
      this.entries.clear();
    });
  }

  /**
   * Counts what the cache was told to forget: a row read before a revocation's notification arrived must not
   * be remembered after it, so `set` takes this as it was before the row was read.
   */
  get epoch(): number {
    return this.forgettings;
  }

  get(hashHex: string, nowMs: number): TokenRow | null {
    if (!this.hub.listening) return null;
    const entry = this.entries.get(hashHex);
    if (!entry) return null;
    if (entry.until <= nowMs) {
      this.entries.delete(hashHex);
      return null;
    }
    return entry.row;
  }

  set(hashHex: string, row: TokenRow, nowMs: number, epochAtRead: number): void {
    if (!this.hub.listening || row.revoked_at || epochAtRead !== this.forgettings) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(hashHex, { row, until: nowMs + this.maxAgeMilliseconds });
  }

  /** Drops one token (by id), or all of them when the payload is empty. */
  forget(tokenId: string): void {
    this.forgettings += 1;
    if (!tokenId) {
      this.entries.clear();
      return;
    }
    for (const [hash, entry] of this.entries) if (entry.row.id === tokenId) this.entries.delete(hash);
  }
}
