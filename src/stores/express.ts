import { randomBytes } from 'node:crypto';
import { sign, unsign } from 'cookie-signature';
import { type DecodeBudgets, DEFAULT_BUDGETS, objectOnly, parseJsonValue } from '../codecs/budgets.ts';
import { decoded, type JsonObject, type JsonValue } from '../codecs/result.ts';
import { secretText, type ExpressStoreConfig } from '../config.ts';
import type { Queryable } from '../db/pool.ts';
import { InvalidInputError } from '../errors/domain.ts';
import { type BlobFormat, blobReadLimits, createBlobStore, type FrameworkStoreDeps } from './blob-store.ts';
import { createBlobQueries } from './blob.sql.ts';
import { readStoreTable } from './table-catalog.ts';
import { typedUserId, userIdAt, withValueAt } from './user-path.ts';

/**
 * express-session + connect-pg-simple: `session(sid, sess json, expire timestamp)`. `sess` is plain JSON
 * with a `cookie` object whose `expires` must agree with the `expire` column, which connect-pg-simple
 * writes as `to_timestamp(ceil(expires / 1000))`. Browsers present `s:<sid>.<hmac>`. See FORMATS.md §3.
 */

/**
 * The `sess` column: JSON text of an object, under the decode budgets. Never throws. In a json or jsonb
 * column, connect-pg-simple parses a value that is a JSON string once more (`typeof sess === 'string'`).
 */
export function parseSess(blob: string, budgets: DecodeBudgets = DEFAULT_BUDGETS, jsonColumn = false) {
  const parsed = parseJsonValue(blob, budgets, 'sess');
  if (jsonColumn && parsed.ok && typeof parsed.value === 'string') {
    return objectOnly(parseJsonValue(parsed.value, budgets, 'sess'), 'sess');
  }
  return objectOnly(parsed, 'sess');
}

const isPlainObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The cookie attribute checks of `cookie.serialize` (cookie 0.7, express-session's), by attribute. */
const DOMAIN = /^([.]?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const PATH = /^[\u0020-\u003A\u003D-\u007E]*$/;
const PRIORITIES = new Set(['low', 'medium', 'high']);
const SAME_SITES = new Set(['lax', 'strict', 'none']);
const lower = (value: JsonValue | undefined) => (typeof value === 'string' ? value.toLowerCase() : value);

/**
 * Why express-session would not hand this `sess` to the application, or null (checked against
 * express-session 1.19 and connect-pg-simple 10 themselves, test/hostile):
 * - `Store#createSession` reads `sess.cookie.expires` (a TypeError without a cookie) and builds
 *   `new Cookie(sess.cookie)`, which throws for a cookie that is not an object and for a truthy `maxAge`
 *   that is not a number;
 * - every response touches the session: an `originalMaxAge` that is not a number hangs the response, one
 *   too large for a Date fails it;
 * - a string `expires` becomes a Date (an unparseable one an invalid Date), and the response that sets the
 *   cookie throws on it, as on an invalid domain, path, priority or sameSite.
 * Stricter than express-session where it is lenient by accident (a cookie of `0` or `[]`, an `expires` of
 * another type): express-session never writes those.
 */
export function expressCookieProblem(sess: JsonObject): string | null {
  if (!Object.hasOwn(sess, 'cookie')) return 'sess has no cookie, which express-session needs to load it';
  const cookie = sess['cookie'];
  if (!isPlainObject(cookie)) {
    const what = cookie === null ? 'null' : Array.isArray(cookie) ? 'an array' : `a ${typeof cookie}`;
    return `sess.cookie is ${what}, not the object express-session builds its cookie from`;
  }
  const expires = cookie['expires'];
  if (expires !== undefined && expires !== null) {
    if (typeof expires !== 'string') return `sess.cookie.expires is a ${typeof expires}, not a date string`;
    if (Number.isNaN(new Date(expires).getTime())) return 'sess.cookie.expires is not a date';
  }
  const maxAge = cookie['maxAge'];
  if (maxAge && typeof maxAge !== 'number') return 'sess.cookie.maxAge is not a number';
  const originalMaxAge = cookie['originalMaxAge'];
  if (
    originalMaxAge !== undefined &&
    originalMaxAge !== null &&
    (typeof originalMaxAge !== 'number' || !(Math.abs(originalMaxAge) < 1e15))
  ) {
    return 'sess.cookie.originalMaxAge is not a number of milliseconds';
  }
  const { domain, path, priority, sameSite } = cookie;
  if (domain && !DOMAIN.test(String(domain))) return 'sess.cookie.domain is not a valid cookie domain';
  if (path && !PATH.test(String(path))) return 'sess.cookie.path is not a valid cookie path';
  if (priority && !PRIORITIES.has(String(lower(priority))))
    return 'sess.cookie.priority is not low, medium or high';
  if (sameSite && sameSite !== true && !SAME_SITES.has(String(lower(sameSite)))) {
    return 'sess.cookie.sameSite is not lax, strict, none or true';
  }
  return null;
}

/** `Cookie.toJSON()` of express-session for a cookie expiring at `expiresAt`, keeping what was there. */
export function expressCookie(previous: unknown, expiresAt: Date, now: Date): JsonObject {
  const base =
    typeof previous === 'object' && previous !== null && !Array.isArray(previous)
      ? (previous as JsonObject)
      : { originalMaxAge: null, httpOnly: true, path: '/' };
  const cookie: JsonObject = {};
  const originalMaxAge =
    base['originalMaxAge'] === undefined || base['originalMaxAge'] === null
      ? expiresAt.getTime() - now.getTime()
      : base['originalMaxAge'];
  // Keep express-session's member order: originalMaxAge, partitioned, priority, expires, then the rest.
  cookie['originalMaxAge'] = originalMaxAge;
  for (const key of ['partitioned', 'priority'] as const)
    if (base[key] !== undefined) cookie[key] = base[key];
  cookie['expires'] = expiresAt.toISOString();
  for (const [key, value] of Object.entries(base)) {
    if (!(key in cookie) && key !== 'expires') cookie[key] = value;
  }
  return cookie;
}

/** express-session's cookie without maxAge: `expires` is null, and the cookie ends with the browser. */
const isBrowserSessionCookie = (cookie: unknown) =>
  typeof cookie === 'object' &&
  cookie !== null &&
  !Array.isArray(cookie) &&
  (cookie as JsonObject)['expires'] === null;

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
      createdAt: 'NULL::timestamptz',
      lastSeenAt: 'NULL::timestamptz',
      active: (p) => `${table.column(columns.expires)} > ${expire.write(p)}`,
      // connect-pg-simple reads a session only `WHERE expire >= now`: a NULL expiry is never served.
      rowProblem: `CASE WHEN ${table.column(columns.expires)} IS NULL THEN '${columns.expires} is NULL: connect-pg-simple never serves the session' END`,
      expired: (p) => `${table.column(columns.expires)} <= ${expire.write(p)}`,
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

  const format: BlobFormat = {
    kind: 'express',
    hiddenKeys: new Set(['cookie']),
    decode(blob) {
      const result = parseSess(blob, deps.budgets, jsonColumn);
      return result.ok ? decoded({ full: result.value }) : result;
    },
    encode: (full) => JSON.stringify(full),
    userIdOf: (full) => userIdAt(full, config.userPaths),
    // express-session treats an empty sid as no sid at all.
    refuses: (key, full) => (key === '' ? 'the sid is empty' : expressCookieProblem(full)),
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
      anonymousUserIds: config.anonymousUserIds,
      tombstoneSeconds: deps.tombstoneSeconds,
      sql,
      format,
    }),
    { secrets },
  );
}
