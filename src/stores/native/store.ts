import { isTimeAndRef, keysetOf } from '../cursor.ts';
import type { NativeStoreConfig } from './config.ts';
import type { JsonObject } from '../../codecs/result.ts';
import { isForeignKeyViolation, UnreadableJson } from '../../db/pool.ts';
import { InvalidInputError, UserNotFoundError } from '../../errors/domain.ts';
import { applyPatch, assertStorable, isEmptyPatch } from '../../sessions/data.ts';
import { resolveExpiry } from '../../sessions/expiry.ts';
import { generateSessionKey, hashSessionKey, isNativeKeyShape } from '../../sessions/keys.ts';
import {
  createNativeQueries,
  NATIVE_FACTS,
  type NativeRow,
  readWrittenRow,
  type SqlCondition,
} from './native.sql.ts';
import { factConditions } from '../facts.sql.ts';
import { FACTS } from '../../sessions/facts.ts';
import type { TouchWriter } from './touches.ts';
import type { ListQuery, SessionRecord, SessionStatus, SessionStore } from '../types.ts';
import type { UsersCatalog } from '../../users/catalog.ts';
import { createUserJoin } from '../../users/users.sql.ts';

/**
 * sessiongraph's own store: relational from the start (jsonb data, a user id column with a foreign key,
 * timestamps, a version counter), keys stored only as SHA-256.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `ref` can name a native session (a row id): anything else is no session, never sent to SQL. */
export const isNativeRef = (ref: string) => UUID.test(ref);

/** Why a native row's data cannot be served as a session's data, or null. */
function nativeDataProblem(data: NativeRow['data']): string | null {
  if (data instanceof UnreadableJson) return data.problem;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return 'corrupt: the stored data is not a JSON object';
  }
  return null;
}

export function statusAt(expiresAt: Date | null, now: Date): SessionStatus {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime() ? 'EXPIRED' : 'ACTIVE';
}

const sqlConditions = (where: ListQuery['where']): SqlCondition[] | null =>
  where.length === 0
    ? null
    : where.map(({ field, value }) => ({
        p: field.path,
        k: field.type === 'ID' ? 'text' : 'json',
        v: value,
      }));

/** A native row as a session. Only the API writes this table, within the data limits; a row written past it is
 * still served (INVALID, with its problem). */
export function nativeRecord(store: string, row: NativeRow, now: Date): SessionRecord {
  const problem = nativeDataProblem(row.data);
  return {
    store,
    ref: row.id,
    status: problem === null ? statusAt(row.expires_at, now) : 'INVALID',
    problem,
    data: problem === null ? (row.data as JsonObject) : {},
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    version: row.version,
    ip: row.ip,
    userAgent: row.user_agent,
    get cursor() {
      return [row.created_at.toISOString(), row.id];
    },
  };
}

export function createNativeStore(
  config: NativeStoreConfig,
  catalog: UsersCatalog,
  touches: TouchWriter,
  maxDepth: number,
): SessionStore {
  const users = createUserJoin(catalog);
  const sql = createNativeQueries(catalog.keyPgType, users, maxDepth);
  const toRecord = (row: NativeRow, now: Date, withUser = false): SessionRecord => ({
    ...nativeRecord(config.name, row, now),
    ...(withUser ? { user: users.take(row) } : {}),
  });

  return {
    name: config.name,
    kind: 'native',
    cookieName: config.cookieName,
    defaultTtlSeconds: config.defaultTtlSeconds,
    facts: new Set(FACTS),

    isCursor: isTimeAndRef(UUID),

    writtenRecord(cells) {
      const written = readWrittenRow(cells);
      return written && nativeRecord(config.name, written.row, written.now);
    },

    async findByRefs(db, refs, now, options) {
      const withUser = options?.withUser === true;
      const valid = refs.filter(isNativeRef);
      const rows = valid.length > 0 ? await sql.findSessionsByIds(db, valid, withUser) : [];
      const byId = new Map(rows.map((row) => [row.id, row]));
      return refs.map((ref) => {
        const row = byId.get(ref);
        return row ? toRecord(row, now, withUser) : null;
      });
    },

    async findByKey(db, key, now, touchIntervalSeconds, options) {
      if (!isNativeKeyShape(key)) return null;
      const withUser = options?.withUser === true;
      const row = await sql.findLiveSessionByKeyHash(
        db,
        hashSessionKey(key),
        now,
        touchIntervalSeconds,
        withUser,
      );
      if (!row) return null;
      if (row.stale) touches.touch(row.id, now);
      return toRecord(row, now, withUser);
    },

    async list(db, query) {
      const after = keysetOf(query.after);
      const where = sqlConditions(query.where);
      const rows = await sql.findSessionsPage(
        db,
        query.userId,
        query.status,
        query.now,
        after,
        query.limit,
        where,
        query.withUser === true,
        factConditions(query.facts, NATIVE_FACTS, 8),
      );
      return rows.map((row) => toRecord(row, query.now, query.withUser === true));
    },

    async count(db, query, estimate) {
      return sql.countSessions(
        db,
        query.userId,
        query.status,
        query.now,
        sqlConditions(query.where),
        estimate,
        factConditions(query.facts, NATIVE_FACTS, 5),
      );
    },

    async listForUsers(db, userIds, query) {
      const byUser = new Map<string, SessionRecord[]>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return byUser;
      const rows = await sql.findSessionsOfUsers(db, userIds, query.status, query.now, query.limit);
      for (const row of rows) byUser.get(row.user_id!)?.push(toRecord(row, query.now));
      return byUser;
    },

    async create(tx, input, now) {
      const key = generateSessionKey();
      try {
        const row = await sql.insertSession(tx, {
          keyHash: hashSessionKey(key),
          userId: input.userId,
          data: input.data,
          createdAt: now,
          expiresAt: input.expiresAt,
          ip: input.ip,
          userAgent: input.userAgent,
        });
        return { record: toRecord(row, now), key };
      } catch (error) {
        if (isForeignKeyViolation(error) && input.userId !== null) throw new UserNotFoundError(input.userId);
        throw error;
      }
    },

    async update(tx, ref, input, now, limits) {
      const row = isNativeRef(ref) ? await sql.lockSession(tx, ref) : null;
      if (!row) return { kind: 'missing' };
      if (input.expectedVersion !== null && input.expectedVersion !== row.version) {
        return { kind: 'conflict', actualVersion: row.version };
      }
      const problem = nativeDataProblem(row.data);
      // An INVALID session's data can be replaced, not patched: there is nothing readable to patch.
      if (problem !== null && !input.patch.replace) {
        throw new InvalidInputError('id', `the session cannot be changed: it is INVALID (${problem})`);
      }
      const current = problem === null ? (row.data as JsonObject) : {};
      const data = isEmptyPatch(input.patch) ? current : applyPatch(current, input.patch);
      assertStorable(data, { maxBytes: limits.maxDataBytes, maxDepth: 32 });
      const expiresAt = input.expiry
        ? resolveExpiry(input.expiry, now, row.expires_at, limits.maxTtlSeconds)
        : row.expires_at;
      return { kind: 'updated', record: toRecord(await sql.updateSessionRow(tx, ref, data, expiresAt), now) };
    },

    async rotate(tx, ref, now) {
      if (!isNativeRef(ref)) return null;
      const key = generateSessionKey();
      const row = await sql.rotateSessionKey(tx, ref, hashSessionKey(key));
      return row ? { record: toRecord(row, now), key } : null;
    },

    end: (tx, ref) => (isNativeRef(ref) ? sql.deleteSession(tx, ref) : Promise.resolve(false)),

    endUserSessions: (tx, userId, keepRef) =>
      sql.deleteSessionsOfUser(tx, userId, keepRef !== null && isNativeRef(keepRef) ? keepRef : null),

    expiredKeys: (db, now, limit, from) => sql.findExpiredSessionIds(db, now, limit, from),
    sweep: (now, ids) => sql.deleteExpiredSessions(now, ids),
  };
}
