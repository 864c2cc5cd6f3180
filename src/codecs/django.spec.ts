import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  createDjangoCodec,
  type DjangoCodec,
  djangoEncoderIsByteExact,
  djangoSessionAuthHash,
} from './django.ts';
import { inflateZlib } from './inflate.ts';
import { DEFAULT_BUDGETS } from './budgets.ts';
import type { JsonObject, JsonValue } from './result.ts';
import { INFLATE_BAD, INFLATE_TOO_LARGE, reusableInflate } from './zlib-handle.ts';

// ------------------------------------------------------------------------------------------------ fixtures

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'django');
const GENERATOR = join(FIXTURES, 'generate.py');
const PYTHON = '/usr/bin/python3';

interface CorpusRow {
  name: string;
  input: JsonObject;
  session_data: string;
  secret: string;
  store: 'default' | 'custom';
  format: 'signed' | 'legacy';
  compressed: boolean;
  signed_at: number | null;
  algorithm: 'sha256' | 'sha1';
  serializer: 'json' | 'pickle';
  loaded?: JsonObject;
  password_hash?: string;
}
interface Corpus {
  django: string;
  secret: string;
  other_secret: string;
  now: number;
  salts: { default: string; default_legacy: string; custom: string; custom_legacy: string };
  rows: CorpusRow[];
  auth_hashes: Array<{ password_hash: string; secret: string; hash: string }>;
}
const corpus = JSON.parse(readFileSync(join(FIXTURES, 'corpus.json'), 'utf8')) as Corpus;
const SECRET = corpus.secret;
const NOW = new Date(corpus.now * 1000);

const codecFor = (
  store: 'default' | 'custom',
  options: { secretKey?: string; fallbackKeys?: string[] } = {},
) =>
  createDjangoCodec({
    secretKey: options.secretKey ?? SECRET,
    fallbackKeys: options.fallbackKeys ?? [corpus.other_secret],
    ...(store === 'custom' ? { salt: corpus.salts.custom, legacySalt: corpus.salts.custom_legacy } : {}),
  });
const codec = codecFor('default');

/** FORMATS.md section 1.4 / 1.5 test vectors (Django 3.2.25, SECRET_KEY="test-secret-key", time 1700000000). */
const VECTORS = {
  tiny: 'eyJhIjoxfQ:1r31eq:mvqAFpOL1fZXbE9_M4qDR7eYKgZG_5R2MwsvV9eChd8',
  auth:
    '.eJxVjEEOwiAQRe_C2hAg0wIu3XsGMgOMVA1NSrtqvLs06UK3773_dxFwW0vYWl7ClMRVgBGXX0gYX7keJj2xPmYZ57ouE8kjkadt8j6n_L6d7d9B' +
    'wVb6mhkMUwSKUTnM2ptsPYwWB60cZIqePHdiEzLzAD4x2dFoBboD78TnCzACOOU:1r31eq:9eQgMxg26e5CsFzXnH3LMgPoZO6aO9-jCIm0j-EWECk',
  legacy:
    'MTgxNDQ3OWExZTc0NTMzNzgxNGQzYWE2YzkxZDFiYjg2MDQyMDk1Nzp7Il9hdXRoX3VzZXJfaWQiOiI0MiIsIl9hdXRoX3VzZXJfYmFja2VuZCI6' +
    'ImRqYW5nby5jb250cmliLmF1dGguYmFja2VuZHMuTW9kZWxCYWNrZW5kIiwiX2F1dGhfdXNlcl9oYXNoIjoiZmY0MmZiYzRiY2MwOGFlMTkyZTc5NDY3' +
    'YTUxMDg0ZWJjOWI5Zjc5NDdkYWZmZjU0OWRmYjc2MjEwNDFhZmY5OCJ9',
};
const AUTH: JsonObject = {
  _auth_user_id: '42',
  _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
  _auth_user_hash: 'ff42fbc4bcc08ae192e79467a51084ebc9b9f7947dafff549dfb7621041aff98',
};

// ------------------------------------------------------------------------------------------------ helpers

/**
 * An independent signer (node:crypto, node:zlib; not the encoder under test) for rows the encoder never writes:
 * whatever payload bytes, a '.' or not, any timestamp text, signed like Django's TimestampSigner.
 */
function signRow(
  payload: Uint8Array | string,
  options: {
    dot?: boolean;
    timestamp?: string;
    secret?: string;
    salt?: string;
    algorithm?: 'sha256' | 'sha1';
  } = {},
): string {
  const body =
    typeof payload === 'string' ? payload : Buffer.from(payload).toString('base64url').replace(/=+$/, '');
  const value = `${options.dot ? '.' : ''}${body}:${options.timestamp ?? '1r31eq'}`;
  const algorithm = options.algorithm ?? 'sha256';
  const key = createHash(algorithm)
    .update(`${options.salt ?? corpus.salts.default}signer${options.secret ?? SECRET}`)
    .digest();
  return `${value}:${createHmac(algorithm, key).update(value).digest('base64url')}`;
}

/** Django's _legacy_encode, independently: base64(hex(HMAC-SHA1(SHA1(salt + secret), bytes)) + ':' + bytes). */
function legacyRow(serialized: Uint8Array, secret = SECRET): string {
  const key = createHash('sha1')
    .update(corpus.salts.default_legacy + secret)
    .digest();
  const hash = createHmac('sha1', key).update(serialized).digest('hex');
  return Buffer.concat([Buffer.from(`${hash}:`), serialized]).toString('base64');
}

/** What a value looks like after a trip through JSON (-0 becomes 0); what Django hands back at best. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

interface DjangoLoad {
  data: JsonObject;
  corrupted: boolean;
}

/** Real Django 3.2 (`generate.py --decode`): what SessionStore().decode returns for each row. */
function djangoLoads(rows: Array<{ session_data: string; secret?: string; store?: string }>): DjangoLoad[] {
  const result = spawnSync(PYTHON, [GENERATOR, '--decode'], {
    input: rows.map((row) => JSON.stringify(row)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) throw new Error(`generate.py --decode failed: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(rows.length);
  return lines.map((line) => JSON.parse(line) as DjangoLoad);
}

function expectOk(result: ReturnType<DjangoCodec['decode']>) {
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
  return result.value;
}

/** UTF-16 code units of every kind: ASCII, Latin-1, BMP, astral pairs, lone surrogates, DEL and controls. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', '"', '\\', '/', '\u007f', '\u0000', '\n', '\u2028', 'é', '😀', '\ud800', '\udfff'),
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  ),
  maxLength: 40,
});
/** Keys that are not array indices, so JS keeps them in insertion order exactly like a Python dict. */
const orderedKey = anyText.filter((key) => !/^(?:0|[1-9]\d*)$/.test(key));
const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    anyText,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(orderedKey, anyText, fc.constantFrom('__proto__', 'constructor', '0', '10')),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;
/**
 * Sessions that Python prints exactly as JS does: keys in insertion order (no integer-like keys) and numbers
 * that are integers or floats between 1e-4 and 1e15 (outside that, Python writes 1e-05 and 1e+16).
 */
const pythonPrintable: fc.Arbitrary<JsonObject> = fc.letrec<{ value: JsonValue; object: JsonObject }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ min: 1e-4, max: 1e15, noNaN: true }),
      anyText,
      fc.array(tie('value'), { maxLength: 5 }),
      tie('object'),
    ),
    object: fc.dictionary(orderedKey, tie('value'), { maxKeys: 6 }),
  }),
).object;
const sessionDict: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.oneof(orderedKey, anyText, fc.constantFrom('__proto__', '_auth_user_id', '1')),
  jsonValue,
  { maxKeys: 8 },
);

// ------------------------------------------------------------------------------------------------ vectors

describe('FORMATS.md test vectors', () => {
  it('should decode the uncompressed vector', () => {
    const value = expectOk(codec.decode(VECTORS.tiny));
    expect(value).toEqual({
      data: { a: 1 },
      format: 'signed',
      compressed: false,
      signedAt: NOW,
      keyIndex: 0,
    });
  });

  it('should decode the compressed auth vector', () => {
    const value = expectOk(codec.decode(VECTORS.auth));
    expect(value).toEqual({ data: AUTH, format: 'signed', compressed: true, signedAt: NOW, keyIndex: 0 });
  });

  it('should decode the legacy vector', () => {
    const value = expectOk(codec.decode(VECTORS.legacy));
    expect(value).toEqual({ data: AUTH, format: 'legacy', compressed: false, signedAt: null, keyIndex: 0 });
  });

  it('should encode the uncompressed vector byte for byte', () => {
    expect(codec.encode({ a: 1 }, NOW)).toBe(VECTORS.tiny);
  });

  it('should encode the compressed vector byte for byte (needs pako 2.1.0, a port of zlib 1.2.x)', () => {
    expect(
      djangoEncoderIsByteExact,
      'add "pako": "2.1.0" to package.json: node:zlib compresses differently',
    ).toBe(true);
    expect(codec.encode(AUTH, NOW)).toBe(VECTORS.auth);
  });

  it('should encode the legacy vector byte for byte when writeLegacy is set', () => {
    expect(createDjangoCodec({ secretKey: SECRET, writeLegacy: true }).encode(AUTH, NOW)).toBe(
      VECTORS.legacy,
    );
  });

  it("should compute the auth hash of the vector's password", () => {
    expect(djangoSessionAuthHash('pbkdf2_sha256$260000$salt$hash=', SECRET)).toBe(AUTH['_auth_user_hash']);
  });
});

// ------------------------------------------------------------------------------------------------ corpus

describe(`corpus written by Django ${corpus.django}`, () => {
  const jsonRows = corpus.rows.filter((row) => row.serializer === 'json');

  it.each(jsonRows.map((row) => [row.name, row] as const))(
    'should decode %s to what Django loaded',
    (_, row) => {
      const value = expectOk(codecFor(row.store).decode(row.session_data));
      expect(value.data).toEqual(row.loaded);
      expect(value.format).toBe(row.format);
      expect(value.compressed).toBe(row.compressed);
      expect(value.signedAt).toEqual(row.signed_at === null ? null : new Date(row.signed_at * 1000));
      expect(value.keyIndex).toBe(row.secret === SECRET ? 0 : 1);
    },
  );

  it.each(corpus.rows.map((row) => [row.name, row] as const))(
    'should call %s tampered under a wrong key',
    (_, row) => {
      const result = codecFor(row.store, { secretKey: 'not-the-key', fallbackKeys: ['nor-this-one'] }).decode(
        row.session_data,
      );
      expect(result).toMatchObject({ ok: false, problem: 'tampered' });
    },
  );

  it('should not read a custom store with the default salt, nor the default store with a custom salt', () => {
    for (const row of corpus.rows.filter((candidate) => candidate.serializer === 'json')) {
      const other = codecFor(row.store === 'custom' ? 'default' : 'custom');
      expect(other.decode(row.session_data)).toMatchObject({ ok: false, problem: 'tampered' });
    }
  });

  it('should report pickle-serialized rows as unsupported', () => {
    const pickled = corpus.rows.filter((row) => row.serializer === 'pickle');
    expect(pickled.map((row) => row.format).sort()).toEqual(['legacy', 'signed']);
    for (const row of pickled) {
      expect(codec.decode(row.session_data)).toEqual({
        ok: false,
        problem: 'unsupported',
        detail: 'pickle serializer',
      });
    }
  });

  /** The JSON text Django serialized for a row: the payload after base64 (and inflate), or after the legacy hash. */
  const djangoJson = (row: CorpusRow): string => {
    if (row.format === 'legacy') {
      const bytes = Buffer.from(row.session_data.replace(/\s+/g, ''), 'base64');
      return bytes.subarray(bytes.indexOf(0x3a) + 1).toString('latin1');
    }
    const body = row.session_data.slice(0, row.session_data.indexOf(':'));
    return (
      row.compressed ? inflateSync(Buffer.from(body.slice(1), 'base64url')) : Buffer.from(body, 'base64url')
    ).toString('latin1');
  };
  /** JSON as this JS encoder is meant to print it (an independent one-liner from FORMATS.md, plus DEL). */
  const jsJson = (data: JsonObject) =>
    JSON.stringify(data).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  // Python prints some floats its own way (1e-07, 5.0, -0.0); JS reads them fine but prints 1e-7, 5 and 0.
  const samePrint = jsonRows.filter((row) => jsJson(row.input) === djangoJson(row));
  const otherPrint = jsonRows.filter((row) => jsJson(row.input) !== djangoJson(row));

  it('should print JSON like Python except for float formatting', () => {
    expect(samePrint.length).toBeGreaterThan(25);
    expect(otherPrint.map((row) => row.name)).toEqual(['scalars', 'large-cart', 'legacy-large']);
    for (const row of otherPrint)
      expect(JSON.parse(jsJson(row.input))).toEqual(viaJson(JSON.parse(djangoJson(row))));
  });

  it('should encode every current-format row byte for byte as Django did', () => {
    expect(djangoEncoderIsByteExact, 'add "pako": "2.1.0" to package.json').toBe(true);
    const rows = samePrint.filter((row) => row.format === 'signed' && row.algorithm === 'sha256');
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      const writer = createDjangoCodec({ secretKey: row.secret, salt: corpus.salts[row.store] });
      expect(writer.encode(row.input, new Date((row.signed_at ?? 0) * 1000)), row.name).toBe(
        row.session_data,
      );
    }
  });

  it('should encode rows with Python-printed floats to the same data', () => {
    for (const row of otherPrint) {
      expect(expectOk(codec.decode(codec.encode(row.input, NOW))).data).toEqual(viaJson(row.loaded));
    }
  });

  it('should encode every legacy JSON row byte for byte when writeLegacy is set', () => {
    const rows = samePrint.filter((row) => row.format === 'legacy' && !row.session_data.includes('\n'));
    expect(rows.length).toBeGreaterThan(4);
    for (const row of rows) {
      const writer = createDjangoCodec({
        secretKey: row.secret,
        legacySalt: corpus.salts[row.store === 'custom' ? 'custom_legacy' : 'default_legacy'],
        writeLegacy: true,
      });
      expect(writer.encode(row.input, NOW), row.name).toBe(row.session_data);
    }
  });

  it('should compute the auth hash Django computes', () => {
    for (const { password_hash, secret, hash } of corpus.auth_hashes) {
      expect(djangoSessionAuthHash(password_hash, secret)).toBe(hash);
    }
    for (const row of corpus.rows.filter((candidate) => candidate.password_hash !== undefined)) {
      expect(djangoSessionAuthHash(row.password_hash!, row.secret)).toBe(row.loaded?.['_auth_user_hash']);
    }
  });
});

// ------------------------------------------------------------------------------------------------ Django reads us

describe('real Django loads what the encoder writes', () => {
  const handPicked: JsonObject[] = [
    {},
    AUTH,
    { name: 'Zoë', emoji: '😀🎉', astral: '𝄞', rtl: 'עברית', cjk: '日本語', '😀': ['ключ'] },
    {
      lone: '\ud800x\udfff',
      del: '\u007f',
      controls: '\u0000\u001f\b\f\n\r\t',
      quote: '"\\/',
      sep: '\u2028\u2029',
    },
    JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":1}') as JsonObject,
    { deep: JSON.parse('['.repeat(200) + ']'.repeat(200)) as JsonValue },
    { numbers: [0, -1, 2 ** 53 - 1, -(2 ** 53), 1.5, 0.1, 1e-7, 1e21, 1.7976931348623157e308, 5e-324] },
    {
      cart: Array.from({ length: 300 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 7, title: 'Tee — größe M' })),
    },
    { big: 'x'.repeat(200_000) },
    { _session_expiry: 0, _auth_user_id: '1' },
  ];
  const generated = fc.sample(sessionDict, { numRuns: 300, seed: 20240611 });

  it('should load every session with the same data, non-ASCII included', () => {
    const sessions = [...handPicked, ...generated];
    const rows = sessions.map((data) => ({ session_data: codec.encode(data, NOW), secret: SECRET }));
    const loads = djangoLoads(rows);
    loads.forEach((load, index) => {
      expect(load.corrupted, `session ${index}`).toBe(false);
      expect(load.data, `session ${index}`).toEqual(viaJson(sessions[index]));
    });
  });

  it('should write byte for byte what Django writes for the same dict (needs pako 2.1.0)', () => {
    expect(djangoEncoderIsByteExact, 'add "pako": "2.1.0" to package.json').toBe(true);
    const sessions = [AUTH, ...fc.sample(pythonPrintable, { numRuns: 300, seed: 7 })];
    const times = sessions.map((_, index) => 1_600_000_000 + index * 86_413);
    const result = spawnSync(PYTHON, [GENERATOR, '--encode'], {
      input: sessions.map((input, index) => JSON.stringify({ input, at: times[index] })).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(result.status, result.stderr).toBe(0);
    const written = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { session_data: string }).session_data);
    expect(written).toHaveLength(sessions.length);
    for (const [index, data] of sessions.entries()) {
      expect(codec.encode(data, new Date(times[index]! * 1000)), JSON.stringify(data)).toBe(written[index]);
    }
  });

  it('should write sessions Django loads in the legacy format too', () => {
    const writer = createDjangoCodec({ secretKey: SECRET, writeLegacy: true });
    const sessions = [...handPicked.slice(0, 5), ...generated.slice(0, 50)];
    const loads = djangoLoads(
      sessions.map((data) => ({ session_data: writer.encode(data, NOW), secret: SECRET })),
    );
    for (const [index, load] of loads.entries()) expect(load.data).toEqual(viaJson(sessions[index]));
  });

  it('should sign with the primary secret only, never a fallback', () => {
    const writer = createDjangoCodec({ secretKey: 'new-secret', fallbackKeys: [SECRET] });
    const row = writer.encode(AUTH, NOW);
    const [underNew, underOld] = djangoLoads([
      { session_data: row, secret: 'new-secret' },
      { session_data: row, secret: SECRET },
    ]);
    expect(underNew).toEqual({ data: AUTH, corrupted: false });
    expect(underOld?.data).toEqual({}); // Django's empty session: the signature did not verify
  });

  it('should write timestamps Django reads, before 1970 too', () => {
    const times = [
      new Date(0),
      new Date(-86_400_000 * 365),
      new Date(4_102_444_800_000),
      new Date(1_700_000_000_999),
    ];
    const rows = times.map((time) => codec.encode({ at: time.toISOString() }, time));
    djangoLoads(rows.map((row) => ({ session_data: row }))).forEach((load, index) => {
      expect(load).toEqual({ data: { at: times[index]!.toISOString() }, corrupted: false });
    });
    rows.forEach((row, index) => {
      expect(expectOk(codec.decode(row)).signedAt).toEqual(
        new Date(Math.trunc(times[index]!.getTime() / 1000) * 1000),
      );
    });
  });
});

// ------------------------------------------------------------------------------------------------ edge cases

describe('edge cases', () => {
  it('should say corrupt for inputs that are not session data at all', () => {
    for (const input of ['', 'abc', 'not base64!', '====', 'YWJj', 'YWJjZGVm']) {
      expect(codec.decode(input)).toMatchObject({ ok: false, problem: 'corrupt' });
    }
    expect(codec.decode(42 as unknown as string)).toMatchObject({ ok: false, problem: 'corrupt' });
    expect(codec.decode(null as unknown as string)).toMatchObject({ ok: false, problem: 'corrupt' });
  });

  it('should say tampered for anything with a colon and a wrong signature', () => {
    for (const input of [
      ':',
      '::',
      'a:b',
      'a:b:c',
      VECTORS.tiny.slice(0, -1),
      `${VECTORS.tiny}x`,
      ` ${VECTORS.tiny}`,
    ]) {
      expect(codec.decode(input)).toMatchObject({ ok: false, problem: 'tampered' });
    }
  });

  it('should compare signatures as the strings Django compares, not as the bytes they decode to', () => {
    // The decoder compares decoded signature bytes: the standard alphabet, padding and the last character's
    // unused bits all decode to the same bytes, but Django's string comparison refuses them.
    const sig = VECTORS.tiny.slice(VECTORS.tiny.lastIndexOf(':') + 1);
    const signed = VECTORS.tiny.slice(0, VECTORS.tiny.lastIndexOf(':') + 1);
    expect(sig).toContain('_');
    expect(sig.endsWith('8')).toBe(true);
    for (const forged of [
      sig.replace(/_/g, '/'),
      `${sig.slice(0, -1)}9`,
      `${sig.slice(0, -1)}-`,
      `${sig.slice(0, -1)}=`,
      `${sig.slice(0, -1)}\u0138`, // low byte 0x38 is '8'
    ]) {
      expect(codec.decode(signed + forged), forged).toMatchObject({ ok: false, problem: 'tampered' });
    }
  });

  it('should accept the SHA-1 signatures Django 3.1 and 3.2 accept', () => {
    const row = signRow(Buffer.from('{"a":1}'), { algorithm: 'sha1' });
    expect(expectOk(codec.decode(row)).data).toEqual({ a: 1 });
  });

  it('should verify fallback secrets and say which one matched', () => {
    const reader = createDjangoCodec({ secretKey: 'k0', fallbackKeys: ['k1', 'k2'] });
    for (const [index, secret] of ['k0', 'k1', 'k2'].entries()) {
      const writer = createDjangoCodec({ secretKey: secret });
      expect(expectOk(reader.decode(writer.encode(AUTH, NOW))).keyIndex).toBe(index);
      const legacy = createDjangoCodec({ secretKey: secret, writeLegacy: true }).encode(AUTH, NOW);
      expect(expectOk(reader.decode(legacy))).toMatchObject({ keyIndex: index, format: 'legacy' });
      expect(
        expectOk(reader.decode(signRow(Buffer.from('{}'), { secret, algorithm: 'sha1' }))).keyIndex,
      ).toBe(index);
    }
    expect(reader.decode(createDjangoCodec({ secretKey: 'k3' }).encode(AUTH, NOW))).toMatchObject({
      ok: false,
      problem: 'tampered',
    });
  });

  it('should say corrupt when a signed payload is not what it claims', () => {
    const cases: Array<[string, string]> = [
      ['bad base64', signRow('ab$d')],
      ['base64 one past a multiple of four', signRow('eyJhIjoxfQa')],
      ['not zlib', signRow(Buffer.from('{"a":1}'), { dot: true })],
      ['truncated zlib', signRow(deflateSync('{"a":1}').subarray(0, 8), { dot: true })],
      [
        'zlib with a bad checksum',
        signRow(Buffer.from([...deflateSync('{"a":1}').subarray(0, -1), 0]), { dot: true }),
      ],
      ['not JSON', signRow(Buffer.from('{"a":'))],
      ['a JSON array', signRow(Buffer.from('[1,2]'))],
      ['JSON null', signRow(Buffer.from('null'))],
      ['a JSON string', signRow(Buffer.from('"s"'))],
      ['no timestamp', signRowWithoutTimestamp('eyJhIjoxfQ')],
      ['a bad timestamp', signRow(Buffer.from('{}'), { timestamp: '1r3!eq' })],
      ['an empty timestamp', signRow(Buffer.from('{}'), { timestamp: '' })],
      ['non-ASCII payload', signRow('eyJhIjoxfQ€')],
    ];
    // Long payloads too (a different base64 path in some implementations): a stray character, '=' inside,
    // a space, a non-ASCII character whose low byte is a base64 digit.
    const long = Buffer.from(JSON.stringify({ a: 'x'.repeat(3000), b: 'ÿ?>' }), 'latin1').toString(
      'base64url',
    );
    expect(expectOk(codec.decode(signRow(long))).data).toMatchObject({ b: 'ÿ?>' });
    for (const stray of ['$', '=', ' ', 'Ł', '\ud800']) {
      cases.push([
        `long payload with ${JSON.stringify(stray)}`,
        signRow(long.slice(0, 999) + stray + long.slice(1000)),
      ]);
    }
    for (const [name, row] of cases) {
      expect(codec.decode(row), name).toMatchObject({ ok: false, problem: 'corrupt' });
    }
  });

  it('should read payloads the way Python does: padding, both base64 alphabets, latin-1', () => {
    expect(expectOk(codec.decode(signRow('eyJhIjoxfQ=='))).data).toEqual({ a: 1 });
    // {"a":"?>?"} has '+' and '/' in standard base64; Python's urlsafe_b64decode takes both alphabets.
    const standard = Buffer.from('{"a":"?>?"}').toString('base64').replace(/=+$/, '');
    expect(standard).toMatch(/[+/]/);
    expect(expectOk(codec.decode(signRow(standard))).data).toEqual({ a: '?>?' });
    // Raw UTF-8 is read as latin-1, exactly like Django: Zoë written as UTF-8 comes back as ZoÃ«.
    expect(expectOk(codec.decode(signRow(Buffer.from('{"name":"Zoë"}', 'utf8')))).data).toEqual({
      name: 'ZoÃ«',
    });
    // A negative timestamp (base62 with '-') and one beyond Date's range.
    expect(expectOk(codec.decode(signRow(Buffer.from('{}'), { timestamp: '-1' }))).signedAt).toEqual(
      new Date(-1000),
    );
    expect(
      expectOk(codec.decode(signRow(Buffer.from('{}'), { timestamp: 'zzzzzzzzzz' }))).signedAt,
    ).toBeNull();
  });

  it('should report NaN and Infinity (which Python writes) as unsupported, and pickles', () => {
    expect(codec.decode(signRow(Buffer.from('{"a":NaN}')))).toMatchObject({
      ok: false,
      problem: 'unsupported',
    });
    expect(codec.decode(signRow(Buffer.from('{"a":[1,-Infinity]}')))).toMatchObject({
      problem: 'unsupported',
    });
    expect(codec.decode(signRow(Buffer.from('{"a":"NaN"}')))).toMatchObject({ ok: true });
    const pickle = Buffer.from([0x80, 0x05, 0x95, 0x07, 0, 0, 0, 0, 0, 0, 0, 0x7d, 0x94, 0x2e]);
    expect(codec.decode(signRow(pickle))).toMatchObject({
      problem: 'unsupported',
      detail: 'pickle serializer',
    });
    expect(codec.decode(signRow(deflateSync(pickle), { dot: true }))).toMatchObject({
      problem: 'unsupported',
    });
    expect(codec.decode(legacyRow(pickle))).toMatchObject({ problem: 'unsupported' });
  });

  it('should read legacy rows with newlines (Django 1.3-1.5 base64.encodestring) and say what is wrong', () => {
    const wrapped = VECTORS.legacy.replace(/.{76}/g, '$&\n') + '\n';
    expect(expectOk(codec.decode(wrapped)).data).toEqual(AUTH);
    expect(codec.decode(legacyRow(Buffer.from('{"a":1}'), 'other'))).toMatchObject({ problem: 'tampered' });
    expect(codec.decode(Buffer.from('no separator here').toString('base64'))).toMatchObject({
      problem: 'corrupt',
    });
    expect(codec.decode(legacyRow(Buffer.from('[1]')))).toMatchObject({ problem: 'corrupt' });
    expect(codec.decode(`${VECTORS.legacy.slice(0, -4)}!!!!`)).toMatchObject({ problem: 'corrupt' });
  });

  it('should keep __proto__ an own key and leave Object.prototype alone', () => {
    const row = signRow(Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'));
    const data = expectOk(codec.decode(row)).data;
    expect(Object.hasOwn(data, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(expectOk(codec.decode(codec.encode(data, NOW))).data).toEqual(data);
  });

  it('should stop zip bombs at the input budget on both inflate paths, and oversized input before any work', () => {
    const small = createDjangoCodec({
      secretKey: SECRET,
      budgets: { ...DEFAULT_BUDGETS, maxInputBytes: 10_000 },
    });
    const tiny = deflateSync(Buffer.from(`{"a":"${'x'.repeat(20_000)}"}`)); // a few dozen bytes: JS inflate
    const big = deflateSync(Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(40_000_000, 0x78)]), {
      level: 9,
    });
    expect(big.length).toBeGreaterThan(10_000 / 4); // large enough for node:zlib
    const overInput = {
      problem: 'over-budget',
      detail: 'stored data exceeds 10000 bytes (budgets.maxInputBytes)',
    };
    expect(small.decode(signRow(tiny, { dot: true }))).toMatchObject(overInput);
    expect(codec.decode(signRow(big, { dot: true }))).toMatchObject({ problem: 'over-budget' });
    expect(small.decode(signRow(Buffer.from(`{"a":"${'x'.repeat(10_000)}"}`)))).toMatchObject(overInput);
    const started = Date.now();
    expect(codec.decode('a'.repeat(50_000_000))).toMatchObject({ problem: 'over-budget' });
    expect(codec.decode(`${'a'.repeat(20_000_000)}:x:y`)).toMatchObject({ problem: 'over-budget' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('should decode nesting within the depth budget and refuse deeper nesting by name, never throw', () => {
    for (const depth of [510, 511, 512, 1000, 200_000]) {
      const text = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const result = codec.decode(signRow(deflateSync(text), { dot: true }));
      if (depth < 512) expect(result.ok).toBe(true);
      else
        expect(result).toMatchObject({
          problem: 'over-budget',
          detail: 'nesting deeper than 512 levels (budgets.maxDepth)',
        });
    }
  });

  it('should refuse decoded data over the output budget, counted as the JSON it prints', () => {
    const budgets = { ...DEFAULT_BUDGETS, maxOutputBytes: 4096 };
    const limited = createDjangoCodec({ secretKey: SECRET, budgets });
    // 9e20 prints as 21 characters: 1,000 of them are 4,999 stored bytes and 22,000 printed.
    const numbers = `{"n":[${Array.from({ length: 1000 }, () => '9e20').join(',')}]}`;
    expect(limited.decode(signRow(Buffer.from(numbers)))).toMatchObject({
      problem: 'over-budget',
      detail: 'decoded data exceeds 4 KiB (budgets.maxOutputBytes)',
    });
    expect(limited.decode(signRow(Buffer.from('{"n":"short"}'))).ok).toBe(true);
  });

  it('should refuse a validly signed payload that is not an object, as Django cannot use it', () => {
    for (const payload of ['[1,2]', '"text"', 'null', '5']) {
      expect(codec.decode(signRow(Buffer.from(payload)))).toMatchObject({ problem: 'corrupt' });
    }
  });

  it('should refuse an invalid date when encoding', () => {
    expect(() => codec.encode({}, new Date(Number.NaN))).toThrow(TypeError);
  });
});

function signRowWithoutTimestamp(body: string): string {
  const key = createHash('sha256').update(`${corpus.salts.default}signer${SECRET}`).digest();
  return `${body}:${createHmac('sha256', key).update(body).digest('base64url')}`;
}

// ------------------------------------------------------------------------------------------------ properties

describe('properties', () => {
  test.prop([sessionDict, fc.integer({ min: -2e9, max: 5e9 })])(
    'decode(encode(x)) returns x (as JSON sees it)',
    (data, seconds) => {
      const row = codec.encode(data, new Date(seconds * 1000));
      const value = expectOk(codec.decode(row));
      expect(value.data).toEqual(viaJson(data));
      expect(value.signedAt).toEqual(new Date(seconds * 1000));
      expect(value.compressed).toBe(row.startsWith('.'));
    },
  );

  test.prop([sessionDict])('decode(encode(x)) returns x in the legacy format too', (data) => {
    const writer = createDjangoCodec({ secretKey: SECRET, writeLegacy: true });
    expect(expectOk(codec.decode(writer.encode(data, NOW))).data).toEqual(viaJson(data));
  });

  test.prop([fc.string({ unit: 'binary', maxLength: 300 })])('decode never throws on any string', (input) => {
    const result = codec.decode(input);
    expect(typeof result.ok).toBe('boolean');
  });

  test.prop([fc.uint8Array({ maxLength: 400 })])(
    'decode never throws on any bytes, as latin-1 text',
    (bytes) => {
      const result = codec.decode(Buffer.from(bytes).toString('latin1'));
      if (!result.ok) expect(['tampered', 'corrupt', 'unsupported']).toContain(result.problem);
    },
  );

  const rowLike = fc
    .tuple(
      fc.boolean(),
      fc.string({ unit: fc.constantFrom(...'ABCXYZabcxyz0189-_+/=.'), maxLength: 60 }),
      fc.string({ unit: fc.constantFrom(...'0aZ-'), maxLength: 8 }),
      fc.string({ unit: fc.constantFrom(...'AZaz09-_'), minLength: 42, maxLength: 44 }),
    )
    .map(([dot, body, stamp, sig]) => `${dot ? '.' : ''}${body}:${stamp}:${sig}`);
  test.prop([rowLike])('decode calls row-shaped strings with a wrong signature tampered', (input) => {
    expect(codec.decode(input)).toMatchObject({ ok: false, problem: 'tampered' });
  });

  const validRow = fc.tuple(sessionDict, fc.boolean()).map(([data, legacy]) => ({
    data,
    row: (legacy ? createDjangoCodec({ secretKey: SECRET, writeLegacy: true }) : codec).encode(data, NOW),
  }));
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 15 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.string({ minLength: 1, maxLength: 3 }),
    }),
  );
  test.prop([validRow, fc.array(mutation, { minLength: 1, maxLength: 3 })])(
    'mutated rows never decode to different data',
    ({ data, row }, mutations) => {
      let mutated = row;
      for (const change of mutations) {
        const at = change.at % (mutated.length + 1);
        if (change.kind === 'flip' && at < mutated.length) {
          const code = mutated.charCodeAt(at) ^ (1 << change.bit);
          mutated = mutated.slice(0, at) + String.fromCharCode(code) + mutated.slice(at + 1);
        } else if (change.kind === 'truncate') mutated = mutated.slice(0, at);
        else if (change.kind === 'delete') mutated = mutated.slice(0, at) + mutated.slice(at + 1);
        else if (change.kind === 'insert') mutated = mutated.slice(0, at) + change.text + mutated.slice(at);
      }
      const result = codec.decode(mutated);
      if (result.ok) expect(result.value.data).toEqual(viaJson(data));
    },
  );

  it('should reject every single-bit flip of the vectors (but the legacy padding bits)', () => {
    for (const row of [VECTORS.tiny, VECTORS.auth, VECTORS.legacy]) {
      for (let at = 0; at < row.length; at++) {
        for (let bit = 0; bit < 8; bit++) {
          const mutated =
            row.slice(0, at) + String.fromCharCode(row.charCodeAt(at) ^ (1 << bit)) + row.slice(at + 1);
          const result = codec.decode(mutated);
          if (result.ok) {
            // Only the unused low bits of the final base64 character can change without changing the bytes.
            expect(row).toBe(VECTORS.legacy);
            expect(at).toBe(row.length - 1);
            expect(result.value.data).toEqual(AUTH);
          }
        }
      }
    }
  });
});

// ------------------------------------------------------------------------------------------------ inflate

type Inflate = (stream: Uint8Array, maxOut?: number) => Uint8Array | 'bad' | 'too-large';

/** The reused zlib handle (django.ts's path for large payloads), answering as inflateZlib does. */
const reusedHandle: Inflate = (stream, maxOut = 1024 * 1024) => {
  if (!reusableInflate) throw new Error('no reusable zlib handle on this Node');
  const n = reusableInflate.inflate(stream, stream.length, maxOut);
  if (n === INFLATE_BAD) return 'bad';
  if (n === INFLATE_TOO_LARGE) return 'too-large';
  return Buffer.from(reusableInflate.output().subarray(0, n));
};

it('should reuse a zlib handle on this Node (else large payloads fall back to inflateSync)', () => {
  expect(reusableInflate).not.toBeNull();
});

describe.each<[string, Inflate]>([
  ['the JS inflate', inflateZlib],
  ['the reused zlib handle', reusedHandle],
])('%s agrees with zlib', (_name, inflate) => {
  const inflateBoth = (stream: Uint8Array) => {
    let expected: Buffer | 'bad';
    try {
      expected = inflateSync(stream);
    } catch {
      expected = 'bad';
    }
    const actual = inflate(stream);
    return { expected, actual: typeof actual === 'string' ? actual : Buffer.from(actual) };
  };

  /**
   * Bytes where symbol k appears 2^(levels - 1 - k) times, shuffled by `seed`: with Z_HUFFMAN_ONLY their code
   * lengths run from 1 to `levels` bits (15 at most), so long codes go through the slow path.
   */
  const geometric = (levels: number, seed = 7919) => {
    const symbols: number[] = [];
    for (let k = 0; k < levels; k++) for (let i = 0; i < 2 ** (levels - 1 - k); i++) symbols.push(65 + k);
    symbols.push(65 + levels);
    return Buffer.from(symbols.map((_, i) => symbols[(i * (seed | 1)) % symbols.length]!));
  };

  it('should decode codes longer than its table right after a stream that filled the table', () => {
    const filling = deflateSync(geometric(10), { strategy: constants.Z_HUFFMAN_ONLY });
    const long = deflateSync(geometric(16), { strategy: constants.Z_HUFFMAN_ONLY });
    expect(inflateBoth(filling).actual).toEqual(inflateSync(filling));
    expect(inflateBoth(long).actual).toEqual(inflateSync(long));
  });

  const content = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.tuple(fc.integer({ min: 2, max: 16 }), fc.nat()).map(([levels, seed]) => geometric(levels, seed)),
    fc
      .string({ unit: fc.constantFrom(...'{}":,_abcdeé0123'), maxLength: 5000 })
      .map((text) => Buffer.from(text)),
    fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 3000 }))
      .map(([unit, times]) => Buffer.concat(Array.from({ length: times }, () => unit))),
  );
  const deflateOptions = fc.record({
    level: fc.integer({ min: 0, max: 9 }),
    strategy: fc.constantFrom(
      constants.Z_DEFAULT_STRATEGY,
      constants.Z_FILTERED,
      constants.Z_HUFFMAN_ONLY,
      constants.Z_RLE,
      constants.Z_FIXED,
    ),
    memLevel: fc.integer({ min: 1, max: 9 }),
    windowBits: fc.integer({ min: 9, max: 15 }),
  });

  test.prop([content, deflateOptions])(
    'inflate(deflate(x)) is x for every level and strategy',
    (bytes, options) => {
      const stream = deflateSync(bytes, options);
      const result = inflate(stream);
      expect(typeof result).not.toBe('string');
      expect(Buffer.from(result as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
    },
  );

  test.prop([
    content,
    deflateOptions,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 4 }),
  ])('a damaged stream fails, or inflates to what zlib gives', (bytes, options, flips) => {
    const stream = Buffer.from(deflateSync(bytes, options));
    for (const [at, bit] of flips) stream[at % stream.length]! ^= 1 << bit;
    const { expected, actual } = inflateBoth(stream);
    expect(actual).toEqual(expected);
  });

  test.prop([content, fc.nat(), fc.uint8Array({ maxLength: 8 })])(
    'a truncated stream, or one with bytes after it, behaves like zlib',
    (bytes, cut, tail) => {
      const stream = deflateSync(bytes);
      const { expected, actual } = inflateBoth(
        Buffer.concat([stream.subarray(0, cut % (stream.length + 1)), tail]),
      );
      expect(actual).toEqual(expected);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0x78, 0x58, 0x08, 0x68)])(
    'random bytes after a zlib header fail or inflate like zlib',
    (body, cmf) => {
      const flg = 31 - ((cmf * 256) % 31);
      const { expected, actual } = inflateBoth(Buffer.from([cmf, flg === 31 ? 0 : flg, ...body]));
      expect(actual).toEqual(expected);
    },
  );

  it('should reject what zlib rejects in headers: method, window, check bits, preset dictionary', () => {
    const good = deflateSync('hello');
    for (const header of [
      [0x79, 0x9c],
      [0x88, 0x98],
      [0x78, 0x9d],
      [0x78, 0xbb],
    ]) {
      const stream = Buffer.from([...header, ...good.subarray(2)]);
      const { expected, actual } = inflateBoth(stream);
      expect(actual).toEqual('bad');
      expect(expected).toBe('bad');
    }
  });

  it('should say too-large past maxOut', () => {
    expect(inflate(deflateSync(Buffer.alloc(5000)), 4999)).toBe('too-large');
    expect(Buffer.from(inflate(deflateSync(Buffer.alloc(5000)), 5000) as Uint8Array).length).toBe(5000);
  });

  it('should grow its output to a megabyte, exactly to maxOut, and recover after a failure', () => {
    const text = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `${i * 7919},`).join(''));
    const stream = deflateSync(text);
    expect(Buffer.from(inflate(stream, text.length) as Uint8Array).equals(text)).toBe(true);
    expect(inflate(stream, text.length - 1)).toBe('too-large');
    expect(inflate(stream.subarray(0, stream.length - 1))).toBe('bad');
    expect(Buffer.from(inflate(stream) as Uint8Array).equals(text)).toBe(true);
    const mega = deflateSync(Buffer.alloc(1024 * 1024, 0x61));
    expect((inflate(mega) as Uint8Array).length).toBe(1024 * 1024);
    expect(inflate(deflateSync(Buffer.alloc(1024 * 1024 + 1, 0x61)), 1024 * 1024)).toBe('too-large');
  });
});
