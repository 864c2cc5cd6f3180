import { createHash, createHmac } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { type Decoded, decoded, failure, type JsonObject } from './result.ts';

export interface DjangoCodecOptions {
  secretKey: string;
  fallbackKeys?: string[];
  salt?: string;
  legacySalt?: string;
  writeLegacy?: boolean;
  maxBytes?: number;
}
export interface DjangoDecoded {
  data: JsonObject;
  format: 'signed' | 'legacy';
  compressed: boolean;
  signedAt: Date | null;
  keyIndex: number;
}
export interface DjangoCodec {
  decode(sessionData: string): Decoded<DjangoDecoded>;
  encode(data: JsonObject, now: Date): string;
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(n: number): string {
  if (n === 0) return '0';
  const neg = n < 0;
  let x = Math.abs(n);
  let out = '';
  while (x > 0) {
    out = B62[x % 62] + out;
    x = Math.floor(x / 62);
  }
  return neg ? '-' + out : out;
}

function parseBase62(s: string): number {
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  if (i >= s.length) return Number.NaN;
  let x = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 65 && c <= 90) d = c - 55;
    else if (c >= 97 && c <= 122) d = c - 61;
    else return Number.NaN;
    x = x * 62 + d;
  }
  return neg ? -x : x;
}

function pyJson(data: JsonObject): string {
  return JSON.stringify(data).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function createDjangoCodec(options: DjangoCodecOptions): DjangoCodec {
  const salt = options.salt ?? 'django.contrib.sessions.SessionStore';
  const legacySalt = options.legacySalt ?? 'django.contrib.sessionsSessionStore';
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const secrets = [options.secretKey, ...(options.fallbackKeys ?? [])];
  const keys = secrets.map((secret) => ({
    sha256: createHash('sha256').update(salt + 'signer' + secret).digest(),
    sha1: createHash('sha1').update(salt + 'signer' + secret).digest(),
    legacy: createHash('sha1').update(legacySalt + secret).digest(),
  }));
  const primary = keys[0]!;

  function payload(bytes: Buffer, format: 'signed' | 'legacy', rest: Omit<DjangoDecoded, 'data' | 'format'>) {
    if (bytes[0] === 0x80) return failure('unsupported', 'pickle serializer');
    let data: unknown;
    try {
      data = JSON.parse(bytes.toString('latin1'));
    } catch {
      return failure('corrupt', 'payload is not JSON');
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return failure('corrupt', 'payload is not a JSON object');
    }
    return decoded<DjangoDecoded>({ data: data as JsonObject, format, ...rest });
  }

  function decodeSigned(s: string, sep: number): Decoded<DjangoDecoded> {
    const value = s.slice(0, sep);
    const sig = s.slice(sep + 1);
    let keyIndex = -1;
    for (let i = 0; i < keys.length && keyIndex < 0; i++) {
      const key = keys[i]!;
      const expected =
        sig.length === 43
          ? createHmac('sha256', key.sha256).update(value).digest('base64url')
          : sig.length === 27
            ? createHmac('sha1', key.sha1).update(value).digest('base64url')
            : '';
      if (expected !== '' && safeEqual(expected, sig)) keyIndex = i;
    }
    if (keyIndex < 0) return failure('tampered', 'signature does not match any key');
    const tsSep = value.lastIndexOf(':');
    if (tsSep < 0) return failure('corrupt', 'no timestamp');
    const ts = parseBase62(value.slice(tsSep + 1));
    if (Number.isNaN(ts)) return failure('corrupt', 'bad timestamp');
    const compressed = value.charCodeAt(0) === 46;
    const b64 = value.slice(compressed ? 1 : 0, tsSep);
    if (!/^[A-Za-z0-9_-]*$/.test(b64) || b64.length % 4 === 1) return failure('corrupt', 'bad base64');
    let bytes = Buffer.from(b64, 'base64url');
    if (compressed) {
      try {
        bytes = inflateSync(bytes, { maxOutputLength: maxBytes });
      } catch {
        return failure('corrupt', 'bad zlib data');
      }
    } else if (bytes.length > maxBytes) return failure('corrupt', 'too large');
    const signedAt = new Date(ts * 1000);
    return payload(bytes, 'signed', {
      compressed,
      signedAt: Number.isNaN(signedAt.getTime()) ? null : signedAt,
      keyIndex,
    });
  }

  function decodeLegacy(s: string): Decoded<DjangoDecoded> {
    const text = s.replace(/[\t\n\r ]+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      return failure('corrupt', 'bad base64');
    }
    const bytes = Buffer.from(text, 'base64');
    const colon = bytes.indexOf(0x3a);
    if (colon < 0) return failure('corrupt', 'no hash separator');
    const hash = bytes.toString('latin1', 0, colon);
    const serialized = bytes.subarray(colon + 1);
    if (serialized.length > maxBytes) return failure('corrupt', 'too large');
    for (let i = 0; i < keys.length; i++) {
      const expected = createHmac('sha1', keys[i]!.legacy).update(serialized).digest('hex');
      if (safeEqual(expected, hash)) {
        return payload(serialized, 'legacy', { compressed: false, signedAt: null, keyIndex: i });
      }
    }
    return failure('tampered', 'hash does not match any key');
  }

  const maxChars = Math.ceil((maxBytes * 4) / 3) + 256;

  return {
    decode(sessionData: string): Decoded<DjangoDecoded> {
      try {
        if (typeof sessionData !== 'string') return failure('corrupt', 'not a string');
        if (sessionData.length > maxChars) return failure('corrupt', 'too large');
        const sep = sessionData.lastIndexOf(':');
        return sep < 0 ? decodeLegacy(sessionData) : decodeSigned(sessionData, sep);
      } catch {
        return failure('corrupt', 'unreadable');
      }
    },
    encode(data: JsonObject, now: Date): string {
      const json = Buffer.from(pyJson(data), 'latin1');
      if (options.writeLegacy) {
        const hash = createHmac('sha1', primary.legacy).update(json).digest('hex');
        return Buffer.concat([Buffer.from(hash + ':', 'latin1'), json]).toString('base64');
      }
      const deflated = deflateSync(json);
      const body =
        deflated.length < json.length - 1 ? '.' + deflated.toString('base64url') : json.toString('base64url');
      const value = body + ':' + base62(Math.trunc(now.getTime() / 1000));
      return value + ':' + createHmac('sha256', primary.sha256).update(value).digest('base64url');
    },
  };
}

export function djangoSessionAuthHash(passwordHash: string, secretKey: string): string {
  const key = createHash('sha256')
    .update('django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash' + secretKey)
    .digest();
  return createHmac('sha256', key).update(passwordHash).digest('hex');
}
