import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pythonZlib } from './python-zlib.ts';

const pako = createRequire(import.meta.url)('pako') as { deflate: (data: Uint8Array) => Uint8Array };

/** Session-like text: repeats, so deflate finds matches (and looks past the input's end for longer ones). */
const texts = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('"_auth_user_id":"', '{"a":', 'aaaaaaaa', '\u0000'),
    ),
    {
      maxLength: 400,
    },
  )
  .map((parts) => new TextEncoder().encode(parts.join('')));

describe('pythonZlib', () => {
  it('should compress byte for byte as a new pako 2.1.0 deflate does, call after call', () => {
    expect(pythonZlib.exact).toBe(true);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(texts, fc.uint8Array({ maxLength: 3000 })), { minLength: 1, maxLength: 6 }),
        (inputs) => {
          for (const input of inputs) {
            const output = pythonZlib.compress(input);
            expect(Buffer.from(output).equals(Buffer.from(pako.deflate(input)))).toBe(true);
            expect(inflateSync(output).equals(Buffer.from(input))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('should compress a large input after a small one as a new deflate would', () => {
    const small = new TextEncoder().encode('x'.repeat(10));
    const large = new TextEncoder().encode(
      JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ i, s: `k${i % 97}` }))),
    );
    for (const input of [small, large, small, new Uint8Array(0), large]) {
      expect(Buffer.from(pythonZlib.compress(input)).equals(Buffer.from(pako.deflate(input)))).toBe(true);
    }
  });
});
