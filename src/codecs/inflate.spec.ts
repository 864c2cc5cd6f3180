/**
 * The two inflate paths django.ts uses against zlib itself: the JS inflate (inflate.ts, small payloads) and
 * the reused zlib handle (zlib-handle.ts, large ones) must inflate, or fail on, every stream as zlib does.
 */
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { inflateZlib } from './inflate.ts';
import { INFLATE_BAD, INFLATE_TOO_LARGE, reusableInflate } from './zlib-handle.ts';

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
