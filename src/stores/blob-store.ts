import { isTimeAndRef, keysetOf } from './cursor.ts';
import type { DecodeBudgets } from '../codecs/budgets.ts';
import type { Queryable } from '../db/pool.ts';
import { InvalidInputError } from '../errors/domain.ts';
import { applyPatch, assertStorable, isEmptyPatch } from '../sessions/data.ts';
import { resolveExpiry } from '../sessions/expiry.ts';
import { recordTombstones } from '../security/tombstones.sql.ts';
import { matchesWhere } from '../sessions/fields.ts';
import { FACTS, givenFacts, matchesFacts } from '../sessions/facts.ts';
import { factConditions } from './facts.sql.ts';
import type { UsersCatalog } from '../users/catalog.ts';
import { createUserJoin, type UsersQueries } from '../users/users.sql.ts';
import type { BlobQueries, BlobReadLimits, BlobRow } from './blob.sql.ts';
import { DecodeCache } from './decode-cache.ts';
import {
  createRowDecoder,
  type DecoderSpec,
  INLINE_BLOB_BYTES,
  type Outcome,
  withoutHidden,
} from './row-decoder.ts';
import type {
  ListQuery,
  SessionRecord,
  SessionStatus,
  SessionStore,
  StoreLimits,
  UpdateInput,
} from './types.ts';

export { blobVersion, INLINE_BLOB_BYTES } from './row-decoder.ts';
export type { BlobFormat, DecodedSession } from './blob-format.ts';
import type { BlobFormat } from './blob-format.ts';

/**
 * A store over a framework's own table, where the session is a blob: Django, web.py, express,
 * json-cache. The format (codec, key shape, user rule, keys it manages itself) comes from a
 * `BlobFormat`; this module does what is common: decoding through the cache, statuses, keyset pages that
 * stay full when rows are filtered after decoding, and read-modify-write updates under a row lock.
 */

/** What a blob store needs of the projection (see src/projection/projector.ts). */
export interface ProjectionAccess {
  isReady(store: string): boolean;
  readonly userKeyType: string;
  upsert(tx: Queryable, store: ProjectableBlobStore, rows: readonly BlobRow[], now: Date): Promise<void>;
  remove(tx: Queryable, store: string, refs: readonly string[]): Promise<number>;
  whereSql(conditions: ListQuery['where'], first: number): { conditions: string; params: unknown[] };
}

export interface ProjectableBlobStore {
  name: string;
  sql: BlobQueries;
  decodeRow(row: BlobRow, now: Date, cached?: boolean): SessionRecord;
  /** The row with its blob, read alone when it was too large to come with its statement. */
  withBlob(db: Queryable, row: BlobRow): Promise<BlobRow>;
  /** How a decode worker builds this store's row decoding; absent: its rows decode in-process only. */
  readonly decoder?: DecoderSource;
  /** How long a key it ends stays refused (0: none is recorded), for writes made outside it. */
  readonly tombstoneSeconds: number;
  /**
   * What `update` would write, from the row read without a lock (for a statement that writes only if the
   * row is unchanged); throws what `update` would. Absent on the projection's own view of the store.
   */
  planUpdate?(
    db: Queryable,
    ref: string,
    input: UpdateInput,
    now: Date,
    limits: StoreLimits,
  ): Promise<PlannedUpdate>;
}

export type PlannedUpdate =
  | { kind: 'missing' }
  | { kind: 'conflict'; actualVersion: number }
  | { kind: 'write'; blob: string; expiresAt: Date; row: BlobRow; record: SessionRecord };

/** A store's decoding as decode workers rebuild it (src/projection/decode-pool.ts). */
export interface DecoderSource {
  spec: DecoderSpec;
  /** Counts a row a worker found undecodable, as the store counts its own (metrics). */
  decodeFailed(problem: string): void;
}

/** What every framework store is built with (src/app.ts builds one and hands it to each). */
export interface FrameworkStoreDeps {
  catalog: UsersCatalog;
  users: UsersQueries;
  decodeCacheBytes: number;
  budgets: DecodeBudgets;
  projection?: ProjectionAccess;
  /** How long an ended session's key is refused on re-insert (frameworks that upsert). */
  tombstoneSeconds?: number;
  /** Told about each stored text that does not decode (metrics), once per text while it stays cached. */
  onDecodeFailure?: (store: string, problem: string) => void;
  /**
   * Told about an error no decoder should raise (a bug met by some row): the row is served as INVALID and the
   * error goes to the log and a metric, with the row's ref (never its key).
   */
  onRowError?: (store: string, ref: string, error: unknown) => void;
}

export interface BlobStoreOptions {
  name: string;
  /**
   * What every framework store shares: the decode cache's size, the projection (reads use it once the
   * store's backfill is done), the users catalog (owners joined to projected pages) and the decode-failure
   * hook.
   */
  deps: Pick<
    FrameworkStoreDeps,
    'decodeCacheBytes' | 'projection' | 'onDecodeFailure' | 'onRowError' | 'catalog' | 'budgets'
  >;
  cookieName: string;
  defaultTtlSeconds: number;
  sql: BlobQueries;
  format: BlobFormat;
  /**
   * Seconds an ended session's key is refused on re-insert (src/security/tombstones.ts): set for stores
   * whose framework upserts (express, web.py); 0 or unset records no tombstones.
   */
  tombstoneSeconds?: number;
  /** User ids that mean "nobody" in this store (web.py apps start every session with `uid: 0`). */
  anonymousUserIds?: readonly (string | number)[];
  /**
   * The settings and catalog facts from which the kind's `framework.decoder` (kind.ts) builds this store's
   * decoding again in a decode worker, without a database; unset: rows decode in-process only.
   */
  decoder?: DecoderSpec;
}

const REF = /^[0-9a-f]{64}$/;
const SCAN_CHUNK = 500;
/** Bytes of blobs one backfill or verify batch holds at most. */
export const BATCH_BLOB_BYTES = 32 * 1024 * 1024;
/**
 * A page of sessions ends early (with a next page) once its decoded data reaches this many bytes of JSON,
 * so that a table of sessions near the output budget cannot put a response beyond the heap. It always holds
 * at least one session.
 */
export const PAGE_DATA_BYTES = 16 * 1024 * 1024;

/** What statements of a framework table may read of its blobs, under the decode budgets. */
export const blobReadLimits = (budgets: DecodeBudgets): BlobReadLimits => ({
  maxInputBytes: budgets.maxInputBytes,
  inlineBytes: INLINE_BLOB_BYTES,
  batchBytes: BATCH_BLOB_BYTES,
});

/** A list of sessions that ended before its limit to stay within PAGE_DATA_BYTES: more follow. */
export type SessionPage = SessionRecord[] & { cutShort?: boolean };

export function createBlobStore(options: BlobStoreOptions): SessionStore & ProjectableBlobStore {
  const { format, sql, name } = options;
  const { budgets } = options.deps;
  // A decoded value holds its JSON text and the parsed objects, which take about three times the text.
  const cache = new DecodeCache<Outcome>(options.deps.decodeCacheBytes, (outcome) =>
    outcome.ok ? (outcome.dataJson?.length ?? 0) * 4 : 0,
  );
  const owners = createUserJoin(options.deps.catalog);
  const { decodeForUpdate, decodeRow } = createRowDecoder({
    name,
    format,
    anonymousUserIds: options.anonymousUserIds,
    budgets,
    cache,
    onDecodeFailure: options.deps.onDecodeFailure,
    onRowError: options.deps.onRowError,
  });

  /** Whether the row's blob is within the input budget but was too large to come with its statement. */
  const needsBlob = (row: BlobRow) =>
    row.blob === null && row.blob_bytes !== null && row.blob_bytes <= budgets.maxInputBytes;

  const withBlob = async (db: Queryable, row: BlobRow): Promise<BlobRow> =>
    needsBlob(row) ? { ...row, blob: await sql.blobOf(db, row.key) } : row;

  /**
   * Rows decoded in order, large blobs read one at a time (and let go once decoded). With `pageBytes`, the
   * list ends early (`cutShort`) once the decoded data reaches that many bytes, keeping at least one row.
   */
  async function decodeRows(
    db: Queryable,
    rows: readonly BlobRow[],
    now: Date,
    keep: (record: SessionRecord) => boolean = () => true,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<SessionPage> {
    const out: SessionPage = [];
    let bytes = 0;
    for (const row of rows) {
      const record = needsBlob(row) ? decodeRow(await withBlob(db, row), now) : decodeRow(row, now);
      if (!keep(record)) continue;
      bytes += record.dataJson?.length ?? 0;
      if (out.length > 0 && bytes > PAGE_DATA_BYTES) {
        out.cutShort = true;
        return out;
      }
      out.push(record);
      if (out.length >= limit) return out;
    }
    return out;
  }

  const projection = options.deps.projection;
  const self: ProjectableBlobStore = {
    name,
    sql,
    decodeRow,
    withBlob,
    tombstoneSeconds: options.tombstoneSeconds ?? 0,
  };
  /** Reads go through the projection's indexes once it is complete for this store. */
  const projected = () => (projection?.isReady(name) ? projection : null);

  /** API writes change the projection themselves, in their own transaction, and skip the change queue. */
  async function asApi(tx: Queryable) {
    if (projection)
      await tx.query("/* markApiWrite */ SELECT set_config('sessiongraph.origin', 'api', true)");
  }

  /**
   * Tombstones for keys this transaction removes from the table (by ref), so a framework request still
   * holding one cannot write it back (see src/security/tombstones.ts). Call after the delete.
   */
  async function revoke(tx: Queryable, refs: readonly string[]) {
    await recordTombstones(tx, name, refs, options.tombstoneSeconds ?? 0);
  }

  async function projectedPage(
    db: Queryable,
    via: ProjectionAccess,
    query: Pick<ListQuery, 'status' | 'now' | 'where' | 'withUser' | 'facts'> & { userId: string | null },
    after: [Date, string] | null,
    limit: number,
  ): Promise<SessionPage> {
    const where = withFacts(via.whereSql(query.where, 7), query.facts, 7);
    const withUsers = query.withUser === true;
    const rows = await sql.projectedPage(
      db,
      name,
      { userId: query.userId, status: query.status, ...where },
      query.now,
      after,
      limit,
      via.userKeyType,
      withUsers ? owners : null,
    );
    const records = await decodeRows(db, rows, query.now);
    if (withUsers) {
      records.forEach((record, index) => {
        const row = rows[index]!;
        // The joined owner stands only where the blob itself names that user; otherwise the loader asks.
        if (record.userId !== null && record.userId === row.projected_user) record.user = owners.take(row);
      });
    }
    return records;
  }

  /**
   * Pages in keyset order, keeping only rows that pass `keep`: reads chunks until the page is full or the
   * table ends, so filters applied after decoding (status INVALID, user, typed fields) never shorten it.
   */
  async function filteredPage(
    db: Queryable,
    sqlStatus: SessionStatus | null,
    keep: (record: SessionRecord) => boolean,
    now: Date,
    after: [Date, string] | null,
    limit: number,
  ): Promise<SessionPage> {
    const out: SessionPage = [];
    let position = after;
    const chunk = Math.max(limit, SCAN_CHUNK);
    for (;;) {
      const rows = await sql.page(db, sqlStatus, now, position, chunk);
      const found = await decodeRows(db, rows, now, keep, limit - out.length);
      // The byte budget counts the whole page, not each chunk: a chunk cut short ends the page.
      let bytes = out.reduce((sum, record) => sum + (record.dataJson?.length ?? 0), 0);
      for (const record of found) {
        bytes += record.dataJson?.length ?? 0;
        if (out.length > 0 && bytes > PAGE_DATA_BYTES) {
          out.cutShort = true;
          return out;
        }
        out.push(record);
      }
      if (found.cutShort) out.cutShort = true;
      if (found.cutShort || out.length >= limit) return out;
      if (rows.length < chunk) return out;
      const last = rows.at(-1)!;
      position = [last.sort_at ?? new Date(0), last.ref];
    }
  }

  /**
   * Counts the rows that pass `keep`, a chunk at a time, keeping and caching nothing: a table of any size
   * counts in the memory of one chunk (the heap is capped; see npm start).
   */
  async function countScan(
    db: Queryable,
    sqlStatus: SessionStatus | null,
    keep: (record: SessionRecord) => boolean,
    now: Date,
  ): Promise<number> {
    let count = 0;
    let position: [Date, string] | null = null;
    for (;;) {
      const rows = await sql.page(db, sqlStatus, now, position, SCAN_CHUNK);
      for (const row of rows) if (keep(decodeRow(await withBlob(db, row), now, false))) count += 1;
      if (rows.length < SCAN_CHUNK) return count;
      const last = rows.at(-1)!;
      position = [last.sort_at ?? new Date(0), last.ref];
    }
  }

  const sqlStatusFor = (status: SessionStatus | null) => (status === 'INVALID' ? null : status);
  const statusMatches = (status: SessionStatus | null) => (record: SessionRecord) =>
    status === null || record.status === status;

  /** What a list or count without the projection keeps, after decoding. */
  const matching = (query: Pick<ListQuery, 'status' | 'userId' | 'where' | 'facts'>) => {
    const keepStatus = statusMatches(query.status);
    return (record: SessionRecord): boolean =>
      keepStatus(record) &&
      (query.userId === null || record.userId === query.userId) &&
      (query.where.length === 0 || (record.status !== 'INVALID' && matchesWhere(record.data, query.where))) &&
      matchesFacts(record, query.facts);
  };

  const projectedFacts = sql.projectedFacts(format.ipInData);
  /** Typed-field conditions (`whereSql`) and then the facts', numbered on from `first`. */
  const withFacts = (
    where: { conditions: string; params: unknown[] },
    facts: ListQuery['facts'],
    first: number,
  ) => {
    const more = factConditions(facts, projectedFacts, first + where.params.length);
    return { conditions: where.conditions + more.conditions, params: [...where.params, ...more.params] };
  };

  /**
   * A ref through the projection (an index look-up); on a miss, the hashing scan only while the sync
   * worker has changes of this store pending (the session may be newer than the projection).
   */
  async function viaRefs<T>(
    db: Queryable,
    run: (viaStore: string | null) => Promise<T>,
    missed: (found: T) => boolean,
  ) {
    if (!projected()) return run(null);
    const found = await run(name);
    return missed(found) && (await sql.pendingChanges(db, name)) ? run(null) : found;
  }

  async function readDecoded(tx: Queryable, ref: string, now: Date, lock: boolean) {
    const row = REF.test(ref)
      ? await viaRefs(
          tx,
          (via) => sql.lockByRef(tx, ref, via, lock),
          (found) => found === null,
        )
      : null;
    if (!row) return null;
    return { row, ...decodeForUpdate(row, now) };
  }
  const lockDecoded = (tx: Queryable, ref: string, now: Date) => readDecoded(tx, ref, now, true);

  /**
   * What an update writes to the row read: its new blob and expiry, or a conflict with `expectedVersion`.
   * Throws InvalidInputError for what the store refuses (an INVALID row, a key the framework manages).
   */
  function planned(
    read: NonNullable<Awaited<ReturnType<typeof readDecoded>>>,
    input: UpdateInput,
    now: Date,
    limits: StoreLimits,
  ): { kind: 'conflict'; actualVersion: number } | { kind: 'write'; blob: string; expiresAt: Date } {
    const { row, outcome, record } = read;
    if (input.expectedVersion !== null && input.expectedVersion !== record.version) {
      return { kind: 'conflict', actualVersion: record.version };
    }
    if (!outcome?.ok) {
      throw new InvalidInputError('id', `the session cannot be changed: it is INVALID (${record.problem})`);
    }
    const { patch } = input;
    for (const key of [
      ...Object.keys(patch.set ?? {}),
      ...(patch.unset ?? []),
      ...Object.keys(patch.replace ?? {}),
    ]) {
      if (format.hiddenKeys.has(key)) {
        throw new InvalidInputError(
          patch.replace ? 'replace' : 'set',
          `"${key}" is managed by ${format.kind} and cannot be changed`,
        );
      }
    }
    const current = outcome.session.full;
    let full = current;
    if (!isEmptyPatch(patch)) {
      const view = applyPatch(withoutHidden(current, format.hiddenKeys), patch);
      full = { ...view };
      for (const hidden of format.hiddenKeys) {
        if (Object.hasOwn(current, hidden)) full[hidden] = current[hidden]!;
      }
      assertStorable(view, { maxBytes: limits.maxDataBytes, maxDepth: 32 });
    }
    const expiresAt = input.expiry
      ? resolveExpiry(input.expiry, now, row.expires_at, limits.maxTtlSeconds)
      : (row.expires_at ?? new Date(now.getTime() + options.defaultTtlSeconds * 1000));
    checkLatest(expiresAt, format.latestExpiry?.(row.created_at, now));
    if (format.afterUpdate) full = format.afterUpdate(full, expiresAt, now);
    return { kind: 'write', blob: format.encode(full, outcome.session.state, now, expiresAt), expiresAt };
  }

  return {
    name,
    kind: format.kind,
    cookieName: options.cookieName,
    defaultTtlSeconds: options.defaultTtlSeconds,
    // web.py keeps the IP in its data rather than a column.
    facts: new Set(
      FACTS.filter((fact) => sql.keeps[fact] || (fact === 'ip' && format.ipInData !== undefined)),
    ),
    decodeRow,
    withBlob,
    sql,
    tombstoneSeconds: self.tombstoneSeconds,
    decoder: options.decoder && {
      spec: options.decoder,
      decodeFailed: (problem: string) => options.deps.onDecodeFailure?.(name, problem),
    },

    isCursor: isTimeAndRef(REF),

    async findByRefs(db, refs, now) {
      const valid = refs.filter((ref) => REF.test(ref));
      const rows =
        valid.length > 0
          ? await viaRefs(
              db,
              (via) => sql.byRefs(db, valid, via),
              (found) => found.length < valid.length,
            )
          : [];
      const byRef = new Map(rows.map((row) => [row.ref, row]));
      const records: (SessionRecord | null)[] = [];
      for (const ref of refs) {
        const row = byRef.get(ref);
        records.push(row ? decodeRow(await withBlob(db, row), now) : null);
      }
      return records;
    },

    async findByKey(db, raw, now) {
      const key = format.presentedKey(raw, 'cookie');
      if (key === null) return null;
      const row = await sql.byKey(db, key);
      return row ? decodeRow(row, now) : null;
    },

    async list(db, query) {
      const after = keysetOf(query.after);
      const via = projected();
      if (via) return projectedPage(db, via, query, after, query.limit);
      return filteredPage(db, sqlStatusFor(query.status), matching(query), query.now, after, query.limit);
    },

    async count(db, query, estimate) {
      const via = projected();
      if (via) {
        const where = withFacts(via.whereSql(query.where, 4), query.facts, 4);
        return sql.countProjected(
          db,
          name,
          { userId: query.userId, status: query.status, ...where },
          query.now,
          via.userKeyType,
          estimate,
        );
      }
      if (
        estimate &&
        query.userId === null &&
        query.status === null &&
        query.where.length === 0 &&
        givenFacts(query.facts).length === 0
      ) {
        return sql.estimateTable(db);
      }
      // Not projected yet: the exact answer needs every row decoded.
      return countScan(db, sqlStatusFor(query.status), matching(query), query.now);
    },

    async listForUsers(db, userIds, query) {
      const wanted = new Set(userIds);
      const byUser = new Map<string, SessionRecord[]>(userIds.map((id) => [id, []]));
      const via = projected();
      if (via) {
        const rows = await sql.projectedPagesOfUsers(
          db,
          name,
          userIds,
          query.status,
          query.now,
          query.limit,
          via.userKeyType,
        );
        for (const row of rows) {
          byUser.get(row.page_user)?.push(decodeRow(await withBlob(db, row), query.now));
        }
        return byUser;
      }
      const keepStatus = statusMatches(query.status);
      let full = 0;
      // One scan serves every user of the batch; it stops as soon as each has a full page.
      await filteredPage(
        db,
        sqlStatusFor(query.status),
        (record) => {
          if (!keepStatus(record) || record.userId === null || !wanted.has(record.userId)) return false;
          const list = byUser.get(record.userId)!;
          if (list.length >= query.limit) return false;
          list.push(record);
          if (list.length === query.limit) full += 1;
          return full === wanted.size;
        },
        query.now,
        null,
        1,
      );
      return byUser;
    },

    async create(tx, input, now) {
      checkLatest(input.expiresAt, format.latestExpiry?.(now, now));
      const key = format.generateKey();
      const full = await format.newSession(tx, { ...input, key, now });
      const blob = format.encode(full, undefined, now, input.expiresAt);
      await asApi(tx);
      const row = await sql.insert(tx, key, blob, input.expiresAt, now);
      await projection?.upsert(tx, self, [row], now);
      return { record: decodeRow(row, now), key: format.presentableKey?.(key) ?? key };
    },

    async update(tx, ref, input, now, limits) {
      const locked = await lockDecoded(tx, ref, now);
      if (!locked) return { kind: 'missing' };
      const plan = planned(locked, input, now, limits);
      if (plan.kind === 'conflict') return plan;
      await asApi(tx);
      const updated = await sql.update(tx, locked.row.key, plan.blob, plan.expiresAt);
      await projection?.upsert(tx, self, [updated], now);
      return { kind: 'updated', record: decodeRow(updated, now) };
    },

    async planUpdate(db, ref, input, now, limits) {
      const read = await readDecoded(db, ref, now, false);
      if (!read) return { kind: 'missing' };
      const plan = planned(read, input, now, limits);
      return plan.kind === 'conflict' ? plan : { ...plan, row: read.row, record: read.record };
    },

    async rotate(tx, ref, now) {
      const locked = await lockDecoded(tx, ref, now);
      if (!locked) return null;
      const { row, outcome } = locked;
      const key = format.generateKey();
      const full = outcome?.ok && format.rekeyed ? format.rekeyed(outcome.session.full, key) : null;
      const blob =
        full && outcome?.ok
          ? format.encode(full, outcome.session.state, now, row.expires_at ?? now)
          : (row.blob ?? '');
      await asApi(tx);
      const moved = await sql.rekey(tx, row.key, key, blob);
      if (!moved) return null;
      // The old key is dead: a request still holding it must not write it back (session fixation).
      await revoke(tx, [ref]);
      await projection?.remove(tx, name, [ref]);
      await projection?.upsert(tx, self, [moved], now);
      return { record: decodeRow(moved, now), key: format.presentableKey?.(key) ?? key };
    },

    async end(tx, ref) {
      if (!REF.test(ref)) return false;
      await asApi(tx);
      const ended = await viaRefs(
        tx,
        (via) => sql.deleteByRef(tx, ref, via),
        (found) => !found,
      );
      await projection?.remove(tx, name, [ref]);
      if (ended) await revoke(tx, [ref]);
      return ended;
    },

    async endUserSessions(tx, userId, keepRef) {
      const via = projected();
      if (via) {
        await asApi(tx);
        // One statement: the user's rows found through the projection's index, deleted in both tables.
        const refs = await sql.deleteProjectedUserSessions(tx, name, userId, keepRef, via.userKeyType);
        await revoke(tx, refs);
        return refs.length;
      }
      // The user id hides inside each blob: decode them all (a scan until the projection indexes it).
      const keys: string[] = [];
      const refs: string[] = [];
      let position: [Date, string] | null = null;
      const now = new Date();
      for (;;) {
        const rows = await sql.page(tx, null, now, position, SCAN_CHUNK);
        for (const row of rows) {
          if (row.ref === keepRef) continue;
          if (decodeRow(await withBlob(tx, row), now, false).userId === userId) {
            keys.push(row.key);
            refs.push(row.ref);
          }
        }
        if (rows.length < SCAN_CHUNK) break;
        const last = rows.at(-1)!;
        position = [last.sort_at ?? new Date(0), last.ref];
      }
      await asApi(tx);
      const ended = await sql.deleteByKeys(tx, keys);
      await projection?.remove(tx, name, refs);
      await revoke(tx, refs);
      return ended;
    },

    expiredKeys: (db, now, limit, from) => sql.findExpiredKeys(db, now, limit, from),
    sweep: (now, keys) => {
      const statement = sql.deleteExpired(now, keys, projection ? name : null);
      return { ...statement, read: (answer) => ({ ...statement.read(answer), wake: name }) };
    },
  };
}

function checkLatest(expiresAt: Date, latest: Date | undefined) {
  if (latest && expiresAt.getTime() > latest.getTime()) {
    throw new InvalidInputError('expiresAt', `this store's sessions cannot outlive ${latest.toISOString()}`);
  }
}
