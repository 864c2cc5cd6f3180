/**
 * The Django codec's format: the FORMATS.md test vectors and the edge cases (what is corrupt, tampered or
 * unsupported, budgets, hostile keys). The corpus and real Django are in django.real.spec.ts, the
 * properties in django.properties.spec.ts; what they share in django.testing.ts.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from './budgets.ts';
import { createDjangoCodec, djangoEncoderIsByteExact, djangoSessionAuthHash } from './django.ts';
import { AUTH, codec, corpus, expectOk, NOW, SECRET, VECTORS } from './django.testing.ts';

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

function signRowWithoutTimestamp(body: string): string {
  const key = createHash('sha256').update(`${corpus.salts.default}signer${SECRET}`).digest();
  return `${body}:${createHmac('sha256', key).update(body).digest('base64url')}`;
}

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

  it('should refuse a 20 KB compressed payload of millions of values before building them', () => {
    // 16 MiB of `{},` inflate within the input budget; parsed, they were 5 million objects (over 600 MB of
    // heap, seconds) before the values budget was looked at.
    const objects = deflateSync(`{"a":[${'{},'.repeat(5_000_000)}0]}`, { level: 9 });
    const numbers = deflateSync(`{"a":[${'0,'.repeat(8_000_000)}0]}`, { level: 9 });
    expect(objects.length + numbers.length).toBeLessThan(64 * 1024);
    const started = performance.now();
    for (const payload of [objects, numbers]) {
      expect(codec.decode(signRow(payload, { dot: true }))).toMatchObject({
        problem: 'over-budget',
        detail: 'more than 1,000,000 values (budgets.maxValues)',
      });
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('should let go of the memory a large row needed once the next row is small', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const small = signRow(deflateSync('{"a":1}'), { dot: true });
    // Memory outside the heap once collected. V8 frees a dead buffer's memory on a background thread after
    // the collection, so under load the count drops a little later: it is read again until it stops dropping.
    const external = async () => {
      let least = Number.POSITIVE_INFINITY;
      for (let settled = 0; settled < 5; ) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = process.memoryUsage().arrayBuffers;
        settled = now < least ? 0 : settled + 1;
        least = Math.min(least, now);
      }
      return least;
    };
    expectOk(codec.decode(small));
    const before = await external();
    const large = [
      // Plain: its base64 and its signed text.
      signRow(Buffer.from(`{"a":"${'x'.repeat(3_000_000)}"}`)),
      // Compressed to a few KB, inflated here; compressed to MBs, inflated by zlib.
      signRow(deflateSync(`{"a":"${'x'.repeat(8_000_000)}"}`), { dot: true }),
      signRow(deflateSync(`{"a":"${randomBytes(1_500_000).toString('base64')}"}`), { dot: true }),
    ];
    for (const row of large) expectOk(codec.decode(row));
    expectOk(codec.decode(small));
    large.length = 0;
    expect((await external()) - before).toBeLessThan(2 * 1024 * 1024);
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
