import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_BUDGETS, type DecodeBudgets } from '../../codecs/budgets.ts';
import { utf8Text } from '../../codecs/php/values.ts';
import type { DecodeFailure } from '../../codecs/result.ts';
import { jsonDecode } from './laravel-json.ts';

/**
 * Laravel's `Illuminate\Encryption\Encrypter` with its default cipher, AES-256-CBC (8.x to 11.x write the same
 * payload): `base64(JSON {iv, value, mac, tag})`, where `value` is the base64 ciphertext (PKCS#7 padding),
 * `mac` the hex HMAC-SHA256 of `iv . value` under the raw key, and `tag` empty (CBC is not AEAD). It encrypts
 * the session payload (`session.encrypt`) and every cookie, the session cookie included.
 */

const IV_BYTES = 16;
const KEY_BYTES = 32;

/**
 * `APP_KEY` as Laravel reads it: `base64:` and 32 bytes, or 32 raw bytes. Configuration refuses any other
 * length by name (index.ts); without its error class here, decode workers need not load the settings schemas.
 */
export function laravelKeyBytes(appKey: string): Buffer {
  return appKey.startsWith('base64:') ? Buffer.from(appKey.slice(7), 'base64') : Buffer.from(appKey, 'utf8');
}

export const LARAVEL_KEY_BYTES = KEY_BYTES;

/**
 * PHP's non-strict `base64_decode`, as Laravel calls it: it skips every character outside the alphabet
 * (whitespace, `=` wherever it is, anything else) and drops a lone last character, so it never fails.
 */
export function phpBase64(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]+/g, ''), 'base64');
}

/** PHP's `empty()` of a JSON-decoded value. */
const phpEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  value === false ||
  value === 0 ||
  value === '' ||
  value === '0' ||
  (Array.isArray(value) && value.length === 0);

/** `hash_hmac('sha256', $iv.$value, $key)`: over the UTF-8 that `json_decode` gave PHP, whatever it holds. */
const macOf = (key: Buffer, iv: string, value: string) =>
  createHmac('sha256', key)
    .update(iv + value, 'utf8')
    .digest('hex');

/**
 * `Encrypter::encrypt($plain, false)`: the caller serializes first when Laravel would (`encrypt($value)` is
 * `encrypt(serialize($value), false)` for a string value).
 */
export function laravelEncrypt(key: Buffer, plain: Uint8Array): string {
  const ivBytes = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-cbc', key, ivBytes);
  const value = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  const iv = ivBytes.toString('base64');
  // json_encode(compact('iv', 'value', 'mac', 'tag'), JSON_UNESCAPED_SLASHES): base64 needs no escaping.
  const json = JSON.stringify({ iv, value, mac: macOf(key, iv, value), tag: '' });
  return Buffer.from(json, 'latin1').toString('base64');
}

/** `over`: the envelope is over the decode budgets, which Laravel would not know of. */
export type Decrypted = { ok: true; plain: Buffer } | { ok: false; why: string; over?: DecodeFailure };

/**
 * `Encrypter::decrypt($payload, false)`: the payload checked as Laravel checks it (JSON that `json_decode`
 * reads; iv, value and mac strings, a 16-byte iv, no tag for CBC), the MAC compared in constant time before
 * anything is decrypted.
 */
export function laravelDecrypt(
  key: Buffer,
  payload: string,
  budgets: DecodeBudgets = DEFAULT_BUDGETS,
): Decrypted {
  // The MAC covers only iv and value: the rest of the envelope is anyone's to change. JSON.parse reads text
  // that json_decode refuses (not UTF-8, nested 512 deep, a lone surrogate), and builds all of it before
  // anything is checked (6 million nested arrays: 2 s and 440 MB), so it parses under the budgets.
  const text = utf8Text(phpBase64(payload));
  const parsed = text === null ? null : jsonDecode(text, budgets);
  if (!parsed?.ok) {
    return parsed && !('refused' in parsed) && parsed.problem === 'over-budget'
      ? { ok: false, why: parsed.detail, over: parsed }
      : { ok: false, why: 'the payload is not JSON' };
  }
  const fields = parsed.value;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    return { ok: false, why: 'the payload is invalid' };
  }
  const { iv, value, mac, tag } = fields as Record<string, unknown>;
  if (typeof iv !== 'string' || typeof value !== 'string' || typeof mac !== 'string') {
    return { ok: false, why: 'the payload is invalid' };
  }
  const ivBytes = /^[A-Za-z0-9+/]*={0,2}$/.test(iv) ? Buffer.from(iv, 'base64') : null;
  if (ivBytes?.length !== IV_BYTES) return { ok: false, why: 'the payload is invalid' };
  const expected = Buffer.from(macOf(key, iv, value), 'latin1');
  // As PHP's bytes: a character beyond Latin-1 cut to its low byte would pass for a hex digit.
  const given = Buffer.from(mac, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, why: 'the MAC is invalid' };
  }
  // A tag with a non-AEAD cipher is refused by Laravel ("Unable to use tag ..."); `empty()` decides what none is.
  if (!phpEmpty(tag)) return { ok: false, why: 'the payload has a tag' };
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, ivBytes);
    return {
      ok: true,
      plain: Buffer.concat([decipher.update(Buffer.from(value, 'base64')), decipher.final()]),
    };
  } catch {
    return { ok: false, why: 'the data could not be decrypted' };
  }
}

/**
 * The session cookie (`EncryptCookies`, Laravel 8.x+): the encrypted value is `hmac_sha1(name . 'v2', key)`,
 * `|`, then the session id; a value that decrypts without that prefix (a cookie of another name moved over)
 * is refused, as Laravel refuses it.
 */
export function laravelCookie(key: Buffer, cookieName: string) {
  const prefix = `${createHmac('sha1', key).update(`${cookieName}v2`, 'utf8').digest('hex')}|`;
  return {
    encrypt: (id: string) => laravelEncrypt(key, Buffer.from(prefix + id, 'utf8')),
    decrypt(value: string): string | null {
      const result = laravelDecrypt(key, value);
      if (!result.ok) return null;
      const plain = result.plain.toString('latin1');
      return plain.startsWith(prefix) ? plain.slice(prefix.length) : null;
    },
  };
}
