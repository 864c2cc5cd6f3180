import type { Queryable } from '../db/pool.ts';

/** SQL of health and metrics. Cheap statements only: probes run every few seconds on every replica. */

export async function oldestChangeAgeSeconds(db: Queryable): Promise<number> {
  const result = await db.query<{ age: number | null }>(
    // The queue's id follows insertion, so its first row is the oldest: an index probe, not a scan.
    `/* oldestChangeAge */ SELECT extract(epoch FROM now() - changed_at)::float8 AS age
       FROM sessiongraph.changes ORDER BY id LIMIT 1`,
  );
  return Math.max(0, result.rows[0]?.age ?? 0);
}
