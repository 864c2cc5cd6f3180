import type { Queryable } from '../db/pool.ts';

/** All SQL of the audit log: an append-only table (a trigger refuses updates and deletes). */

export interface AuditEntry {
  actor: string;
  action: string;
  sessionId?: string | null;
  userId?: string | null;
  outcome: string;
  detail?: Record<string, unknown> | null;
}

export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `/* recordAudit */ INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome, detail)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      entry.actor,
      entry.action,
      entry.sessionId ?? null,
      entry.userId ?? null,
      entry.outcome,
      entry.detail ? JSON.stringify(entry.detail) : null,
    ],
  );
}

export type AuditRow = {
  id: string;
  at: Date;
  actor: string;
  action: string;
  session_id: string | null;
  user_id: string | null;
  outcome: string;
  detail: Record<string, unknown> | null;
};

export async function findAuditEntries(
  db: Queryable,
  filter: { sessionId: string | null; userId: string | null; since: Date | null; until: Date | null },
  afterId: string | null,
  limit: number,
): Promise<AuditRow[]> {
  const result = await db.query<AuditRow>(
    `/* findAuditEntries */
     SELECT id::text AS id, at, actor, action, session_id, user_id, outcome, detail FROM sessiongraph.audit_log
      WHERE ($1::text IS NULL OR session_id = $1) AND ($2::text IS NULL OR user_id = $2)
        AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
        AND ($5::bigint IS NULL OR id < $5::bigint)
      ORDER BY id DESC LIMIT $6`,
    [filter.sessionId, filter.userId, filter.since, filter.until, afterId, limit],
  );
  return result.rows;
}
