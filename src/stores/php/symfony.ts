import { randomBytes } from 'node:crypto';
import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { type Decoded, decoded, failure } from '../../codecs/result.ts';
import { decodePhpSession, encodePhpSession } from '../../codecs/php/session-encoding.ts';
import type { PhpReadOptions } from '../../codecs/php/serialize-reader.ts';
import { readPhpSerialized } from '../../codecs/php/serialize-reader.ts';
import { mergePhpArray, phpKeyToJson } from '../../codecs/php/json-view.ts';
import {
  arrayKeyOf,
  type PhpArray,
  type PhpEntry,
  type PhpValue,
  phpInt,
  phpString,
  plainPropertyName,
  utf8Text,
} from '../../codecs/php/values.ts';
import { InvalidInputError } from '../../errors/domain.ts';
import type { BlobFormat } from '../blob-store.ts';
import {
  deref,
  entryNamed,
  ManagedNames,
  mergeManaged,
  noteCollector,
  setOwn,
  visibleView,
  withoutManaged,
} from './attributes.ts';
import type { SymfonyStoreConfig } from './config.ts';

/**
 * Symfony's PdoSessionHandler (HttpFoundation 5.4): `sess_data` holds PHP's session encoding of `$_SESSION`,
 * in which Symfony keeps three bags: `_sf2_attributes` (what `$session->get()` reads), `_symfony_flashes` and
 * `_sf2_meta` (created, last used, cookie lifetime).
 *
 * `data` is the attribute bag, the only place an application keeps its data: a write puts it back there.
 * Hidden and kept as stored: the flash and metadata bags, any other top-level variable, and the attributes
 * Symfony's security components manage: `_security*` (each firewall's `_security_<firewall>` token, a bearer
 * credential holding the user object with its password hash; `_security.last_error`, an exception that can
 * carry a token; `_security.<firewall>.target_path`) and `_csrf/<token id>` (CSRF secrets).
 *
 * The user: `_security_<firewall>` is a string, `serialize($token)`, read with the same safe reader under the
 * same budgets. Every token class (UsernamePasswordToken, PostAuthenticationToken, RememberMeToken,
 * SwitchUserToken, Symfony 4.4's) serializes as an array whose last item is its parent's array, ending in
 * AbstractToken's `[user, authenticated, ...]`; the user object's `userProperty` (any visibility) is the id,
 * and its `passwordProperty` the hash the firewall compares with the user provider's on every request (the
 * store's `servesAsUser`, store.ts).
 * A token Symfony cannot unserialize leaves the session served and anonymous, as Symfony does: corrupt, an int
 * out of range or a class outside `allowedClasses` anywhere in it (the firewall drops a token on any warning
 * of unserialize() and on any class PHP cannot find).
 */

/** Where a decoded session carries the user id the token names (a managed name, so never an attribute). */
const userSlot = (config: Pick<SymfonyStoreConfig, 'firewall'>) => `_security_${config.firewall}`;
/**
 * Where it carries the password hash the token's user was serialized with (`passwordProperty`), for the
 * firewall's check that the user did not change (SessionRecord.managed, never shown): a string, null for a
 * null property, false for bytes no users-table text can equal (not UTF-8); absent when the user object has
 * no such property, or holds something else there, which sessiongraph cannot judge.
 */
export const passwordSlot = (config: Pick<SymfonyStoreConfig, 'firewall'>) => `${userSlot(config)}#password`;
const ATTRIBUTES = '_sf2_attributes';
const META = '_sf2_meta';
/** PHP's `session_start()` drops a cookie id with any of these (ext/session/session.c). */
const DANGEROUS_ID = /[\r\n\t <>'"\\]/;
const PRESENTED_ID = /^[\x21-\x7e]{1,128}$/;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** 32 characters of [0-9a-v]: 160 bits, in the alphabet of PHP's `session.sid_bits_per_character = 5`. */
function newSessionId(): string {
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let id = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      id += BASE32HEX[(value >> bits) & 31];
    }
  }
  return id;
}

/** The attribute bag's entries; Symfony replaces a bag that is not an array with an empty one. */
function attributesOf(session: PhpArray): PhpEntry[] {
  const entry = entryNamed(session, ATTRIBUTES);
  const bag = entry ? deref(entry[1]) : undefined;
  return bag?.t === 'array' ? bag.entries : [];
}

/** The value of a user object's property (any visibility: the last one of that name), if it has one. */
function propertyOf(user: PhpValue, property: string): PhpValue | undefined {
  if (user.t !== 'object' || user.opaque) return undefined;
  let found: PhpValue | undefined;
  for (const [key, value] of user.props) {
    if (key.t === 'string' && utf8Text(plainPropertyName(key.v)) === property) found = deref(value);
  }
  return found;
}

/** The identifier `userProperty` holds in a user object, or null. */
function userPropertyOf(user: PhpValue, property: string): string | null {
  const found = propertyOf(user, property);
  if (found?.t === 'int') return String(found.v);
  if (found?.t === 'string') return utf8Text(found.v);
  return null;
}

/** The password hash a user object holds, as `passwordSlot` carries it. */
function passwordOf(user: PhpValue, property: string): string | null | false | undefined {
  const found = propertyOf(user, property);
  if (found?.t === 'null') return null;
  if (found?.t === 'string') return utf8Text(found.v) ?? false;
  return undefined;
}

/** The user object of a token object: down the last items to AbstractToken's `[user, authenticated, ...]`. */
function tokenUser(token: PhpValue): PhpValue | null {
  if (token.t !== 'object' || token.opaque) return null;
  let items = token.props.map(([, value]) => deref(value));
  for (let level = 0; level < 8; level += 1) {
    if (items.length >= 5 && items[1]?.t === 'bool') return items[0]!;
    const last = items.at(-1);
    if (last?.t !== 'array') return null;
    items = last.entries.map(([, value]) => deref(value));
  }
  return null;
}

/**
 * Whether an object or a `C:` object of a class outside `allowed` is anywhere in `token` (the reader already
 * failed on such an enum): the firewall unserializes under an `unserialize_callback_func` that throws for a
 * class PHP cannot find, and drops the token.
 */
function namesMissingClass(token: PhpValue, allowed: ReadonlySet<string>): boolean {
  const seen = new Set<PhpValue>();
  const pending: PhpValue[] = [token];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    if (value.t === 'ref') value = value.target;
    if (seen.has(value)) continue;
    seen.add(value);
    if (value.t === 'object' || value.t === 'custom') {
      if (!allowed.has(value.className.toLowerCase())) return true;
    }
    if (value.t === 'array') for (const [, item] of value.entries) pending.push(item);
    else if (value.t === 'object') for (const [, item] of value.props) pending.push(item);
  }
  return false;
}

/** The user a session's token names: its id, and the password hash it was serialized with (`passwordOf`). */
interface TokenUser {
  id: string;
  password: string | null | false | undefined;
}

/**
 * The user of the session's token: null when there is none or Symfony would drop it; a failure (the row
 * INVALID) only when the token is over a budget, or holds objects the settings make INVALID.
 */
function sessionUser(
  attributes: readonly PhpEntry[],
  config: SymfonyStoreConfig,
  budgets: DecodeBudgets,
  options: PhpReadOptions,
): Decoded<TokenUser | null> {
  const entry = entryNamed({ t: 'array', entries: [...attributes] }, userSlot(config));
  const stored = entry ? deref(entry[1]) : undefined;
  // ContextListener unserializes only a string (PHP coerces an int, which never unserializes to a token).
  if (stored?.t !== 'string') return decoded(null);
  // Its error handler turns unserialize()'s warnings into a dropped token: an int out of range is one.
  const token = readPhpSerialized(stored.v, budgets, { ...options, trailing: 'ignore', overflow: 'refuse' });
  if (!token.ok) return token.problem === 'corrupt' || token.problem === 'unloadable' ? decoded(null) : token;
  const allowed = config.allowedClasses;
  if (allowed && namesMissingClass(token.value, new Set(allowed.map((name) => name.toLowerCase())))) {
    return decoded(null);
  }
  const user = tokenUser(token.value);
  const id = user && userPropertyOf(user, config.userProperty);
  if (user === null || id === null) return decoded(null);
  return decoded({ id, password: passwordOf(user, config.passwordProperty) });
}

/** `_sf2_meta` as MetadataBag::stampNew() writes it: last used, created, cookie lifetime (browser session). */
const newMeta = (now: Date): PhpArray => {
  const seconds = phpInt(Math.floor(now.getTime() / 1000));
  return {
    t: 'array',
    entries: [
      [phpString('u'), seconds],
      [phpString('c'), seconds],
      [phpString('l'), phpInt(0)],
    ],
  };
};

/** `sess_data` as bytea input text. */
const byteaText = (bytes: Uint8Array) =>
  `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;

export function symfonyFormat(config: SymfonyStoreConfig, budgets: DecodeBudgets): BlobFormat {
  const handler = config.serializeHandler;
  const options: PhpReadOptions = {
    allowedClasses: config.allowedClasses ?? true,
    unknownObjects: config.objects,
  };
  const slot = userSlot(config);
  const password = passwordSlot(config);
  const managed = new ManagedNames([slot, password], [/^_security/, /^_csrf\//]);

  /** `$_SESSION` with the attribute bag replaced (dropped when empty, as Symfony's save drops it). */
  function withAttributes(session: PhpArray, attributes: PhpArray): PhpArray {
    const entries = session.entries.filter(([key]) => phpKeyToJson(key) !== ATTRIBUTES);
    if (attributes.entries.length === 0) return { t: 'array', entries };
    const at = session.entries.findIndex(([key]) => phpKeyToJson(key) === ATTRIBUTES);
    const entry: PhpEntry = [phpString(ATTRIBUTES), attributes];
    entries.splice(at === -1 ? 0 : at, 0, entry);
    return { t: 'array', entries };
  }

  return {
    kind: 'php',
    hiddenKeys: managed,
    decode(blob) {
      const bytes = Buffer.from(blob.slice(2), 'hex');
      const session = decodePhpSession(
        new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
        handler,
        budgets,
        options,
      );
      if (!session.ok) return session;
      const attributes = attributesOf(session.value);
      const notes = noteCollector();
      const full = visibleView(attributes, managed, notes.note);
      const user = sessionUser(attributes, config, budgets, options);
      if (!user.ok) return failure(user.problem, `the security token in ${slot}: ${user.detail}`);
      if (user.value !== null) {
        setOwn(full, slot, user.value.id);
        if (user.value.password !== undefined) setOwn(full, password, user.value.password);
      }
      return decoded({ full, state: session.value, note: notes.text() });
    },
    encode(full, state, now) {
      const previous = state as PhpArray | undefined;
      const empty: PhpArray = { t: 'array', entries: [] };
      const attributes = previous
        ? mergeManaged(full, { t: 'array', entries: attributesOf(previous) }, managed)
        : mergePhpArray(withoutManaged(full, managed), empty, arrayKeyOf);
      const session = withAttributes(
        previous ?? { t: 'array', entries: [[phpString(META), newMeta(now)]] },
        attributes,
      );
      try {
        return byteaText(encodePhpSession(session, handler));
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw new InvalidInputError('data', `PHP could not store this session: ${error.message}`);
      }
    },
    userIdOf: (full) => (typeof full[slot] === 'string' && full[slot] !== '' ? full[slot] : null),
    generateKey: newSessionId,
    presentedKey: (raw) => (PRESENTED_ID.test(raw) && !DANGEROUS_ID.test(raw) ? raw : null),
    refuses: (key) =>
      key === '' || DANGEROUS_ID.test(key)
        ? 'PHP drops a session id that is empty or holds such characters'
        : null,
    async newSession(_tx, input) {
      if (input.userId !== null) {
        throw new InvalidInputError(
          'userId',
          'a Symfony login is the serialized security token of the application’s own user class, which ' +
            'sessiongraph does not forge: create the session without a user and let the user log in',
        );
      }
      for (const key of Object.keys(input.data)) {
        if (managed.has(key)) {
          throw new InvalidInputError('data', `"${key}" is managed by Symfony; leave it out of data`);
        }
      }
      return { ...input.data };
    },
  };
}
