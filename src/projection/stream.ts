import type { Queryable } from '../db/pool.ts';
import type { BlobRow } from '../stores/blob.sql.ts';
import type { DecodePool, PoolResult, PoolStore } from './decode-pool.ts';
import type { ProjectableBlobStore as ProjectableStore } from '../stores/blob-store.ts';
import { type ProjectionRow, type RowSummary, summaryOf } from './rows.ts';

/**
 * Rows in, their projections out as `rowJson` texts, in order, a chunk at a time: bulk work (backfill,
 * verify, large sync batches) hands rows in with `add` and writes what `take` gives back. With decode
 * workers, chunks go out as soon as they are added, up to `ahead` at once, so the workers decode while this
 * thread reads and writes; without them (or for what a worker gave back) rows are projected in-process.
 *
 * Memory stays bounded as on the in-process path: a worker returns at most a job's worth of text (the rest
 * comes as another job), rows projected here come back in chunks of at most CHUNK_CHARS, and a row whose blob
 * was too large to come with its statement is read alone when its turn comes, and decoded here.
 */

/** Characters of text one in-process chunk holds at most (at least one row). */
const CHUNK_CHARS = 16 * 1024 * 1024;

export interface ProjectedChunk {
  rows: BlobRow[];
  jsons: string[];
  /** What verify compares (when the stream was made with `summaries`). */
  summaries: RowSummary[] | null;
}

export interface StreamOptions {
  db: Queryable;
  store: ProjectableStore;
  /** The decode workers, or null: everything in-process. */
  pool: DecodePool | null;
  summaries: boolean;
  /** Rows per worker job. */
  chunkRows: number;
  /** Worker jobs out at once. */
  ahead: number;
  /** A row's projection in-process (its blob read alone when large). */
  project(db: Queryable, row: BlobRow, now: Date): Promise<ProjectionRow>;
  /** A row that stopped a worker, projected INVALID with `problem`. */
  failed(row: BlobRow, problem: string): ProjectionRow;
  rowJson(row: ProjectionRow): string;
}

type Entry = {
  rows: BlobRow[];
  now: Date;
  /** pool: a worker job (started by `fill`); here: in-process. */
  mode: 'pool' | 'here';
  run: Promise<PoolResult> | null;
};

export class ProjectionStream {
  private readonly entries: Entry[] = [];
  private readonly workers: (PoolStore & { pool: DecodePool }) | null;

  constructor(private readonly options: StreamOptions) {
    const { pool, store } = options;
    this.workers = pool && store.decoder ? { pool, name: store.name, decoder: store.decoder } : null;
  }

  /** Whether rows are decoded elsewhere while this thread reads and writes (decode workers). */
  get parallel(): boolean {
    return this.workers !== null;
  }

  add(rows: readonly BlobRow[], now: Date): void {
    if (rows.length === 0) return;
    if (!this.workers) {
      this.entries.push({ rows: [...rows], now, mode: 'here', run: null });
      return;
    }
    let chunk: BlobRow[] = [];
    const flush = () => {
      if (chunk.length > 0) this.entries.push({ rows: chunk, now, mode: 'pool', run: null });
      chunk = [];
    };
    for (const row of rows) {
      // Read alone when its turn comes and decoded here, as before: a copy in a worker would double its memory.
      if (row.blob === null) {
        flush();
        this.entries.push({ rows: [row], now, mode: 'here', run: null });
        continue;
      }
      chunk.push(row);
      if (chunk.length >= this.options.chunkRows) flush();
    }
    flush();
    this.fill();
  }

  /** The next rows' texts, in the order they were added (fewer rows than a chunk when the texts are large). */
  async take(): Promise<ProjectedChunk> {
    const entry = this.entries[0];
    if (!entry) throw new Error('nothing was added to take');
    const { db } = this.options;
    let result: PoolResult | null = null;
    if (entry.mode === 'pool' && entry.run) result = await entry.run;
    const out: ProjectedChunk = {
      rows: [],
      jsons: [],
      summaries: this.options.summaries ? [] : null,
    };
    const count = result ? result.done : entry.rows.length;
    let chars = 0;
    for (let index = 0; index < count; index += 1) {
      const row = entry.rows[index]!;
      let json = result?.jsons[index] ?? null;
      let summary = result?.summaries?.[index] ?? null;
      if (json === null) {
        const lost = result?.lost.get(index);
        const projected =
          lost === undefined
            ? await this.options.project(db, row, entry.now)
            : this.options.failed(row, lost);
        json = this.options.rowJson(projected);
        summary = summaryOf(projected);
        chars += json.length;
      }
      out.rows.push(row);
      out.jsons.push(json);
      out.summaries?.push(summary!);
      if (!result && chars >= CHUNK_CHARS) break;
    }
    const rest = entry.rows.slice(out.rows.length);
    if (rest.length === 0) this.entries.shift();
    else this.entries[0] = { rows: rest, now: entry.now, mode: result ? 'pool' : 'here', run: null };
    this.fill();
    return out;
  }

  /** Starts worker jobs for the first entries, up to `ahead` out at once. */
  private fill(): void {
    const workers = this.workers;
    if (!workers) return;
    let out = 0;
    for (const entry of this.entries) {
      if (out >= this.options.ahead) return;
      if (entry.mode !== 'pool') continue;
      entry.run ??= workers.pool.run(workers, entry.rows, entry.now, this.options.summaries);
      out += 1;
    }
  }
}
