import type { Queryable } from './pool.ts';

/**
 * Session counts kept as writes happen, so `sessionStats` by store and status reads a few thousand counter
 * rows instead of scanning every session (a scan of 12 million rows takes seconds).
 *
 * A status depends on the clock as well as on the row: a session turns EXPIRED without anyone writing it. So
 * the counts are kept per hour of expiry (UTC), and validity for the projection: every hour before the
 * current one is expired, every hour after it active, and the current hour is split exactly by an index
 * range count of its rows (at most an hour's worth of expiries).
 *
 * Writers never wait on each other here: each adds its delta to the row of its own connection's slot
 * (`pg_backend_pid() % 64`), and a count is the sum over slots. No lock is taken beyond that one counter row,
 * which only the same backend writes in practice, so the rule of no cross-session locks holds. Inserts and
 * deletes are counted once per statement from its transition table (a sweep batch, a bulk load), updates
 * only when they move a session to another hour or validity (touches and data changes are filtered out by
 * the trigger's WHEN, before any function runs). Zero rows of past hours are pruned by the sweeper.
 */

/** The key of the native table's counts (framework stores count under their own names). */
const NATIVE = "''";
const SLOTS = 64;
const hour = (expiresAt: string) => `coalesce(date_trunc('hour', ${expiresAt}, 'UTC'), 'infinity')`;
const upsert = `ON CONFLICT (store, hour, valid, slot) DO UPDATE SET n = c.n + excluded.n`;
const slot = `pg_backend_pid() % ${SLOTS}`;
const CURRENT_HOUR = "date_trunc('hour', now(), 'UTC')";

/** The rows' delta (`sign` 1 or -1) per store, hour and validity, from the transition table `rows`. */
const statementDelta = (store: string, valid: string, sign: number) =>
  `INSERT INTO sessiongraph.session_counts AS c (store, hour, valid, slot, n)
     SELECT ${store}, ${hour('expires_at')}, ${valid}, ${slot}, ${sign} * count(*) FROM rows GROUP BY 1, 2, 3
   ${upsert}`;

/** A row moved from OLD's bucket to NEW's: both deltas, nothing when they cancel. */
const rowMove = (store: (row: string) => string, valid: (row: string) => string) =>
  `INSERT INTO sessiongraph.session_counts AS c (store, hour, valid, slot, n)
     SELECT b.store, b.hour, b.valid, ${slot}, sum(b.n) FROM (VALUES
       (${store('OLD')}, ${hour('OLD.expires_at')}, ${valid('OLD')}, -1),
       (${store('NEW')}, ${hour('NEW.expires_at')}, ${valid('NEW')}, 1)) AS b (store, hour, valid, n)
      GROUP BY 1, 2, 3 HAVING sum(b.n) <> 0
   ${upsert}`;

function countingTriggers(table: string, name: string, store: string, valid: string): string[] {
  const fn = (suffix: string) => `sessiongraph.count_${name}_${suffix}`;
  const plpgsql = (body: string) =>
    `RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN ${body}; RETURN NULL; END $fn$`;
  const storeOf = (row: string) => (store === NATIVE ? NATIVE : `${row}.store`);
  const validOf = (row: string) => (valid === 'true' ? 'true' : `${row}.valid`);
  return [
    `CREATE OR REPLACE FUNCTION ${fn('inserted')}() ${plpgsql(statementDelta(store, valid, 1))}`,
    `CREATE OR REPLACE FUNCTION ${fn('deleted')}() ${plpgsql(statementDelta(store, valid, -1))}`,
    `CREATE OR REPLACE FUNCTION ${fn('moved')}() ${plpgsql(rowMove(storeOf, validOf))}`,
    `CREATE OR REPLACE FUNCTION ${fn('truncated')}() ${plpgsql(
      `DELETE FROM sessiongraph.session_counts WHERE ${store === NATIVE ? `store = ${NATIVE}` : `store <> ${NATIVE}`}`,
    )}`,
    `DROP TRIGGER IF EXISTS count_inserted ON ${table}`,
    `CREATE TRIGGER count_inserted AFTER INSERT ON ${table} REFERENCING NEW TABLE AS rows
       FOR EACH STATEMENT EXECUTE FUNCTION ${fn('inserted')}()`,
    `DROP TRIGGER IF EXISTS count_deleted ON ${table}`,
    `CREATE TRIGGER count_deleted AFTER DELETE ON ${table} REFERENCING OLD TABLE AS rows
       FOR EACH STATEMENT EXECUTE FUNCTION ${fn('deleted')}()`,
    `DROP TRIGGER IF EXISTS count_moved ON ${table}`,
    `CREATE TRIGGER count_moved AFTER UPDATE ON ${table} FOR EACH ROW
       WHEN ((${storeOf('OLD')}, ${validOf('OLD')}, OLD.expires_at) IS DISTINCT FROM (${storeOf('NEW')}, ${validOf('NEW')}, NEW.expires_at))
       EXECUTE FUNCTION ${fn('moved')}()`,
    `DROP TRIGGER IF EXISTS count_truncated ON ${table}`,
    `CREATE TRIGGER count_truncated AFTER TRUNCATE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION ${fn('truncated')}()`,
  ];
}

/**
 * The migration: the counter table, the triggers, then the counts of what is there (the triggers' locks
 * keep writers out until the migration commits, so nothing is counted twice or missed).
 */
export const sessionCountsMigration = (): string[] => [
  `CREATE TABLE IF NOT EXISTS sessiongraph.session_counts (
     store text NOT NULL,
     hour timestamptz NOT NULL,
     valid boolean NOT NULL,
     slot integer NOT NULL,
     n bigint NOT NULL,
     PRIMARY KEY (store, hour, valid, slot)
   )`,
  ...countingTriggers('sessiongraph.sessions', 'native', NATIVE, 'true'),
  ...countingTriggers('sessiongraph.projection', 'projected', 'store', 'valid'),
  `DELETE FROM sessiongraph.session_counts`,
  `INSERT INTO sessiongraph.session_counts (store, hour, valid, slot, n)
     SELECT ${NATIVE}, ${hour('expires_at')}, true, 0, count(*) FROM sessiongraph.sessions GROUP BY 1, 2, 3`,
  `INSERT INTO sessiongraph.session_counts (store, hour, valid, slot, n)
     SELECT store, ${hour('expires_at')}, valid, 0, count(*) FROM sessiongraph.projection GROUP BY 1, 2, 3`,
];

export interface CountedStatus {
  store: string;
  status: 'ACTIVE' | 'EXPIRED' | 'INVALID';
  count: number;
}

/**
 * Sessions per store and status, from the counts, as `sessiongraph.all_sessions` would count them: `native`
 * names the native store (null: none is configured, its table is left out); every projected store counts.
 */
export async function countedStats(
  db: Queryable,
  native: string | null,
  store: string | null,
  status: string | null,
): Promise<CountedStatus[]> {
  const result = await db.query<{ store: string; status: CountedStatus['status']; count: string }>(
    `/* countedSessionStats */
     WITH now_hour AS (SELECT date_trunc('hour', now(), 'UTC') AS h),
     buckets AS (
       SELECT CASE WHEN c.store = ${NATIVE} THEN $1 ELSE c.store END AS store, c.hour, c.valid, sum(c.n) AS n
         FROM sessiongraph.session_counts c
        WHERE c.store <> ${NATIVE} OR $1::text IS NOT NULL
        GROUP BY 1, 2, 3
     ),
     -- The current hour's sessions that have expired by now, counted exactly. The hour is written out, not
     -- joined from now_hour: a prepared statement's generic plan could not bound a joined hour, and scanned.
     edge AS (
       SELECT $1::text AS store, count(*) AS n FROM sessiongraph.sessions
        WHERE $1::text IS NOT NULL AND expires_at >= ${CURRENT_HOUR} AND expires_at <= now()
       UNION ALL
       SELECT p.store, count(*) FROM sessiongraph.projection p
        WHERE p.store = ANY(ARRAY(SELECT DISTINCT store FROM sessiongraph.session_counts WHERE store <> ${NATIVE}))
          AND p.expires_at >= ${CURRENT_HOUR} AND p.expires_at <= now() AND p.valid
        GROUP BY p.store
     ),
     counted AS (
       SELECT store, CASE WHEN NOT valid THEN 'INVALID' WHEN hour < h THEN 'EXPIRED' ELSE 'ACTIVE' END AS status, n
         FROM buckets, now_hour
       UNION ALL SELECT store, 'EXPIRED', n FROM edge
       UNION ALL SELECT store, 'ACTIVE', -n FROM edge
     )
     SELECT store, status, sum(n) AS count FROM counted
      WHERE ($2::text IS NULL OR store = $2) AND ($3::text IS NULL OR status = $3)
      GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2`,
    [native, store, status],
  );
  return result.rows.map((row) => ({ ...row, count: Number(row.count) }));
}

/** Forgets counter rows of past hours that sum to nothing, a bounded batch at a time. */
export async function pruneCounts(db: Queryable, batchSize: number): Promise<number> {
  const result = await db.query(
    `/* pruneSessionCounts */ DELETE FROM sessiongraph.session_counts WHERE (store, hour, valid, slot) IN (
       SELECT store, hour, valid, slot FROM sessiongraph.session_counts
        WHERE n = 0 AND hour < now() - interval '1 hour' LIMIT $1 FOR UPDATE SKIP LOCKED)`,
    [batchSize],
  );
  return result.rowCount ?? 0;
}

/**
 * Sessions that expired before the current hour and are still stored, per store (`native` names the native
 * store's counts): what the sweeper has left to delete, read from the counts, never by a scan.
 */
export async function expiredBacklog(
  db: Queryable,
  native: string,
): Promise<{ store: string; count: number }[]> {
  const result = await db.query<{ store: string; count: string }>(
    `/* expiredBacklog */ SELECT CASE WHEN store = ${NATIVE} THEN $1 ELSE store END AS store, sum(n) AS count
       FROM sessiongraph.session_counts WHERE valid AND hour < date_trunc('hour', now(), 'UTC')
      GROUP BY 1`,
    [native],
  );
  return result.rows.map((row) => ({ store: row.store, count: Number(row.count) }));
}
