/** fast-check properties of the Django codec: round trips, and hostile or mutated input never misread. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { createDjangoCodec } from './django.ts';
import { AUTH, codec, expectOk, NOW, SECRET, sessionDict, VECTORS, viaJson } from './django.testing.ts';

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
