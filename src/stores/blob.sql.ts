import { plannedRows, type Queryable } from '../db/pool.ts';
import { clampedTime } from '../db/timestamps.ts';
import type { UserJoin } from '../users/users.sql.ts';
import type { FactName } from '../sessions/facts.ts';
import { contains, type FactColumns } from './facts.sql.ts';

/**
 * All SQL of a framework's session table (Django, web.py, express, json-cache): the table and column
 * expressions come from the store's spec, already quoted; values are always parameters.
 *
 * A framework row is addressed by `ref`, the hex SHA-256 of its key, so ids and cursors never carry the
 * key. Finding a row by ref hashes every key (a scan) until the projection of issue 4 indexes it.
 */
export interface BlobTableSql {
  table: string;
  /** The key column. */
  key: string;
  /** Its SQL type, so key parameters compare as the column's own type and its index serves them. */
  keyType: string;
  /** The blob, as text. */
  blob: string;
  /** The column the blob is written to, and the cast its parameter needs. */
  blobColumn: string;
  blobCast: string;
  /** The blob's stored size in bytes; `octet_length` of the column by default (text and bytea). */
  blobBytes?: string;
  /** timestamptz expressions. */
  expiresAt: string;
  sortAt: string;
  /** Absent where the table keeps no such time (the column reads NULL). */
  createdAt?: string;
  lastSeenAt?: string;
  /** Columns beside the blob holding the client's IP address and user agent (Laravel's), as text. */
  ip?: string;
  userAgent?: string;
  /** Conditions on a timestamptz parameter `$p`, written so the framework's own indexes serve them. */
  active: (p: string) => string;
  expired: (p: string) => string;
  /**
   * A column in whose ascending order rows expire (`expired` is `column <= f($p)` or `<`), when an index
   * begins with it: the sweep's search walks that index from the oldest and stops at its limit. Without it
   * PostgreSQL may scan the table, which at the end of a large sweep reads every row deleted since the table's
   * statistics were taken (seconds at 2,000,000 rows) for a handful of keys. The indexes are read when the
   * store starts: an index dropped later makes each search sort every expired row until a restart.
   */
  expiryOrder?: string | undefined;
  /** Column assignments that make a row expire at the timestamptz parameter `$p`. */
  expiresAssignments: (p: string) => [column: string, value: string][];
  /** Extra assignments when a row is created, given the timestamptz parameter `$p` for now. */
  createdAssignments?: (p: string) => [column: string, value: string][];
  /**
   * Why the framework would not serve a row whatever its blob holds (a NULL where it never writes one), as
   * a text expression that is NULL for rows it would serve.
   */
  rowProblem?: string;
}

/**
 * How much of the stored blobs a statement may bring into memory. Stored rows are untrusted: a table of
 * 10 MiB blobs must not fill the heap with one page.
 */
export interface BlobReadLimits {
  /** A blob larger than this is never read (the row is INVALID over the input budget). */
  maxInputBytes: number;
  /**
   * Statements that return many rows carry blobs up to this size; a larger one comes back as NULL with its
   * size in `blob_bytes`, and is read alone when it is decoded (`blobOf`).
   */
  inlineBytes: number;
  /** Bytes of blobs one backfill or verify batch reads at most (`scanByKey` ends its batch there). */
  batchBytes: number;
}

export type BlobRow = {
  ref: string;
  key: string;
  /** The blob, or null: none stored (`blob_bytes` null too), or too large to come with this statement. */
  blob: string | null;
  /** The stored blob's size in bytes. */
  blob_bytes: number | null;
  /** Why the framework would not serve the row, from its columns alone (`BlobTableSql.rowProblem`). */
  row_problem: string | null;
  expires_at: Date | null;
  sort_at: Date | null;
  created_at: Date | null;
  last_seen_at: Date | null;
  /** Read where the table keeps them (`BlobTableSql.ip`, `userAgent`). */
  ip?: string | null;
  user_agent?: string | null;
  /** The projection's sort time, on rows of a projected page (their cursor position). */
  page_sort?: Date | null;
  /** The projection's user id, on rows of a projected page read with their owners. */
  projected_user?: string | null;
};

/** A status filter on the projection row `p`, against the timestamptz parameter $3. */
const projectedStatus = (status: string | null) =>
  status === 'ACTIVE'
    ? 'p.valid AND p.expires_at > $3'
    : status === 'EXPIRED'
      ? 'p.valid AND p.expires_at <= $3'
      : status === 'INVALID'
        ? '(NOT p.valid AND $3::timestamptz IS NOT NULL)'
        : '$3::timestamptz IS NOT NULL';

/**
 * The advisory lock key of one framework session's projection row, per store and key (never global): the
 * sync worker takes it before it reads a row (`lockKeys`), and the sweep tries it before it deletes one.
 */
export const projectionKeyLock = (store: string, key: string) =>
  `hashtextextended(${store} || ':' || ${key}, 0)`;

export function createBlobQueries(spec: BlobTableSql, limits: BlobReadLimits) {
  const ref = `encode(sha256(convert_to(${spec.key}::text, 'UTF8')), 'hex')`;
  const size = spec.blobBytes ?? `octet_length(${spec.blobColumn})`;
  /** The blob when it is at most `upTo` bytes, and its size: a larger one stays in PostgreSQL. */
  const blobUpTo = (upTo: number) =>
    `CASE WHEN ${size} <= ${Math.floor(upTo)} THEN ${spec.blob} END AS blob, ${size} AS blob_bytes`;
  const rowProblem = `${spec.rowProblem ?? 'NULL::text'} AS row_problem`;
  // Times as JavaScript holds them (infinity and years past 275760 at its end), so cursors compare as rows do.
  const sortAt = clampedTime(spec.sortAt);
  const client =
    (spec.ip ? `, ${spec.ip}::text AS ip` : '') +
    (spec.userAgent ? `, ${spec.userAgent}::text AS user_agent` : '');
  const createdAt = spec.createdAt ?? 'NULL::timestamptz';
  const lastSeenAt = spec.lastSeenAt ?? 'NULL::timestamptz';
  const rest = `${spec.expiresAt} AS expires_at, ${sortAt} AS sort_at, ${createdAt} AS created_at,
    ${lastSeenAt} AS last_seen_at, ${rowProblem}${client}`;
  const columnsUpTo = (upTo: number) => `${ref} AS ref, ${spec.key}::text AS key, ${blobUpTo(upTo)}, ${rest}`;
  /** Statements of one row read its blob up to the input budget; statements of many, up to `inlineBytes`. */
  const columns = columnsUpTo(limits.maxInputBytes);
  const manyColumns = columnsUpTo(Math.min(limits.inlineBytes, limits.maxInputBytes));
  // A projected page's rows: the projection already holds each key's ref and the sort time (page_sort), so
  // PostgreSQL hashes no key and pg parses one timestamp less per row.
  const projectedColumns = `page.r AS ref, page.k AS key, ${blobUpTo(Math.min(limits.inlineBytes, limits.maxInputBytes))},
    ${spec.expiresAt} AS expires_at, NULL::timestamptz AS sort_at, ${createdAt} AS created_at,
    ${lastSeenAt} AS last_seen_at, ${rowProblem}${client}`;
  // Cursors carry the sort time as a JavaScript Date (milliseconds) while the columns keep microseconds:
  // order and compare at millisecond precision (ties broken by ref), or rows that share the cursor row's
  // millisecond but sort after it would be skipped by the next page.
  const sortKey = `date_trunc('milliseconds', ${sortAt})`;
  const statusFilter = (status: string | null, p: string) =>
    status === 'ACTIVE'
      ? spec.active(p)
      : status === 'EXPIRED'
        ? spec.expired(p)
        : `${p}::timestamptz IS NOT NULL`;
  const expiryAssignments = (p: string) => spec.expiresAssignments(p);

  const pageStatements = new Map<string, string>();
  const pageStatement = (status: string | null) => {
    const cacheKey = status ?? '';
    let text = pageStatements.get(cacheKey);
    if (!text) {
      text = `/* findFrameworkSessionsPage */
        SELECT ${manyColumns} FROM ${spec.table}
         WHERE ${statusFilter(status, '$1')}
           AND ($2::timestamptz IS NULL OR ${sortKey} < $2
                OR (${sortKey} = $2 AND ${ref} < $3))
         ORDER BY ${sortKey} DESC NULLS LAST, ${ref} DESC
         LIMIT $4`;
      pageStatements.set(cacheKey, text);
    }
    return text;
  };

  const assignments = expiryAssignments('$3');
  const onCreate = [...assignments, ...(spec.createdAssignments?.('$4') ?? [])];
  const insertColumns = [spec.key, spec.blobColumn, ...onCreate.map(([column]) => column)];
  const insertValues = ['$1', `$2::${spec.blobCast}`, ...onCreate.map(([, value]) => value)];

  /** The framework row of the projection row `p`, for conditions on columns the projection does not copy. */
  const ownRow = (condition: string) =>
    `EXISTS (SELECT 1 FROM ${spec.table} WHERE ${spec.key} = p.session_key::${spec.keyType} AND ${condition})`;

  return {
    /** Which facts beside the blob the table keeps in its columns (every table keeps an expiry). */
    keeps: {
      expiresAt: true,
      createdAt: spec.createdAt !== undefined,
      lastSeenAt: spec.lastSeenAt !== undefined,
      ip: spec.ip !== undefined,
      userAgent: spec.userAgent !== undefined,
    } satisfies Record<FactName, boolean>,

    /**
     * Where a projected page finds each fact: times in the projection row `p`, the IP and user agent in the
     * table's own columns, or the IP at `ipInData` in the projected data (web.py's dict keeps it).
     */
    projectedFacts(ipInData: string | undefined): FactColumns {
      const { ip, userAgent } = spec;
      const inData = ipInData?.replaceAll("'", "''");
      return {
        createdAt: 'p.created_at',
        lastSeenAt: 'p.last_seen_at',
        expiresAt: 'p.expires_at',
        ip: ip
          ? (x) => ownRow(`lower(${ip}::text) = lower(${x}::text)`)
          : inData !== undefined
            ? (x) =>
                `jsonb_typeof(p.data->'${inData}') = 'string' AND lower(p.data->>'${inData}') = lower(${x}::text)`
            : undefined,
        userAgent: userAgent ? (x) => ownRow(contains(`${userAgent}::text`, x)) : undefined,
      };
    },

    async page(
      db: Queryable,
      status: string | null,
      now: Date,
      after: [Date, string] | null,
      limit: number,
    ): Promise<BlobRow[]> {
      const result = await db.query<BlobRow>(pageStatement(status), [
        now,
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit,
      ]);
      return result.rows;
    },

    /**
     * Rows by ref. With `viaStore`, the projection turns refs into keys (a ref never changes for a key), so
     * the framework table is read by its primary key; without it every key is hashed (a scan).
     */
    async byRefs(db: Queryable, refs: readonly string[], viaStore: string | null): Promise<BlobRow[]> {
      const result = viaStore
        ? await db.query<BlobRow>(
            `/* findFrameworkSessionsByProjectedRefs */ SELECT ${manyColumns} FROM ${spec.table} WHERE ${spec.key} = ANY(ARRAY(
               SELECT session_key::${spec.keyType} FROM sessiongraph.projection WHERE store = $2 AND ref = ANY($1::text[])))`,
            [refs, viaStore],
          )
        : await db.query<BlobRow>(
            `/* findFrameworkSessionsByRefs */ SELECT ${manyColumns} FROM ${spec.table} WHERE ${ref} = ANY($1::text[])`,
            [refs],
          );
      return result.rows;
    },

    /** Whether the sync worker still has changes of this store to apply (a projection miss may be one). */
    async pendingChanges(db: Queryable, store: string): Promise<boolean> {
      const result = await db.query<{ pending: boolean }>(
        '/* pendingChanges */ SELECT EXISTS (SELECT 1 FROM sessiongraph.changes WHERE store = $1) AS pending',
        [store],
      );
      return result.rows[0]?.pending === true;
    },

    async byKey(db: Queryable, key: string): Promise<BlobRow | null> {
      const result = await db.query<BlobRow>(
        `/* findFrameworkSessionByKey */ SELECT ${columns} FROM ${spec.table} WHERE ${spec.key} = $1`,
        [key],
      );
      return result.rows[0] ?? null;
    },

    /** Rows by key, for the sync worker (keys as the change queue recorded them). */
    async byKeys(db: Queryable, keys: readonly string[]): Promise<BlobRow[]> {
      if (keys.length === 0) return [];
      const result = await db.query<BlobRow>(
        `/* findFrameworkSessionsByKeys */ SELECT ${manyColumns} FROM ${spec.table} WHERE ${spec.key} = ANY($1::${spec.keyType}[])`,
        [keys],
      );
      return result.rows;
    },

    async countRows(db: Queryable): Promise<number> {
      const result = await db.query<{ count: string }>(
        `/* countFrameworkSessions */ SELECT count(*) AS count FROM ${spec.table}`,
      );
      return Number(result.rows[0]?.count ?? 0);
    },

    /**
     * The table in key order, for backfill and verify: resumable from any key. A batch ends early where its
     * blobs reach `batchBytes` (always after its first row): `ended` says whether the table ends with it.
     */
    async scanByKey(
      db: Queryable,
      afterKey: string | null,
      limit: number,
    ): Promise<{ rows: BlobRow[]; ended: boolean }> {
      // The running total is taken over the limited rows (a window in the inner query would run over the
      // whole rest of the table, every batch).
      const result = await db.query<BlobRow & { running: string | null; sort_key: unknown }>(
        `/* scanFrameworkSessions */
         SELECT batch.*, sum(CASE WHEN batch.blob IS NULL THEN 0 ELSE batch.blob_bytes END)
                  OVER (ORDER BY batch.sort_key ROWS UNBOUNDED PRECEDING) AS running
           FROM (SELECT ${manyColumns}, ${spec.key} AS sort_key FROM ${spec.table}
                  WHERE $1::text IS NULL OR ${spec.key} > $1::${spec.keyType}
                  ORDER BY ${spec.key} LIMIT $2) AS batch
          ORDER BY batch.sort_key`,
        [afterKey, limit],
      );
      const rows: BlobRow[] = [];
      for (const row of result.rows) {
        if (rows.length > 0 && Number(row.running) > limits.batchBytes) return { rows, ended: false };
        const { running: _running, sort_key: _sortKey, ...blobRow } = row;
        rows.push(blobRow);
      }
      return { rows, ended: result.rows.length < limit };
    },

    /** A blob too large to come with a statement of many rows, read alone (null: gone, or over budget). */
    async blobOf(db: Queryable, key: string): Promise<string | null> {
      const result = await db.query<{ blob: string | null }>(
        `/* findFrameworkSessionBlob */ SELECT CASE WHEN ${size} <= ${Math.floor(limits.maxInputBytes)}
           THEN ${spec.blob} END AS blob FROM ${spec.table} WHERE ${spec.key} = $1::${spec.keyType}`,
        [key],
      );
      return result.rows[0]?.blob ?? null;
    },

    /**
     * A page chosen in the projection's indexes (by user, typed fields, status), its rows read fresh from
     * the framework table. `conditions` are extra SQL on the projection row `p` using parameters from $7.
     *
     * With `users`, each row also carries the owner the projection names (`projected_user`) and that user's
     * row, joined in the same statement: the caller keeps it only where the blob's decoding names the same
     * user, since the projection may trail the table.
     */
    async projectedPage(
      db: Queryable,
      store: string,
      filter: { userId: string | null; status: string | null; conditions: string; params: unknown[] },
      now: Date,
      after: [Date, string] | null,
      limit: number,
      userKeyType: string,
      users: UserJoin | null,
    ): Promise<BlobRow[]> {
      const statusSql = projectedStatus(filter.status);
      const owners = users ? `, page.u::text AS projected_user, ${users.select}` : '';
      const result = await db.query<BlobRow>(
        `/* findProjectedSessionsPage${users ? 'WithUsers' : ''} */
         WITH page(k, s, r, u) AS (
           SELECT p.session_key, p.sort_at, p.ref, p.user_id FROM sessiongraph.projection p
            WHERE p.store = $1 AND ($2::${userKeyType} IS NULL OR p.user_id = $2::${userKeyType})
              AND ${statusSql}
              AND ($4::timestamptz IS NULL OR (p.sort_at, p.ref) < ($4, $5))
              ${filter.conditions}
            ORDER BY p.sort_at DESC, p.ref DESC
            LIMIT $6
         )
         SELECT ${projectedColumns}, page.s AS page_sort${owners}
           FROM page JOIN ${spec.table} ON ${spec.key} = page.k::${spec.keyType} ${users ? users.join('page.u') : ''}
          ORDER BY page.s DESC, page.r DESC`,
        [store, filter.userId, now, after?.[0] ?? null, after?.[1] ?? null, limit, ...filter.params],
      );
      return result.rows;
    },

    /** Each user's newest sessions, for a whole page of users in one statement (`User.sessions`). */
    async projectedPagesOfUsers(
      db: Queryable,
      store: string,
      userIds: readonly string[],
      status: string | null,
      now: Date,
      limit: number,
      userKeyType: string,
    ): Promise<(BlobRow & { page_user: string })[]> {
      const result = await db.query<BlobRow & { page_user: string }>(
        `/* findProjectedSessionsOfUsers */
         WITH page(u, k, s, r) AS (
           SELECT w.u, p.session_key, p.sort_at, p.ref FROM unnest($2::${userKeyType}[]) AS w(u)
           CROSS JOIN LATERAL (
             SELECT p.session_key, p.sort_at, p.ref FROM sessiongraph.projection p
              WHERE p.store = $1 AND p.user_id = w.u AND ${projectedStatus(status)}
              ORDER BY p.sort_at DESC, p.ref DESC LIMIT $4
           ) AS p
         )
         SELECT ${projectedColumns}, page.s AS page_sort, page.u::text AS page_user
           FROM page JOIN ${spec.table} ON ${spec.key} = page.k::${spec.keyType}
          ORDER BY page.u, page.s DESC, page.r DESC`,
        [store, userIds, now, limit],
      );
      return result.rows;
    },

    /** `filter.conditions` number their parameters from $4. */
    async countProjected(
      db: Queryable,
      store: string,
      filter: { userId: string | null; status: string | null; conditions: string; params: unknown[] },
      now: Date,
      userKeyType: string,
      estimate: boolean,
    ): Promise<number> {
      const from = `FROM sessiongraph.projection p
         WHERE p.store = $1 AND ($2::${userKeyType} IS NULL OR p.user_id = $2::${userKeyType})
           AND ${projectedStatus(filter.status)} ${filter.conditions}`;
      const params = [store, filter.userId, now, ...filter.params];
      return estimate
        ? plannedRows(db, `SELECT 1 ${from}`, params)
        : Number(
            (
              await db.query<{ n: string }>(
                `/* countProjectedSessions */ SELECT count(*) AS n ${from}`,
                params,
              )
            ).rows[0]!.n,
          );
    },

    /** The planner's estimate of the table's rows (for an unprojected store's `estimatedCount`). */
    async estimateTable(db: Queryable): Promise<number> {
      return plannedRows(db, `SELECT 1 FROM ${spec.table}`, []);
    },

    /**
     * What `deleteProjectedUserSessions` and the tombstones after it do, as CTEs of one statement (the
     * compiled `endUserSessions`, src/fastpath/native-mutations.sql.ts), named `<name>_gone` (its rows) and
     * after. `user` and `keep` are the statement's parameters for the user's key and the ref to keep (text,
     * or null); `origin` a condition that holds once the statement marked itself an API write, so the
     * capture trigger queues nothing. Tombstones as `recordTombstones` writes them, without its pruning (the
     * sweeper prunes).
     */
    userDeletionCtes(
      store: string,
      name: string,
      params: { user: string; keep: string },
      userKeyType: string,
      tombstoneSeconds: number,
      origin: string,
    ): string[] {
      const literal = `'${store.replaceAll("'", "''")}'`;
      const ctes = [
        `${name}_gone AS (
           DELETE FROM sessiongraph.projection p
            WHERE p.store = ${literal} AND p.user_id = ${params.user}::${userKeyType}
              AND (${params.keep}::text IS NULL OR p.ref <> ${params.keep}) AND ${origin}
           RETURNING p.session_key, p.ref
         )`,
        `${name}_deleted AS (
           DELETE FROM ${spec.table}
            WHERE ${spec.key} IN (SELECT k FROM (SELECT session_key::${spec.keyType} AS k FROM ${name}_gone) AS keys)
           RETURNING 1
         )`,
      ];
      if (tombstoneSeconds > 0) {
        ctes.push(`${name}_revoked AS (
           INSERT INTO sessiongraph.revoked_keys (store, key_hash, revoked_until)
           SELECT DISTINCT ${literal}, decode(ref, 'hex'), now() + make_interval(secs => ${Math.floor(tombstoneSeconds)})
             FROM ${name}_gone
           ON CONFLICT (store, key_hash) DO UPDATE
             SET revoked_until = GREATEST(sessiongraph.revoked_keys.revoked_until, EXCLUDED.revoked_until)
         )`);
      }
      return ctes;
    },

    async deleteProjectedUserSessions(
      tx: Queryable,
      store: string,
      userId: string,
      keepRef: string | null,
      userKeyType: string,
    ): Promise<string[]> {
      const result = await tx.query<{ ref: string }>(
        `/* deleteProjectedUserSessions */
         WITH gone AS (
           DELETE FROM sessiongraph.projection p
            WHERE p.store = $1 AND p.user_id = $2::${userKeyType} AND ($3::text IS NULL OR p.ref <> $3)
           RETURNING p.session_key, p.ref
         ), deleted AS (
           DELETE FROM ${spec.table} WHERE ${spec.key} IN (SELECT k FROM (SELECT session_key::${spec.keyType} AS k FROM gone) AS keys)
           RETURNING 1
         )
         SELECT ref FROM gone`,
        [store, userId, keepRef],
      );
      return result.rows.map((row) => row.ref);
    },

    /** The row of a ref with its whole blob (up to the input budget), locked unless `lock` is false. */
    async lockByRef(
      tx: Queryable,
      sessionRef: string,
      viaStore: string | null,
      lock = true,
    ): Promise<BlobRow | null> {
      const forUpdate = lock ? 'FOR UPDATE' : '';
      const result = viaStore
        ? await tx.query<BlobRow>(
            `/* ${lock ? 'lock' : 'read'}FrameworkSessionByProjectedRef */ SELECT ${columns} FROM ${spec.table} WHERE ${spec.key} = (
               SELECT session_key::${spec.keyType} FROM sessiongraph.projection WHERE store = $2 AND ref = $1) ${forUpdate}`,
            [sessionRef, viaStore],
          )
        : await tx.query<BlobRow>(
            `/* ${lock ? 'lock' : 'read'}FrameworkSession */ SELECT ${columns} FROM ${spec.table} WHERE ${ref} = $1 ${forUpdate}`,
            [sessionRef],
          );
      return result.rows[0] ?? null;
    },

    async insert(tx: Queryable, key: string, blob: string, expiresAt: Date, now: Date): Promise<BlobRow> {
      const result = await tx.query<BlobRow>(
        `/* insertFrameworkSession */
         INSERT INTO ${spec.table} (${insertColumns.join(', ')}) VALUES (${insertValues.join(', ')})
         RETURNING ${columns}`,
        spec.createdAssignments ? [key, blob, expiresAt, now] : [key, blob, expiresAt],
      );
      return result.rows[0]!;
    },

    async update(tx: Queryable, key: string, blob: string, expiresAt: Date): Promise<BlobRow> {
      const sets = [
        `${spec.blobColumn} = $2::${spec.blobCast}`,
        ...assignments.map(([c, v]) => `${c} = ${v}`),
      ];
      const result = await tx.query<BlobRow>(
        `/* updateFrameworkSession */ UPDATE ${spec.table} SET ${sets.join(', ')} WHERE ${spec.key} = $1
         RETURNING ${columns}`,
        [key, blob, expiresAt],
      );
      return result.rows[0]!;
    },

    /**
     * The row `update` would return after writing `blob` and `expiresAt` to `row`, as far as it can be told
     * without writing: what `compiledUpdate` projects, and checks the written row against.
     */
    predictUpdated(row: BlobRow, blob: string, expiresAt: Date): BlobRow {
      return {
        ...row,
        blob,
        blob_bytes: Buffer.byteLength(blob, 'utf8'),
        expires_at: expiresAt,
        sort_at: spec.sortAt === spec.expiresAt ? expiresAt : row.sort_at,
        row_problem: null,
      };
    },

    /**
     * `update` and the projection's upsert (`upsert(condition)`, src/projection/projection.sql.ts) as one
     * statement that also marks itself an API write and writes the audit row: $1 key, $2 new blob, $3 new
     * expiry, $4 the blob read, $5 the expiry read, $6 store, $7 projection document, $8 actor, $9 session
     * id, $10 user, then the predicted $11 sort time, $12 creation and $13 last-seen times. It writes only
     * if the row is still the one read (same blob, same expiry to the millisecond), and fails whole (22P02)
     * if the row written is not the one predicted (`predictUpdated`): nothing is written either way.
     */
    compiledUpdate(upsert: (condition: string) => string): string {
      const sets = [
        `${spec.blobColumn} = $2::${spec.blobCast}`,
        ...assignments.map(([c, v]) => `${c} = ${v}`),
      ];
      return `/* compiledUpdateFrameworkSession */
        WITH origin AS (SELECT set_config('sessiongraph.origin', 'api', true) AS o),
        changed AS (
          UPDATE ${spec.table} SET ${sets.join(', ')}
           WHERE ${spec.key} = $1::${spec.keyType} AND ${spec.blob} = $4::text
             AND date_trunc('milliseconds', ${spec.expiresAt}) = $5::timestamptz
             AND (SELECT o FROM origin) = 'api'
          RETURNING ${columns}
        ),
        checked AS (
          SELECT CASE WHEN (expires_at, sort_at, created_at, last_seen_at, row_problem)
                      IS NOT DISTINCT FROM ($3::timestamptz, $11::timestamptz, $12::timestamptz, $13::timestamptz, NULL::text)
                 -- A text of the row's own, so the planner cannot fold (and raise) it before any row is seen.
                 THEN true ELSE ('the row written is not the row projected: ' || ref)::boolean END AS ok
            FROM changed
        ),
        projected AS (${upsert('EXISTS (SELECT 1 FROM checked WHERE ok)')}),
        audit AS (
          INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome)
          SELECT $8, 'updateSession', $9, $10, 'ok' FROM changed
        )
        SELECT true AS written FROM changed`;
    },

    async rekey(tx: Queryable, oldKey: string, newKey: string, blob: string): Promise<BlobRow | null> {
      const result = await tx.query<BlobRow>(
        `/* rekeyFrameworkSession */ UPDATE ${spec.table} SET ${spec.key} = $2, ${spec.blobColumn} = $3::${spec.blobCast}
          WHERE ${spec.key} = $1::${spec.keyType} RETURNING ${columns}`,
        [oldKey, newKey, blob],
      );
      return result.rows[0] ?? null;
    },

    async deleteByRef(tx: Queryable, sessionRef: string, viaStore: string | null): Promise<boolean> {
      const result = viaStore
        ? await tx.query(
            `/* deleteFrameworkSessionByProjectedRef */ DELETE FROM ${spec.table} WHERE ${spec.key} = (
               SELECT session_key::${spec.keyType} FROM sessiongraph.projection WHERE store = $2 AND ref = $1)`,
            [sessionRef, viaStore],
          )
        : await tx.query(`/* deleteFrameworkSession */ DELETE FROM ${spec.table} WHERE ${ref} = $1`, [
            sessionRef,
          ]);
      return (result.rowCount ?? 0) > 0;
    },

    async deleteByKeys(tx: Queryable, keys: readonly string[]): Promise<number> {
      if (keys.length === 0) return 0;
      const result = await tx.query(
        `/* deleteFrameworkSessionsByKeys */ DELETE FROM ${spec.table} WHERE ${spec.key} = ANY($1::${spec.keyType}[])`,
        [keys],
      );
      return result.rowCount ?? 0;
    },

    /**
     * Up to `limit` keys of sessions expired by `now`, read without locking anything (the earliest expired
     * first along `expiryOrder`'s index, else in whatever order a scan finds them; the sweep deletes them in
     * batches of its own), from `from` on (a previous answer's `last`: the `expiryOrder` column's value as
     * text) where there is an order; `last` is null where there is none.
     */
    async findExpiredKeys(db: Queryable, now: Date, limit: number, from: string | null) {
      const order = spec.expiryOrder;
      // The column as text, in its own type's spelling: compared back as that type, it loses nothing.
      const resumed = order !== undefined && from !== null;
      const result = await db.query<{ k: string; o: string | null }>(
        `/* findExpiredFrameworkKeys${resumed ? 'From' : ''} */
         SELECT ${spec.key}::text AS k, ${order === undefined ? 'NULL' : `${order}::text`} AS o FROM ${spec.table}
          WHERE ${spec.expired('$1')}${resumed ? ` AND ${order} >= $3` : ''}
         ${order === undefined ? '' : `ORDER BY ${order}`} LIMIT $2`,
        resumed ? [now, limit, from] : [now, limit],
      );
      return { keys: result.rows.map((row) => row.k), last: result.rows.at(-1)?.o ?? null };
    },

    /**
     * The statement deleting those of `keys` still expired and held by no other transaction, and, when the
     * store is projected (`projected`: its name there), their projection rows in the same statement, so the
     * swept sessions' projection rows are read from disk once, by the sweep, instead of by the sync worker
     * in a second stream of reads beside it. It waits on no lock, so it can never deadlock with a writer
     * that takes the projection row first (endUserSessions): a key a sync batch holds (its advisory lock,
     * as `lockKeys` takes it) is left for the next sweep, so no batch writes back a row it read before this
     * committed; a projection row another transaction holds is left to the key the capture still queues.
     */
    deleteExpired(now: Date, keys: readonly string[], projected: string | null) {
      const found = (condition: string) => `SELECT ${spec.key} FROM ${spec.table}
            WHERE ${spec.key} = ANY($2::${spec.keyType}[]) AND ${spec.expired('$1')}${condition} FOR UPDATE SKIP LOCKED`;
      if (projected === null) {
        return {
          text: `/* deleteExpiredFrameworkSessions */
         DELETE FROM ${spec.table} WHERE ${spec.key} = ANY(ARRAY(${found('')}))`,
          params: [now, keys],
          read: (answer: { rowCount: number | null }) => ({ deleted: answer.rowCount ?? 0, events: [] }),
        };
      }
      const unlocked = ` AND pg_try_advisory_xact_lock(${projectionKeyLock('$3', `${spec.key}::text`)})`;
      return {
        text: `/* deleteExpiredProjectedSessions */
         WITH gone AS (
           DELETE FROM ${spec.table} WHERE ${spec.key} = ANY(ARRAY(${found(unlocked)}))
           RETURNING ${spec.key}::text AS k
         ), unprojected AS (
           DELETE FROM sessiongraph.projection WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM sessiongraph.projection
              WHERE store = $3 AND session_key = ANY(ARRAY(SELECT k FROM gone)) FOR UPDATE SKIP LOCKED
           ))
         )
         SELECT count(*)::int AS n FROM gone`,
        params: [now, keys, projected],
        read: (answer: { rows: readonly Record<string, unknown>[] }) => ({
          deleted: Number(answer.rows[0]?.['n'] ?? 0),
          events: [],
        }),
      };
    },
  };
}

export type BlobQueries = ReturnType<typeof createBlobQueries>;
