/** The pickle writer: the protocol 2 layout FORMATS §2.5 describes, and values no Python could hold. */
import { describe, expect, it } from 'vitest';
import { type PyValue, writePickle } from './pickle.ts';
import { int, pk, str, u32 } from './pickle.testing.ts';

describe('writer', () => {
  it('should write the FORMATS §2.5 protocol 2 layout, byte for byte', () => {
    const value: PyValue = {
      t: 'dict',
      entries: [
        [str('user_id'), int(7)],
        [str('name'), str('Zoë')],
        [str('big'), int(2n ** 70n)],
        [str('neg'), int(-5)],
        [str('f'), { t: 'float', v: 1.5 }],
        [str('tup'), { t: 'tuple', items: [int(1), { t: 'list', items: [] }] }],
        [str('none'), { t: 'none' }],
      ],
    };
    const expected = pk(
      '\x80\x02}(',
      'U\x07user_idK\x07',
      'U\x04nameX',
      u32(4),
      [0x5a, 0x6f, 0xc3, 0xab],
      'U\x03big\x8a\x09',
      [0, 0, 0, 0, 0, 0, 0, 0, 0x40],
      'U\x03negJ\xfb\xff\xff\xff',
      'U\x01fG\x3f\xf8\x00\x00\x00\x00\x00\x00',
      'U\x03tupK\x01]\x86',
      'U\x04noneN',
      'u.',
    );
    expect(Buffer.from(writePickle(value))).toEqual(Buffer.from(expected));
  });

  it('should refuse values no Python could hold', () => {
    expect(() => writePickle({ t: 'date', year: 2024, month: 13, day: 1 })).toThrow(RangeError);
    expect(() => writePickle({ t: 'decimal', v: 'abc' })).toThrow(RangeError);
    expect(() => writePickle({ t: 'timezone', offsetMicroseconds: 86_400_000_000 })).toThrow(RangeError);
  });
});
