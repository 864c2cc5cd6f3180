import { randomBytes } from 'node:crypto';
import type { PyValue } from '../../codecs/pickle.ts';
import type { JsonObject } from '../../codecs/result.ts';
import { encodeWebpySession } from '../../codecs/webpy.ts';
import type { WebpyStoreConfig } from './config.ts';
import { webpyDecoding } from './decoding.ts';
import type { Queryable } from '../../db/pool.ts';
import { InvalidInputError } from '../../errors/domain.ts';
import { type BlobFormat, blobReadLimits, createBlobStore, type FrameworkStoreDeps } from '../blob-store.ts';
import { createBlobQueries } from '../blob.sql.ts';
import { readStoreTable } from '../table-catalog.ts';
import { typedUserId, withValueAt } from '../user-path.ts';

/**
 * web.py's `DBStore`: `sessions(session_id, atime, data)`, data a base64 pickle read by our own safe
 * reader. No expiry at read time: a row lives until `cleanup` deletes it, `timeout` after its last access,
 * so `expiresAt` is `atime + timeout` and setting an expiry moves `atime`. See FORMATS.md §2.
 */
const PRESENTED_KEY = /^[0-9a-fA-F]{1,128}$/;

export async function createWebpyStore(db: Queryable, config: WebpyStoreConfig, deps: FrameworkStoreDeps) {
  const { columns } = config;
  const table = await readStoreTable(db, config.name, config.table, columns, config.timeZone);
  const atime = table.time(columns.atime);
  const timeout = `make_interval(secs => ${config.timeoutSeconds})`;
  const dataColumn = table.column(columns.data);
  const binary = table.types.get(columns.data) === 'bytea';
  const sql = createBlobQueries(
    {
      table: table.table,
      key: table.column(columns.key),
      keyType: table.types.get(columns.key) ?? 'text',
      blob: binary ? `encode(${dataColumn}, 'escape')` : dataColumn,
      blobColumn: dataColumn,
      blobCast: binary ? 'bytea' : 'text',
      expiresAt: `(${atime.read} + ${timeout})`,
      sortAt: atime.read,
      lastSeenAt: atime.read,
      active: (p) => `${table.column(columns.atime)} > ${atime.write(`(${p}::timestamptz - ${timeout})`)}`,
      expired: (p) => `${table.column(columns.atime)} <= ${atime.write(`(${p}::timestamptz - ${timeout})`)}`,
      expiryOrder: table.orderedBy(columns.atime),
      // web.py reads the row with atime (psycopg2 maps infinity, but fails on a finite year past 9999).
      rowProblem: `CASE WHEN isfinite(${table.column(columns.atime)}) AND ${table.column(columns.atime)} >= '10000-01-01' THEN '${columns.atime} is past year 9999, which web.py cannot read' END`,
      expiresAssignments: (p) => [
        [table.column(columns.atime), atime.write(`(${p}::timestamptz - ${timeout})`)],
      ],
    },
    blobReadLimits(deps.budgets),
  );

  const decoding = webpyDecoding(config, deps.budgets);
  const format: BlobFormat = {
    ...decoding.format,
    encode: (full, state) => encodeWebpySession(full, state as PyValue | undefined),
    generateKey: () => randomBytes(20).toString('hex'),
    rekeyed: (full, key) => ({ ...full, session_id: key }),
    presentedKey: (raw) => (PRESENTED_KEY.test(raw) ? raw : null),
    async newSession(_tx, input) {
      if (Object.hasOwn(input.data, 'session_id')) {
        throw new InvalidInputError('data', '"session_id" is set by web.py; leave it out of data');
      }
      let full: JsonObject = {
        ...input.data,
        session_id: input.key,
        ip: input.data['ip'] ?? input.ip ?? null,
      };
      if (input.userId !== null) {
        full = withValueAt(full, config.userPath, typedUserId(input.userId, deps.catalog.keyPgType));
      }
      return full;
    },
  };

  return createBlobStore({
    name: config.name,
    cookieName: config.cookieName ?? 'webpy_session_id',
    defaultTtlSeconds: config.defaultTtlSeconds ?? config.timeoutSeconds,
    deps,
    tombstoneSeconds: deps.tombstoneSeconds,
    anonymousUserIds: decoding.anonymousUserIds,
    sql,
    format,
    decoder: { settings: config },
  });
}
