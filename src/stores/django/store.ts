import { createHash, createHmac, randomInt } from 'node:crypto';
import { djangoSessionAuthHash } from '../../codecs/django.ts';
import type { JsonObject } from '../../codecs/result.ts';
import { secretText } from '../../config-parts.ts';
import type { DjangoStoreConfig } from './config.ts';
import { djangoCodecOf, djangoDecoding } from './decoding.ts';
import type { Queryable } from '../../db/pool.ts';
import { InvalidInputError, UserNotFoundError } from '../../errors/domain.ts';
import { type BlobFormat, blobReadLimits, createBlobStore, type FrameworkStoreDeps } from '../blob-store.ts';
import { createBlobQueries } from '../blob.sql.ts';
import { readStoreTable } from '../table-catalog.ts';
import type { SessionRecord } from '../types.ts';
import { checkSecretColumn } from '../../users/secret-columns.ts';

/**
 * Django's `django_session` (db and cached_db engines): signed, maybe compressed, base64url JSON; the user
 * in `_auth_user_id`; expiry in `expire_date`. A session created for a user carries the auth hash of the
 * user's current password, so Django treats it as logged in. See FORMATS.md §1.
 */

const KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PRESENTED_KEY = /^[a-z0-9]{8,40}$/;
const AUTH_KEYS = ['_auth_user_id', '_auth_user_backend', '_auth_user_hash'];
const AUTH_HASH_SALT = 'django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash';

/**
 * The SHA-1 auth hash of Django before 3.1 (and of 3.1/3.2 under DEFAULT_HASHING_ALGORITHM = 'sha1'): 40 hex.
 * Django 3.1/3.2 `get_user` still accepts it (`AbstractBaseUser._legacy_get_session_auth_hash`); 4.0 does not.
 */
function legacySessionAuthHash(passwordHash: string, secretKey: string): string {
  const key = createHash('sha1')
    .update(AUTH_HASH_SALT + secretKey, 'utf8')
    .digest();
  return createHmac('sha1', key).update(passwordHash, 'utf8').digest('hex');
}

export interface DjangoAuthCheck {
  /** Whether `authHash` is what Django computes for `passwordHash` under any configured secret. */
  matches(authHash: string, passwordHash: string): boolean;
}

export async function createDjangoStore(db: Queryable, config: DjangoStoreConfig, deps: FrameworkStoreDeps) {
  const { columns } = config;
  const table = await readStoreTable(db, config.name, config.table, columns, config.timeZone);
  await checkSecretColumn(deps, db, {
    setting: `stores.${config.name}.passwordColumn`,
    name: config.passwordColumn,
    hint: 'Django keeps its password hashes in "password"',
  });
  const secretKey = secretText(config.secretKey);
  const fallbackKeys = config.fallbackKeys.map((key) => secretText(key));
  const codec = djangoCodecOf(config, deps.budgets);
  const decoding = djangoDecoding(config, codec);
  const expires = table.time(columns.expires);
  const sql = createBlobQueries(
    {
      table: table.table,
      key: table.column(columns.key),
      keyType: table.types.get(columns.key) ?? 'text',
      blob: table.column(columns.data),
      blobColumn: table.column(columns.data),
      blobCast: 'text',
      expiresAt: expires.read,
      sortAt: expires.read,
      active: (p) => `${table.column(columns.expires)} > ${expires.write(p)}`,
      // Django loads a session only `WHERE expire_date > now`: a NULL expiry is never served.
      // psycopg2 reads infinity as datetime.max, but a finite year past 9999 fails the request.
      rowProblem: `CASE WHEN ${table.column(columns.expires)} IS NULL THEN '${columns.expires} is NULL: Django never serves the session'
        WHEN isfinite(${table.column(columns.expires)}) AND ${table.column(columns.expires)} >= '10000-01-01' THEN '${columns.expires} is past year 9999, which Django cannot read' END`,
      expired: (p) => `${table.column(columns.expires)} <= ${expires.write(p)}`,
      expiryOrder: table.orderedBy(columns.expires),
      expiresAssignments: (p) => [[table.column(columns.expires), expires.write(p)]],
    },
    blobReadLimits(deps.budgets),
  );

  const format: BlobFormat = {
    ...decoding.format,
    encode: (full, _state, now) => codec.encode(full, now),
    generateKey: () =>
      Array.from({ length: 32 }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join(''),
    presentedKey: (raw) => (PRESENTED_KEY.test(raw) ? raw : null),
    async newSession(tx, input) {
      for (const key of AUTH_KEYS) {
        if (Object.hasOwn(input.data, key)) {
          throw new InvalidInputError(
            'data',
            `"${key}" is set by sessiongraph from userId; leave it out of data`,
          );
        }
      }
      if (input.userId === null) return { ...input.data };
      const passwords = await deps.users.secretColumnByIds(tx, config.passwordColumn, [input.userId]);
      const password = passwords.get(input.userId);
      if (password === undefined || password === null) throw new UserNotFoundError(input.userId);
      return {
        ...input.data,
        _auth_user_id: input.userId,
        _auth_user_backend: config.authBackend,
        // A Django that writes the legacy format (sha1 setting) also computes the auth hash with SHA-1.
        _auth_user_hash: config.writeLegacy
          ? legacySessionAuthHash(password, secretKey)
          : djangoSessionAuthHash(password, secretKey),
      } satisfies JsonObject;
    },
  };

  const store = createBlobStore({
    name: config.name,
    cookieName: config.cookieName ?? 'sessionid',
    defaultTtlSeconds: config.defaultTtlSeconds ?? config.cookieAgeSeconds,
    deps,
    anonymousUserIds: decoding.anonymousUserIds,
    sql,
    format,
    decoder: { settings: config },
  });
  const authCheck: DjangoAuthCheck = {
    matches: (authHash, passwordHash) =>
      [secretKey, ...fallbackKeys].some(
        (secret) =>
          djangoSessionAuthHash(passwordHash, secret) === authHash ||
          (authHash.length === 40 && legacySessionAuthHash(passwordHash, secret) === authHash),
      ),
  };
  /**
   * The password hashes of the users sessions name, by the id each session holds (see `secretColumnByIds`: a
   * stored id that can name no user has none). Django's `password` is NOT NULL: a NULL one is no hash at all.
   */
  async function passwordsOf(db: Queryable, userIds: readonly string[]): Promise<Map<string, string>> {
    const found = await deps.users.secretColumnByIds(db, config.passwordColumn, userIds);
    const passwords = new Map<string, string>();
    for (const [id, password] of found) if (password !== null) passwords.set(id, password);
    return passwords;
  }
  /** Whether `session`'s `_auth_user_hash` is what Django computes for `password`, its user's hash. */
  const authHashMatches = (session: SessionRecord, password: string) => {
    const authHash = session.managed?.['_auth_user_hash'];
    return typeof authHash === 'string' && authCheck.matches(authHash, password);
  };
  return Object.assign(store, {
    authHashMatches,
    passwordsOf,
    // As django.contrib.auth's get_user: a session of a user whose password hash its auth hash does not match
    // (missing, or made before a password change) is logged out, and flushed. A user no longer there is not
    // Django's check to make: such a session stays (its user reads as null).
    async servesAsUser(db: Queryable, record: SessionRecord): Promise<boolean> {
      if (record.userId === null) return true;
      const password = (await passwordsOf(db, [record.userId])).get(record.userId);
      return password === undefined || authHashMatches(record, password);
    },
  });
}

export type DjangoStore = Awaited<ReturnType<typeof createDjangoStore>>;
