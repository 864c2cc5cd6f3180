import { randomUUID } from 'node:crypto';
import type { PyValue } from '../../codecs/pickle.ts';
import type { JsonObject } from '../../codecs/result.ts';
import { ConfigError, secretText } from '../../config-parts.ts';
import type { Queryable } from '../../db/pool.ts';
import { InvalidInputError } from '../../errors/domain.ts';
import { type BlobFormat, blobReadLimits, createBlobStore, type FrameworkStoreDeps } from '../blob-store.ts';
import { createBlobQueries } from '../blob.sql.ts';
import { readStoreTable } from '../table-catalog.ts';
import { withValueAt } from '../user-path.ts';
import { encodeFlaskSession, flaskSigner } from './codec.ts';
import type { FlaskStoreConfig } from './config.ts';
import { flaskDecoding, HIDDEN_KEYS } from './decoding.ts';

/**
 * Flask-Session 0.3.2's SQLAlchemy backend: `sessions(id serial, session_id varchar(255) unique, data bytea,
 * expiry timestamp)`, the key `keyPrefix + sid`, the data a pickled dict (codec.ts).
 *
 * `expiry` is UTC wall time, whatever the store's `timeZone` says: Flask writes an aware
 * `now(UTC) + lifetime`, which PostgreSQL turns into the wall time of the *writing* connection's TimeZone,
 * and Flask-Session then compares that naive value with `datetime.utcnow()`. Whatever zone wrote it, Flask
 * reads it as UTC, so every read and write here goes through `AT TIME ZONE 'UTC'` and never through the
 * `timeZone` setting (a Flask whose connection is not in UTC lives with shifted lifetimes; we agree with it).
 */

/** A browser's cookie value is at most this long (the key column is varchar(255)). */
const MAX_COOKIE = 512;

export async function createFlaskStore(db: Queryable, config: FlaskStoreConfig, deps: FrameworkStoreDeps) {
  const { columns, keyPrefix } = config;
  // (`timeZone` is only checked for being a zone: see above for why it does not apply to `expiry`.)
  const table = await readStoreTable(db, config.name, config.table, columns, config.timeZone);
  const expiryType = table.types.get(columns.expires);
  if (expiryType !== 'timestamp') {
    // psycopg2 hands an aware datetime for timestamptz, which Flask-Session cannot compare with utcnow().
    throw new ConfigError(
      `stores.${config.name}: column "${columns.expires}" of ${config.table} must be a timestamp without time ` +
        `zone, as Flask-Session creates it (Flask fails every request on a ${expiryType})`,
    );
  }
  if (table.types.get(columns.data) !== 'bytea') {
    throw new ConfigError(
      `stores.${config.name}: column "${columns.data}" of ${config.table} must be bytea, as Flask-Session creates it`,
    );
  }
  const signer = config.useSigner ? flaskSigner(secretText(config.secretKey)) : null;
  const expiry = table.column(columns.expires);
  const data = table.column(columns.data);
  const asUtc = (p: string) => `(${p}::timestamptz AT TIME ZONE 'UTC')`;
  const sql = createBlobQueries(
    {
      table: table.table,
      key: table.column(columns.key),
      keyType: table.types.get(columns.key) ?? 'text',
      // NULL data stays NULL (no session data), not '\x'; E'' whatever standard_conforming_strings says.
      blob: `(E'\\\\x' || encode(${data}, 'hex'))`,
      blobColumn: data,
      blobCast: 'bytea',
      expiresAt: `(${expiry} AT TIME ZONE 'UTC')`,
      // Flask moves expiry forward on every save: the latest expiry is the latest activity.
      sortAt: `(${expiry} AT TIME ZONE 'UTC')`,
      // Flask-Session: `saved_session.expiry <= datetime.utcnow()` is expired (and deleted on load).
      active: (p) => `${expiry} > ${asUtc(p)}`,
      expired: (p) => `${expiry} <= ${asUtc(p)}`,
      expiryOrder: table.orderedBy(columns.expires),
      // Reading the row fails before Flask looks at it: NULL in the comparison, or a year psycopg2 cannot
      // build (it reads infinity as datetime.max, -infinity as datetime.min).
      rowProblem: `CASE WHEN ${expiry} IS NULL THEN '${columns.expires} is NULL: Flask fails every request for the session'
        WHEN isfinite(${expiry}) AND (${expiry} >= '10000-01-01' OR ${expiry} < '0001-01-01')
        THEN '${columns.expires} is outside years 1-9999, which psycopg2 cannot read: Flask fails every request for the session' END`,
      expiresAssignments: (p) => [[expiry, asUtc(p)]],
    },
    blobReadLimits(deps.budgets),
  );

  const decoding = flaskDecoding(config, deps.budgets);
  const format: BlobFormat = {
    ...decoding.format,
    encode: (full, state) => encodeFlaskSession(full, state as PyValue | undefined),
    // Flask-Session's `_generate_sid`: str(uuid4()).
    generateKey: () => `${keyPrefix}${randomUUID()}`,
    presentableKey: (key) => {
      const sid = key.slice(keyPrefix.length);
      return signer ? signer.sign(sid) : sid;
    },
    presentedKey(raw) {
      if (raw.length === 0 || raw.length > MAX_COOKIE) return null;
      // Unsigned, the cookie is the sid itself, whatever it holds: Flask-Session looks up any non-empty value.
      const sid = signer ? signer.unsign(raw) : raw;
      return sid === null ? null : `${keyPrefix}${sid}`;
    },
    // A session without `_permanent` is written back with a NULL expiry by Flask's next save (see above).
    afterUpdate: (full) => (full['_permanent'] === true ? full : { ...full, _permanent: true }),
    async newSession(_tx, input) {
      for (const key of HIDDEN_KEYS) {
        if (Object.hasOwn(input.data, key)) {
          throw new InvalidInputError('data', `"${key}" is managed by Flask; leave it out of data`);
        }
      }
      const full: JsonObject = { _permanent: true, ...input.data };
      // Flask-Login's `login_user` stores `str(user.id)`, whatever the key's type.
      return input.userId === null ? full : withValueAt(full, config.userPath, input.userId);
    },
  };

  return createBlobStore({
    name: config.name,
    cookieName: config.cookieName ?? 'session',
    defaultTtlSeconds: config.defaultTtlSeconds ?? config.lifetimeSeconds,
    deps,
    anonymousUserIds: decoding.anonymousUserIds,
    // No tombstones: see index.ts.
    sql,
    format,
    decoder: { settings: config },
  });
}
