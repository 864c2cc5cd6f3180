/** The JSON view of Python values (pyToJson, its notes, Python's repr) and JSON turned into Python values. */
import { describe, expect, it } from 'vitest';
import { jsonToPy, type PyTimezone, type PyValue, pyFloatRepr, pyRepr, pyToJson, pyTypes } from './pickle.ts';
import { int, pk, read, str } from './pickle.testing.ts';

describe('JSON view', () => {
  it('should map every kind as documented', () => {
    const tz: PyTimezone = { t: 'timezone', offsetMicroseconds: 19_800_000_000 };
    const value: PyValue = {
      t: 'dict',
      entries: [
        [str('big'), int(2n ** 70n)],
        [str('nan'), { t: 'float', v: Number.NaN }],
        [str('inf'), { t: 'float', v: Number.NEGATIVE_INFINITY }],
        [str('text'), { t: 'bytes', v: Buffer.from('héllo') }],
        [str('binary'), { t: 'bytes', v: Uint8Array.from([0xff, 0x00]) }],
        [str('py2'), { t: 'bytes', v: Uint8Array.from([0xe9]), py2str: true }],
        [str('td'), { t: 'timedelta', days: -1, seconds: 86399, microseconds: 500000 }],
        [str('tz'), tz],
        [str('time'), { t: 'time', hour: 8, minute: 0, second: 0, microsecond: 5, fold: 0, tz }],
        [str('set'), { t: 'set', items: [int(1)] }],
        [int(3), str('int key')],
        [{ t: 'none' }, str('none key')],
        [{ t: 'tuple', items: [int(1), str('a')] }, str('tuple key')],
        [{ t: 'float', v: 1e16 }, str('float key')],
        [{ t: 'date', year: 2024, month: 1, day: 2 }, str('date key')],
      ],
    };
    expect(pyToJson(value)).toEqual({
      big: '1180591620717411303424',
      nan: 'NaN',
      inf: '-Infinity',
      text: 'héllo',
      binary: '/wA=',
      py2: 'é',
      td: -0.5,
      tz: 'UTC+05:30',
      time: '08:00:00.000005+05:30',
      set: [1],
      '3': 'int key',
      None: 'none key',
      "(1, 'a')": 'tuple key',
      '1e+16': 'float key',
      'datetime.date(2024, 1, 2)': 'date key',
    });
  });

  it('should report every lossy choice', () => {
    const notes: string[] = [];
    pyToJson(
      { t: 'list', items: [{ t: 'bytes', v: Uint8Array.from([0xff]) }, int(2n ** 60n)] },
      (path, what) => notes.push(`${path} ${what}`),
    );
    expect(notes).toEqual([
      '/0 bytes that are not UTF-8 are shown as base64',
      '/1 an integer beyond 2^53 is shown as a decimal string',
    ]);
  });

  it('should make a __proto__ key an own property of a plain object', () => {
    const view = pyToJson(read(pk('}(U\x09__proto__}U\x01xK\x01sU\x0bconstructorK\x02u.'))) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
    expect(Object.hasOwn(view, '__proto__')).toBe(true);
    expect(Object.keys(view)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(view)).toBe('{"__proto__":{"x":1},"constructor":2}');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('should print floats as Python repr does', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [-0, '-0.0'],
      [0.1, '0.1'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [1e-4, '0.0001'],
      [1e-5, '1e-05'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [123456.789, '123456.789'],
    ];
    for (const [value, repr] of cases) expect(pyFloatRepr(value)).toBe(repr);
    expect(pyRepr({ t: 'timedelta', days: 0, seconds: 0, microseconds: 0 })).toBe('datetime.timedelta(0)');
  });

  it('should turn new JSON into Python values', () => {
    expect(jsonToPy({ a: [1, 1.5, 2 ** 60, null, true, 'x'] })).toEqual({
      t: 'dict',
      entries: [
        [
          str('a'),
          {
            t: 'list',
            items: [
              int(1),
              { t: 'float', v: 1.5 },
              { t: 'float', v: 2 ** 60 },
              { t: 'none' },
              { t: 'bool', v: true },
              str('x'),
            ],
          },
        ],
      ],
    });
  });
});

describe('type view', () => {
  it('should name each value whose JSON another type shares, by pointer, in the view order', () => {
    const when: PyValue = {
      t: 'datetime',
      year: 2026,
      month: 12,
      day: 6,
      hour: 4,
      minute: 5,
      second: 6,
      microsecond: 0,
      fold: 0,
      tz: null,
    };
    const value: PyValue = {
      t: 'dict',
      entries: [
        [str('session_id'), { t: 'tuple', items: [] }],
        [str('cart'), { t: 'tuple', items: [int(1), { t: 'set', items: [str('x')] }] }],
        [str('a/b~c'), { t: 'decimal', v: '1.5' }],
        [str('user'), { t: 'dict', cls: 'Storage', entries: [[str('seen'), when]] }],
        [str('plain'), { t: 'list', items: [int(1), str('a'), { t: 'none' }] }],
        [str('big'), int(2n ** 70n)],
        [int(1), { t: 'bytes', v: Buffer.from('x') }],
        // Shown under the same JSON name as the int key 1, and later: the view shows this one.
        [str('1'), str('shadowing')],
      ],
    };
    const types = pyTypes(value, new Set(['session_id']));
    expect(types).toEqual({
      '/cart': 'tuple',
      '/cart/1': 'set',
      '/a~1b~0c': 'decimal.Decimal',
      '/user': 'web.utils.Storage',
      '/user/seen': 'datetime.datetime',
      '/big': 'int',
    });
    expect(Object.keys(types)).toEqual(['/cart', '/a~1b~0c', '/user', '/big', '/cart/1', '/user/seen']);
  });

  it('should walk values as deep as the budgets allow without the call stack, within its bounds', async () => {
    let deep: PyValue = { t: 'tuple', items: [] };
    for (let level = 0; level < 200_000; level += 1) deep = { t: 'tuple', items: [deep] };
    const types = pyTypes({ t: 'dict', entries: [[str('deep'), deep]] });
    expect(types['/deep/0/0']).toBe('tuple');
    // Pointers grow with depth: they stop at 64 Ki characters in all.
    const chars = Object.keys(types).reduce((sum, key) => sum + key.length, 0);
    expect(chars).toBeLessThanOrEqual(64 * 1024);
    expect(chars).toBeGreaterThan(60 * 1024);
    const wide: PyValue = {
      t: 'dict',
      entries: [
        [
          str('many'),
          { t: 'list', items: Array.from({ length: 5000 }, () => ({ t: 'set', items: [] }) as PyValue) },
        ],
      ],
    };
    expect(Object.keys(pyTypes(wide))).toHaveLength(1000);
    // A thousand values under a 7 MB key would be a thousand 7 MB keys: none is kept past the bound.
    const longKey: PyValue = {
      t: 'dict',
      entries: [[str('k'.repeat(7_000_000)), { t: 'list', items: [{ t: 'tuple', items: [] }] }]],
    };
    expect(pyTypes(longKey)).toEqual({});
  });
});
