import { getHeapStatistics } from 'node:v8';
import type { Config } from '../config.ts';
import type { Pool, Queryable } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import { isDataError } from '../db/faults.ts';
import type { WhereCondition } from '../sessions/fields.ts';
import type { BlobRow } from '../stores/blob.sql.ts';
import type { SessionRecord } from '../stores/types.ts';
import type { UsersCatalog } from '../users/catalog.ts';
import { createLogger, type Logger } from '../log.ts';
import { DecodePool } from './decode-pool.ts';
import { type ClaimedChange, createProjectionQueries, type ProjectedSummary } from './projection.sql.ts';
import { failedRow, fieldColumn, fieldSqlType, type ProjectionRow, projectRow } from './rows.ts';
import { isFrameworkStore, WHOLE_STORE } from './schema.ts';
import { projectionFingerprint } from './fingerprint.ts';
import { ProjectionStream } from './stream.ts';
import type { ProjectableBlobStore as ProjectableStore } from '../stores/blob-store.ts';

/** What the projection needs of a framework store: the blob store's own interface. */
export type { ProjectableStore };

/**
 * Keeps `sessiongraph.projection` equal to what the framework tables decode to: applies queued changes
 * (the sync worker's batch), backfills and verifies whole tables, and lets API writes update it in their
 * own transaction. Stores read through it once their backfill is complete.
 */

/** Told about a row the projection could not decode or store as it is (it is projected INVALID instead). */
export type RowErrorHandler = (store: string, ref: string, error: unknown) => void;

/**
 * Bytes of projection rows one upsert statement carries at most: a batch of sessions near the output budget
 * is written in several statements instead of one document the size of their sum.
 */
const DOCUMENT_BYTES = 16 * 1024 * 1024;

/**
 * Row documents for the upsert, closed at DOCUMENT_BYTES: `write` gets each document's rows (JSON texts) as
 * it closes, so the rows of one batch are never all held at once.
 */
class Documents {
  private parts: string[] = [];
  private bytes = 0;

  constructor(
    private readonly write: (parts: string[]) => Promise<void>,
    private readonly maxRows = Number.POSITIVE_INFINITY,
  ) {}

  async add(json: string): Promise<void> {
    if (
      this.parts.length > 0 &&
      (this.bytes + json.length > DOCUMENT_BYTES || this.parts.length >= this.maxRows)
    ) {
      await this.close();
    }
    this.parts.push(json);
    this.bytes += json.length + 1;
  }

  async close(): Promise<void> {
    if (this.parts.length === 0) return;
    const parts = this.parts;
    this.parts = [];
    this.bytes = 0;
    await this.write(parts);
  }
}

export interface BackfillProgress {
  store: string;
  rows: number;
  total: number;
  done: boolean;
}

export interface VerifyReport {
  store: string;
  checked: number;
  missing: number;
  stale: number;
  orphaned: number;
}

export class Projector {
  readonly sql;
  private readonly ready = new Set<string>();
  /** Each framework store's fingerprint under this configuration (src/projection/fingerprint.ts). */
  private readonly fingerprints: Map<string, string>;

  private pool: DecodePool | null = null;
  /** Where decode workers' losses are logged. */
  private readonly logger: Logger;
  /** The decode workers' heap caps (see DecodePoolOptions). */
  private readonly decodeHeapMb: { workers: number; retry: number };

  constructor(
    private readonly config: Config,
    private readonly catalog: UsersCatalog,
    private readonly onRowError: RowErrorHandler = () => {},
    options: { logger?: Logger; decodeHeapMb?: { workers: number; retry: number } } = {},
  ) {
    this.logger = options.logger ?? createLogger(config.logLevel);
    this.decodeHeapMb = options.decodeHeapMb ?? { workers: WORKER_HEAP_MB, retry: processHeapMb() };
    this.sql = createProjectionQueries(config.fields, catalog.keyPgType);
    this.fingerprints = new Map(
      config.stores
        .filter(isFrameworkStore)
        .map((store) => [store.name, projectionFingerprint(store, config.fields, catalog.keyPgType)]),
    );
  }

  private fingerprintOf(store: string): string {
    const fingerprint = this.fingerprints.get(store);
    if (fingerprint === undefined) throw new Error(`no framework store is named "${store}"`);
    return fingerprint;
  }

  get userKeyType() {
    return this.catalog.keyPgType;
  }

  isReady(store: string) {
    return this.ready.has(store);
  }

  /** Stores whose projection must not be rebuilt (a secret that verifies no row), and why. */
  readonly held = new Map<string, string>();

  /**
   * Which stores have a complete projection built under this configuration (another replica may have
   * finished a backfill, or rebuilt one under another configuration).
   */
  async refreshReady(db: Queryable): Promise<void> {
    const states = await this.sql.states(db).catch((error: { code?: string }) => {
      // Not migrated yet (e.g. printing the schema): nothing is projected.
      if (error.code === '42P01') return new Map<string, { done: boolean; fingerprint: string | null }>();
      throw error;
    });
    for (const [store, state] of states) {
      if (state.fingerprint !== (this.fingerprints.get(store) ?? null)) this.ready.delete(store);
      else if (state.done) this.ready.add(store);
    }
  }

  /** A row's projection: decoded (its blob read alone when large) and typed; never throws on data. */
  private async project(
    db: Queryable,
    store: ProjectableStore,
    row: BlobRow,
    now: Date,
  ): Promise<ProjectionRow> {
    const whole = await store.withBlob(db, row);
    return projectRow(store.decodeRow, whole, now, this.config.fields, this.catalog, (error) =>
      this.onRowError(store.name, row.ref, error),
    );
  }

  /**
   * Bulk work's rows projected in order (see stream.ts): on the decode workers when `decodeThreads` allows
   * and the store's kind has a decoder, else in-process.
   */
  private stream(
    db: Queryable,
    store: ProjectableStore,
    summaries = false,
    workers = true,
    rows = CHUNK_ROWS,
  ) {
    return new ProjectionStream({
      db,
      store,
      pool: workers ? this.decodePool() : null,
      summaries,
      // A batch smaller than a chunk per thread is shared out among the threads all the same.
      chunkRows: Math.max(1, Math.min(CHUNK_ROWS, Math.ceil(rows / Math.max(1, this.config.decodeThreads)))),
      ahead: CHUNKS_AHEAD_PER_THREAD * this.config.decodeThreads,
      project: (on, row, now) => this.project(on, store, row, now),
      failed: (row, problem) => failedRow(row, problem, this.config.fields.length),
      rowJson: this.sql.rowJson,
    });
  }

  /** The decode workers, made when bulk work first needs them; null with `decodeThreads: 0`. */
  private decodePool(): DecodePool | null {
    if (this.config.decodeThreads === 0) return null;
    this.pool ??= new DecodePool({
      threads: this.config.decodeThreads,
      budgets: this.config.budgets,
      fields: this.config.fields,
      keyPgType: this.catalog.keyPgType,
      heapMb: this.decodeHeapMb.workers,
      retryHeapMb: this.decodeHeapMb.retry,
      logger: this.logger,
      onRowError: this.onRowError,
    });
    return this.pool.active ? this.pool : null;
  }

  /** Stops the decode workers (they also stop by themselves once idle, and never keep the process alive). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  /**
   * Upserts a document's rows in the caller's transaction. A document PostgreSQL refuses (a value it cannot
   * take that no rule here foresaw) is written again row by row, each under a savepoint, and a row it still
   * refuses is projected INVALID: one bad row never fails the batch of the others.
   */
  private async upsertParts(tx: Queryable, store: string, parts: string[]): Promise<void> {
    if (parts.length === 0) return;
    const written = await this.attempt(tx, () => this.sql.upsertDocument(tx, store, `[${parts.join(',')}]`));
    if (written) return;
    for (const part of parts) {
      if (await this.attempt(tx, () => this.sql.upsertDocument(tx, store, `[${part}]`))) continue;
      const stored = JSON.parse(part) as Record<string, unknown>;
      const ref = String(stored['ref']);
      this.onRowError(store, ref, new Error('PostgreSQL refused the projection row'));
      const fallback = {
        ref,
        session_key: stored['session_key'],
        valid: false,
        problem: 'internal: the projection could not store this row (see the server log)',
        expires_at: stored['expires_at'],
        sort_at: stored['sort_at'],
        created_at: stored['created_at'],
        last_seen_at: stored['last_seen_at'],
        version: stored['version'],
        data_json: {},
      };
      await this.attempt(tx, () => this.sql.upsertDocument(tx, store, JSON.stringify([fallback])));
    }
  }

  /** Runs `work` under a savepoint; false (rolled back to it) when PostgreSQL refuses the data. */
  private async attempt(tx: Queryable, work: () => Promise<void>): Promise<boolean> {
    await tx.query('SAVEPOINT sg_project');
    try {
      await work();
      await tx.query('RELEASE SAVEPOINT sg_project');
      return true;
    } catch (error) {
      if (!isDataError(error)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT sg_project');
      return false;
    }
  }

  /**
   * For a statement that writes a framework row and its projection together (src/fastpath/): the row's
   * projection as the upsert's document, and the upsert's text on the parameters named.
   */
  async document(
    db: Queryable,
    store: ProjectableStore,
    row: BlobRow,
    now: Date,
  ): Promise<{ document: string; record: SessionRecord }> {
    const whole = await store.withBlob(db, row);
    // The session as decoded for its projection row, kept: the caller needs it too, and decoding is most of
    // the work.
    let record: SessionRecord | null = null;
    const decode = (it: BlobRow, at: Date, cached?: boolean) => {
      record = store.decodeRow(it, at, cached);
      return record;
    };
    const projected = projectRow(decode, whole, now, this.config.fields, this.catalog, (error) =>
      this.onRowError(store.name, row.ref, error),
    );
    return { document: `[${this.sql.rowJson(projected)}]`, record: record ?? store.decodeRow(whole, now) };
  }

  upsertText(storeParam: string, documentParam: string, condition: string): string {
    return this.sql.upsertOf(storeParam, documentParam, condition);
  }

  /** Part of an API write or a sync batch: the rows' projection, written in the caller's transaction. */
  async upsert(tx: Queryable, store: ProjectableStore, rows: readonly BlobRow[], now: Date): Promise<void> {
    const documents = new Documents((parts) => this.upsertParts(tx, store.name, parts));
    for (const row of rows) await documents.add(this.sql.rowJson(await this.project(tx, store, row, now)));
    await documents.close();
  }

  /** `upsert` for bulk work: on the decode workers when `workers` (and the pool) allow. */
  private async upsertBulk(
    tx: Queryable,
    store: ProjectableStore,
    rows: readonly BlobRow[],
    now: Date,
    workers: boolean,
  ): Promise<void> {
    const stream = this.stream(tx, store, false, workers, rows.length);
    stream.add(rows, now);
    const documents = new Documents((parts) => this.upsertParts(tx, store.name, parts));
    for (let taken = 0; taken < rows.length; ) {
      const chunk = await stream.take();
      for (const json of chunk.jsons) await documents.add(json);
      taken += chunk.rows.length;
    }
    await documents.close();
  }

  remove(tx: Queryable, store: string, refs: readonly string[]): Promise<number> {
    return this.sql.deleteRefs(tx, store, refs);
  }

  /** Typed-field conditions as SQL on the projection row `p`, with parameters numbered from `first`. */
  whereSql(conditions: readonly WhereCondition[], first: number): { conditions: string; params: unknown[] } {
    const parts = conditions.map(
      ({ field }, index) => `AND p.${fieldColumn(field)} = $${first + index}::${fieldSqlType[field.type]}`,
    );
    return { conditions: parts.join(' '), params: conditions.map(({ value }) => value) };
  }

  /**
   * One batch of the change queue, in one transaction: claim, lock the keys, read the framework rows,
   * upsert what exists and delete what does not. Returns how many changes it applied.
   */
  async syncBatch(pool: Pool, stores: ReadonlyMap<string, ProjectableStore>, limit: number): Promise<number> {
    return withTransaction(pool, async (tx) => {
      // A batch lost in a crash loses its claims with it, and is applied again from the queue: its commit
      // need not wait for the disk, nor queue for the WAL flush beside the writers' commits.
      await tx.query("/* relaxSyncCommit */ SELECT set_config('synchronous_commit', 'off', true)");
      const claimed = await this.sql.claimChanges(tx, limit);
      const byStore = new Map<string, Set<string>>();
      for (const change of claimed as ClaimedChange[]) {
        const keys = byStore.get(change.store) ?? new Set<string>();
        keys.add(change.session_key);
        byStore.set(change.store, keys);
      }
      const now = new Date();
      for (const [name, keySet] of byStore) {
        const store = stores.get(name);
        if (!store) continue; // a store no longer configured: its changes are dropped
        // A TRUNCATE: every projected key goes back in the queue, to be checked by later batches.
        if (keySet.delete(WHOLE_STORE)) await this.sql.requeueStore(tx, name);
        const keys = [...keySet];
        await this.sql.lockKeys(tx, name, keys);
        const rows = await store.sql.byKeys(tx, keys);
        // Only on workers already running: starting them would make this batch wait (the next one uses them).
        const workers = rows.length >= SYNC_WORKER_ROWS && (this.decodePool()?.warm() ?? false);
        await this.upsertBulk(tx, store, rows, now, workers);
        // Queued keys and read keys are both the key column as text (a char(n) one without its padding), so
        // they compare as they are: a key that ends in spaces is still present.
        const present = new Set(rows.map((row) => row.key));
        await this.sql.deleteKeys(
          tx,
          name,
          keys.filter((key) => !present.has(key)),
        );
      }
      return claimed.length;
    });
  }

  /**
   * Builds a store's projection from its table in key order, committing every batch and recording where
   * it got to, so an interrupted backfill resumes there.
   */
  async backfill(
    pool: Pool,
    store: ProjectableStore,
    options: {
      batchSize?: number;
      restart?: boolean;
      onProgress?: (progress: BackfillProgress) => void;
    } = {},
  ): Promise<BackfillProgress> {
    const batchSize = options.batchSize ?? 5000;
    // Rebuilt under a secret that verifies nothing, every row would be projected INVALID.
    if (this.held.has(store.name)) return { store: store.name, rows: 0, total: 0, done: false };
    const fingerprint = this.fingerprintOf(store.name);
    let state = (await this.sql.states(pool)).get(store.name);
    // Built (or begun) under another configuration: its rows may decode differently now, so start over.
    if (options.restart || (state && state.fingerprint !== fingerprint)) {
      this.ready.delete(store.name);
      await this.sql.resetStore(pool, store.name);
      state = undefined;
    }
    let after = state?.done ? null : (state?.after ?? null);
    const total = await estimateRows(pool, store);
    let rows = 0;
    if (state?.done) {
      this.ready.add(store.name);
      return { store: store.name, rows: 0, total, done: true };
    }
    // From scratch, whatever the projection holds that this run does not write, and no sync rewrites, is of
    // no row of the table (a configuration that named another table, say): it goes at the end.
    const since = after === null ? await this.sql.clock(pool) : null;
    // Pipelined: while one batch's documents are written (PostgreSQL's cores, two transactions at a time), the
    // next batch is read (PostgreSQL) and decoded (the decode workers, else this thread as it is written).
    // Progress is saved once a batch's documents committed, in batch order; a batch redone after a crash is
    // an idempotent upsert.
    const writes = new WriteSlots(2);
    const stream = this.stream(pool, store);
    let saved: Promise<void> = Promise.resolve();
    const write = (parts: string[]) =>
      withTransaction(pool, async (tx) => {
        // A lost batch is redone on resume, so the backfill need not wait for each commit to reach disk.
        // Nor does a subscriber want one event per copied row (see migration 6).
        await tx.query(
          "/* relaxBackfillCommit */ SELECT set_config('synchronous_commit', 'off', true), set_config('sessiongraph.quiet', 'on', true)",
        );
        await this.upsertParts(tx, store.name, parts);
      });
    /** Writes a batch added to the stream before, then saves its progress (in the background). */
    const writeBatch = async (count: number, last: string | null, done: boolean) => {
      const batchWrites: Promise<void>[] = [];
      // The previous batch's progress is saved (or its failure known) before this batch writes anything.
      const previous = saved;
      let first = true;
      // Two documents a batch (by rows; more when its data is large), so both cores write.
      const documents = new Documents(
        async (parts) => {
          if (first) {
            first = false;
            await previous;
          }
          batchWrites.push((await writes.submit(() => write(parts))).done);
        },
        Math.ceil(count / 2),
      );
      for (let taken = 0; taken < count; ) {
        const chunk = await stream.take();
        for (const json of chunk.jsons) await documents.add(json);
        taken += chunk.rows.length;
      }
      await documents.close();
      rows += count;
      const reached = rows;
      const committed = Promise.all(batchWrites);
      saved = Promise.all([saved, committed])
        .then(async () => {
          if (done && since) await this.sql.pruneUnsynced(pool, store.name, since);
          await this.sql.saveProgress(pool, store.name, last, done, fingerprint);
        })
        .then(() => options.onProgress?.({ store: store.name, rows: reached, total, done }));
      // Awaited by the next batch's first write (or below): never an unhandled rejection meanwhile.
      saved.catch(() => {});
    };
    const scan = (from: string | null) => {
      const scanning = store.sql.scanByKey(pool, from, batchSize);
      // Awaited in turn, unless an earlier batch failed: never an unhandled rejection meanwhile.
      scanning.catch(() => {});
      return scanning;
    };
    let scanning = scan(after);
    // With decode workers a batch is added to the stream (its chunks go to them) before the one before it is
    // written; in-process that would only hold two batches' rows at once, so each is written as it comes.
    let waiting: { count: number; last: string | null; done: boolean } | null = null;
    for (;;) {
      const { rows: batch, ended } = await scanning;
      const last = batch.at(-1)?.key ?? after;
      after = last;
      if (!ended) scanning = scan(last);
      stream.add(batch, new Date());
      if (waiting) await writeBatch(waiting.count, waiting.last, waiting.done);
      waiting = { count: batch.length, last, done: ended };
      if (!stream.parallel && !ended) {
        await writeBatch(waiting.count, waiting.last, waiting.done);
        waiting = null;
        continue;
      }
      if (ended) {
        await writeBatch(waiting.count, waiting.last, waiting.done);
        await saved;
        this.ready.add(store.name);
        return { store: store.name, rows, total, done: true };
      }
    }
  }

  /**
   * Compares the projection with the table and repairs drift: rows missing from the projection, rows whose
   * stored blob changed since they were projected, and projected rows whose session is gone.
   */
  async verify(
    pool: Pool,
    store: ProjectableStore,
    batchSize = 2000,
    onProgress?: (checked: number, total: number) => void,
  ): Promise<VerifyReport> {
    const report: VerifyReport = { store: store.name, checked: 0, missing: 0, stale: 0, orphaned: 0 };
    const now = new Date();
    const total = onProgress ? await estimateRows(pool, store) : 0;
    const stream = this.stream(pool, store, true);
    const scan = (from: string | null) => {
      const scanning = store.sql.scanByKey(pool, from, batchSize);
      // Awaited in turn, unless an earlier batch failed: never an unhandled rejection meanwhile.
      scanning.catch(() => {});
      return scanning;
    };
    let after: string | null = null;
    let scanning = scan(after);
    for (;;) {
      const { rows: batch, ended } = await scanning;
      if (batch.length === 0) break;
      const last = batch.at(-1)!.key;
      // The next batch is read while this one is decoded and compared.
      if (!ended) scanning = scan(last);
      stream.add(batch, now);
      const projected = await this.projectedBetween(pool, store.name, after, last);
      const byKey = new Map(projected.map((row) => [row.session_key, row]));
      // Repairs keep their texts up to a document's worth; beyond that, rows are projected again to write.
      const repair: (string | BlobRow)[] = [];
      let repairChars = 0;
      for (let taken = 0; taken < batch.length; ) {
        const chunk = await stream.take();
        chunk.rows.forEach((row, index) => {
          const expected = chunk.summaries![index]!;
          const actual = byKey.get(row.key);
          byKey.delete(row.key);
          if (!actual) report.missing += 1;
          else if (
            actual.version !== expected.version ||
            actual.ref !== expected.ref ||
            actual.user_id !== expected.userId ||
            // Rows projected before the printed columns existed (migration 9) are brought up to date here.
            actual.printed !== expected.printed ||
            actual.user_text !== expected.userText
          ) {
            report.stale += 1;
          } else return;
          const json = chunk.jsons[index]!;
          repairChars += json.length;
          repair.push(repairChars <= DOCUMENT_BYTES ? json : row);
        });
        taken += chunk.rows.length;
      }
      const orphans = [...byKey.keys()];
      report.orphaned += orphans.length;
      await withTransaction(pool, async (tx) => {
        const documents = new Documents((parts) => this.upsertParts(tx, store.name, parts));
        for (const item of repair) {
          await documents.add(
            typeof item === 'string' ? item : this.sql.rowJson(await this.project(tx, store, item, now)),
          );
        }
        await documents.close();
        await this.sql.deleteKeys(tx, store.name, orphans);
      });
      report.checked += batch.length;
      onProgress?.(report.checked, Math.max(total, report.checked));
      after = last;
      if (ended) break;
    }
    // Projected keys beyond the table's last key belong to sessions that are gone.
    const tail = await this.projectedBetween(pool, store.name, after, null);
    report.orphaned += tail.length;
    await this.sql.deleteKeys(
      pool,
      store.name,
      tail.map((row) => row.session_key),
    );
    return report;
  }

  /** Projected rows with keys in (after, upTo], compared in SQL so the collation is the table's. */
  private async projectedBetween(db: Queryable, store: string, after: string | null, upTo: string | null) {
    const rows: ProjectedSummary[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.sql.refsAndVersions(db, store, cursor, upTo, 5000);
      rows.push(...page);
      if (page.length < 5000) return rows;
      cursor = page.at(-1)!.session_key;
    }
  }
}

const estimateRows = (db: Queryable, store: ProjectableStore) => store.sql.countRows(db);

/** Rows per decode-worker job: enough that sending one costs little beside decoding it. */
const CHUNK_ROWS = 500;
/** Jobs out per decode thread: the next is there when a worker finishes one. */
const CHUNKS_AHEAD_PER_THREAD = 3;
/** A sync batch with this many rows of one store decodes on the workers (smaller ones cost more to send). */
const SYNC_WORKER_ROWS = 200;

/**
 * A decode worker's heap cap: far more than a job of ordinary rows needs, and small beside the process's, since
 * every worker's heap adds to the process's memory (a row that needs more is decoded again, alone, under
 * `processHeapMb`).
 */
const WORKER_HEAP_MB = 64;

/**
 * What this process's own heap may grow to (`npm start` caps it with HEAP_MB): a row that needs more than a
 * worker's heap decodes in a worker of this size, as it would in-process.
 */
function processHeapMb(): number {
  const mb = Math.floor(getHeapStatistics().heap_size_limit / (1024 * 1024));
  return Math.min(1024, Math.max(128, mb));
}

/**
 * At most `size` writes in flight: `submit` waits for a free slot, starts the write and hands back its
 * promise.
 */
class WriteSlots {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly size: number) {}

  async submit(start: () => Promise<void>): Promise<{ done: Promise<void> }> {
    while (this.running.size >= this.size) await Promise.race(this.running).catch(() => {});
    const running = start();
    const tracked = running.then(
      () => {
        this.running.delete(tracked);
      },
      () => {
        this.running.delete(tracked);
      },
    );
    this.running.add(tracked);
    // In an object: a promise returned from an async function would be awaited along with it.
    return { done: running };
  }
}
