import type { Queryable } from '../db/pool.ts';

/**
 * The SQL of `sessiongraph.revoked_keys` (migration 4; the trigger that reads it is in tombstones.ts).
 * Keys are addressed by their hex SHA-256, the session's `ref`, so a revoke never needs the key itself.
 */

/** Expired tombstones a revoke removes on its way, at least: keeps the table bounded without a sweeper. */
const PRUNE_ON_REVOKE = 100;

/**
 * Refuses re-inserts of these refs' keys in `store` for `seconds` from now (the database's clock, the one
 * the trigger compares with). Run in the transaction that deletes the rows, after the delete. A key
 * revoked again keeps the later deadline. On the way it deletes up to max(100, 2 × refs) expired
 * tombstones of any store, so each revoke clears more than it adds once the window has passed.
 */
export async function recordTombstones(
  tx: Queryable,
  store: string,
  refs: readonly string[],
  seconds: number,
): Promise<void> {
  if (refs.length === 0 || seconds <= 0) return;
  await tx.query(
    `/* recordTombstones */
     WITH revoked(key_hash) AS (SELECT DISTINCT decode(r, 'hex') FROM unnest($2::text[]) AS r),
     pruned AS (
       DELETE FROM sessiongraph.revoked_keys WHERE (store, key_hash) IN (
         SELECT k.store, k.key_hash FROM sessiongraph.revoked_keys k
          WHERE k.revoked_until <= now()
            AND NOT (k.store = $1 AND k.key_hash IN (SELECT key_hash FROM revoked))
          ORDER BY k.revoked_until LIMIT $4 FOR UPDATE SKIP LOCKED)
     )
     INSERT INTO sessiongraph.revoked_keys (store, key_hash, revoked_until)
     SELECT $1, key_hash, now() + make_interval(secs => $3::integer) FROM revoked
     ON CONFLICT (store, key_hash) DO UPDATE
       SET revoked_until = GREATEST(sessiongraph.revoked_keys.revoked_until, EXCLUDED.revoked_until)`,
    [store, refs, seconds, Math.max(PRUNE_ON_REVOKE, 2 * refs.length)],
  );
}

/** Deletes up to `batchSize` expired tombstones (any store); returns how many. Replicas skip each other's. */
export async function pruneTombstones(db: Queryable, batchSize: number): Promise<number> {
  const result = await db.query(
    `/* pruneTombstones */
     DELETE FROM sessiongraph.revoked_keys WHERE (store, key_hash) IN (
       SELECT store, key_hash FROM sessiongraph.revoked_keys WHERE revoked_until <= now()
        ORDER BY revoked_until LIMIT $1 FOR UPDATE SKIP LOCKED)`,
    [batchSize],
  );
  return result.rowCount ?? 0;
}
