import { claimCte } from '../sessions/idempotency.sql.ts';
import { NATIVE_COLUMNS, shallowerThan } from '../stores/native/native.sql.ts';
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
 * caller then stores the sealed result in the same transaction.
 */

/** The leading CTE when claimed, and the condition the work waits on. */
const claiming = (claimed: boolean, n: number) =>
  claimed ? { head: `${claimCte(n)},`, only: 'AND EXISTS (SELECT 1 FROM claim)' } : { head: '', only: '' };

const AUDIT = 'INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome)';
const sessionIdOf = (store: string, id: string) => globalId(`Session:${store}:`, id, 'uuid');

/** The session's row, and its owner's when `users` is given, from the CTE `changed`. */
const result = (users: UserJoin | null) =>
  users
    ? `SELECT s.*, ${users.select} FROM changed AS s ${users.join('s.user_id')}`
    : 'SELECT s.* FROM changed AS s';

/**
 * `updateSession` with `set`/`unset`: $1 id, $2 keys to set (jsonb object), $3 keys to unset (text[]), $4 the
 * data limit in bytes, $5 the expected version or null, $6 the actor, $7 the session id as the caller gave it.
 * jsonb prints with spaces JSON.stringify leaves out, so the size check is a little stricter than the general
 * way's: data it refuses near the limit goes there and is measured exactly.
 */
export const updateData = (users: UserJoin | null, maxDepth: number, claimed = false) => {
  const claim = claiming(claimed, 8);
  return `/* compiledUpdateSession${claimed ? 'Claimed' : ''} */
  WITH ${claim.head} changed AS (
    UPDATE sessiongraph.sessions SET data = (data || $2::jsonb) - $3::text[], version = version + 1
     WHERE id = $1::uuid AND ($5::integer IS NULL OR version = $5)
       AND octet_length(((data || $2::jsonb) - $3::text[])::text) <= $4 ${claim.only}
       AND ${shallowerThan('data', maxDepth)}
    RETURNING ${NATIVE_COLUMNS}
  ), audit AS (
    ${AUDIT} SELECT $6, 'updateSession', $7, user_id, 'ok' FROM changed
  )
  ${result(users)}`;
};

/**
 * `createSession`: $1 key hash, $2 user (the users key's type) or null, $3 data (jsonb), $4 expiry, $5 ip or
 * null, $6 user agent or null, $7 the actor. A user that does not exist fails the foreign key: nothing is written.
 */
export const createSession = (store: string, keyType: string, users: UserJoin | null, claimed = false) => {
  const claim = claiming(claimed, 8);
  return `/* compiledCreateSession${claimed ? 'Claimed' : ''} */
  WITH ${claim.head} changed AS (
    INSERT INTO sessiongraph.sessions (key_hash, user_id, data, expires_at, ip, user_agent)
    SELECT $1, $2::${keyType}, $3::jsonb, $4, $5::inet, $6 WHERE true ${claim.only}
    RETURNING ${NATIVE_COLUMNS}
  ), audit AS (
    ${AUDIT} SELECT $7, 'createSession', ${sessionIdOf(store, 'id')}, user_id, 'ok' FROM changed
  )
  ${result(users)}`;
};

/**
 * `endUserSessions` on the native store: $1 user, $2 a session id to keep or null, $3 the actor, $4 the user id
 * as the caller gave it. The audit row is written whether or not the user had sessions, as the general way's.
 */
export const endUserSessions = (keyType: string, claimed = false) => {
  const claim = claiming(claimed, 5);
  return `/* compiledEndUserSessions${claimed ? 'Claimed' : ''} */
  WITH ${claim.head} gone AS (
    DELETE FROM sessiongraph.sessions
     WHERE user_id = $1::${keyType} AND ($2::uuid IS NULL OR id <> $2::uuid) ${claim.only}
    RETURNING 1
  ), audit AS (
    ${AUDIT} SELECT $3, 'endUserSessions', NULL, $4, 'ok' WHERE true ${claim.only}
  )
  SELECT count(*)::integer AS count${claimed ? ', (SELECT count(*) FROM claim)::integer AS claimed' : ''} FROM gone`;
};
