import { randomBytes } from 'node:crypto';
import { sign, unsign } from 'cookie-signature';
import { expressCookie, isBrowserSessionCookie } from '../../codecs/express-sess.ts';
import type { JsonObject } from '../../codecs/result.ts';
import { secretText } from '../../config-parts.ts';
import type { ExpressStoreConfig } from './config.ts';
import { type ExpressDecoderFacts, expressDecoding } from './decoding.ts';
import type { Queryable } from '../../db/pool.ts';
import { InvalidInputError } from '../../errors/domain.ts';
import { type BlobFormat, blobReadLimits, createBlobStore, type FrameworkStoreDeps } from '../blob-store.ts';
import { createBlobQueries } from '../blob.sql.ts';
import { readStoreTable } from '../table-catalog.ts';
import { typedUserId, withValueAt } from '../user-path.ts';

/**
 * express-session + connect-pg-simple: `session(sid, sess json, expire timestamp)`. `sess` is plain JSON
 * with a `cookie` object whose `expires` must agree with the `expire` column, which connect-pg-simple
 * writes as `to_timestamp(ceil(expires / 1000))`. Browsers present `s:<sid>.<hmac>`. See FORMATS.md §3.
 */

export async function createExpressStore(
  db: Queryable,
  config: ExpressStoreConfig,
  deps: FrameworkStoreDeps,
) {
  const { columns } = config;
  const table = await readStoreTable(db, config.name, config.table, columns, config.timeZone);
  const expire = table.time(columns.expires);
  const sessType = table.types.get(columns.data);
  const jsonColumn = sessType === 'json' || sessType === 'jsonb';
  const secrets = config.secrets.map((secret) => secretText(secret));
  const sql = createBlobQueries(
    {
      table: table.table,
      key: table.column(columns.key),
      keyType: table.types.get(columns.key) ?? 'text',
      blob: `${table.column(columns.data)}::text`,
      blobColumn: table.column(columns.data),
      blobCast: sessType === 'jsonb' ? 'jsonb' : sessType === 'json' ? 'json' : 'text',
      // octet_length takes text and bytea, not json.
      blobBytes: `octet_length(${table.column(columns.data)}::text)`,
      expiresAt: expire.read,
      sortAt: expire.read,
      active: (p) => `${table.column(columns.expires)} > ${expire.write(p)}`,
      // connect-pg-simple reads a session only `WHERE expire >= now`: a NULL expiry is never served.
      rowProblem: `CASE WHEN ${table.column(columns.expires)} IS NULL THEN '${columns.expires} is NULL: connect-pg-simple never serves the session' END`,
      expired: (p) => `${table.column(columns.expires)} <= ${expire.write(p)}`,
      expiryOrder: table.orderedBy(columns.expires),
      // Whole seconds, rounded up, exactly as connect-pg-simple's `to_timestamp(ceil(ms / 1000))`.
      expiresAssignments: (p) => [
        [
          table.column(columns.expires),
          expire.write(`to_timestamp(ceil(extract(epoch FROM ${p}::timestamptz)))`),
        ],
      ],
    },
    blobReadLimits(deps.budgets),
  );

  const facts: ExpressDecoderFacts = { jsonColumn };
  const decoding = expressDecoding(config, facts, deps.budgets);
  const format: BlobFormat = {
    ...decoding.format,
    encode: (full) => JSON.stringify(full),
    // A browser-session cookie (no maxAge: `expires: null`) stays one: giving it an `expires` would make
    // express send a persistent cookie on its next change. Its expiry lives in the `expire` column alone.
    afterUpdate: (full, expiresAt, now) =>
      isBrowserSessionCookie(full['cookie'])
        ? full
        : { ...full, cookie: expressCookie(full['cookie'], expiresAt, now) },
    generateKey: () => randomBytes(24).toString('base64url'),
    // The cookie value express-session sets (before URL encoding): signed with the first secret.
    presentableKey: (sid) => (secrets[0] ? `s:${sign(sid, secrets[0])}` : sid),
    presentedKey(raw) {
      if (raw.startsWith('s:')) {
        for (const secret of secrets) {
          const sid = unsign(raw.slice(2), secret);
          if (sid !== false) return sid;
        }
        return null;
      }
      // An unsigned id is only taken where the deployment gave no secret to check a signature with.
      return secrets.length === 0 && raw.length > 0 && raw.length <= 256 ? raw : null;
    },
    async newSession(_tx, input) {
      if (Object.hasOwn(input.data, 'cookie')) {
        throw new InvalidInputError('data', '"cookie" is written by express-session; leave it out of data');
      }
      const cookie = expressCookie(
        { originalMaxAge: input.expiresAt.getTime() - input.now.getTime(), httpOnly: true, path: '/' },
        input.expiresAt,
        input.now,
      );
      let full: JsonObject = { cookie, ...input.data };
      const userPath = config.userPaths[0];
      if (input.userId !== null && userPath) {
        full = withValueAt(full, userPath, typedUserId(input.userId, deps.catalog.keyPgType));
      }
      return full;
    },
  };

  return Object.assign(
    createBlobStore({
      name: config.name,
      cookieName: config.cookieName ?? 'connect.sid',
      defaultTtlSeconds: config.defaultTtlSeconds ?? 86_400,
      deps,
      anonymousUserIds: decoding.anonymousUserIds,
      tombstoneSeconds: deps.tombstoneSeconds,
      sql,
      format,
      decoder: { settings: config, facts },
    }),
    { secrets },
  );
}
