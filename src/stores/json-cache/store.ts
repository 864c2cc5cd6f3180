import { randomUUID } from 'node:crypto';
import type { JsonCacheStoreConfig } from './config.ts';
import { jsonCacheDecoding } from './decoding.ts';
import type { Queryable } from '../../db/pool.ts';
import { type BlobFormat, blobReadLimits, createBlobStore, type FrameworkStoreDeps } from '../blob-store.ts';
import { createBlobQueries } from '../blob.sql.ts';
import { readStoreTable } from '../table-catalog.ts';
import { typedUserId, withValueAt } from '../user-path.ts';

/**
 * A home-made cache table like the seed's `session_cache(sessionid, userdict, session_startutc,
 * session_endutc)`: UUID keys, the user dict as JSON text, valid from its start for a fixed window and
 * never past its end. See FORMATS.md §9.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export async function createJsonCacheStore(
  db: Queryable,
  config: JsonCacheStoreConfig,
  deps: FrameworkStoreDeps,
) {
  const { columns } = config;
  const table = await readStoreTable(db, config.name, config.table, columns, config.timeZone);
  const start = table.time(columns.start);
  const end = table.time(columns.end);
  const window = `make_interval(secs => ${config.windowSeconds})`;
  const expires = `LEAST(${end.read}, ${start.read} + ${window})`;
  const dataType = table.types.get(columns.data);
  const keyType = table.types.get(columns.key);
  const sql = createBlobQueries(
    {
      table: table.table,
      // A uuid key column is compared as uuid, so its index serves look-ups (presented keys are checked UUIDs).
      key: table.column(columns.key),
      keyType: keyType ?? 'text',
      blob: `${table.column(columns.data)}::text`,
      blobColumn: table.column(columns.data),
      blobCast: dataType === 'jsonb' || dataType === 'json' ? dataType : 'text',
      // octet_length takes text and bytea, not json.
      blobBytes: `octet_length(${table.column(columns.data)}::text)`,
      expiresAt: expires,
      sortAt: start.read,
      createdAt: start.read,
      active: (p) => `${expires} > ${p}::timestamptz`,
      // A window needs a start or an end (a NULL end alone means the window decides).
      rowProblem: `CASE WHEN ${table.column(columns.start)} IS NULL AND ${table.column(columns.end)} IS NULL THEN '${columns.start} and ${columns.end} are both NULL' END`,
      expired: (p) => `${expires} <= ${p}::timestamptz`,
      expiresAssignments: (p) => [[table.column(columns.end), end.write(p)]],
      createdAssignments: (p) => [[table.column(columns.start), start.write(p)]],
    },
    blobReadLimits(deps.budgets),
  );

  const decoding = jsonCacheDecoding(config, deps.budgets);
  const format: BlobFormat = {
    ...decoding.format,
    encode: (full) => JSON.stringify(full),
    latestExpiry: (createdAt, now) => new Date((createdAt ?? now).getTime() + config.windowSeconds * 1000),
    generateKey: () => randomUUID(),
    // Anything but a UUID is refused before it reaches SQL, where a uuid column would fail the cast.
    presentedKey: (raw) => (UUID.test(raw) ? raw.toLowerCase() : null),
    async newSession(_tx, input) {
      return input.userId === null
        ? { ...input.data }
        : withValueAt(input.data, config.userPath, typedUserId(input.userId, deps.catalog.keyPgType));
    },
  };

  return createBlobStore({
    name: config.name,
    cookieName: config.cookieName ?? 'session_id',
    defaultTtlSeconds: config.defaultTtlSeconds ?? config.windowSeconds,
    deps,
    anonymousUserIds: decoding.anonymousUserIds,
    sql,
    format,
    decoder: { settings: config },
  });
}
