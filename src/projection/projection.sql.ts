import { countedStats } from '../db/session-counts.ts';
import type { FieldConfig } from '../config-parts.ts';
import { plannedEachRun, type Queryable } from '../db/pool.ts';
import { pgTimestampText } from '../db/timestamps.ts';
import { projectionKeyLock } from '../stores/blob.sql.ts';
import { fieldColumn, fieldSqlType, type ProjectionRow } from './rows.ts';

/** All SQL of the projection: the change queue, the projected rows, the per-store state. */

/** What verify compares of a projected row. */
export type ProjectedSummary = {
  session_key: string;
  ref: string;
  version: number;
  user_id: string | null;
  valid: boolean;
  /** Whether it holds the data's printed text. */
  printed: boolean;
  user_text: string | null;
};

export type ClaimedChange = {
  store: string;
  session_key: string;
};

/** The sync worker's claim of up to $1 queued changes (also explained by the scale bench when a queue stalls). */
export const CLAIM_CHANGES = `DELETE FROM sessiongraph.changes WHERE id = ANY(ARRAY(
           SELECT id FROM sessiongraph.changes ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         )) RETURNING store, session_key`;

// The queue is empty most of the time and holds hundreds of thousands of changes after a sweep.
const CLAIM = plannedEachRun('claimChanges', CLAIM_CHANGES);

export function createProjectionQueries(fields: readonly FieldConfig[], userKeyType: string) {
  const fieldColumns = fields.map(fieldColumn);
  const fieldTypes = fields.map((field) => fieldSqlType[field.type]);
  const columns = [
    'ref',
    'session_key',
    'user_id',
    'valid',
    'problem',
    'note',
    'data',
    'expires_at',
    'sort_at',
    'created_at',
    'last_seen_at',
    'version',
    'data_json',
    'user_text',
    ...fieldColumns,
  ];
  const types = [
    'text',
    'text',
    userKeyType,
    'boolean',
    'text',
    'text',
    'jsonb',
    'timestamptz',
    'timestamptz',
    'timestamptz',
    'timestamptz',
    'integer',
    'json',
    'text',
    ...fieldTypes,
  ];
  // One statement per batch. The rows travel as one JSON document that PostgreSQL takes apart in C
  // (json_to_recordset): far cheaper on both sides than thirteen escaped array literals.
  const recordType = columns.map((column, index) => `${column} ${types[index]}`).join(', ');
  /**
   * The upsert of the document `document` (json) for the store `store` (parameter texts, e.g. '$1'), when
   * `condition` holds.
   */
  const upsertOf = (
    store: string,
    document: string,
    condition = 'true',
  ) => `INSERT INTO sessiongraph.projection (store, ${columns.join(', ')}, synced_at)
    SELECT ${store}, ${columns.map((column) => `u.${column}`).join(', ')}, clock_timestamp()
      FROM json_to_recordset(${document}::json) AS u(${recordType}) WHERE ${condition}
    ON CONFLICT (store, ref) DO UPDATE SET ${columns
      .filter((column) => column !== 'ref')
      .map((column) => `${column} = EXCLUDED.${column}`)
      .join(', ')}, synced_at = clock_timestamp()`;
  const upsert = `/* upsertProjection */ ${upsertOf('$1', '$2')}`;

  const time = (date: Date | null) => (date === null ? null : pgTimestampText(date));
  /** A row as an element of the batch's JSON document; its data is spliced in as the JSON text it already is. */
  const rowJson = (row: ProjectionRow): string => {
    const record: Record<string, unknown> = {
      ref: row.ref,
      session_key: row.key,
      user_id: row.userId,
      valid: row.valid,
      problem: row.problem,
      note: row.note,
      expires_at: time(row.expiresAt),
      sort_at: time(row.sortAt),
      created_at: time(row.createdAt),
      last_seen_at: time(row.lastSeenAt),
      version: row.version,
      user_text: row.userText,
    };
    fieldColumns.forEach((column, index) => {
      const value = row.fields[index];
      // JSON-typed fields arrive as JSON text; json_to_recordset wants the value itself.
      record[column] =
        fieldTypes[index] === 'jsonb' && typeof value === 'string'
          ? JSON.parse(value)
          : value instanceof Date
            ? pgTimestampText(value)
            : value;
    });
    let json = JSON.stringify(record);
    if (row.data !== null) json = `${json.slice(0, -1)},"data":${row.data}}`;
    // The same text again when it is the printed one (json keeps it as it is; jsonb parses it).
    if (row.dataJson !== null) json = `${json.slice(0, -1)},"data_json":${row.dataJson}}`;
    return json;
  };

  return {
    rowJson,
    upsertOf,

    /** Upserts the rows of a document: `[` + rows' `rowJson` joined by commas + `]`. */
    async upsertDocument(db: Queryable, store: string, document: string): Promise<void> {
      await db.query(upsert, [store, document]);
    },

    async upsertRows(db: Queryable, store: string, rows: readonly ProjectionRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db.query(upsert, [store, `[${rows.map(rowJson).join(',')}]`]);
    },

    async deleteKeys(db: Queryable, store: string, keys: readonly string[]): Promise<number> {
      if (keys.length === 0) return 0;
      const result = await db.query(
        `/* deleteProjectionKeys */ DELETE FROM sessiongraph.projection WHERE store = $1 AND session_key = ANY($2::text[])`,
        [store, keys],
      );
      return result.rowCount ?? 0;
    },

    async deleteRefs(db: Queryable, store: string, refs: readonly string[]): Promise<number> {
      if (refs.length === 0) return 0;
      const result = await db.query(
        `/* deleteProjectionRefs */ DELETE FROM sessiongraph.projection WHERE store = $1 AND ref = ANY($2::text[])`,
        [store, refs],
      );
      return result.rowCount ?? 0;
    },

    /** Queues every projected key of the store (after a TRUNCATE of its table). */
    async requeueStore(tx: Queryable, store: string): Promise<void> {
      await tx.query(
        `/* requeueProjectedStore */
         WITH queued AS (
           INSERT INTO sessiongraph.changes (store, session_key)
           SELECT store, session_key FROM sessiongraph.projection WHERE store = $1
         )
         SELECT pg_notify('sessiongraph_changes', $1)`,
        [store],
      );
    },

    /**
     * Claims up to `limit` queued changes; they leave the queue when the claiming transaction commits. The
     * claimed ids go to the DELETE as an array, so no plan can rescan the queue once per claimed id (`IN
     * (subquery)` can be planned as such a nested loop, which costs the queue's length times the batch).
     */
    async claimChanges(tx: Queryable, limit: number): Promise<ClaimedChange[]> {
      const result = await tx.query<ClaimedChange>(CLAIM, [limit]);
      return result.rows;
    },

    /**
     * Serialises work on the same sessions (sorted, so two batches never deadlock): whoever holds the
     * locks reads the framework rows after every earlier writer committed, so the last upsert is the
     * freshest. Locks are per session key, never global.
     */
    async lockKeys(tx: Queryable, store: string, keys: readonly string[]): Promise<void> {
      if (keys.length === 0) return;
      await tx.query(
        `/* lockProjectionKeys */
         SELECT pg_advisory_xact_lock(${projectionKeyLock('$1', 'k')}) FROM unnest($2::text[]) AS k ORDER BY k`,
        [store, [...keys].sort()],
      );
    },

    async states(
      db: Queryable,
    ): Promise<Map<string, { after: string | null; done: boolean; fingerprint: string | null }>> {
      const result = await db.query<{
        store: string;
        backfill_after: string | null;
        backfilled_at: Date | null;
        fingerprint: string | null;
      }>(
        '/* projectionStates */ SELECT store, backfill_after, backfilled_at, fingerprint FROM sessiongraph.projection_state',
      );
      return new Map(
        result.rows.map((row) => [
          row.store,
          { after: row.backfill_after, done: row.backfilled_at !== null, fingerprint: row.fingerprint },
        ]),
      );
    },

    async saveProgress(
      db: Queryable,
      store: string,
      after: string | null,
      done: boolean,
      fingerprint: string,
    ): Promise<void> {
      await db.query(
        `/* saveBackfillProgress */
         INSERT INTO sessiongraph.projection_state (store, backfill_after, backfilled_at, fingerprint)
         VALUES ($1, $2, CASE WHEN $3 THEN now() END, $4)
         ON CONFLICT (store) DO UPDATE SET backfill_after = $2, backfilled_at = CASE WHEN $3 THEN now() END,
           fingerprint = $4`,
        [store, after, done, fingerprint],
      );
    },

    /** The database's clock, for `pruneUnsynced`. */
    async clock(db: Queryable): Promise<Date> {
      return (await db.query<{ at: Date }>('/* projectionClock */ SELECT clock_timestamp() AS at')).rows[0]!
        .at;
    },

    /**
     * After a backfill from scratch: rows neither backfilled nor synced since it began belong to no row of the
     * table (e.g. rows of a table the store no longer names).
     */
    async pruneUnsynced(db: Queryable, store: string, since: Date): Promise<number> {
      const result = await db.query(
        '/* pruneUnsyncedProjection */ DELETE FROM sessiongraph.projection WHERE store = $1 AND synced_at < $2',
        [store, since],
      );
      return result.rowCount ?? 0;
    },

    async resetStore(db: Queryable, store: string): Promise<void> {
      await db.query(
        '/* resetProjectionStore */ DELETE FROM sessiongraph.projection_state WHERE store = $1',
        [store],
      );
    },

    async refsAndVersions(
      db: Queryable,
      store: string,
      afterKey: string | null,
      upToKey: string | null,
      limit: number,
    ): Promise<ProjectedSummary[]> {
      const result = await db.query<ProjectedSummary>(
        `/* projectionKeysPage */
         SELECT session_key, ref, version, user_id::text AS user_id, valid, data_json IS NOT NULL AS printed, user_text
           FROM sessiongraph.projection
          WHERE store = $1 AND ($2::text IS NULL OR session_key > $2) AND ($3::text IS NULL OR session_key <= $3)
          ORDER BY session_key LIMIT $4`,
        [store, afterKey, upToKey, limit],
      );
      return result.rows;
    },
  };
}

export type ProjectionQueries = ReturnType<typeof createProjectionQueries>;

export interface StatsRow {
  store: string;
  status: 'ACTIVE' | 'EXPIRED' | 'INVALID';
  value: unknown;
  count: number;
}

/**
 * Counts by store and status from the kept counts (src/db/session-counts.ts); by one declared field's
 * column, over `sessiongraph.all_sessions`: native sessions and every projected framework session in one
 * grouped statement (a scan, whose time grows with the table).
 */
export async function sessionStats(
  db: Queryable,
  native: string | null,
  store: string | null,
  status: string | null,
  column: string | null,
): Promise<StatsRow[]> {
  if (column === null) {
    const counted = await countedStats(db, native, store, status);
    return counted.map((row) => ({ ...row, value: null }));
  }
  const value = column ?? 'NULL::text';
  const result = await db.query<{ store: string; status: StatsRow['status']; value: unknown; count: string }>(
    `/* sessionStats */
     SELECT store, status, ${value} AS value, count(*) AS count FROM sessiongraph.all_sessions
      WHERE ($1::text IS NULL OR store = $1) AND ($2::text IS NULL OR status = $2)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC`,
    [store, status],
  );
  return result.rows.map((row) => ({ ...row, count: Number(row.count) }));
}

/** Wakes every server's sync worker for `store` (after a sweep batch whose capture stayed quiet). */
export async function wakeSyncWorkers(db: Queryable, store: string): Promise<void> {
  await db.query(`/* wakeSyncWorkers */ SELECT pg_notify('sessiongraph_changes', $1)`, [store]);
}
