import type { Decoded, JsonObject } from '../codecs/result.ts';
import type { Queryable } from '../db/pool.ts';
import type { CreateInput } from './types.ts';

/** What a framework's blob is to a blob store (src/stores/blob-store.ts): its codec and its rules. */
export interface DecodedSession {
  /** Every key, as the framework has it (what is written back). */
  full: JsonObject;
  /** What the store keeps for re-encoding beyond the JSON view (e.g. the pickle tree). */
  state?: unknown;
  /** A note about a decode that worked but needed care (e.g. "py2 bytes"). */
  note?: string | null;
}

export interface BlobFormat {
  kind: string;
  /** Keys the framework manages (hashes, the key itself, the cookie): hidden from `data`, kept on write. */
  hiddenKeys: ReadonlySet<string>;
  decode(blob: string): Decoded<DecodedSession>;
  encode(full: JsonObject, state: unknown, now: Date, expiresAt: Date): string;
  userIdOf(full: JsonObject): string | null;
  /**
   * The types the JSON view erased, by JSON pointer into `data` (a pickle's tuples and datetimes), from the
   * decoded `state`; absent for formats whose data is JSON.
   */
  typesOf?(state: unknown): Record<string, string>;
  /** The data key where the framework keeps the client's IP address (web.py's `ip`), if any. */
  ipInData?: string;
  generateKey(): string;
  /** The stored key a presented credential stands for (a cookie value or the header), or null. */
  presentedKey(raw: string, source: 'cookie' | 'header'): string | null;
  /** What the browser presents for a stored key (express signs it); the stored key itself by default. */
  presentableKey?(key: string): string;
  /** The blob under a new key (web.py copies the key into the blob); unchanged by default. */
  rekeyed?(full: JsonObject, newKey: string): JsonObject;
  /** The blob contents of a new session (adds the framework's own keys, e.g. Django's auth hash). */
  newSession(tx: Queryable, input: CreateInput & { key: string; now: Date }): Promise<JsonObject>;
  /** The latest expiry the store can represent for a row created at `createdAt` (json-cache's window). */
  latestExpiry?(createdAt: Date | null, now: Date): Date;
  /** Adjust managed keys after an update changed data or expiry (e.g. express's cookie.expires). */
  afterUpdate?(full: JsonObject, expiresAt: Date, now: Date): JsonObject;
  /**
   * Why the framework itself would refuse to hand this decoded session to the application (express-session
   * throws on a `sess` without a usable cookie; web.py never looks up a key that is not hex), or null.
   */
  refuses?(key: string, full: JsonObject): string | null;
}
