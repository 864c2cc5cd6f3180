import { hkdfSync } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { sealingKey } from './idempotency.ts';

describe('sealingKey', () => {
  // Results sealed by an earlier version must still open: the key is RFC 5869's HKDF, as hkdfSync derived it.
  test.prop([fc.stringMatching(/^[\x21-\x7e]{8,255}$/), fc.string({ maxLength: 80 })])(
    'should be the HKDF-SHA256 hkdfSync derives',
    (key, caller) => {
      const expected = Buffer.from(hkdfSync('sha256', key, caller, 'sessiongraph idempotency result', 32));
      expect(sealingKey({ key, caller, steps: 0 }).equals(expected)).toBe(true);
    },
  );
});
