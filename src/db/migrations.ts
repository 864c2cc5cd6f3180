import type { UsersCatalog } from '../users/catalog.ts';
import type { Pool, Queryable } from './pool.ts';
import { sessionCountsMigration } from './session-counts.ts';
import { withTransaction } from './pool.ts';

/**
 * Versioned, idempotent migrations of sessiongraph's own schema. Each runs in its own transaction and is
 * recorded in `sessiongraph.migrations`; replicas starting together serialise on a lock of that one table
 * (taken only while migrating), and every statement is written to be harmless when repeated.
 */

export interface MigrationContext {
  users: UsersCatalog;
}

export interface Migration {
  version: number;
  name: string;
  statements(context: MigrationContext): string[];
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'native session store',
    statements: ({ users }) => [
      `CREATE TABLE IF NOT EXISTS sessiongraph.sessions (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         key_hash bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
         user_id ${users.keyPgType} REFERENCES ${users.table} ("${users.key}") ON DELETE CASCADE,
         data jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz NOT NULL,
         last_seen_at timestamptz,
         ip inet,
         user_agent text,
         version integer NOT NULL DEFAULT 1
       )`,
      // "Sessions of a user, newest first" and "newest first" pages are both keyset scans on these.
      `CREATE INDEX IF NOT EXISTS sessions_user_created_idx
         ON sessiongraph.sessions (user_id, created_at DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS sessions_created_idx ON sessiongraph.sessions (created_at DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS sessions_expires_idx ON sessiongraph.sessions (expires_at)`,
    ],
  },
  {
    version: 2,
    name: 'decoded projection of framework stores',
    statements: ({ users }) => [
      // Every insert, update and delete on a framework table lands here (by trigger) until a sync worker
      // claims it with FOR UPDATE SKIP LOCKED, so replicas share the queue without double work.
      `CREATE TABLE IF NOT EXISTS sessiongraph.changes (
         id bigserial PRIMARY KEY,
         store text NOT NULL,
         session_key text NOT NULL,
         changed_at timestamptz NOT NULL DEFAULT now()
       )`,
      `CREATE TABLE IF NOT EXISTS sessiongraph.projection (
         store text NOT NULL,
         ref text NOT NULL,
         session_key text NOT NULL,
         user_id ${users.keyPgType},
         valid boolean NOT NULL,
         problem text,
         note text,
         data jsonb,
         expires_at timestamptz,
         sort_at timestamptz,
         created_at timestamptz,
         last_seen_at timestamptz,
         version integer NOT NULL,
         synced_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (store, ref)
       )`,
      `CREATE UNIQUE INDEX IF NOT EXISTS projection_key_idx ON sessiongraph.projection (store, session_key)`,
      `CREATE INDEX IF NOT EXISTS projection_user_idx
         ON sessiongraph.projection (store, user_id, sort_at DESC, ref DESC)`,
      `CREATE INDEX IF NOT EXISTS projection_sort_idx ON sessiongraph.projection (store, sort_at DESC, ref DESC)`,
      `CREATE INDEX IF NOT EXISTS projection_expires_idx ON sessiongraph.projection (store, expires_at)`,
      // One row per store: whether its projection is complete, and where an interrupted backfill stopped.
      `CREATE TABLE IF NOT EXISTS sessiongraph.projection_state (
         store text PRIMARY KEY,
         backfill_after text,
         backfilled_at timestamptz,
         started_at timestamptz NOT NULL DEFAULT now()
       )`,
    ],
  },
  {
    version: 3,
    name: 'API tokens and the audit log',
    statements: () => [
      // Tokens are bearer credentials: only their SHA-256 is kept.
      `CREATE TABLE IF NOT EXISTS sessiongraph.api_tokens (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         name text NOT NULL UNIQUE,
         token_hash bytea NOT NULL UNIQUE,
         scopes text[] NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         expires_at timestamptz,
         revoked_at timestamptz
       )`,
      `CREATE TABLE IF NOT EXISTS sessiongraph.audit_log (
         id bigserial PRIMARY KEY,
         at timestamptz NOT NULL DEFAULT clock_timestamp(),
         actor text NOT NULL,
         action text NOT NULL,
         session_id text,
         user_id text,
         outcome text NOT NULL,
         detail jsonb
       )`,
      `CREATE INDEX IF NOT EXISTS audit_log_session_idx ON sessiongraph.audit_log (session_id, id)`,
      `CREATE INDEX IF NOT EXISTS audit_log_user_idx ON sessiongraph.audit_log (user_id, id)`,
      `CREATE INDEX IF NOT EXISTS audit_log_at_idx ON sessiongraph.audit_log (at)`,
      // Append-only: the table refuses to change or lose a row, whoever asks.
      `CREATE OR REPLACE FUNCTION sessiongraph.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
       BEGIN
         RAISE EXCEPTION 'sessiongraph.audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
       END $fn$`,
      `DROP TRIGGER IF EXISTS audit_log_append_only ON sessiongraph.audit_log`,
      `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON sessiongraph.audit_log
         FOR EACH STATEMENT EXECUTE FUNCTION sessiongraph.audit_log_append_only()`,
    ],
  },
  {
    version: 4,
    name: 'tombstones of revoked session keys',
    statements: () => [
      // Keys of ended sessions that frameworks which upsert (express, web.py) may not re-insert until
      // `revoked_until`: only the key's SHA-256 (the session's ref), never the key. The per-store trigger
      // that enforces it is deployment DDL (src/security/tombstones.ts, applied by ensureProjection).
      `CREATE TABLE IF NOT EXISTS sessiongraph.revoked_keys (
         store text NOT NULL,
         key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),
         revoked_until timestamptz NOT NULL,
         PRIMARY KEY (store, key_hash)
       )`,
      // Pruning takes the oldest expired tombstones first.
      `CREATE INDEX IF NOT EXISTS revoked_keys_until_idx ON sessiongraph.revoked_keys (revoked_until)`,
    ],
  },
  {
    version: 5,
    name: 'notify token changes',
    statements: () => [
      // Replicas cache valid tokens (src/auth/token-cache.ts); any change to a token row, by the CLI or
      // by hand, tells them at commit so a revocation is never served from a cache.
      `CREATE OR REPLACE FUNCTION sessiongraph.notify_token_change() RETURNS trigger
         LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('sessiongraph_tokens', COALESCE(OLD.id, NEW.id)::text);
         RETURN NULL;
       END $$`,
      `DROP TRIGGER IF EXISTS api_tokens_notify ON sessiongraph.api_tokens`,
      `CREATE TRIGGER api_tokens_notify AFTER UPDATE OR DELETE ON sessiongraph.api_tokens
         FOR EACH ROW EXECUTE FUNCTION sessiongraph.notify_token_change()`,
      // TRUNCATE has no rows: everything goes.
      `CREATE OR REPLACE FUNCTION sessiongraph.notify_tokens_truncated() RETURNS trigger
         LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('sessiongraph_tokens', '');
         RETURN NULL;
       END $$`,
      `DROP TRIGGER IF EXISTS api_tokens_notify_truncate ON sessiongraph.api_tokens`,
      `CREATE TRIGGER api_tokens_notify_truncate AFTER TRUNCATE ON sessiongraph.api_tokens
         FOR EACH STATEMENT EXECUTE FUNCTION sessiongraph.notify_tokens_truncated()`,
    ],
  },
  {
    version: 6,
    name: 'session events',
    statements: () => [
      // Live events (`sessionEvents`) for every replica, sent at commit. Native sessions notify from their
      // own table; framework sessions from the projection, the first place their user id is known. A
      // backfill sets sessiongraph.quiet: copying a table is not news. Payload: s store (null: the native
      // store), r ref, u user id, k kind, e expiry.
      nativeEventFunction({ quietSweeps: false, outbox: false }),
      `DROP TRIGGER IF EXISTS sessions_notify_event ON sessiongraph.sessions`,
      `CREATE TRIGGER sessions_notify_event AFTER INSERT OR UPDATE OR DELETE ON sessiongraph.sessions
         FOR EACH ROW EXECUTE FUNCTION sessiongraph.notify_native_event()`,
      projectionEventFunction({ outbox: false }),
      `DROP TRIGGER IF EXISTS projection_notify_event ON sessiongraph.projection`,
      `CREATE TRIGGER projection_notify_event AFTER INSERT OR UPDATE OR DELETE ON sessiongraph.projection
         FOR EACH ROW EXECUTE FUNCTION sessiongraph.notify_projection_event()`,
    ],
  },
  {
    version: 7,
    name: 'idempotency keys',
    statements: () => [
      // A mutation sent with an Idempotency-Key commits its result here in its own transaction, so a retry
      // gets that result back instead of doing the work twice. The key is stored only hashed and the result
      // only encrypted under a key derived from it (a created session's key is in there).
      `CREATE TABLE IF NOT EXISTS sessiongraph.idempotency (
         key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),
         step text NOT NULL,
         request_hash bytea NOT NULL,
         result bytea,
         created_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (key_hash, step)
       )`,
      `CREATE INDEX IF NOT EXISTS idempotency_created_idx ON sessiongraph.idempotency (created_at)`,
    ],
  },
  {
    version: 8,
    name: 'cheaper touches: room for HOT updates, and no trigger call for them',
    statements: () => [
      // A read refreshing last_seen_at rewrites the row. With room left on each page (new pages only; a
      // VACUUM FULL or pg_repack applies it to old ones) the new version stays on the same page without
      // touching any of the five indexes, since last_seen_at is in none of them (a HOT update).
      `ALTER TABLE sessiongraph.sessions SET (fillfactor = 80)`,
      // A read that refreshes last_seen_at updates the row; the WHEN clause leaves such updates out when the
      // trigger is queued, instead of calling the PL/pgSQL function on every read only for it to return.
      `DROP TRIGGER IF EXISTS sessions_notify_event ON sessiongraph.sessions`,
      `CREATE TRIGGER sessions_notify_event AFTER INSERT OR DELETE ON sessiongraph.sessions
         FOR EACH ROW EXECUTE FUNCTION sessiongraph.notify_native_event()`,
      `DROP TRIGGER IF EXISTS sessions_notify_update ON sessiongraph.sessions`,
      `CREATE TRIGGER sessions_notify_update AFTER UPDATE ON sessiongraph.sessions
         FOR EACH ROW
         WHEN ((OLD.data, OLD.expires_at, OLD.user_id, OLD.key_hash)
               IS DISTINCT FROM (NEW.data, NEW.expires_at, NEW.user_id, NEW.key_hash))
         EXECUTE FUNCTION sessiongraph.notify_native_event()`,
    ],
  },
  {
    version: 9,
    name: 'framework pages printed from the projection',
    statements: () => [
      // What a framework session prints as, beside what SQL filters on: the data's JSON text as the decoded
      // blob gives it (jsonb reorders keys and respaces), and the user id as the blob names it (the typed
      // user_id cannot hold "042" or "abc"). Projections built before these existed are built again (their
      // fingerprint differs), and `sessiongraph sync --verify` also fills rows that lack them.
      `ALTER TABLE sessiongraph.projection ADD COLUMN IF NOT EXISTS data_json json,
         ADD COLUMN IF NOT EXISTS user_text text`,
      // What each store's projection was built with (src/projection/fingerprint.ts): rebuilt when it differs.
      `ALTER TABLE sessiongraph.projection_state ADD COLUMN IF NOT EXISTS fingerprint text`,
      // A page printed from the projection asks whether a change of its store, or of its rows, is queued.
      `CREATE INDEX IF NOT EXISTS changes_store_key_idx ON sessiongraph.changes (store, session_key)`,
    ],
  },
  {
    version: 10,
    name: 'session counts kept as writes happen, for sessionStats at scale',
    statements: sessionCountsMigration,
  },
  {
    version: 11,
    name: 'the sweeper announces what it deleted after its commit',
    statements: () => [
      // A transaction that notifies holds PostgreSQL's one notify lock from its queue write through its commit
      // (the WAL flush included), and every other notifying commit — each mutation's — waits for it. A sweep
      // batch of a thousand deletes, notifying per row, held it long enough for writers to wait 230 ms. The
      // sweeper now deletes quietly and sends the same events in a few batched notifications once committed.
      nativeEventFunction({ quietSweeps: true, outbox: false }),
    ],
  },
  {
    version: 12,
    name: 'session events leave through an outbox, after the writer has committed',
    statements: () => [
      // Even without the sweep's notifications, every writer's commit still passed through the notify lock
      // one at a time, each holding it through its own WAL flush: while a sweep kept the disk busy, writers
      // queued behind each other's flushes for hundreds of milliseconds. Writers now add their events to an
      // outbox (unlogged: no WAL of its own; lost only with a crash of PostgreSQL, as notifications in
      // flight are) and take no lock doing it; each server relays the outbox with NOTIFY in short commits
      // that do not wait for the disk (src/events/relay.ts).
      // `at`: when the trigger ran (not when its transaction began), for the relay's staleness check.
      `CREATE UNLOGGED TABLE IF NOT EXISTS sessiongraph.event_outbox (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         at timestamptz NOT NULL DEFAULT clock_timestamp(),
         payload text NOT NULL
       )`,
      nativeEventFunction({ quietSweeps: true, outbox: true }),
      projectionEventFunction({ outbox: true }),
    ],
  },
  {
    version: 13,
    name: 'an update under an Idempotency-Key keeps the row it wrote, in its own statement',
    statements: () => [
      // Sealing a result in the server takes the result back out of PostgreSQL and a second round trip to
      // store it, which cost a keyed update about 40% of its rate. An update of a native session instead
      // keeps, in the statement that writes it, the row it wrote as text (each cell as PostgreSQL prints the
      // column), from which a retry rebuilds the same result. It holds nothing `sessiongraph.sessions` does
      // not hold in the clear (no session key: that stays sealed, in `result`).
      `ALTER TABLE sessiongraph.idempotency ADD COLUMN IF NOT EXISTS written_row text[]`,
    ],
  },
  {
    version: 14,
    name: "a framework session the sweeper deletes is expired by the sweeper's clock",
    statements: () => [projectionEventFunction({ outbox: true, sweptExpired: true })],
  },
];

/** Whether the transaction is a sweep batch (src/sessions/sweep.ts sets it for the batch alone). */
const SWEEPING = "current_setting('sessiongraph.sweeping', true) = 'on'";

/** A table whose row changes become session events, and how (see `eventFunction`). */
interface EventSource {
  name: string;
  rowType: string;
  /** Sends nothing at all while this holds. */
  quiet?: string;
  /** Sends nothing for a delete while this holds. */
  quietDeletes?: string;
  /**
   * A delete while this holds is `expired` whatever the database's clock says (migration 14: the sweeper's,
   * which picks rows by the application's clock; a row that had only just expired by it was `ended`
   * whenever the database's clock ran behind).
   */
  expiredWhen?: string;
  /** An update is news only when one of these columns changed. */
  changed: string[];
  /** The payload's store (null: the native store) and ref, from `row_`. */
  store: string;
  ref: string;
}

/**
 * A table's event trigger function: created, updated (only when `changed` columns changed), ended or
 * expired, sent as NOTIFY at commit or into the outbox (migration 12).
 */
function eventFunction(source: EventSource, outbox: boolean): string {
  const skipWhen = (condition: string | undefined) =>
    condition ? `IF ${condition} THEN RETURN NULL; END IF;` : '';
  const columns = (row: string) => source.changed.map((column) => `${row}.${column}`).join(', ');
  const payload = `json_build_object('s', ${source.store}, 'r', ${source.ref}, 'u', row_.user_id::text, 'k', kind, 'e', row_.expires_at)::text`;
  return `CREATE OR REPLACE FUNCTION sessiongraph.${source.name}() RETURNS trigger
         LANGUAGE plpgsql AS $$
       DECLARE
         kind text;
         row_ ${source.rowType};
       BEGIN
         ${skipWhen(source.quiet)}
         IF TG_OP = 'DELETE' THEN
           ${skipWhen(source.quietDeletes)}
           row_ := OLD;
           kind := CASE WHEN ${source.expiredWhen ? `${source.expiredWhen} OR ` : ''}(OLD.expires_at IS NOT NULL AND OLD.expires_at <= now())
                        THEN 'expired' ELSE 'ended' END;
         ELSIF TG_OP = 'INSERT' THEN
           row_ := NEW;
           kind := 'created';
         ELSE
           IF (${columns('OLD')}) IS NOT DISTINCT FROM (${columns('NEW')}) THEN
             RETURN NULL;
           END IF;
           row_ := NEW;
           kind := 'updated';
         END IF;
         ${
           outbox
             ? `INSERT INTO sessiongraph.event_outbox (payload) VALUES (${payload})`
             : `PERFORM pg_notify('sessiongraph_events', ${payload})`
         };
         RETURN NULL;
       END $$`;
}

/**
 * The projection's event trigger function (migration 6; migration 12 sends through the outbox). A backfill
 * sets sessiongraph.quiet: copying a table is not news. The sync worker rewrites rows it re-reads; only a
 * different session is an update.
 */
function projectionEventFunction(options: { outbox: boolean; sweptExpired?: boolean }): string {
  return eventFunction(
    {
      name: 'notify_projection_event',
      ...(options.sweptExpired && { expiredWhen: SWEEPING }),
      rowType: 'sessiongraph.projection',
      quiet: "current_setting('sessiongraph.quiet', true) = 'on'",
      changed: ['data', 'expires_at', 'user_id', 'valid', 'session_key', 'version'],
      store: 'row_.store',
      ref: 'row_.ref',
    },
    options.outbox,
  );
}

/**
 * The native store's event trigger function (migration 6; migration 11 makes a sweep's deletes quiet, their
 * events sent by the sweeper after its commit). A read refreshing last_seen_at is not a change anyone
 * subscribes to.
 */
function nativeEventFunction(options: { quietSweeps: boolean; outbox: boolean }): string {
  return eventFunction(
    {
      name: 'notify_native_event',
      rowType: 'sessiongraph.sessions',
      ...(options.quietSweeps && { quietDeletes: SWEEPING }),
      changed: ['data', 'expires_at', 'user_id', 'key_hash'],
      store: 'NULL',
      ref: 'row_.id::text',
    },
    options.outbox,
  );
}

export const latestMigration = Math.max(...migrations.map((migration) => migration.version));

const ensureSchema = [
  // Only when missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema is
  // there, and a least-privilege role gets its schema made for it by an administrator.
  `DO $$ BEGIN
     IF to_regnamespace('sessiongraph') IS NULL THEN CREATE SCHEMA sessiongraph; END IF;
   END $$`,
  `CREATE TABLE IF NOT EXISTS sessiongraph.migrations (
     version integer PRIMARY KEY,
     name text NOT NULL,
     applied_at timestamptz NOT NULL DEFAULT now()
   )`,
];

export async function appliedMigrations(db: Queryable): Promise<number[]> {
  const exists = await db.query<{ present: boolean }>(
    `/* migrationsTableExists */ SELECT to_regclass('sessiongraph.migrations') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) return [];
  const result = await db.query<{ version: number }>(
    '/* appliedMigrations */ SELECT version FROM sessiongraph.migrations ORDER BY version',
  );
  return result.rows.map((row) => row.version);
}

/** Applies what is missing; returns the versions applied by this call. */
export async function migrate(pool: Pool, context: MigrationContext): Promise<number[]> {
  const applied: number[] = [];
  await withTransaction(pool, async (client) => {
    for (const statement of ensureSchema) await client.query(statement);
  }).catch(async (error: unknown) => {
    // Two replicas creating the schema at once: one loses the race on the catalog; the other's work stands.
    if ((await appliedMigrations(pool)).length === 0 && !(await schemaExists(pool))) throw error;
  });
  for (const migration of migrations) {
    await withTransaction(pool, async (client) => {
      await client.query('LOCK TABLE sessiongraph.migrations IN SHARE ROW EXCLUSIVE MODE');
      const done = await client.query('SELECT 1 FROM sessiongraph.migrations WHERE version = $1', [
        migration.version,
      ]);
      if ((done.rowCount ?? 0) > 0) return;
      for (const statement of migration.statements(context)) await client.query(statement);
      await client.query('INSERT INTO sessiongraph.migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    });
  }
  return applied;
}

async function schemaExists(db: Queryable): Promise<boolean> {
  const result = await db.query<{ present: boolean }>(
    `SELECT to_regclass('sessiongraph.migrations') IS NOT NULL AS present`,
  );
  return result.rows[0]?.present === true;
}
