import type { Queryable } from '../db/pool.ts';
import type { BlobQueries, BlobRow } from '../stores/blob.sql.ts';
import type { DecoderSource, ProjectableBlobStore } from '../stores/blob-store.ts';
import type { SessionRecord } from '../stores/types.ts';

/** What the projection needs of a framework store (src/projection/projector.ts). */
export interface ProjectableStore {
  name: string;
  sql: BlobQueries;
  decodeRow(row: BlobRow, now: Date, cached?: boolean): SessionRecord;
  withBlob(db: Queryable, row: BlobRow): Promise<BlobRow>;
  /** How decode workers build its decoding; without it, its rows decode in-process. */
  readonly decoder?: DecoderSource;
  /** How long a key it ends stays refused (0: none is recorded). */
  readonly tombstoneSeconds: number;
  planUpdate?: ProjectableBlobStore['planUpdate'];
}
