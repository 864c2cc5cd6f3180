import type { JsonObject } from '../../codecs/result.ts';
import { parseJsonColumn, plannedRows, type Queryable, type UnreadableJson } from '../../db/pool.ts';
import { parseTimestamptz } from '../../db/timestamps.ts';
import { contains, type FactColumns } from '../facts.sql.ts';
import type { UserJoin } from '../../users/users.sql.ts';

/** All SQL of sessiongraph's own session table. */

export type NativeRow = {
  id: string;
  user_id: string | null;
  /** Parsed under the decode budgets: a value past them (or not an object) is served INVALID. */
  data: JsonObject | UnreadableJson;
  created_at: Date;
  expires_at: Date;
  last_seen_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  version: number;
};

/**
 * A row a statement wrote (a `NATIVE_COLUMNS` row named `alias`) and the request's time `now`, as the text
 * cells an idempotency step keeps (src/sessions/idempotency.sql.ts): each cell as PostgreSQL prints the
 * column, so `readWrittenRow` reads back what the query itself read.
 */
export const writtenRowCells = (alias: string, now: string) =>
  `ARRAY[${now}::timestamptz::text, ${['id::text', 'user_id', 'created_at::text', 'expires_at::text', 'data::text', 'last_seen_at::text', 'ip', 'user_agent', 'version::text'].map((cell) => `${alias}.${cell}`).join(', ')}]`;

/** The row and time `writtenRowCells` kept, or null for cells it did not print. */
export function readWrittenRow(cells: readonly (string | null)[]): { now: Date; row: NativeRow } | null {
  const [now, id, userId, createdAt, expiresAt, data, lastSeenAt, ip, userAgent, version] = cells;
  if (cells.length !== 10 || !now || !id || !createdAt || !expiresAt || !data || !version) return null;
  return {
    now: parseTimestamptz(now),
    row: {
      id,
      user_id: userId ?? null,
      data: parseJsonColumn(data) as NativeRow['data'],
      created_at: parseTimestamptz(createdAt),
      expires_at: parseTimestamptz(expiresAt),
      last_seen_at: lastSeenAt ? parseTimestamptz(lastSeenAt) : null,
      ip: ip ?? null,
      user_agent: userAgent ?? null,
      version: Number(version),
    },
  };
}

/** The columns every row source selects, and the rest, by the NativeRow field they fill. */
const KEY_COLUMNS = ['id', 'user_id::text AS user_id', 'created_at', 'expires_at'];
export const OPTIONAL_COLUMNS = {
  data: 'data',
  last_seen_at: 'last_seen_at',
  ip: 'host(ip) AS ip',
  user_agent: 'user_agent',
  version: 'version',
} as const;
export type OptionalColumn = keyof typeof OPTIONAL_COLUMNS;

/** A whole NativeRow. */
export const NATIVE_COLUMNS = [...KEY_COLUMNS, ...Object.values(OPTIONAL_COLUMNS)].join(', ');
const columns = NATIVE_COLUMNS;

/**
 * A typed-field condition for SQL: the path into `data`, how to compare (`json`: the exact JSON value;
 * `text`: its text, for ID fields stored as numbers or strings) and the value.
 */
export interface SqlCondition {
  p: string[];
  k: 'json' | 'text';
  v: unknown;
}

/** Every condition in the jsonb array parameter holds for `data`. */
const whereFilter = (param: string) => `NOT EXISTS (
  SELECT 1 FROM jsonb_array_elements(${param}) AS c(cond),
       LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(c.cond->'p')) AS path) AS p
   WHERE NOT COALESCE(CASE c.cond->>'k'
           WHEN 'json' THEN data #> p.path = c.cond->'v'
           ELSE jsonb_typeof(data #> p.path) IN ('string', 'number') AND data #>> p.path = c.cond->>'v'
         END, false))`;

/**
 * Whether a jsonb value nests at most `maxDepth` deep, as reading it requires (budgets.maxDepth): a value
 * stored uncompressed in fewer than 8 bytes a level cannot nest that deep (each jsonb container takes at
 * least 8), which settles ordinary sessions from the value's header; others are walked by a JSON path. Only
 * a row written past the API (which writes 32 levels at most) can be deeper: it is INVALID.
 */
export const shallowerThan = (column: string, maxDepth: number) =>
  `((pg_column_compression(${column}) IS NULL AND pg_column_size(${column}) <= ${8 * maxDepth})
     OR NOT jsonb_path_exists(${column}, 'strict $.**{${maxDepth} to last}'))`;

const statusFilterOf = (maxDepth: number) => `($2::text IS NULL
  OR ($2 = 'ACTIVE' AND expires_at > $3 AND ${shallowerThan('data', maxDepth)})
  OR ($2 = 'EXPIRED' AND expires_at <= $3 AND ${shallowerThan('data', maxDepth)})
  OR ($2 = 'INVALID' AND NOT ${shallowerThan('data', maxDepth)}))`;

/**
 * The live session for a key hash ($1), now ($2), touch interval in seconds ($3). A row unseen for the interval
 * comes back `stale`, with `last_seen_at` already `now`: the caller queues the refresh (src/stores/touches.ts)
 * instead of writing it in the read. `from` names the row `hit`.
 */
export const liveByKey = {
  columns: `hit.id, hit.user_id, hit.data, hit.created_at, hit.expires_at,
            CASE WHEN hit.stale THEN $2::timestamptz ELSE hit.last_seen_at END AS last_seen_at,
            hit.ip, hit.user_agent, hit.version, hit.stale`,
  from: `FROM (SELECT ${columns},
                      (last_seen_at IS NULL OR last_seen_at < $2::timestamptz - make_interval(secs => $3)) AS stale
                 FROM sessiongraph.sessions WHERE key_hash = $1 AND expires_at > $2) AS hit`,
};

/**
 * Queued refreshes of `last_seen_at`: ids ($1) and times ($2), each written only over an older time. A row
 * another transaction holds (a mutation, a sweep) is skipped, not waited for: a refresh is a hint, and a
 * writer must never queue behind one. Rows are locked in id order, so two flushes never deadlock.
 */
export const touchSessions = `/* touchSessions */ WITH due AS (
    SELECT s.id, t.at FROM sessiongraph.sessions s JOIN unnest($1::uuid[], $2::timestamptz[]) AS t(id, at) ON s.id = t.id
     WHERE s.last_seen_at IS NULL OR s.last_seen_at < t.at
     ORDER BY s.id FOR UPDATE OF s SKIP LOCKED
  )
  UPDATE sessiongraph.sessions s SET last_seen_at = due.at FROM due WHERE s.id = due.id`;

/** One session by id ($1). */
export const byIdRow = `SELECT ${columns} FROM sessiongraph.sessions WHERE id = $1::uuid`;

/** Where the native table keeps what `sessions(ip:, userAgent:, createdAt:, …)` filter by. */
export const NATIVE_FACTS: FactColumns = {
  createdAt: 'created_at',
  lastSeenAt: 'last_seen_at',
  expiresAt: 'expires_at',
  ip: (p) => `ip = ${p}::inet`,
  userAgent: (p) => contains('user_agent', p),
};

/** Conditions on facts (factConditions), with their parameters. */
export interface ExtraConditions {
  conditions: string;
  params: unknown[];
}
const NO_EXTRA: ExtraConditions = { conditions: '', params: [] };

/**
 * A page, newest first: user ($1), status ($2) at now ($3), after the keyset ($4, $5), limit ($6), typed-field
 * conditions ($7, jsonb), then `extra` (parameters from $8).
 */
const pageRows = (
  keyType: string,
  statusFilter: string,
  extra: string,
) => `SELECT ${columns} FROM sessiongraph.sessions
        WHERE ($1::${keyType} IS NULL OR user_id = $1::${keyType})
          AND ${statusFilter}
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
          AND ($7::jsonb IS NULL OR ${whereFilter('$7')})${extra}
        ORDER BY created_at DESC, id DESC
        LIMIT $6`;

/** Which of a page's conditions a request uses, and its limit (see `pageRowsOfShape`). */
export interface PageShape {
  user: boolean;
  status: 'ACTIVE' | 'EXPIRED' | null;
  after: boolean;
  limit: number;
}

/**
 * `pageRows` for one shape of request: only the conditions it uses, the limit written in. PostgreSQL can
 * then keep one plan for the statement (a generic plan) instead of planning the `$n IS NULL OR …` form
 * afresh on every execution, and its estimate for the limit is the real one (an index scan, not a sort).
 * Parameters: now ($1), then the user when `user`, then the keyset (time, id) when `after`. With `only`, the
 * rows carry id, user_id, created_at, expires_at and just those optional columns (a page printed in SQL
 * reads what it prints).
 */
export function pageRowsOfShape(
  keyType: string,
  shape: PageShape,
  only?: ReadonlySet<OptionalColumn>,
): string {
  if (!Number.isSafeInteger(shape.limit) || shape.limit < 0)
    throw new Error('a page limit is a whole number');
  let last = 1;
  const next = () => `$${++last}`;
  const conditions: string[] = [];
  if (shape.user) conditions.push(`user_id = ${next()}::${keyType}`);
  // ACTIVE: `+ interval '0'` hides the column's statistics, so the planner estimates the condition the same
  // with or without the value of $1, and its generic plan costs what the custom ones do: it keeps the plan
  // instead of planning each execution. The plan is the same either way (newest first, filtered), since
  // live sessions are the newest. EXPIRED keeps the estimate: expired sessions are the old ones, and the
  // planner may rather read them through the expiry index than walk every live session first.
  if (shape.status === 'ACTIVE') conditions.push(`expires_at + interval '0' > $1::timestamptz`);
  if (shape.status === 'EXPIRED') conditions.push('expires_at <= $1::timestamptz');
  if (shape.after) conditions.push(`(created_at, id) < (${next()}::timestamptz, ${next()}::uuid)`);
  const list = only
    ? [...KEY_COLUMNS, ...[...only].map((column) => OPTIONAL_COLUMNS[column])].join(', ')
    : columns;
  return `SELECT ${list} FROM sessiongraph.sessions
        ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC
        LIMIT ${shape.limit}`;
}

/**
 * The statements, built once for the users table's key type so user filters compare typed values and use
 * the (user_id, created_at) index.
 */
export function createNativeQueries(keyType: string, users: UserJoin, maxDepth: number) {
  const statusFilter = statusFilterOf(maxDepth);
  // Each read comes in two texts, without and with the owner's row joined (see UserJoin).
  const byIds = (withUser: boolean) =>
    withUser
      ? `/* findSessionsByIdsWithUsers */ SELECT s.*, ${users.select}
           FROM (SELECT ${columns} FROM sessiongraph.sessions WHERE id = ANY($1::uuid[])) AS s
           ${users.join('s.user_id')}`
      : `/* findSessionsByIds */ SELECT ${columns} FROM sessiongraph.sessions WHERE id = ANY($1::uuid[])`;
  const byIdsText = [byIds(false), byIds(true)] as const;

  async function findSessionsByIds(
    db: Queryable,
    ids: readonly string[],
    withUser: boolean,
  ): Promise<NativeRow[]> {
    const result = await db.query<NativeRow>(byIdsText[withUser ? 1 : 0], [ids]);
    return result.rows;
  }

  const liveByKeyOf = (withUser: boolean) => `/* findLiveSessionByKeyHash${withUser ? 'WithUser' : ''} */
       SELECT ${liveByKey.columns} ${withUser ? `, ${users.select}` : ''}
         ${liveByKey.from} ${withUser ? users.join('hit.user_id') : ''}`;
  const liveByKeyText = [liveByKeyOf(false), liveByKeyOf(true)] as const;

  /** The live session for a key hash; `stale` when `last_seen_at` is due a refresh (see liveByKey). */
  async function findLiveSessionByKeyHash(
    db: Queryable,
    keyHash: Buffer,
    now: Date,
    touchIntervalSeconds: number,
    withUser: boolean,
  ): Promise<(NativeRow & { stale: boolean }) | null> {
    const result = await db.query<NativeRow & { stale: boolean }>(liveByKeyText[withUser ? 1 : 0], [
      keyHash,
      now,
      touchIntervalSeconds,
    ]);
    return result.rows[0] ?? null;
  }

  const page = (withUser: boolean, extra: string) => {
    const inner = pageRows(keyType, statusFilter, extra);
    return withUser
      ? `/* findSessionsPageWithUsers */ SELECT s.*, ${users.select} FROM (${inner}) AS s
         ${users.join('s.user_id')} ORDER BY s.created_at DESC, s.id DESC`
      : `/* findSessionsPage */ ${inner}`;
  };
  const pageText = [page(false, ''), page(true, '')] as const;

  async function findSessionsPage(
    db: Queryable,
    userId: string | null,
    status: string | null,
    now: Date,
    after: [Date, string] | null,
    limit: number,
    where: readonly SqlCondition[] | null,
    withUser: boolean,
    extra: ExtraConditions = NO_EXTRA,
  ): Promise<NativeRow[]> {
    const text = extra.conditions === '' ? pageText[withUser ? 1 : 0] : page(withUser, extra.conditions);
    const result = await db.query<NativeRow>(text, [
      userId,
      status,
      now,
      after?.[0] ?? null,
      after?.[1] ?? null,
      limit,
      where ? JSON.stringify(where) : null,
      ...extra.params,
    ]);
    return result.rows;
  }

  /**
   * The rows `findSessionsPage` would page through: counted exactly, or estimated by the planner. `extra`
   * numbers its parameters from $5.
   */
  async function countSessions(
    db: Queryable,
    userId: string | null,
    status: string | null,
    now: Date,
    where: readonly SqlCondition[] | null,
    estimate: boolean,
    extra: ExtraConditions = NO_EXTRA,
  ): Promise<number> {
    const from = `FROM sessiongraph.sessions
        WHERE ($1::${keyType} IS NULL OR user_id = $1::${keyType})
          AND ${statusFilter}
          AND ($4::jsonb IS NULL OR ${whereFilter('$4')})${extra.conditions}`;
    const params = [userId, status, now, where ? JSON.stringify(where) : null, ...extra.params];
    return estimate
      ? plannedRows(db, `SELECT 1 ${from}`, params)
      : Number(
          (await db.query<{ n: string }>(`/* countSessions */ SELECT count(*) AS n ${from}`, params)).rows[0]!
            .n,
        );
  }

  async function findSessionsOfUsers(
    db: Queryable,
    userIds: readonly string[],
    status: string | null,
    now: Date,
    limitPerUser: number,
  ): Promise<NativeRow[]> {
    const result = await db.query<NativeRow>(
      `/* findSessionsOfUsers */
       SELECT page.* FROM unnest($1::${keyType}[]) AS wanted(user_id)
       CROSS JOIN LATERAL (
         SELECT ${columns} FROM sessiongraph.sessions
          WHERE user_id = wanted.user_id AND ${statusFilter}
          ORDER BY created_at DESC, id DESC
          LIMIT $4
       ) AS page`,
      [userIds, status, now, limitPerUser],
    );
    return result.rows;
  }

  async function insertSession(
    tx: Queryable,
    values: {
      keyHash: Buffer;
      userId: string | null;
      data: JsonObject;
      createdAt: Date;
      expiresAt: Date;
      ip: string | null;
      userAgent: string | null;
    },
  ): Promise<NativeRow> {
    const result = await tx.query<NativeRow>(
      `/* insertSession */
       INSERT INTO sessiongraph.sessions (key_hash, user_id, data, created_at, expires_at, ip, user_agent)
       VALUES ($1, $2, $3, $4, $5, $6::inet, $7)
       RETURNING ${columns}`,
      [
        values.keyHash,
        values.userId,
        JSON.stringify(values.data),
        values.createdAt,
        values.expiresAt,
        values.ip,
        values.userAgent,
      ],
    );
    return result.rows[0]!;
  }

  async function lockSession(tx: Queryable, id: string): Promise<NativeRow | null> {
    const result = await tx.query<NativeRow>(
      `/* lockSession */ SELECT ${columns} FROM sessiongraph.sessions WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return result.rows[0] ?? null;
  }

  async function updateSessionRow(
    tx: Queryable,
    id: string,
    data: JsonObject,
    expiresAt: Date,
  ): Promise<NativeRow> {
    const result = await tx.query<NativeRow>(
      `/* updateSessionRow */
       UPDATE sessiongraph.sessions SET data = $2, expires_at = $3, version = version + 1
        WHERE id = $1 RETURNING ${columns}`,
      [id, JSON.stringify(data), expiresAt],
    );
    return result.rows[0]!;
  }

  async function rotateSessionKey(tx: Queryable, id: string, keyHash: Buffer): Promise<NativeRow | null> {
    const result = await tx.query<NativeRow>(
      `/* rotateSessionKey */ UPDATE sessiongraph.sessions SET key_hash = $2, version = version + 1
        WHERE id = $1 RETURNING ${columns}`,
      [id, keyHash],
    );
    return result.rows[0] ?? null;
  }

  async function deleteSession(tx: Queryable, id: string): Promise<boolean> {
    const result = await tx.query(`/* deleteSession */ DELETE FROM sessiongraph.sessions WHERE id = $1`, [
      id,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async function deleteSessionsOfUser(tx: Queryable, userId: string, keepId: string | null): Promise<number> {
    const result = await tx.query(
      `/* deleteSessionsOfUser */
       DELETE FROM sessiongraph.sessions WHERE user_id = $1::${keyType} AND ($2::uuid IS NULL OR id <> $2::uuid)`,
      [userId, keepId],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Up to `limit` sessions expired by `now`, the longest expired first, from the expiry `from` on (null: from
   * the first), read without locking anything: the index walk that finds them holds no row a writer may want.
   */
  async function findExpiredSessionIds(db: Queryable, now: Date, limit: number, from: string | null) {
    const result = await db.query<{ id: string; at: string }>(
      `/* findExpiredSessionIds${from === null ? '' : 'From'} */
       SELECT id::text AS id, expires_at::text AS at FROM sessiongraph.sessions
        WHERE expires_at <= $1${from === null ? '' : ' AND expires_at >= $3::timestamptz'} ORDER BY expires_at LIMIT $2`,
      from === null ? [now, limit] : [now, limit, from],
    );
    return { keys: result.rows.map((row) => row.id), last: result.rows.at(-1)?.at ?? null };
  }

  /**
   * The statement deleting those of `ids` still expired and held by no other transaction (SKIP LOCKED:
   * replicas sweep side by side, and a writer's row is left for a later sweep), looked up by primary key so
   * the batch holds its rows only for as long as they take. The sweep's batch transaction makes the delete
   * quiet (`sessiongraph.sweeping`, migration 11), so it returns its events, for the sweep to announce once the
   * batch has committed.
   */
  function deleteExpiredSessions(now: Date, ids: readonly string[]) {
    return {
      text: `/* deleteExpiredSessions */
       WITH gone AS (
         DELETE FROM sessiongraph.sessions WHERE id = ANY(ARRAY(
           SELECT id FROM sessiongraph.sessions
            WHERE id = ANY($2::uuid[]) AND expires_at <= $1 FOR UPDATE SKIP LOCKED
         )) RETURNING id, user_id, expires_at
       )
       SELECT count(*)::int AS deleted,
              coalesce(array_agg(json_build_object('s', NULL, 'r', id::text, 'u', user_id::text,
                'k', 'expired', 'e', expires_at)::text), '{}') AS events
         FROM gone`,
      params: [now, ids],
      read: (answer: { rows: readonly Record<string, unknown>[] }) => {
        const row = answer.rows[0] as { deleted: number; events: string[] } | undefined;
        return row ?? { deleted: 0, events: [] };
      },
    };
  }

  return {
    findSessionsByIds,
    findLiveSessionByKeyHash,
    findSessionsPage,
    countSessions,
    findSessionsOfUsers,
    insertSession,
    lockSession,
    updateSessionRow,
    deleteSession,
    rotateSessionKey,
    deleteSessionsOfUser,
    findExpiredSessionIds,
    deleteExpiredSessions,
  };
}

export type NativeQueries = ReturnType<typeof createNativeQueries>;
