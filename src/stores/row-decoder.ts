import { type DecodeBudgets, overBudget } from '../codecs/budgets.ts';
import type { JsonObject } from '../codecs/result.ts';
import type { BlobRow } from './blob.sql.ts';
import type { BlobFormat, DecodedSession } from './blob-format.ts';
import type { DecodeCache } from './decode-cache.ts';
import type { SessionRecord, SessionStatus } from './types.ts';

/**
 * A framework row turned into a `SessionRecord`: its blob decoded under the budgets, its status. Pure (no
 * database, no shared state but an optional cache), so that a decode worker (src/projection/decode-worker.ts)
 * runs the very code a store runs in-process: a kind's `framework.decoder` (kind.ts) gives the format.
 */

/** What of a `BlobFormat` decoding needs: a kind builds it without a database for decode workers. */
export type DecodingFormat = Pick<
  BlobFormat,
  'kind' | 'hiddenKeys' | 'decode' | 'userIdOf' | 'refuses' | 'typesOf' | 'ipInData'
>;

/**
 * What a decode worker builds a store's row decoding from, through its kind's `framework.decoder`: the
 * store's settings (secrets resolved: they travel to the worker as values and are never logged) and what its
 * `create` read of the catalog that decoding depends on. Structured-cloneable.
 */
export interface DecoderSpec {
  settings: { kind: string; name: string };
  facts?: unknown;
}

/**
 * A secret of a store's settings, which configuration has resolved to its value. (config-parts.ts's
 * `secretText`, without what a decode worker need not load.)
 */
export function resolvedSecret(secret: unknown): string {
  if (typeof secret !== 'string') throw new Error('a secret was used before configuration resolved it');
  return secret;
}

/** A store's row decoding: its format's decoding part and the user ids that mean nobody. */
export interface RowDecoding {
  format: DecodingFormat;
  anonymousUserIds?: readonly (string | number)[];
}

/**
 * A 31-bit fingerprint of the stored blob (FNV-1a over its UTF-16 code units): framework tables keep no
 * version counter, and `expectedVersion` only needs to notice that the row changed.
 */
export function blobVersion(blob: string | null): number {
  let hash = 0x811c9dc5;
  const text = blob ?? '';
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash & 0x7fffffff;
}

/**
 * A blob's decoding, with what every read of it derives (kept in the decode cache, so a hot session pays
 * for these once per change, not once per request). The objects are shared between requests: read only,
 * but for `types`, filled in once when first asked for (bounded: src/codecs/pickle/type-view.ts).
 */
export type Outcome = (
  | {
      ok: true;
      session: DecodedSession;
      data: JsonObject;
      /** The JSON text of `data`, for reads answered without re-serialising it (cached decodings only). */
      dataJson?: string;
      userId: string | null;
      managed: JsonObject | undefined;
      /** `format.typesOf`, worked out the first time a read asks for it. */
      types?: Record<string, string>;
    }
  | { ok: false; problem: string }
) & { version: number };

function onlyHidden(full: JsonObject, hidden: ReadonlySet<string>): JsonObject | undefined {
  let managed: JsonObject | undefined;
  for (const key of hidden) {
    if (Object.hasOwn(full, key)) {
      managed ??= {};
      managed[key] = full[key]!;
    }
  }
  return managed;
}

/** `data` without the managed keys. `fromEntries` defines properties, so a `__proto__` key stays data. */
export function withoutHidden(full: JsonObject, hidden: ReadonlySet<string>): JsonObject {
  if (hidden.size === 0) return full;
  let any = false;
  for (const key of hidden) if (Object.hasOwn(full, key)) any = true;
  return any ? Object.fromEntries(Object.entries(full).filter(([key]) => !hidden.has(key))) : full;
}

/** Statements of many rows bring blobs up to this size along; larger ones are read one at a time. */
export const INLINE_BLOB_BYTES = 64 * 1024;

export interface RowDecoderOptions extends RowDecoding {
  /** The store's name (`SessionRecord.store`). */
  name: string;
  budgets: DecodeBudgets;
  /** Decodings kept for reads (`cached` rows); none in a decode worker, whose rows are bulk work. */
  cache?: DecodeCache<Outcome>;
  /** Told about each stored text that does not decode (metrics). */
  onDecodeFailure?: (store: string, problem: string) => void;
  /** Told about an error no decoder should raise; the row is INVALID ("internal"). */
  onRowError?: (store: string, ref: string, error: unknown) => void;
}

export interface RowDecoder {
  decodeBlob(blob: string): Outcome;
  /**
   * An update's read: the row's decoding (null without a blob, or where the code failed) and its record, from
   * one decode. The decoding comes from the cache reads share where it takes the blob (the last write or read
   * of the session left it there), so it is shared and read only. Never throws, as `decodeRow`.
   */
  decodeForUpdate(row: BlobRow, now: Date): { outcome: Outcome | null; record: SessionRecord };
  /**
   * Never throws: a row that makes the code fail (a bug no decoder should have) costs that row its status,
   * not the list, the count or the sync batch it is in. `cached: false` for bulk work (backfill, sync) that
   * would only churn the cache of hot sessions.
   */
  decodeRow(row: BlobRow, now: Date, cached?: boolean): SessionRecord;
}

export function createRowDecoder(options: RowDecoderOptions): RowDecoder {
  const { format, name, budgets, cache } = options;
  const anonymous = new Set((options.anonymousUserIds ?? []).map(String));
  const decodeBlob = (blob: string): Outcome => {
    const result = format.decode(blob);
    const version = blobVersion(blob);
    if (result.ok) {
      const full = result.value.full;
      const userId = format.userIdOf(full);
      return {
        ok: true,
        session: result.value,
        data: withoutHidden(full, format.hiddenKeys),
        userId: userId !== null && anonymous.has(userId) ? null : userId,
        managed: onlyHidden(full, format.hiddenKeys),
        version,
      };
    }
    options.onDecodeFailure?.(name, result.problem);
    return { ok: false, problem: `${result.problem}: ${result.detail}`, version };
  };

  /** What reads keep in the cache: the decoding and, once, its data's JSON text. */
  const decodeForReads = (blob: string): Outcome => {
    const outcome = decodeBlob(blob);
    if (outcome.ok) outcome.dataJson = JSON.stringify(outcome.data);
    return outcome;
  };

  /** A row whose blob stayed in PostgreSQL: none stored, or over the input budget (never read). */
  const unreadBlob = (row: BlobRow): Outcome => {
    const version = blobVersion(null);
    if (row.blob_bytes === null) return { ok: false, problem: 'corrupt: no session data', version };
    const over = overBudget.input(budgets);
    if (row.blob_bytes > budgets.maxInputBytes) {
      options.onDecodeFailure?.(name, over.problem);
      return { ok: false, problem: `${over.problem}: ${over.detail}`, version };
    }
    // Large enough to be read alone, and not read (a caller forgot `withBlob`): say so rather than guess.
    return { ok: false, problem: 'corrupt: the stored data was not read', version };
  };

  const typesOf = (outcome: Outcome): Record<string, string> => {
    if (!outcome.ok) return {};
    outcome.types ??= format.typesOf?.(outcome.session.state) ?? {};
    return outcome.types;
  };

  /** Blobs read alone (larger than statements of many rows carry) are never cached. */
  const sharedCache = (blob: string) => (cache && blob.length <= INLINE_BLOB_BYTES ? cache : null);

  const outcomeOf = (row: BlobRow, cached: boolean): Outcome =>
    row.blob === null
      ? unreadBlob(row)
      : !cached
        ? decodeBlob(row.blob)
        : (sharedCache(row.blob)?.get(row.blob, decodeForReads) ?? decodeForReads(row.blob));

  const recordOf = (row: BlobRow, outcome: Outcome, now: Date): SessionRecord => {
    // Columns the framework never leaves so, or a session it would refuse to load: not a usable session.
    const refused = outcome.ok
      ? (row.row_problem ?? format.refuses?.(row.key, outcome.session.full) ?? null)
      : null;
    const usable = outcome.ok && refused === null;
    const expired = row.expires_at !== null && row.expires_at.getTime() <= now.getTime();
    const status: SessionStatus = !usable ? 'INVALID' : expired ? 'EXPIRED' : 'ACTIVE';
    return {
      store: name,
      ref: row.ref,
      status,
      problem: outcome.ok ? (refused === null ? null : `unloadable: ${refused}`) : outcome.problem,
      note: usable ? (outcome.session.note ?? null) : null,
      data: usable ? outcome.data : {},
      dataJson: usable ? outcome.dataJson : undefined,
      userId: usable ? outcome.userId : null,
      managed: usable ? outcome.managed : undefined,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastSeenAt: row.last_seen_at,
      version: outcome.version,
      ip: row.ip ?? (usable && format.ipInData ? textAt(outcome.data, format.ipInData) : null),
      userAgent: row.user_agent ?? null,
      dataTypes: usable && format.typesOf ? () => typesOf(outcome) : undefined,
      // Printed when asked for (a page's first and last edge, cursors selected): most rows never are.
      get cursor() {
        return [(row.page_sort ?? row.sort_at ?? new Date(0)).toISOString(), row.ref];
      },
    };
  };

  /** A row the code failed on (a bug no decoder should have): INVALID, said to `onRowError`. */
  const failedRow = (row: BlobRow, error: unknown): SessionRecord => {
    options.onRowError?.(name, row.ref, error);
    return {
      store: name,
      ref: row.ref,
      status: 'INVALID',
      problem: 'internal: this row could not be read (see the server log)',
      note: null,
      data: {},
      userId: null,
      createdAt: validDate(row.created_at),
      expiresAt: validDate(row.expires_at),
      lastSeenAt: validDate(row.last_seen_at),
      version: blobVersion(null),
      ip: row.ip ?? null,
      userAgent: row.user_agent ?? null,
      cursor: [(validDate(row.page_sort ?? row.sort_at) ?? new Date(0)).toISOString(), row.ref],
    };
  };

  const decodeRow = (row: BlobRow, now: Date, cached = true): SessionRecord => {
    try {
      return recordOf(row, outcomeOf(row, cached), now);
    } catch (error) {
      return failedRow(row, error);
    }
  };

  const decodeForUpdate = (row: BlobRow, now: Date) => {
    try {
      if (row.blob === null) return { outcome: null, record: recordOf(row, unreadBlob(row), now) };
      // An update needs no JSON text of its own: a blob the cache does not take is decoded alone.
      const outcome = sharedCache(row.blob)?.get(row.blob, decodeForReads) ?? decodeBlob(row.blob);
      return { outcome, record: recordOf(row, outcome, now) };
    } catch (error) {
      return { outcome: null, record: failedRow(row, error) };
    }
  };

  return { decodeBlob, decodeForUpdate, decodeRow };
}

const textAt = (data: JsonObject, key: string) => {
  const value = Object.hasOwn(data, key) ? data[key] : undefined;
  return typeof value === 'string' ? value : null;
};

const validDate = (date: Date | null | undefined) =>
  date instanceof Date && !Number.isNaN(date.getTime()) ? date : null;
