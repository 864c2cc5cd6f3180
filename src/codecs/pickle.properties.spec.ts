/** fast-check properties of the pickle reader and writer: round trips, and no input ever throws. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { loadFixtures } from './fixtures/webpy/python.ts';
import { readPickle, writePickle } from './pickle.ts';
import { pyValueArb } from './pickle.arbitraries.ts';

describe('properties', () => {
  test.prop([pyValueArb], { numRuns: 500 })('readPickle(writePickle(v)) returns v', (value) => {
    expect(readPickle(writePickle(value))).toEqual({ ok: true, value });
  });

  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 2000 })(
    'readPickle never throws on any bytes',
    (bytes) => {
      const result = readPickle(bytes);
      expect(typeof result.ok).toBe('boolean');
    },
  );

  test.prop(
    [
      fc.array(fc.constantFrom(...'()]}lte.aKsuNq\x00h\x00\x85\x86\x87\x8f\x90\x91\x94012'), {
        maxLength: 300,
      }),
    ],
    {
      numRuns: 2000,
    },
  )('readPickle never throws on opcode soup', (ops) => {
    expect(typeof readPickle(Buffer.from(ops.join(''), 'latin1')).ok).toBe('boolean');
  });

  const corpus = loadFixtures()
    .filter((fixture) => fixture.stored.length < 2000 && !fixture.repr_wrapped && fixture.expect.ok)
    .map((fixture) => Buffer.from(fixture.stored, 'base64'));

  test.prop([fc.constantFrom(...corpus), fc.array(fc.nat(), { minLength: 1, maxLength: 8 })], {
    numRuns: 3000,
  })('readPickle never throws on bit-flipped real pickles', (bytes, flips) => {
    const copy = Uint8Array.from(bytes);
    for (const flip of flips) copy[(flip >> 3) % copy.length]! ^= 1 << (flip & 7);
    const result = readPickle(copy);
    expect(typeof result.ok).toBe('boolean');
  });

  it('should report every strict prefix of a real pickle as corrupt', () => {
    for (const bytes of corpus) {
      for (let end = 0; end < bytes.length; end++) {
        const result = readPickle(bytes.subarray(0, end));
        expect(result.ok ? 'ok' : result.problem).toBe('corrupt');
      }
    }
  });
});
