import type { Config, FieldConfig, StoreConfig } from '../config.ts';
import type { Pool, Queryable } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import {
  dropTombstoneTrigger,
  storeRevokesStick,
  TOMBSTONE_TRIGGER,
  tombstoneFunction,
  tombstoneStatements,
} from '../security/tombstones.ts';
import { isFrameworkKind } from '../stores/registry.ts';
import { quoteIdent, quoteQualified } from '../users/catalog.ts';
import { fieldColumn, fieldSqlType } from './rows.ts';

/**
 * The parts of the projection that depend on the deployment, applied after the migrations and safe to
 * repeat: one typed column (and optional index) per declared field, a capture trigger on each framework
 * table, a tombstone trigger on the tables of frameworks that re-insert ended sessions
 * (src/security/tombstones.ts), and the `sessiongraph.all_sessions` view that joins native and projected
 * sessions for SQL users.
 */

/** The configuration of a store over a framework's own table (its kind has `framework` traits). */
export type FrameworkStoreConfig = Extract<StoreConfig, { table: string; columns: { key: string } }>;

export const isFrameworkStore = (store: StoreConfig): store is FrameworkStoreConfig =>
  isFrameworkKind(store.kind);

export const storeTable = (store: FrameworkStoreConfig) =>
  quoteQualified(store.table.includes('.') ? store.table : `public.${store.table}`);

const captureFunction = (store: FrameworkStoreConfig) =>
  `sessiongraph.${quoteIdent(`capture_${store.name}`)}`;
const truncateFunction = (store: FrameworkStoreConfig) =>
  `sessiongraph.${quoteIdent(`capture_truncate_${store.name}`)}`;
const CAPTURE_TRIGGER = 'sessiongraph_capture';
const TRUNCATE_TRIGGER = 'sessiongraph_capture_truncate';
/** Every trigger sessiongraph may have put on a framework table, for uninstall to find. */
const ALL_TRIGGERS = [CAPTURE_TRIGGER, TRUNCATE_TRIGGER, TOMBSTONE_TRIGGER];

/**
 * The key a TRUNCATE queues: no framework key is empty. The sync worker answers it by queueing every
 * projected key of the store, so each is checked against the table under its own lock like any change.
 */
export const WHOLE_STORE = '';
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Each write to a framework table queues its key and wakes the sync workers. Writes sessiongraph makes
 * itself set `sessiongraph.origin = 'api'` and update the projection in the same transaction, so they
 * skip the queue.
 */
function captureStatements(store: FrameworkStoreConfig): string[] {
  const key = quoteIdent(store.columns.key);
  const name = literal(store.name);
  return [
    `CREATE OR REPLACE FUNCTION ${captureFunction(store)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
     BEGIN
       IF current_setting('sessiongraph.origin', true) = 'api' THEN RETURN NULL; END IF;
       IF TG_OP <> 'INSERT' THEN
         INSERT INTO sessiongraph.changes (store, session_key) VALUES (${name}, OLD.${key}::text);
       END IF;
       IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.${key} IS DISTINCT FROM NEW.${key}) THEN
         INSERT INTO sessiongraph.changes (store, session_key) VALUES (${name}, NEW.${key}::text);
       END IF;
       -- A sweep batch wakes the workers itself once it has committed: a notifying transaction holds
       -- PostgreSQL's one notify lock through its commit, and writers waiting on the batch's rows with it.
       IF current_setting('sessiongraph.sweeping', true) IS DISTINCT FROM 'on' THEN
         PERFORM pg_notify('sessiongraph_changes', ${name});
       END IF;
       RETURN NULL;
     END
     $fn$`,
    // OR REPLACE (PostgreSQL 14+) needs only the TRIGGER privilege; DROP would need to own the table.
    `CREATE OR REPLACE TRIGGER ${CAPTURE_TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON ${storeTable(store)}
       FOR EACH ROW EXECUTE FUNCTION ${captureFunction(store)}()`,
    // Row triggers do not see a TRUNCATE (a way to log everyone out); without this the projection would
    // keep every session it emptied.
    `CREATE OR REPLACE FUNCTION ${truncateFunction(store)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
     BEGIN
       INSERT INTO sessiongraph.changes (store, session_key) VALUES (${name}, ${literal(WHOLE_STORE)});
       PERFORM pg_notify('sessiongraph_changes', ${name});
       RETURN NULL;
     END
     $fn$`,
    `CREATE OR REPLACE TRIGGER ${TRUNCATE_TRIGGER} AFTER TRUNCATE ON ${storeTable(store)}
       FOR EACH STATEMENT EXECUTE FUNCTION ${truncateFunction(store)}()`,
  ];
}

/** SQL reading a declared field from a jsonb `data` with the same rules as `typedValue`. */
function typedExpression(field: FieldConfig, data: string): string {
  const path = `${data} #> ${literal(`{${field.path.map((part) => `"${part.replaceAll('"', '\\"')}"`).join(',')}}`)}`;
  const type = `jsonb_typeof(${path})`;
  switch (field.type) {
    case 'String':
      return `CASE WHEN ${type} = 'string' THEN ${path} #>> '{}' END`;
    case 'ID':
      return `CASE WHEN ${type} = 'string' OR (${type} = 'number' AND (${path})::numeric = trunc((${path})::numeric)) THEN ${path} #>> '{}' END`;
    case 'Int':
      return `CASE WHEN ${type} = 'number' AND (${path})::numeric = trunc((${path})::numeric) AND (${path})::numeric BETWEEN -2147483648 AND 2147483647 THEN (${path})::integer END`;
    case 'Float':
      return `CASE WHEN ${type} = 'number' THEN (${path})::double precision END`;
    case 'Boolean':
      return `CASE WHEN ${type} = 'boolean' THEN (${path})::boolean END`;
    case 'DateTime':
      return `CASE WHEN ${type} = 'string' AND ${path} #>> '{}' ~ '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})$' THEN (${path} #>> '{}')::timestamptz END`;
    case 'JSON':
      return path;
  }
}

function viewStatement(config: Config): string {
  const fields = config.fields;
  const native = config.stores.find((store) => !isFrameworkStore(store));
  const typedNative = fields.map((field) => `${typedExpression(field, 's.data')} AS ${fieldColumn(field)}`);
  const typedProjected = fields.map((field) => `p.${fieldColumn(field)}`);
  const parts: string[] = [];
  if (native) {
    parts.push(`SELECT ${literal(native.name)}::text AS store, s.id::text AS ref, s.user_id,
        CASE WHEN s.expires_at > now() THEN 'ACTIVE' ELSE 'EXPIRED' END AS status, NULL::text AS problem,
        s.data, s.created_at, s.expires_at, s.last_seen_at${typedNative.map((column) => `, ${column}`).join('')}
      FROM sessiongraph.sessions s`);
  }
  parts.push(`SELECT p.store, p.ref, p.user_id,
      CASE WHEN NOT p.valid THEN 'INVALID' WHEN p.expires_at <= now() THEN 'EXPIRED' ELSE 'ACTIVE' END AS status,
      p.problem, p.data, p.created_at, p.expires_at, p.last_seen_at${typedProjected.map((column) => `, ${column}`).join('')}
    FROM sessiongraph.projection p`);
  return `CREATE VIEW sessiongraph.all_sessions AS ${parts.join('\nUNION ALL\n')}`;
}

export function projectionStatements(config: Config): string[] {
  const statements: string[] = [];
  for (const field of config.fields) {
    const column = fieldColumn(field);
    statements.push(
      `ALTER TABLE sessiongraph.projection ADD COLUMN IF NOT EXISTS ${column} ${fieldSqlType[field.type]}`,
    );
    if (field.indexed) {
      statements.push(
        `CREATE INDEX IF NOT EXISTS ${quoteIdent(`projection_${column}_idx`)} ON sessiongraph.projection (store, ${column})`,
      );
    }
  }
  for (const store of config.stores.filter(isFrameworkStore)) {
    statements.push(...captureStatements(store), ...tombstoneStatements(store, storeTable(store)));
  }
  statements.push('DROP VIEW IF EXISTS sessiongraph.all_sessions', viewStatement(config));
  statements.push(
    `COMMENT ON VIEW sessiongraph.all_sessions IS 'Every session of every store, decoded, one row each; '
      'join user_id to the users table. Kept fresh by sessiongraph triggers and its sync worker.'`,
  );
  return statements;
}

/** Applies the deployment's projection DDL in one transaction (replicas serialise on the state table). */
export async function ensureProjection(pool: Pool, config: Config): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query('LOCK TABLE sessiongraph.projection_state IN SHARE ROW EXCLUSIVE MODE');
    for (const statement of projectionStatements(config)) await client.query(statement);
  });
}

/**
 * What of the deployment's projection DDL (projectionStatements) is not in the database: a framework table's
 * trigger calling this store's function (a store renamed since the last migrate still has its old store's),
 * a field's column. A server that does not migrate (`migrateOnStart: false`) refuses to start on any of it:
 * without the triggers a framework's writes never reach the projection, and the API would quietly show none
 * of them.
 */
export async function missingProjection(db: Queryable, config: Config): Promise<string[]> {
  const expected = config.stores.filter(isFrameworkStore).flatMap((store) => {
    const table = storeTable(store);
    const triggers: [string, string][] = [
      [CAPTURE_TRIGGER, captureFunction(store)],
      [TRUNCATE_TRIGGER, truncateFunction(store)],
    ];
    if (storeRevokesStick(store)) triggers.push([TOMBSTONE_TRIGGER, tombstoneFunction(store.name)]);
    return triggers.map(([trigger, fn]) => ({ store: store.name, table, trigger, fn }));
  });
  const missing: string[] = [];
  if (expected.length > 0) {
    const found = await db.query<{ i: string }>(
      `/* projectionTriggers */ SELECT e.i::text AS i
         FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS e(tbl, trigger_name, fn, i)
        WHERE EXISTS (SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = to_regclass(e.tbl)
                         AND tg.tgname = e.trigger_name AND tg.tgfoid = to_regproc(e.fn))`,
      [expected.map((e) => e.table), expected.map((e) => e.trigger), expected.map((e) => e.fn)],
    );
    const present = new Set(found.rows.map((row) => Number(row.i)));
    expected.forEach((e, index) => {
      if (!present.has(index + 1)) missing.push(`trigger ${e.trigger} on ${e.table} (store "${e.store}")`);
    });
  }
  if (config.fields.length > 0) {
    const columns = await db.query<{ name: string }>(
      `/* projectionColumns */ SELECT attname AS name FROM pg_attribute
        WHERE attrelid = to_regclass('sessiongraph.projection') AND attnum > 0 AND NOT attisdropped`,
    );
    const present = new Set(columns.rows.map((row) => row.name));
    for (const field of config.fields) {
      if (!present.has(fieldColumn(field)))
        missing.push(`column sessiongraph.projection.${fieldColumn(field)} (field "${field.name}")`);
    }
  }
  return missing;
}

/** Removes everything sessiongraph installed; the framework tables keep their rows and lose only the triggers. */
export async function uninstall(db: Queryable, config: Config): Promise<string[]> {
  const done: string[] = [];
  const present = async (table: string, trigger: string) =>
    ((
      await db.query('SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname = $2', [
        table,
        trigger,
      ])
    ).rowCount ?? 0) > 0;
  for (const store of config.stores.filter(isFrameworkStore)) {
    for (const trigger of ALL_TRIGGERS) {
      if (!(await present(storeTable(store), trigger))) continue;
      await db.query(
        trigger === TOMBSTONE_TRIGGER
          ? dropTombstoneTrigger(storeTable(store))
          : `DROP TRIGGER IF EXISTS ${trigger} ON ${storeTable(store)}`,
      );
      done.push(`dropped trigger ${trigger} on ${storeTable(store)}`);
    }
  }
  // Triggers of stores no longer configured are found through the catalog, so none is left behind.
  const leftovers = await db.query<{ relation: string; name: string }>(
    `SELECT tgrelid::regclass::text AS relation, tgname AS name FROM pg_trigger
      WHERE tgname = ANY($1::text[])`,
    [ALL_TRIGGERS],
  );
  for (const { relation, name } of leftovers.rows) {
    await db.query(`DROP TRIGGER IF EXISTS ${name} ON ${relation}`);
    done.push(`dropped trigger ${name} on ${relation}`);
  }
  const schema = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'sessiongraph'`);
  if ((schema.rowCount ?? 0) > 0) {
    await db.query('DROP SCHEMA IF EXISTS sessiongraph CASCADE');
    done.push('dropped schema sessiongraph');
  }
  return done;
}
