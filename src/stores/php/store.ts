import { createHmac } from 'node:crypto';
import { ConfigError } from '../../config-parts.ts';
import type { Queryable } from '../../db/pool.ts';
import { parseUserKey } from '../../users/catalog.ts';
import { checkSecretColumn } from '../../users/secret-columns.ts';
import { blobReadLimits, createBlobStore, type FrameworkStoreDeps } from '../blob-store.ts';
import { type BlobTableSql, createBlobQueries } from '../blob.sql.ts';
import { readStoreTable, type TableColumns } from '../table-catalog.ts';
import type { SessionRecord } from '../types.ts';
import { resolvedSecret } from '../row-decoder.ts';
import { typedUserId } from '../user-path.ts';
import type { LaravelStoreConfig, PhpStoreConfig, SymfonyStoreConfig } from './config.ts';
import { crc32cHex } from './crc32c.ts';
import { laravelFormat, passwordHashKey } from './laravel.ts';
import { passwordSlot, symfonyFormat } from './symfony.ts';

/**
 * The `php` store: Symfony's PdoSessionHandler table or Laravel's database session table (see symfony.ts and
 * laravel.ts for the formats). Both frameworks keep times as integer Unix seconds and serve a row while
 * `expiry >= time()`, so a session stops being served at `expiry + 1 s`: that is its `expiresAt`, and an
 * expiry set through the API is stored as `ceil(expiresAt) - 1`.
 */

/** Symfony's PdoSessionHandler::MAX_LIFETIME: a `sess_lifetime` up to this is a duration (Symfony < 4.4). */
const MAX_LIFETIME = 315_576_000;
const INT4_MAX = 2_147_483_647;
/**
 * Unix seconds as timestamptz, held within what both PostgreSQL and JavaScript can hold: a hostile bigint
 * column must not fail the statement (int4 columns never reach the bounds).
 */
const timeOf = (seconds: string) => `to_timestamp(LEAST(GREATEST(${seconds}, -210866803200), 8640000000000))`;
const epochOf = (p: string) => `floor(extract(epoch FROM ${p}::timestamptz))::bigint`;
/** The last whole second a session is served in, for an expiry instant `p`. */
const lastServedSecond = (p: string) => `(ceil(extract(epoch FROM ${p}::timestamptz))::bigint - 1)`;

function integerColumn(table: TableColumns, storeName: string, setting: string, column: string) {
  const type = table.types.get(column);
  if (type !== 'int4' && type !== 'int8') {
    throw new ConfigError(
      `stores.${storeName}.columns.${setting}: column "${column}" must hold Unix seconds as integer or bigint, not ${type}`,
    );
  }
  // An int4 column ends in January 2038; a bigint one outlives any expiry the API accepts.
  return { quoted: table.column(column), max: type === 'int4' ? INT4_MAX : null };
}

async function symfonySql(db: Queryable, config: SymfonyStoreConfig) {
  const { columns } = config;
  const table = await readStoreTable(db, config.name, config.table, columns, config.timeZone);
  if (table.types.get(columns.data) !== 'bytea') {
    throw new ConfigError(
      `stores.${config.name}.columns.data: "${columns.data}" must be bytea, as PdoSessionHandler::createTable() ` +
        'makes it (PHP session data holds NUL bytes, which text cannot)',
    );
  }
  const lifetime = integerColumn(table, config.name, 'lifetime', columns.lifetime);
  const time = integerColumn(table, config.name, 'time', columns.time).quoted;
  const l = lifetime.quoted;
  // PHP reads NULL as 0 (`(int)`): a row without its numbers is a duration of 0 since 1970, long expired.
  const legacy = `COALESCE(${l}, 0) <= ${MAX_LIFETIME}`;
  // numeric: sums of hostile bigint columns must not overflow.
  const legacyExpiry = `COALESCE(${l}, 0)::numeric + COALESCE(${time}, 0)`;
  const expiry = `(CASE WHEN ${legacy} THEN ${legacyExpiry} ELSE ${l}::numeric END)`;
  const data = table.column(columns.data);
  const spec: BlobTableSql = {
    table: table.table,
    key: table.column(columns.key),
    keyType: table.types.get(columns.key) ?? 'text',
    // bytea input text: what a rotation of an undecodable row writes back unread is the same bytes.
    blob: `'\\x' || encode(${data}, 'hex')`,
    blobColumn: data,
    blobCast: 'bytea',
    expiresAt: timeOf(`${expiry} + 1`),
    sortAt: timeOf(time),
    lastSeenAt: timeOf(time),
    // PdoSessionHandler::doRead: `$expiry < time()` is expired. Written as its gc() writes it, so the
    // sess_lifetime index serves the new layout.
    active: (p) =>
      `((${l} > ${MAX_LIFETIME} AND ${l} >= ${epochOf(p)}) OR (${legacy} AND ${legacyExpiry} >= ${epochOf(p)}))`,
    expired: (p) =>
      `((${l} > ${MAX_LIFETIME} AND ${l} < ${epochOf(p)}) OR (${legacy} AND ${legacyExpiry} < ${epochOf(p)}))`,
    // Symfony 5.4's layout: the expiry timestamp. It must stay above MAX_LIFETIME to be read as one (an
    // expiry before 1980 is as expired either way).
    expiresAssignments: (p) => [[l, `GREATEST(${MAX_LIFETIME + 1}, ${lastServedSecond(p)})`]],
    createdAssignments: (p) => [[time, epochOf(p)]],
    // With session.use_strict_mode (NativeSessionStorage turns it on), an empty read is an unknown id: PHP
    // starts a new session. Such rows are PHP's lock rows of a non-strict setup, never a session.
    rowProblem: `CASE WHEN octet_length(${data}) = 0 THEN '${columns.data} is empty: PHP treats the id as unknown and starts a new session' END`,
  };
  // sess_lifetime holds the last second served.
  const latest = lifetime.max === null ? undefined : new Date((lifetime.max + 1) * 1000);
  return { spec, latest };
}

/**
 * The users-table column a framework's password check reads (`passwordColumn`: Symfony's firewall asking
 * whether the user changed, Laravel's AuthenticateSession), or null for no check: set to null, or left unset
 * on a users table without `password`. A column named but missing stops the server, as does one the API would
 * expose.
 */
async function passwordColumnOf(
  db: Queryable,
  config: { name: string; passwordColumn?: string | null | undefined },
  deps: FrameworkStoreDeps,
  hint: string,
): Promise<string | null> {
  if (config.passwordColumn === null) return null;
  const name = config.passwordColumn ?? 'password';
  const usable = await checkSecretColumn(deps, db, {
    setting: `stores.${config.name}.passwordColumn`,
    name,
    hint,
    optional: config.passwordColumn === undefined,
  });
  return usable ? name : null;
}

/** The user's hash in `column` (null: a NULL cell), or undefined for a user the table does not hold. */
async function currentPassword(
  deps: FrameworkStoreDeps,
  db: Queryable,
  column: string,
  userId: string,
): Promise<string | null | undefined> {
  return (await deps.users.secretColumnByIds(db, column, [userId])).get(userId);
}

async function laravelSql(db: Queryable, config: LaravelStoreConfig) {
  const { columns } = config;
  const named = Object.fromEntries(
    Object.entries(columns).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  const table = await readStoreTable(db, config.name, config.table, named, config.timeZone);
  const activity = integerColumn(table, config.name, 'lastActivity', columns.lastActivity);
  const la = activity.quoted;
  const lifetime = config.lifetimeMinutes * 60;
  if (!['text', 'varchar'].includes(table.types.get(columns.payload) ?? '')) {
    throw new ConfigError(
      `stores.${config.name}.columns.payload: "${columns.payload}" must be text, as Laravel's session migration makes it`,
    );
  }
  const payload = table.column(columns.payload);
  const spec: BlobTableSql = {
    table: table.table,
    key: table.column(columns.key),
    keyType: table.types.get(columns.key) ?? 'text',
    blob: payload,
    blobColumn: payload,
    blobCast: 'text',
    expiresAt: timeOf(`${la}::numeric + ${lifetime + 1}`),
    sortAt: timeOf(la),
    lastSeenAt: timeOf(la),
    ...(columns.ipAddress !== null && { ip: table.column(columns.ipAddress) }),
    ...(columns.userAgent !== null && { userAgent: table.column(columns.userAgent) }),
    // DatabaseSessionHandler::expired(): `isset($session->last_activity) && last_activity < now - lifetime`:
    // a NULL last_activity never expires (and its gc never deletes it).
    active: (p) => `(${la} IS NULL OR ${la} >= ${epochOf(p)} - ${lifetime})`,
    expired: (p) => `${la} < ${epochOf(p)} - ${lifetime}`,
    expiryOrder: table.orderedBy(columns.lastActivity),
    expiresAssignments: (p) => [[la, `${lastServedSecond(p)} - ${lifetime}`]],
  };
  const latest = activity.max === null ? undefined : new Date((activity.max + lifetime + 1) * 1000);
  return { spec, latest, table };
}

export async function createPhpStore(db: Queryable, config: PhpStoreConfig, deps: FrameworkStoreDeps) {
  const limits = blobReadLimits(deps.budgets);
  const common = {
    name: config.name,
    deps,
    anonymousUserIds: config.anonymousUserIds,
    // Symfony (under a lock_mode other than the default) upserts a session it holds; Laravel re-inserts an
    // ended id as a new empty session, which must go through (see index.ts).
    tombstoneSeconds: config.layout === 'symfony' ? deps.tombstoneSeconds : 0,
    decoder: { settings: config },
  };
  if (config.layout === 'symfony') {
    const { spec, latest } = await symfonySql(db, config);
    const format = { ...symfonyFormat(config, deps.budgets), ...(latest && { latestExpiry: () => latest }) };
    const store = createBlobStore({
      ...common,
      cookieName: config.cookieName ?? 'PHPSESSID',
      defaultTtlSeconds: config.defaultTtlSeconds ?? config.maxLifetimeSeconds,
      sql: createBlobQueries(spec, limits),
      format,
    });
    const passwordColumn = await passwordColumnOf(
      db,
      config,
      deps,
      'make:user’s User entity keeps its password hash in "password"; null: no check',
    );
    if (passwordColumn === null) return store;
    const serializedPassword = passwordSlot(config);
    return Object.assign(store, {
      /**
       * As the firewall's ContextListener::refreshUser (Security-HTTP 5.4) does on every request: the user
       * provider reloads the token's user (Doctrine's EntityUserProvider by its id), and hasUserChanged()
       * compares the serialized user's getPassword() with the reloaded one's (`!==`): another hash (a password
       * change since login) logs the session out, its token removed. So does a user the provider no longer
       * finds (UserNotFoundException: the token is removed too), unlike Django, which keeps such a session. A
       * user object without `passwordProperty` cannot be judged: served as before. Symfony 7.3+ keeps hashes
       * out of sessions: its hasUserChanged() never judges a serialized null, and takes an 8-character value
       * for `hash('crc32c', $password)` (what make:user's `__serialize()` stores since 7.3); both are
       * accepted here too, or every such session would read as logged out.
       */
      async servesAsUser(db: Queryable, record: SessionRecord): Promise<boolean> {
        if (record.userId === null) return true;
        const current = await currentPassword(deps, db, passwordColumn, record.userId);
        if (current === undefined) return false;
        const serialized = record.managed?.[serializedPassword];
        if (serialized === undefined || serialized === null || serialized === current) return true;
        return (
          typeof serialized === 'string' &&
          serialized.length === 8 &&
          current !== null &&
          crc32cHex(current) === serialized
        );
      },
    });
  }

  const { spec, latest, table } = await laravelSql(db, config);
  const format = laravelFormat(
    config,
    deps.budgets,
    (id) => typedUserId(id, deps.catalog.keyPgType) as string | number,
  );
  const sql = createBlobQueries(spec, limits);
  const { userId, ipAddress, userAgent } = config.columns;
  const userIdType = userId === null ? null : (table.types.get(userId) ?? 'text');
  // parseUserKey knows the SQL names of the integer types.
  const userIdKind = {
    keyPgType:
      { int2: 'smallint', int4: 'integer', int8: 'bigint' }[userIdType ?? ''] ?? userIdType ?? 'text',
  };
  /** What `createSession` knows of the browser, for the columns Laravel fills on every request. */
  const extras = new WeakMap<Queryable, { key: string; ip: string | null; userAgent: string | null }>();
  const insert = sql.insert;
  // Laravel keeps the default guard's user id, the IP and the user agent in columns beside the payload
  // (Jetstream lists and ends a user's sessions by `user_id`): a session created here gets them too.
  sql.insert = async (tx, key, blob, expiresAt, now) => {
    const row = await insert(tx, key, blob, expiresAt, now);
    const known = extras.get(tx);
    extras.delete(tx);
    const sets: string[] = [];
    const values: unknown[] = [key];
    const owner = userId === null ? null : format.payloadUserId(blob);
    const ownerKey = owner === null ? null : parseUserKey(userIdKind, owner);
    if (userId !== null && ownerKey !== null)
      sets.push(`${table.column(userId)} = $${values.push(ownerKey)}::${userIdType}`);
    if (known?.key === key) {
      if (ipAddress !== null && known.ip !== null)
        sets.push(`${table.column(ipAddress)} = $${values.push(known.ip.slice(0, 45))}`);
      if (userAgent !== null && known.userAgent !== null) {
        sets.push(`${table.column(userAgent)} = $${values.push(known.userAgent.slice(0, 500))}`);
      }
    }
    if (sets.length > 0) {
      await tx.query(
        `/* fillLaravelSessionColumns */ UPDATE ${table.table} SET ${sets.join(', ')} WHERE ${spec.key} = $1::${spec.keyType}`,
        values,
      );
    }
    return row;
  };
  const newSession = format.newSession;
  const store = createBlobStore({
    ...common,
    cookieName: config.cookieName ?? 'laravel_session',
    defaultTtlSeconds: config.defaultTtlSeconds ?? config.lifetimeMinutes * 60,
    sql,
    format: {
      ...format,
      ...(latest && { latestExpiry: () => latest }),
      async newSession(tx, input) {
        extras.set(tx, { key: input.key, ip: input.ip, userAgent: input.userAgent });
        return newSession(tx, input);
      },
    },
  });
  const passwordColumn = await passwordColumnOf(
    db,
    config,
    deps,
    'Laravel’s users migration keeps the password hash in "password"; null: no check',
  );
  if (passwordColumn === null) return store;
  const storedHash = passwordHashKey(config.guard);
  // Laravel 12.45+ stores SessionGuard::hashPasswordForCookie($hash): hash_hmac('sha256', $hash, config('app.key')).
  const appKey = config.appKey === undefined ? null : resolvedSecret(config.appKey);
  const macOf = (hash: string) => createHmac('sha256', appKey!).update(hash, 'utf8').digest('hex');
  return Object.assign(store, {
    /**
     * As AuthenticateSession (Illuminate 8.83, Session/Middleware/AuthenticateSession.php:36-63) does on every
     * request: with `password_hash_<default guard>` in the session, and its guard's user found
     * (`$request->user()`, SessionGuard::user() retrieving the login's id through the user provider), a stored
     * hash that is not (`!==`) the user's current getAuthPassword() logs the session out (logoutCurrentDevice,
     * flush). A session without the key (or with null: `has()` is false) is not judged: the middleware stores
     * the current hash. Neither is a session whose user is gone: user() is null and the middleware passes the
     * request on, anonymous, the session kept (as Django keeps such a session; its user reads as null).
     * Laravel 12.45+ stores an HMAC of the hash under APP_KEY and accepts either form: so does this, given
     * `appKey`; without it, a value of that form that is not the hash itself cannot be judged (served).
     */
    async servesAsUser(db: Queryable, record: SessionRecord): Promise<boolean> {
      const stored = record.managed?.[storedHash];
      if (record.userId === null || stored === undefined) return true;
      const current = await currentPassword(deps, db, passwordColumn, record.userId);
      if (current === undefined) return true;
      if (typeof stored !== 'string' || current === null) return false;
      if (stored === current) return true;
      if (!/^[0-9a-f]{64}$/.test(stored)) return false;
      return appKey === null || stored === macOf(current);
    },
  });
}
