import type { Queryable } from '../db/pool.ts';
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
    const rows = await store.sql.page(db, null, now, null, SAMPLE_ROWS);
    if (rows.length === 0) continue;
    const tampered = rows.filter((row) => store.decodeRow(row, now, false).problem?.startsWith('tampered'));
    if (tampered.length < rows.length) continue;
    found.set(
      store.name,
      `${store.kind} store "${store.name}": 0 of ${rows.length} sampled rows verify with the configured secret ` +
        '(each fails its signature): check the secret; its projection is not rebuilt until one does',
    );
  }
  return found;
}
