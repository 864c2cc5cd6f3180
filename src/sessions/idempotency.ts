import { createCipheriv, createDecipheriv, createHash, createHmac, randomFillSync } from 'node:crypto';
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from '../errors/domain.ts';
import type { Queryable } from '../db/pool.ts';
import { claimStep, saveStepResult, storedStep } from './idempotency.sql.ts';

/**
 * Idempotency keys: a client that sends a mutation with `Idempotency-Key: <key>` and does not hear back
 * (timeout, dropped connection, database restart) sends the same request again with the same key and gets
 * the first result, not a second session. Each mutation field of the request is one step (in execution
 * order), claimed and answered inside that mutation's own transaction, so the result is stored if and only
 * if the work committed. Keys are scoped to the caller; results are sealed with AES-256-GCM under a key
 * derived from the idempotency key, which the database never holds.
 */

const KEY = /^[\x21-\x7e]{8,255}$/;

export interface IdempotencyScope {
  key: string;
  caller: string;
  /** Steps taken so far in this request. */
  steps: number;
}

export function parseIdempotencyKey(header: string | null): string | null | Error {
  if (header === null) return null;
  return KEY.test(header)
    ? header
    : new Error('Idempotency-Key must be 8 to 255 printable ASCII characters (a UUID will do)');
}

/** JSON with object keys sorted, so the same input hashes the same whatever order the client sent. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

const SEALING_INFO = Buffer.from('sessiongraph idempotency result\u0001', 'utf8');

/**
 * HKDF-SHA256 (RFC 5869) of the idempotency key, salted with the caller, 32 bytes: one block, so two HMACs.
 * What `hkdfSync('sha256', key, caller, info, 32)` gives, without the key objects it makes on every call.
 */
export function sealingKey(scope: IdempotencyScope): Buffer {
  const pseudorandom = createHmac('sha256', scope.caller).update(scope.key, 'utf8').digest();
  return createHmac('sha256', pseudorandom).update(SEALING_INFO).digest();
}

/** Random IVs, taken from a buffer filled a few hundred at a time (as randomUUID does for its bytes). */
const ivPool = Buffer.alloc(12 * 256);
let ivOffset = ivPool.length;

function randomIv(): Buffer {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + 12));
  ivOffset += 12;
  return iv;
}

function seal(scope: IdempotencyScope, plain: string): Buffer {
  const iv = randomIv();
  const cipher = createCipheriv('aes-256-gcm', sealingKey(scope), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function unseal(scope: IdempotencyScope, sealed: Buffer): string {
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(scope), sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
}

const DATE_FIELDS = new Set(['createdAt', 'expiresAt', 'lastSeenAt']);
const revive = (key: string, value: unknown) =>
  DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value;

/** What claims a step: the caller's key hashed, the step's name, the request hashed. */
export interface StepClaim {
  keyHash: Buffer;
  step: string;
  requestHash: Buffer;
}

/** The next step of `scope`, for `operation` with `input`. */
export function nextStep(scope: IdempotencyScope, operation: string, input: unknown): StepClaim {
  scope.steps += 1;
  return {
    keyHash: sha256(`${scope.caller}\u0000${scope.key}`),
    step: `${scope.steps}:${operation}`,
    requestHash: sha256(canonical(input)),
  };
}

/** A step's result as it is stored (and a retry given back). */
export const sealResult = (scope: IdempotencyScope, result: unknown) =>
  seal(scope, JSON.stringify({ value: result ?? null }));

/** A step's result rebuilt from the row its statement wrote and kept (`keptStepCte`), or null: no such rows. */
export type WrittenRowResult<T> = (cells: readonly (string | null)[]) => T | null;

/**
 * Runs `work` in `tx` once per (key, step): the first time for real, storing its result; on a retry,
 * returns the stored result without running it. Errors thrown by `work` roll the claim back with it. A step
 * the compiled path took kept the row it wrote instead of a sealed result: `fromWrittenRow` rebuilds it.
 */
export async function idempotentStep<T>(
  tx: Queryable,
  scope: IdempotencyScope,
  operation: string,
  input: unknown,
  work: () => Promise<T>,
  fromWrittenRow?: WrittenRowResult<T>,
): Promise<T> {
  const { keyHash, step, requestHash } = nextStep(scope, operation, input);
  if (await claimStep(tx, keyHash, step, requestHash)) {
    const result = await work();
    await saveStepResult(tx, keyHash, step, sealResult(scope, result));
    return result;
  }
  const stored = await storedStep(tx, keyHash, step);
  if (!stored?.request_hash.equals(requestHash)) throw new IdempotencyKeyReusedError();
  if (stored.written_row) {
    const rebuilt = fromWrittenRow?.(stored.written_row) ?? null;
    // Only the native store's compiled updates keep rows, and only as `writtenRowCells` prints them.
    if (rebuilt === null) throw new Error(`idempotency step ${step} kept a row this build cannot read`);
    return rebuilt;
  }
  if (!stored.result) throw new IdempotencyInProgressError();
  return (JSON.parse(unseal(scope, stored.result), revive) as { value: T }).value;
}
