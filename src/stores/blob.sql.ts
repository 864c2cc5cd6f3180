import type { Queryable } from '../db/pool.ts';

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
  /** The blob, as text. */
  blob: string;
  /** The column the blob is written to, and the cast its parameter needs. */
  blobColumn: string;
  blobCast: string;
  /** timestamptz expressions. */
  expiresAt: string;
  sortAt: string;
  createdAt: string;
  lastSeenAt: string;
  /** Conditions on a timestamptz parameter `$p`, written so the framework's own indexes serve them. */
  active: (p: string) => string;
  expired: (p: string) => string;
  /** Column assignments that make a row expire at the timestamptz parameter `$p`. */
  expiresAssignments: (p: string) => [column: string, value: string][];
  /** Extra assignments when a row is created, given the timestamptz parameter `$p` for now. */
  createdAssignments?: (p: string) => [column: string, value: string][];
}

export type BlobRow = {
  ref: string;
  key: string;
  blob: string | null;
  expires_at: Date | null;
  sort_at: Date | null;
  created_at: Date | null;
  last_seen_at: Date | null;
};

export function createBlobQueries(spec: BlobTableSql) {
  const ref = `encode(sha256(convert_to(${spec.key}::text, 'UTF8')), 'hex')`;
  const columns = `${ref} AS ref, ${spec.key}::text AS key, ${spec.blob} AS blob, ${spec.expiresAt} AS expires_at,
    ${spec.sortAt} AS sort_at, ${spec.createdAt} AS created_at, ${spec.lastSeenAt} AS last_seen_at`;
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
        SELECT ${columns} FROM ${spec.table}
         WHERE ${statusFilter(status, '$1')}
           AND ($2::timestamptz IS NULL OR ${spec.sortAt} < $2
                OR (${spec.sortAt} = $2 AND ${ref} < $3))
         ORDER BY ${spec.sortAt} DESC NULLS LAST, ${ref} DESC
         LIMIT $4`;
      pageStatements.set(cacheKey, text);
    }
    return text;
  };

  const assignments = expiryAssignments('$3');
  const onCreate = [...assignments, ...(spec.createdAssignments?.('$4') ?? [])];
  const insertColumns = [spec.key, spec.blobColumn, ...onCreate.map(([column]) => column)];
  const insertValues = ['$1', `$2::${spec.blobCast}`, ...onCreate.map(([, value]) => value)];

  return {
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

    async byRefs(db: Queryable, refs: readonly string[]): Promise<BlobRow[]> {
      const result = await db.query<BlobRow>(
        `/* findFrameworkSessionsByRefs */ SELECT ${columns} FROM ${spec.table} WHERE ${ref} = ANY($1::text[])`,
        [refs],
      );
      return result.rows;
    },

    async byKey(db: Queryable, key: string): Promise<BlobRow | null> {
      const result = await db.query<BlobRow>(
        `/* findFrameworkSessionByKey */ SELECT ${columns} FROM ${spec.table} WHERE ${spec.key} = $1`,
        [key],
      );
      return result.rows[0] ?? null;
    },

    async lockByRef(tx: Queryable, sessionRef: string): Promise<BlobRow | null> {
      const result = await tx.query<BlobRow>(
        `/* lockFrameworkSession */ SELECT ${columns} FROM ${spec.table} WHERE ${ref} = $1 FOR UPDATE`,
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

    async deleteByRef(tx: Queryable, sessionRef: string): Promise<boolean> {
      const result = await tx.query(
        `/* deleteFrameworkSession */ DELETE FROM ${spec.table} WHERE ${ref} = $1`,
        [sessionRef],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async deleteByKeys(tx: Queryable, keys: readonly string[]): Promise<number> {
      if (keys.length === 0) return 0;
      const result = await tx.query(
        `/* deleteFrameworkSessionsByKeys */ DELETE FROM ${spec.table} WHERE ${spec.key} = ANY($1::text[])`,
        [keys],
      );
      return result.rowCount ?? 0;
    },

    async deleteExpired(db: Queryable, now: Date, batchSize: number): Promise<number> {
      const result = await db.query(
        `/* deleteExpiredFrameworkSessions */
         DELETE FROM ${spec.table} WHERE ${spec.key} IN (
           SELECT ${spec.key} FROM ${spec.table} WHERE ${spec.expired('$1')} LIMIT $2 FOR UPDATE SKIP LOCKED
         )`,
        [now, batchSize],
      );
      return result.rowCount ?? 0;
    },
  };
}

export type BlobQueries = ReturnType<typeof createBlobQueries>;
