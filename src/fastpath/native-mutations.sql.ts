import { claimCte, keptStepCte } from '../sessions/idempotency.sql.ts';
import { NATIVE_COLUMNS, shallowerThan, writtenRowCells } from '../stores/native/native.sql.ts';
import type { UserJoin } from '../users/users.sql.ts';
import { globalId } from './json-sql.ts';

/**
 * The compiled mutations' statements on the native store: each is one statement, so one transaction, that
 * makes the change, writes its audit row and returns the session (with its owner when the document asks for
 * it). A statement that changes nothing (no such session, another version, data that would outgrow the
 * limit, stored data too deep to read, so INVALID) returns no row, and the request goes the general way, which says why in a typed error.
 *
 * Parameters are listed above each statement. The audit row is the one the resolvers' `audited` writes for a
 * success: the caller, the action, the session's global id, the user and `ok`.
 *
 * With an Idempotency-Key (`claimed`), the statement also claims the key's step (src/sessions/idempotency.sql
 * .ts; its three parameters follow the statement's own) and changes nothing unless the claim is new; the
 * caller then stores the sealed result in the same transaction. An update keeps its step with the row it
 * wrote in the statement itself instead (`kept`): one statement, one round trip.
 */

/** The leading CTE when claimed, and the condition the work waits on. */
const claiming = (claimed: boolean, n: number) =>
  claimed ? { head: `${claimCte(n)},`, only: 'AND EXISTS (SELECT 1 FROM claim)' } : { head: '', only: '' };

const AUDIT = 'INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome)';
const sessionIdOf = (store: string, id: string) => globalId(`Session:${store}:`, id, 'uuid');

/**
 * The session's row, and its owner's when `users` is given, from the CTE `changed` (the default last
 * SELECT; src/fastpath/mutation-json.sql.ts has PostgreSQL print the payload instead).
 */
const result = (users: UserJoin | null) =>
  users
    ? `SELECT s.*, ${users.select} FROM changed AS s ${users.join('s.user_id')}`
    : 'SELECT s.* FROM changed AS s';

/**
 * With an Idempotency-Key, `updateData` keeps its step and the row it wrote (`kept`): $8 key hash, $9 step,
 * $10 request hash, $11 the request's time. A step taken before fails the statement whole (a unique
 * violation), and the request goes the general way, which answers it from what was kept.
 */
export const UPDATE_KEPT_NOW = '$11';

/**
 * `updateSession` with `set`/`unset`: $1 id, $2 keys to set (jsonb object), $3 keys to unset (text[]), $4 the
 * data limit in bytes, $5 the expected version or null, $6 the actor, $7 the session id as the caller gave it.
 * jsonb prints with spaces JSON.stringify leaves out, so the size check is a little stricter than the general
 * way's: data it refuses near the limit goes there and is measured exactly.
 */
export const updateData = (
  users: UserJoin | null,
  maxDepth: number,
  kept = false,
  select: string = result(users),
) => `/* compiledUpdateSession${kept ? 'Kept' : ''} */
  WITH changed AS (
    UPDATE sessiongraph.sessions SET data = (data || $2::jsonb) - $3::text[], version = version + 1
     WHERE id = $1::uuid AND ($5::integer IS NULL OR version = $5)
       AND octet_length(((data || $2::jsonb) - $3::text[])::text) <= $4
       AND ${shallowerThan('data', maxDepth)}
    RETURNING ${NATIVE_COLUMNS}
  ), audit AS (
    ${AUDIT} SELECT $6, 'updateSession', $7, user_id, 'ok' FROM changed
  )${kept ? `, ${keptStepCte(8, 'changed AS s', writtenRowCells('s', UPDATE_KEPT_NOW))}` : ''}
  ${select}`;

/**
 * `createSession`: $1 key hash, $2 user (the users key's type) or null, $3 data (jsonb), $4 expiry, $5 ip or
 * null, $6 user agent or null, $7 the actor. A user that does not exist fails the foreign key: nothing is written.
 */
export const createSession = (
  store: string,
  keyType: string,
  users: UserJoin | null,
  claimed = false,
  select: string = result(users),
) => {
  const claim = claiming(claimed, 8);
  return `/* compiledCreateSession${claimed ? 'Claimed' : ''} */
  WITH ${claim.head} changed AS (
    INSERT INTO sessiongraph.sessions (key_hash, user_id, data, expires_at, ip, user_agent)
    SELECT $1, $2::${keyType}, $3::jsonb, $4, $5::inet, $6 WHERE true ${claim.only}
    RETURNING ${NATIVE_COLUMNS}
  ), audit AS (
    ${AUDIT} SELECT $7, 'createSession', ${sessionIdOf(store, 'id')}, user_id, 'ok' FROM changed
  )
  ${select}`;
};

/** A framework store's part of `endUserSessions`: its CTEs, the first of which (`<name>_gone`) lists its rows. */
export interface StoreDeletion {
  name: string;
  ctes: string[];
}

/** Parameters of `endUserSessions`, after which an idempotency claim's three follow. */
export const END_PARAMS = { user: '$1', keepRef: '$2', keepStore: '$3', actor: '$4', userId: '$5' } as const;

/** The ref to keep in `store`: the caller's `keepSessionId` when it names that store, else null. */
export const keptIn = (store: string) =>
  `(CASE WHEN ${END_PARAMS.keepStore}::text = ${literalOf(store)} THEN ${END_PARAMS.keepRef}::text END)`;

const literalOf = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The condition that marks the statement an API write first (the capture triggers then queue nothing). */
export const API_ORIGIN = `(SELECT o FROM origin) = 'api'`;

/**
 * `endUserSessions`: the user's sessions in the native store (`native`, when there is one) and in each
 * framework store through its projection (`frameworks`, from src/stores/blob.sql.ts), one audit row, and the
 * count. $1 user, $2 the ref to keep and $3 its store (or nulls), $4 the actor, $5 the user id as the caller
 * gave it. The audit row is written whether or not the user had sessions, as the general way's.
 */
export const endUserSessions = (
  keyType: string,
  native: string | null,
  frameworks: readonly StoreDeletion[],
  claimed = false,
) => {
  const claim = claiming(claimed, 6);
  const { user, actor, userId } = END_PARAMS;
  const ctes: string[] = [];
  const counts: string[] = [];
  if (frameworks.length > 0)
    ctes.push("origin AS (SELECT set_config('sessiongraph.origin', 'api', true) AS o)");
  if (native !== null) {
    ctes.push(`native_gone AS (
      DELETE FROM sessiongraph.sessions
       WHERE user_id = ${user}::${keyType} AND (${keptIn(native)} IS NULL OR id::text <> ${keptIn(native)}) ${claim.only}
      RETURNING 1
    )`);
    counts.push('(SELECT count(*) FROM native_gone)');
  }
  for (const store of frameworks) {
    ctes.push(...store.ctes);
    counts.push(`(SELECT count(*) FROM ${store.name}_gone)`);
  }
  ctes.push(`audit AS (
    ${AUDIT} SELECT ${actor}, 'endUserSessions', NULL, ${userId}, 'ok' WHERE true ${claim.only}
  )`);
  const count = counts.length > 0 ? counts.join(' + ') : '0';
  return `/* compiledEndUserSessions${claimed ? 'Claimed' : ''} */
  WITH ${claim.head} ${ctes.join(',\n')}
  SELECT (${count})::integer AS count${claimed ? ', (SELECT count(*) FROM claim)::integer AS claimed' : ''}`;
};
