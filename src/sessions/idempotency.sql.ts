import type { Queryable } from '../db/pool.ts';

/** All SQL of idempotency keys (migration 7). */

/** Claims (key, step) for this transaction; false when a committed or in-flight claim exists already. */
export async function claimStep(
  tx: Queryable,
  keyHash: Buffer,
  step: string,
  requestHash: Buffer,
): Promise<boolean> {
  // A concurrent claim of the same key waits here for the other transaction, then sees its row.
  const result = await tx.query(
    `/* claimIdempotencyStep */ INSERT INTO sessiongraph.idempotency (key_hash, step, request_hash)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [keyHash, step, requestHash],
  );
  return (result.rowCount ?? 0) === 1;
}

/**
 * The claim as a CTE (`claim`, one row when claimed) for a statement that does its work only `WHERE EXISTS
 * (SELECT 1 FROM claim)`: parameters `$n` key hash, `$n+1` step, `$n+2` request hash.
 */
export const claimCte = (n: number) =>
  `claim AS (INSERT INTO sessiongraph.idempotency (key_hash, step, request_hash)
     VALUES ($${n}, $${n + 1}, $${n + 2}) ON CONFLICT DO NOTHING RETURNING 1)`;

/**
 * The step taken and kept as a CTE (`kept`) of a statement that did its work in a CTE before it: one row,
 * `row` (a text[] of the written row's cells) from each row of `from`. Parameters `$n` key hash, `$n+1`
 * step, `$n+2` request hash. A step already claimed fails the whole statement with a unique violation (the
 * insert waits for an in-flight claim to commit or roll back first), so nothing it did is kept.
 */
export const keptStepCte = (n: number, from: string, row: string) =>
  `kept AS (INSERT INTO sessiongraph.idempotency (key_hash, step, request_hash, written_row)
     SELECT $${n}, $${n + 1}, $${n + 2}, ${row} FROM ${from})`;

export interface StoredStep {
  request_hash: Buffer;
  result: Buffer | null;
  written_row: (string | null)[] | null;
}

export async function storedStep(tx: Queryable, keyHash: Buffer, step: string): Promise<StoredStep | null> {
  const result = await tx.query<StoredStep & Record<string, unknown>>(
    `/* storedIdempotencyStep */ SELECT request_hash, result, written_row FROM sessiongraph.idempotency
      WHERE key_hash = $1 AND step = $2`,
    [keyHash, step],
  );
  return result.rows[0] ?? null;
}

const SAVE_RESULT = `/* saveIdempotencyResult */ UPDATE sessiongraph.idempotency SET result = $3
  WHERE key_hash = $1 AND step = $2`;

/** The statement that stores a step's sealed result (for a transaction's `LastStatement`). */
export const saveStepResultStatement = (keyHash: Buffer, step: string, sealed: Buffer) =>
  ({ text: SAVE_RESULT, params: [keyHash, step, sealed] }) as const;

export async function saveStepResult(tx: Queryable, keyHash: Buffer, step: string, sealed: Buffer) {
  await tx.query(SAVE_RESULT, [keyHash, step, sealed]);
}

/** Forgets keys older than `seconds`, a bounded batch at a time. */
export async function pruneIdempotency(db: Queryable, seconds: number, batchSize: number): Promise<number> {
  const result = await db.query(
    `/* pruneIdempotency */ DELETE FROM sessiongraph.idempotency WHERE (key_hash, step) IN (
       SELECT key_hash, step FROM sessiongraph.idempotency
        WHERE created_at < now() - make_interval(secs => $1) LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [seconds, batchSize],
  );
  return result.rowCount ?? 0;
}
