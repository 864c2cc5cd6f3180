import { type DecodeBudgets, DEFAULT_BUDGETS } from './budgets.ts';
import { objectOnly, parseJsonValue } from './json.ts';
import type { JsonObject, JsonValue } from './result.ts';

/**
 * express-session + connect-pg-simple: the `sess` column (shared/FORMATS.md §3), plain JSON with a `cookie`
 * object whose `expires` must agree with the `expire` column. Parsing, the rules express-session applies when
 * it loads one, and the cookie it writes.
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
/** A set priority or sameSite that cookie.serialize refuses: it matches only strings (and sameSite `true`). */
const badChoice = (value: JsonValue | undefined, choices: ReadonlySet<string>) =>
  Boolean(value) && (typeof value !== 'string' || !choices.has(value.toLowerCase()));

/**
 * `String(value)`, as `cookie.serialize` turns an attribute into text; null where that throws, as it does for
 * an object with its own `toString` or `valueOf` member (`{"toString":1}`): the response that sets the cookie
 * would throw too.
 */
function attributeText(value: JsonValue | undefined): string | null {
  try {
    return String(value);
  } catch {
    return null;
  }
}

/** Whether a set attribute fails `valid` (or cannot even be made text). */
const badAttribute = (value: JsonValue | undefined, valid: (text: string) => boolean) => {
  if (!value) return false;
  const text = attributeText(value);
  return text === null || !valid(text);
};

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
  if (badAttribute(domain, (text) => DOMAIN.test(text)))
    return 'sess.cookie.domain is not a valid cookie domain';
  if (badAttribute(path, (text) => PATH.test(text))) return 'sess.cookie.path is not a valid cookie path';
  if (badChoice(priority, PRIORITIES)) return 'sess.cookie.priority is not low, medium or high';
  if (sameSite !== true && badChoice(sameSite, SAME_SITES)) {
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
export const isBrowserSessionCookie = (cookie: unknown) =>
  typeof cookie === 'object' &&
  cookie !== null &&
  !Array.isArray(cookie) &&
  (cookie as JsonObject)['expires'] === null;
