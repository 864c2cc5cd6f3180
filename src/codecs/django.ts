/**
 * Django session data (`django_session.session_data`): decoder and encoder, byte for byte what Django writes.
 *
 * Current format (Django 3.1+, `SessionBase.encode` = `signing.dumps(obj, salt=key_salt, compress=True)`):
 *
 *     session_data = ["."] B64URL(payload) ":" B62(unix_seconds) ":" B64URL(HMAC_SHA256(K, signed_part))
 *     signed_part  = everything before the last ":"
 *     K            = SHA256(salt + "signer" + SECRET_KEY)
 *     payload      = zlib(json) if len(zlib(json)) < len(json) - 1 else json     ("." marks zlib)
 *
 * Legacy format (written before 3.1, read by 3.1/3.2; `SessionBase._legacy_encode`):
 *
 *     session_data = BASE64( HEX(HMAC_SHA1(SHA1(legacySalt + SECRET_KEY), json)) ":" json )
 *
 * Django 3.1/3.2 also accept a SHA-1 signature in the current format (`Signer.legacy_algorithm`).
 * JSON is `json.dumps(obj, separators=(",", ":"))` (ASCII only) read back as latin-1.
 * Sources: django/django `django/core/signing.py` (`Signer.unsign`, `TimestampSigner`, `sign_object`,
 * `unsign_object`), `django/contrib/sessions/backends/base.py` (`encode`, `decode`, `_legacy_decode`),
 * `django/utils/crypto.py` (`salted_hmac`); details and test vectors in shared/FORMATS.md section 1.
 *
 * Where this reads differently from Django (none of it matters for rows Django itself wrote):
 * - payload base64 must be clean (Python's decoder skips stray characters, but only a key holder can sign such a
 *   row); NaN and Infinity, which Python's json writes for float('nan'), are 'unsupported'; integers beyond
 *   2^53 lose precision, as JSON numbers do in JS;
 * - the encoder prints floats the JS way (1e-7, not 1e-07) and, like every JS object, lists integer-like keys
 *   first: Django loads the same dict either way.
 *
 * Speed: the hot path (a small compressed row signed with the primary key) allocates little beyond the result:
 * HMAC-SHA256 as two one-shot hashes over precomputed padded keys (digests as latin-1 strings, the given
 * signature decoded once), base64 into a scratch buffer, a small table-driven inflate (inflate.ts) into another
 * scratch buffer, then one latin-1 string for JSON.parse. Larger payloads go to zlib through one reused handle
 * (zlib-handle.ts), which wins there (crossover measured with django.bench.ts); strings and bytes convert through
 * bytes.ts. Measured and dropped: HMAC or SHA-256 in JS (a one-block JS compression costs as much as a native
 * hash call), fflate and pako inflate. On large rows JSON.parse is about 2/3 of the time and zlib most of the
 * rest. Where the time goes, and why 2.5x Django over the bench's whole corpus is out of reach: README.
 */
import { createHash, createHmac, hash } from 'node:crypto';
import { pythonZlib } from './python-zlib.ts';
import { base64urlWrite, latin1Slice, latin1Write, utf8Write } from './bytes.ts';
import { DEFAULT_BUDGETS, type DecodeBudgets, overBudget } from './budgets.ts';
import { growScratchIn, inflateInto, scratchIn, scratchInView, scratchOut, trimScratch } from './inflate.ts';
import { parseJsonObject } from './json.ts';
import { type Decoded, decoded, failure, type JsonObject } from './result.ts';
import { INFLATE_BAD, INFLATE_TOO_LARGE, inflateWhole, SCRATCH_KEEP_BYTES } from './zlib-handle.ts';

export interface DjangoCodecOptions {
  secretKey: string;
  /** SECRET_KEY_FALLBACKS: accepted when reading, never used for writing. */
  fallbackKeys?: string[];
  /** Default 'django.contrib.sessions.SessionStore' ("django.contrib.sessions." + the store's __qualname__). */
  salt?: string;
  /** Default 'django.contrib.sessionsSessionStore' ("django.contrib.sessions" + the store's __name__, no dot). */
  legacySalt?: string;
  /** Write the pre-3.1 format instead (only for a Django that still runs DEFAULT_HASHING_ALGORITHM = 'sha1'). */
  writeLegacy?: boolean;
  /**
   * The decode budgets (budgets.ts). The stored text and the JSON payload after inflate (zip bombs stop
   * there) are held to `maxInputBytes`; the parsed data to the output, depth and values budgets.
   */
  budgets?: DecodeBudgets;
}

export interface DjangoDecoded {
  data: JsonObject;
  format: 'signed' | 'legacy';
  compressed: boolean;
  /** The base62 timestamp of the signed format; null for legacy (and for a timestamp beyond Date's range). */
  signedAt: Date | null;
  /** 0 = primary secret, 1.. = which fallback verified it. */
  keyIndex: number;
}

export interface DjangoCodec {
  decode(sessionData: string): Decoded<DjangoDecoded>;
  encode(data: JsonObject, now: Date): string;
}

const DEFAULT_SALT = 'django.contrib.sessions.SessionStore';
const DEFAULT_LEGACY_SALT = 'django.contrib.sessionsSessionStore';
const AUTH_HASH_SALT = 'django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash';
/** Compressed payloads up to this many bytes use the JS inflate; larger ones zlib's. Measured crossover. */
export const JS_INFLATE_MAX_BYTES = 320;

// ------------------------------------------------------------------------------------------------ base62, base64

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `django.utils.baseconv.base62.encode`: most significant digit first, '-' for negatives, "0" for zero. */
function base62(value: number): string {
  if (value === 0) return '0';
  let rest = Math.abs(value);
  let digits = '';
  while (rest > 0) {
    digits = B62[rest % 62] + digits;
    rest = Math.floor(rest / 62);
  }
  return value < 0 ? '-' + digits : digits;
}

/** `base62.decode` over s[start, end); NaN when Django's would raise. */
function parseBase62(s: string, start: number, end: number): number {
  let i = start;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  if (i >= end) return Number.NaN;
  let value = 0;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    let digit: number;
    if (c >= 48 && c <= 57) digit = c - 48;
    else if (c >= 65 && c <= 90) digit = c - 55;
    else if (c >= 97 && c <= 122) digit = c - 61;
    else return Number.NaN;
    value = value * 62 + digit;
  }
  return negative ? -value : value;
}

/**
 * Decodes base64 (either alphabet, as Python's urlsafe_b64decode; padding optional) from s[start, end) into
 * `scratchIn`, followed by 16 zero bytes (the inflate's read-ahead). Returns the byte count, or -1 where Python
 * would fail or decode other bytes: a character outside the alphabet, '=' inside, a length one past a multiple
 * of four. Node's decoder is fast but lenient: it skips characters outside the alphabet (then fewer bytes come
 * out than the length promises) and reads a non-ASCII character by its low byte (so those are refused first;
 * `ascii` says the caller already knows s[start, end) is ASCII, which spares a scan of the whole string).
 */
function decodeBase64Into(s: string, start: number, end: number, ascii: boolean): number {
  while (end > start && s.charCodeAt(end - 1) === 61) end--;
  const chars = end - start;
  if (chars % 4 === 1) return -1;
  const bytes = (chars * 3) >> 2;
  if (scratchIn.length < bytes + 16) {
    growScratchIn(Math.max(bytes + 16, scratchIn.length * 2));
  }
  if (!ascii && Buffer.byteLength(s, 'utf8') !== s.length) return -1;
  if (base64urlWrite(scratchIn, s.slice(start, end), 0, bytes) !== bytes) return -1;
  // Uint8Array's fill: Buffer's own normalises its arguments first.
  Uint8Array.prototype.fill.call(scratchIn, 0, bytes, bytes + 16);
  return bytes;
}

// ------------------------------------------------------------------------------------------------ HMAC

/** salted_hmac's keys for one secret, and the HMAC-SHA256 key's padded blocks (RFC 2104) for hmacSha256. */
interface SecretKeys {
  sha256: Buffer;
  sha1: Buffer;
  legacy: Buffer;
  /** key ^ 0x36 (64 bytes): the start of the inner hash's input. */
  innerPad: Buffer;
  /** key ^ 0x5c (64 bytes) followed by room for the inner digest: the whole outer hash's input. */
  outerBlock: Buffer;
}

/** SHA256/SHA1(salt + "signer" + secret) for the current format, SHA1(legacySalt + secret) for the legacy one. */
function deriveKeys(secret: string, salt: string, legacySalt: string): SecretKeys {
  const sha256 = createHash('sha256').update(`${salt}signer${secret}`, 'utf8').digest();
  const innerPad = Buffer.alloc(64, 0x36);
  const outerBlock = Buffer.alloc(64 + 32, 0x5c);
  for (let i = 0; i < sha256.length; i++) {
    innerPad[i]! ^= sha256[i]!;
    outerBlock[i]! ^= sha256[i]!;
  }
  return {
    sha256,
    sha1: createHash('sha1').update(`${salt}signer${secret}`, 'utf8').digest(),
    legacy: createHash('sha1').update(`${legacySalt}${secret}`, 'utf8').digest(),
    innerPad,
    outerBlock,
  };
}

let hmacInput: Buffer = Buffer.allocUnsafeSlow(4096);
/**
 * Views of hmacInput by length, made once (a few hundred KB at most): a new subarray per row cost about 4% of a
 * typical row's decode.
 */
let hmacInputViews: Buffer[] = [];
function hmacInputView(length: number): Buffer {
  if (length > 4096) return hmacInput.subarray(0, length);
  let view = hmacInputViews[length];
  if (view === undefined) {
    view = hmacInput.subarray(0, length);
    hmacInputViews[length] = view;
  }
  return view;
}
/** Whether the last hmacSha256 input was all ASCII (its UTF-8 as long as the string): decodeSigned's check. */
let hmacInputWasAscii = false;

/**
 * HMAC-SHA256(key, UTF-8 of value) as a 32-character latin-1 string (one character per byte). Two one-shot
 * crypto.hash calls over precomputed padded keys: faster per row than creating an Hmac. Digests come out as
 * 'latin1' because Node's hash() makes a string for that (and 'hex') about twice as fast as a Buffer or
 * base64url, which go through slower paths.
 */
function hmacSha256(key: SecretKeys, value: string): string {
  const room = 64 + value.length * 3;
  if (hmacInput.length < room || (hmacInput.length > SCRATCH_KEEP_BYTES && room <= SCRATCH_KEEP_BYTES)) {
    hmacInput = Buffer.allocUnsafeSlow(Math.max(room, 4096));
    hmacInputViews = [];
  }
  hmacInput.set(key.innerPad, 0);
  const length = utf8Write(hmacInput, value, 64, room - 64);
  hmacInputWasAscii = length === value.length;
  latin1Write(key.outerBlock, hash('sha256', hmacInputView(64 + length), 'binary'), 64, 32);
  return hash('sha256', key.outerBlock, 'binary');
}

/** BASE64URL_VALUE[c] = the 6-bit value of base64url character c, or -1 (the standard '+' and '/' too). */
const BASE64URL_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  BASE64URL_VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;
}
const signatureBytes = new Uint8Array(32);

function base64urlValue(c: number): number {
  return c < 128 ? BASE64URL_VALUE[c]! : -1;
}

/**
 * Decodes a 43-character unpadded base64url signature into `signatureBytes`. Returns false unless it is the
 * exact encoding of some 32 bytes (alphabet, and zero in the last character's 2 unused bits): then comparing
 * bytes is the same as comparing Django's expected base64url string with the given one.
 */
function decodeSignature(s: string, start: number): boolean {
  let bad = 0;
  let o = 0;
  for (let i = start; o < 30; i += 4) {
    const a = base64urlValue(s.charCodeAt(i));
    const b = base64urlValue(s.charCodeAt(i + 1));
    const c = base64urlValue(s.charCodeAt(i + 2));
    const d = base64urlValue(s.charCodeAt(i + 3));
    bad |= a | b | c | d;
    signatureBytes[o++] = (a << 2) | (b >> 4);
    signatureBytes[o++] = (b << 4) | (c >> 2);
    signatureBytes[o++] = (c << 6) | d;
  }
  const i = start + 40;
  const a = base64urlValue(s.charCodeAt(i));
  const b = base64urlValue(s.charCodeAt(i + 1));
  const c = base64urlValue(s.charCodeAt(i + 2));
  bad |= a | b | c | (c & 3 ? -1 : 0);
  signatureBytes[30] = (a << 2) | (b >> 4);
  signatureBytes[31] = (b << 4) | (c >> 2);
  return bad >= 0;
}

/** Compares a latin-1 digest with `signatureBytes` in constant time. */
function digestMatchesSignature(digest: string): boolean {
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= digest.charCodeAt(i) ^ signatureBytes[i]!;
  return diff === 0;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

// ------------------------------------------------------------------------------------------------ deflate

/** Whether encode() compresses exactly like Python's zlib, i.e. pako 2.1.0 is installed. */
export const djangoEncoderIsByteExact: boolean = pythonZlib.exact;

// ------------------------------------------------------------------------------------------------ JSON

/**
 * Python's `json.dumps(obj, separators=(",", ":"))` with ensure_ascii: JSON.stringify already writes the same
 * escapes below U+0080 (\" \\ \b \f \n \r \t, lowercase \u00XX, lone surrogates as \udXXX); Python also escapes
 * DEL and everything above, astral characters as their two surrogates, lowercase hex.
 * Differences that cannot be helped: JS objects list integer-like keys first, and numbers print the JS way
 * (1e-7, not 1e-07). Python reads both to the same values.
 */
function pythonJson(data: JsonObject): string {
  const json = JSON.stringify(data);
  return /[\u007f-\uffff]/.test(json)
    ? json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
    : json;
}

const NON_STANDARD_NUMBER = /(?:^|[[,:])\s*-?(?:NaN|Infinity)\s*(?=$|[\],}])/;

/**
 * Django's payload text parsed under the budgets; Python also writes NaN and Infinity, which JSON.parse
 * rejects. A payload that is not an object (a list, a string) is refused too: `SessionStore.load()` would
 * return it and the first `session[...]` would fail.
 */
function parseObject(text: string, budgets: DecodeBudgets): Decoded<JsonObject> {
  const parsed = parseJsonObject(text, budgets, 'the payload');
  if (!parsed.ok && parsed.detail === 'the payload is not valid JSON') {
    return NON_STANDARD_NUMBER.test(stripStrings(text))
      ? failure('unsupported', 'JSON with NaN or Infinity')
      : failure('corrupt', 'payload is not JSON');
  }
  return parsed.ok ? decoded(parsed.value) : parsed;
}

function stripStrings(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

// ------------------------------------------------------------------------------------------------ codec

export function createDjangoCodec(options: DjangoCodecOptions): DjangoCodec {
  const salt = options.salt ?? DEFAULT_SALT;
  const legacySalt = options.legacySalt ?? DEFAULT_LEGACY_SALT;
  const budgets = options.budgets ?? DEFAULT_BUDGETS;
  const maxBytes = budgets.maxInputBytes;
  const keys = [options.secretKey, ...(options.fallbackKeys ?? [])].map((secret) =>
    deriveKeys(secret, salt, legacySalt),
  );
  const primary = keys[0]!;
  // The stored text and, after base64 and inflate, the payload are each held to the input budget.
  const maxChars = maxBytes;

  /**
   * Index of the key whose signature matches s[sep + 1..], or -1. Django 3.2's Signer.unsign: base64url of
   * HMAC-SHA256 over the signed part, compared as strings in constant time; SHA-1 (27 characters) accepted too.
   */
  function verifySignature(s: string, sep: number): number {
    const sigLength = s.length - sep - 1;
    const value = s.slice(0, sep);
    if (sigLength === 43) {
      if (!decodeSignature(s, sep + 1)) return -1;
      for (let i = 0; i < keys.length; i++) {
        if (digestMatchesSignature(hmacSha256(keys[i]!, value))) return i;
      }
      return -1;
    }
    if (sigLength !== 27) return -1;
    const sig = s.slice(sep + 1);
    for (let i = 0; i < keys.length; i++) {
      const expected = createHmac('sha1', keys[i]!.sha1).update(value, 'utf8').digest('base64url');
      if (constantTimeEqual(expected, sig)) return i;
    }
    return -1;
  }

  function decodeSigned(s: string, sep: number): Decoded<DjangoDecoded> {
    trimScratch();
    const keyIndex = verifySignature(s, sep);
    if (keyIndex < 0) return failure('tampered', 'signature does not match any key');
    const tsSep = sep > 0 ? s.lastIndexOf(':', sep - 1) : -1;
    if (tsSep < 0) return failure('corrupt', 'no timestamp');
    const timestamp = parseBase62(s, tsSep + 1, sep);
    if (Number.isNaN(timestamp)) return failure('corrupt', 'bad timestamp');
    const compressed = s.charCodeAt(0) === 46;
    // After a SHA-256 check, hmacSha256 has already seen whether the signed part (the payload's base64 included)
    // is ASCII.
    const ascii = s.length - sep - 1 === 43 && hmacInputWasAscii;
    const byteCount = decodeBase64Into(s, compressed ? 1 : 0, tsSep, ascii);
    if (byteCount < 0) return failure('corrupt', 'bad base64');
    let text: string;
    if (!compressed) {
      if (byteCount > maxBytes) return overBudget.input(budgets);
      if (scratchIn[0] === 0x80) return failure('unsupported', 'pickle serializer');
      text = latin1Slice(scratchIn, 0, byteCount);
    } else if (byteCount <= JS_INFLATE_MAX_BYTES) {
      const n = inflateInto(scratchIn, scratchInView, byteCount, maxBytes);
      if (n === INFLATE_TOO_LARGE) return overBudget.input(budgets);
      if (n < 0) return failure('corrupt', 'bad zlib data');
      if (scratchOut[0] === 0x80) return failure('unsupported', 'pickle serializer');
      text = latin1Slice(scratchOut, 0, n);
    } else {
      const inflated = inflateWhole(scratchIn, byteCount, maxBytes);
      if (inflated === INFLATE_TOO_LARGE) return overBudget.input(budgets);
      if (inflated === INFLATE_BAD) return failure('corrupt', 'bad zlib data');
      if (inflated[0] === 0x80) return failure('unsupported', 'pickle serializer');
      text = latin1Slice(inflated, 0, inflated.length);
    }
    const parsed = parseObject(text, budgets);
    if (!parsed.ok) return parsed;
    const signedAt = new Date(timestamp * 1000);
    return decoded({
      data: parsed.value,
      format: 'signed',
      compressed,
      signedAt: Number.isNaN(signedAt.getTime()) ? null : signedAt,
      keyIndex,
    });
  }

  function decodeLegacy(s: string): Decoded<DjangoDecoded> {
    // Django 1.3-1.5 wrote base64.encodestring (a newline every 76 characters).
    const text = /[\t\n\r ]/.test(s) ? s.replace(/[\t\n\r ]+/g, '') : s;
    if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
      return failure('corrupt', 'bad base64');
    const bytes = Buffer.from(text, 'base64');
    const colon = bytes.indexOf(0x3a);
    if (colon < 0) return failure('corrupt', 'no hash separator');
    const hash = bytes.toString('latin1', 0, colon);
    const serialized = bytes.subarray(colon + 1);
    for (let i = 0; i < keys.length; i++) {
      const expected = createHmac('sha1', keys[i]!.legacy).update(serialized).digest('hex');
      if (!constantTimeEqual(expected, hash)) continue;
      if (serialized[0] === 0x80) return failure('unsupported', 'pickle serializer');
      const parsed = parseObject(serialized.toString('latin1'), budgets);
      if (!parsed.ok) return parsed;
      return decoded({
        data: parsed.value,
        format: 'legacy',
        compressed: false,
        signedAt: null,
        keyIndex: i,
      });
    }
    return failure('tampered', 'hash does not match any key');
  }

  return {
    decode(sessionData: string): Decoded<DjangoDecoded> {
      try {
        if (typeof sessionData !== 'string') return failure('corrupt', 'not a string');
        if (sessionData.length > maxChars) return overBudget.input(budgets);
        // The signed format always has a ':'; base64 (the legacy format) never does.
        const sep = sessionData.lastIndexOf(':');
        return sep < 0 ? decodeLegacy(sessionData) : decodeSigned(sessionData, sep);
      } catch {
        // Nothing above is expected to throw; a RangeError from a pathological input must still not escape.
        return failure('corrupt', 'unreadable session data');
      }
    },

    encode(data: JsonObject, now: Date): string {
      const seconds = Math.trunc(now.getTime() / 1000);
      if (!Number.isFinite(seconds)) throw new TypeError('encode needs a valid date');
      const json = Buffer.from(pythonJson(data), 'latin1');
      if (options.writeLegacy) {
        const hash = createHmac('sha1', primary.legacy).update(json).digest('hex');
        return Buffer.concat([Buffer.from(hash + ':', 'latin1'), json]).toString('base64');
      }
      const deflated = pythonZlib.compress(json);
      const body =
        deflated.length < json.length - 1
          ? '.' + Buffer.from(deflated.buffer, deflated.byteOffset, deflated.length).toString('base64url')
          : json.toString('base64url');
      const value = body + ':' + base62(seconds);
      return value + ':' + createHmac('sha256', primary.sha256).update(value, 'latin1').digest('base64url');
    },
  };
}

/** Django's get_session_auth_hash: HMAC-SHA256 hex of the user's stored password hash string. */
export function djangoSessionAuthHash(passwordHash: string, secretKey: string): string {
  const key = createHash('sha256')
    .update(AUTH_HASH_SALT + secretKey, 'utf8')
    .digest();
  return createHmac('sha256', key).update(passwordHash, 'utf8').digest('hex');
}
