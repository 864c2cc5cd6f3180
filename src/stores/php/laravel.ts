import { randomInt } from 'node:crypto';
import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { type Decoded, decoded, failure, type JsonObject } from '../../codecs/result.ts';
import { mergePhpArray, phpKeyToJson } from '../../codecs/php/json-view.ts';
import { type PhpReadOptions, readPhpSerialized } from '../../codecs/php/serialize-reader.ts';
import { jsonToPhp, writePhpSerialized } from '../../codecs/php/serialize-writer.ts';
import {
  arrayKeyOf,
  type PhpArray,
  type PhpEntry,
  type PhpValue,
  phpBytes,
  phpString,
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
import type { LaravelStoreConfig } from './config.ts';
import { resolvedSecret } from '../row-decoder.ts';
import {
  LARAVEL_KEY_BYTES,
  laravelCookie,
  laravelDecrypt,
  laravelEncrypt,
  laravelKeyBytes,
  phpBase64,
} from './laravel-crypto.ts';
import { decodeLaravelJson, encodeLaravelJson } from './laravel-json.ts';

/**
 * Laravel's database session driver (Illuminate 8.x-11.x): `payload` is base64 of the serialized attributes
 * array (`serialize()`, or `json_encode()` under Laravel 9+'s `session.serialization = json`), encrypted with
 * `APP_KEY` first when `session.encrypt` is on. A payload Laravel cannot read (not base64, not decryptable,
 * not an array) gives the browser an empty session, which Laravel writes over the row at the end of the
 * request: such rows are INVALID here.
 *
 * Hidden and kept as stored: `_token` (the CSRF secret), `_flash` (which keys Laravel deletes or keeps at the
 * next request: editing it would silently delete data), every guard's `login_<guard>_<sha1>` (the login:
 * `userId` shows the configured guard's) and `password_hash_<guard>` (AuthenticateSession's copy of the
 * password hash). `_previous` (the last URL, for `back()`) stays in `data`: it is no secret and changes nothing
 * else. Flashed values themselves are ordinary keys. The configured guard's `password_hash_<guard>` is also
 * carried in the decoded session (`passwordHashKey`), for the store's AuthenticateSession check (store.ts).
 */

/** `sha1('Illuminate\Auth\SessionGuard')`: every guard's login key ends with it. */
const GUARD_SHA1 = '59ba36addc2b2f9401580f014c7f58ea4e30989d';
export const loginKey = (guard: string) => `login_${guard}_${GUARD_SHA1}`;
/**
 * AuthenticateSession's copy of the user's password hash (`password_hash_` . the default guard), and where a
 * decoded session carries it (SessionRecord.managed: never shown, never written, the stored attribute is kept
 * as PHP wrote it): the stored string; false for a value no users-table text can equal, which the middleware's
 * `!==` logs out (bytes that are not UTF-8, or not a string at all); absent when the session has none or null
 * (`Store::has()` is false, so the middleware stores the current hash rather than judge).
 */
export const passwordHashKey = (guard: string) => `password_hash_${guard}`;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** `Store::isValidId`: anything else makes Laravel start a new session under a new id. */
const LARAVEL_ID = /^[A-Za-z0-9]{40}$/;

/** `Str::random($length)`: letters and digits. */
const strRandom = (length: number) =>
  Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');

export interface LaravelFormat extends BlobFormat {
  /** The user id a stored payload names, for the `user_id` column Laravel keeps beside it. */
  payloadUserId(blob: string): string | null;
}

export function laravelFormat(
  config: LaravelStoreConfig,
  budgets: DecodeBudgets,
  typedUserId: (userId: string) => string | number,
): LaravelFormat {
  const key = config.appKey === undefined ? null : laravelKeyBytes(resolvedSecret(config.appKey));
  if (key && key.length !== LARAVEL_KEY_BYTES) throw new Error('appKey: not a 32-byte APP_KEY');
  const cookieName = config.cookieName ?? 'laravel_session';
  const cookie = key ? laravelCookie(key, cookieName) : null;
  const options: PhpReadOptions = {
    allowedClasses: config.allowedClasses ?? true,
    unknownObjects: config.objects,
    // `unserialize()` ignores what follows the value.
    trailing: 'ignore',
  };
  const slot = loginKey(config.guard);
  const hashKey = passwordHashKey(config.guard);
  const managed = new ManagedNames(
    ['_token', '_flash', slot, hashKey],
    [new RegExp(`^login_.*_${GUARD_SHA1}$`), /^password_hash_/],
  );
  const json = config.laravelSerialization === 'json';

  /** The attributes array in a payload, as `Store::readFromHandler` gets it. */
  function attributesOf(blob: string): Decoded<PhpArray> {
    let bytes = phpBase64(blob);
    if (bytes.length === 0)
      return failure('corrupt', 'the payload is empty: Laravel starts an empty session');
    if (config.encrypt) {
      const decrypted = laravelDecrypt(key!, bytes.toString('latin1'), budgets);
      if (!decrypted.ok) {
        if (decrypted.over) return decrypted.over;
        return failure(
          'tampered',
          `appKey does not open the payload (${decrypted.why}): Laravel starts an empty session`,
        );
      }
      // encrypt() serialized the (already serialized) payload once more: a PHP string.
      const outer = readPhpSerialized(decrypted.plain, budgets, { trailing: 'ignore' });
      if (!outer.ok) return outer;
      if (outer.value.t !== 'string')
        return failure('corrupt', 'the decrypted payload is not a serialized string');
      bytes = Buffer.from(outer.value.v);
    }
    let read: Decoded<PhpValue>;
    if (json) {
      // json_decode() refuses bytes that are not UTF-8 (JSON_ERROR_UTF8).
      const text = utf8Text(bytes);
      if (text === null)
        return failure('corrupt', 'the JSON payload is not UTF-8: Laravel starts an empty session');
      read = decodeLaravelJson(text, budgets);
    } else read = readPhpSerialized(bytes, budgets, options);
    if (!read.ok) return read;
    if (read.value.t !== 'array') {
      return failure(
        'corrupt',
        `the payload is a serialized ${read.value.t}, not an array: Laravel starts an empty session`,
      );
    }
    return decoded(read.value);
  }

  function userOf(attributes: PhpArray): string | null {
    let found: string | null = null;
    for (const [name, value] of attributes.entries) {
      if (phpKeyToJson(name) !== slot) continue;
      const id = value.t === 'ref' ? value.target : value;
      found = id.t === 'int' ? String(id.v) : id.t === 'string' ? Buffer.from(id.v).toString('utf8') : null;
    }
    return found;
  }

  /** `password_hash_<guard>` as `passwordHashKey` carries it. */
  function passwordHashOf(attributes: PhpArray): string | false | undefined {
    const entry = entryNamed(attributes, hashKey);
    const value = entry && deref(entry[1]);
    if (value === undefined || value.t === 'null') return undefined;
    return value.t === 'string' ? (utf8Text(value.v) ?? false) : false;
  }

  function payloadOf(attributes: PhpArray): string {
    const plain = json ? Buffer.from(encodeLaravelJson(attributes), 'utf8') : writePhpSerialized(attributes);
    if (!config.encrypt) return Buffer.from(plain).toString('base64');
    const sealed = laravelEncrypt(key!, writePhpSerialized(phpBytes(plain)));
    return Buffer.from(sealed, 'latin1').toString('base64');
  }

  return {
    kind: 'php',
    hiddenKeys: managed,
    decode(blob) {
      const attributes = attributesOf(blob);
      if (!attributes.ok) return attributes;
      const notes = noteCollector();
      const full = visibleView(attributes.value.entries, managed, notes.note);
      const userId = userOf(attributes.value);
      if (userId !== null) setOwn(full, slot, userId);
      const passwordHash = passwordHashOf(attributes.value);
      if (passwordHash !== undefined) setOwn(full, hashKey, passwordHash);
      return decoded({ full, state: attributes.value, note: notes.text() });
    },
    encode(full, state) {
      const previous = state as PhpArray | undefined;
      let attributes: PhpArray;
      if (previous) attributes = mergeManaged(full, previous, managed);
      else {
        // What Laravel stores after the first request: `_token` first, the data, the login, `_flash` aged.
        const userId = full[slot];
        const data = withoutManaged(full, managed);
        const entries: PhpEntry[] = [[phpString('_token'), phpString(strRandom(40))]];
        entries.push(...mergePhpArray(data, { t: 'array', entries: [] }, arrayKeyOf).entries);
        if (userId !== undefined) entries.push([phpString(slot), jsonToPhp(userId)]);
        entries.push([phpString('_flash'), jsonToPhp({ old: [], new: [] })]);
        attributes = { t: 'array', entries };
      }
      try {
        return payloadOf(attributes);
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        throw new InvalidInputError('data', `Laravel could not store this session: ${error.message}`);
      }
    },
    userIdOf: (full) => (typeof full[slot] === 'string' && full[slot] !== '' ? full[slot] : null),
    generateKey: () => strRandom(40),
    // With APP_KEY, what a browser holds is the encrypted cookie (EncryptCookies); without, the id itself.
    presentableKey: (id) => (cookie ? cookie.encrypt(id) : id),
    presentedKey(raw) {
      if (!cookie) return LARAVEL_ID.test(raw) ? raw : null;
      if (raw.length > 2048) return null;
      const id = cookie.decrypt(raw.includes('%') ? safeDecode(raw) : raw);
      return id !== null && id.length <= 255 ? id : null;
    },
    refuses: (id) => (LARAVEL_ID.test(id) ? null : 'Laravel only loads ids of 40 letters and digits'),
    async newSession(_tx, input) {
      for (const name of Object.keys(input.data)) {
        if (managed.has(name)) {
          throw new InvalidInputError('data', `"${name}" is managed by Laravel; leave it out of data`);
        }
      }
      const full: JsonObject = { ...input.data };
      if (input.userId !== null) setOwn(full, slot, typedUserId(input.userId));
      return full;
    },
    payloadUserId(blob) {
      const attributes = attributesOf(blob);
      return attributes.ok ? userOf(attributes.value) : null;
    },
  };
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
