import type { Queryable } from '../db/pool.ts';
import type { SessionRecord } from '../stores/types.ts';
import type { ProjectableStore } from './projector.ts';

/** Rows of each framework store read at start to see whether its secret verifies any of them. */
const SAMPLE_ROWS = 200;

/**
 * Stores whose every sampled row fails its signature or MAC: a wrong secret (a `SECRET_KEY` from another
 * environment, a rotated key left out), under which every session would be INVALID and a rebuilt projection
 * worthless. The message says how many rows were sampled and what to check. Stores without a secret never
 * fail this way, and an empty table says nothing.
 */
export async function unverifiedSecrets(
  db: Queryable,
  stores: Iterable<ProjectableStore & { kind: string }>,
  now: Date,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const store of stores) {
    const records = await sampleRecords(db, store, now);
    if (records.length === 0 || !records.every(failsItsSignature)) continue;
    found.set(
      store.name,
      `${store.kind} store "${store.name}": 0 of ${records.length} sampled rows verify with the configured secret ` +
        '(each fails its signature): check the secret; its projection is not rebuilt until one does',
    );
  }
  return found;
}

/** The first rows of a store's table (newest first), decoded by the store: what start-up and `init` check. */
export async function sampleRecords(
  db: Queryable,
  store: ProjectableStore,
  now: Date,
): Promise<SessionRecord[]> {
  const rows = await store.sql.page(db, null, now, null, SAMPLE_ROWS);
  return rows.map((row) => store.decodeRow(row, now, false));
}

/** A row whose signature or MAC fails: under a wrong secret, every row. */
export const failsItsSignature = (record: SessionRecord) => record.problem?.startsWith('tampered') === true;
