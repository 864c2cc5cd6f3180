/**
 * `parseGlobalId` answers as Pothos's `decodeGlobalID` does, on ids Pothos made and on anything a client
 * may send instead (plain keys, garbage, ids with colons, empty parts and non-ASCII text).
 */
import { fc, test } from '@fast-check/vitest';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { describe, expect, it } from 'vitest';
import { decodeSessionId, parseGlobalId, userKeyFromInput } from './ids.ts';

function pothos(raw: string): { typename: string; id: string } | null {
  try {
    return decodeGlobalID(raw);
  } catch {
    return null;
  }
}

const part = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ':', '::', 'User', 'Session', '_a1', '1abc', 'native:', 'é:ü'),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

describe('parseGlobalId', () => {
  test.prop([part, part])('should read what Pothos encodes as Pothos decodes it', (typename, id) => {
    const raw = encodeGlobalID(typename, id);
    expect(parseGlobalId(raw)).toEqual(pothos(raw));
  });

  test.prop([
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.base64String({ maxLength: 40 }),
      fc.stringMatching(/^\d{1,9}$/),
      fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    ),
  ])('should refuse, or read, anything else as Pothos does', (raw) => {
    expect(parseGlobalId(raw)).toEqual(pothos(raw));
  });

  it('should take a plain key as the key, and a User id as its key', () => {
    for (const key of ['1', '42', '1234', '10000', 'abcd', 'VXNlcjo'])
      expect(userKeyFromInput(key)).toBe(key);
    expect(userKeyFromInput(encodeGlobalID('User', '42'))).toBe('42');
    expect(userKeyFromInput(encodeGlobalID('Session', 'native:42'))).toBe(
      encodeGlobalID('Session', 'native:42'),
    );
    expect(decodeSessionId(encodeGlobalID('Session', 'native:a:b'))).toEqual({ store: 'native', ref: 'a:b' });
    expect(decodeSessionId(encodeGlobalID('User', '42'))).toBeNull();
    expect(decodeSessionId('1234')).toBeNull();
  });
});
