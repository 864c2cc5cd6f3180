import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from '../budgets.ts';
import { phpValueArb } from './fixtures/arbitrary.ts';
import { readPhpSerialized } from './serialize-reader.ts';
import { jsonToPhp, writePhpSerialized } from './serialize-writer.ts';
import { type PhpValue, phpFloatText, phpInt, phpString } from './values.ts';

const written = (value: PhpValue) => Buffer.from(writePhpSerialized(value)).toString('latin1');
const int = (v: number | bigint) => phpInt(v);
const str = (text: string) => phpString(text);

describe('writer', () => {
  it('should write every kind as PHP serialize() does', () => {
    expect(written({ t: 'null' })).toBe('N;');
    expect(written({ t: 'bool', v: false })).toBe('b:0;');
    expect(written(int(-42))).toBe('i:-42;');
    expect(written(int(-(2n ** 63n)))).toBe('i:-9223372036854775808;');
    expect(written(str('Zoë'))).toBe('s:4:"Zo\xc3\xab";');
    expect(written({ t: 'string', v: new Uint8Array(100).fill(0x22) })).toBe(`s:100:"${'"'.repeat(100)}";`);
    expect(
      written({
        t: 'array',
        entries: [
          [int(5), str('x')],
          [str('k'), { t: 'array', entries: [] }],
        ],
      }),
    ).toBe('a:2:{i:5;s:1:"x";s:1:"k";a:0:{}}');
    expect(
      written({
        t: 'object',
        className: 'App\\User',
        props: [
          [{ t: 'string', v: new Uint8Array(Buffer.from('\0*\0id')) }, int(7)],
          [int(0), { t: 'null' }],
        ],
      }),
    ).toBe('O:8:"App\\User":2:{s:5:"\0*\0id";i:7;i:0;N;}');
    expect(written({ t: 'custom', className: 'S', data: new Uint8Array(Buffer.from('{}')) })).toBe(
      'C:1:"S":2:{{}}',
    );
    expect(written({ t: 'enum', className: 'Suit', caseName: 'Hearts' })).toBe('E:11:"Suit:Hearts";');
  });

  it('should print floats as PHP 8 does, or keep the text read', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '-0'],
      [1, '1'],
      [0.1, '0.1'],
      [-2.5, '-2.5'],
      [100, '100'],
      [1e15, '1000000000000000'],
      [1e16, '10000000000000000'],
      [1e17, '1.0E+17'],
      [1.2345678901234568e17, '1.2345678901234568E+17'],
      [1e25, '1.0E+25'],
      [1e-4, '0.0001'],
      [1e-5, '1.0E-5'],
      [1.234e-5, '1.234E-5'],
      [5e-324, '5.0E-324'],
      [Number.MAX_VALUE, '1.7976931348623157E+308'],
      [0.30000000000000004, '0.30000000000000004'],
      [Number.POSITIVE_INFINITY, 'INF'],
      [Number.NEGATIVE_INFINITY, '-INF'],
      [Number.NaN, 'NAN'],
    ];
    for (const [value, text] of cases) expect(phpFloatText(value)).toBe(text);
    expect(written({ t: 'float', v: 100000, text: '1e5' })).toBe('d:1e5;');
    expect(() => written({ t: 'float', v: 1, text: '1,0' })).toThrow(RangeError);
  });

  it('should number values as PHP does and write references with the number their target got', () => {
    const shared: PhpValue = { t: 'object', className: 'stdClass', props: [] };
    const text = str('x');
    const list: PhpValue = {
      t: 'array',
      entries: [
        [int(0), text],
        [int(1), { t: 'ref', kind: 'R', target: text }],
        [int(2), shared],
        [int(3), { t: 'ref', kind: 'r', target: shared }],
        [int(4), { t: 'ref', kind: 'r', target: shared }],
      ],
    };
    // 1: the array, 2: 'x', R: takes no number, 3: the object, 4 and 5: the two r:.
    expect(written(list)).toBe('a:5:{i:0;s:1:"x";i:1;R:2;i:2;O:8:"stdClass":0:{}i:3;r:3;i:4;r:3;}');
    const self: PhpValue = { t: 'object', className: 'stdClass', props: [] };
    (self as { props: unknown[] }).props.push([
      str('self'),
      { t: 'ref', kind: 'r', target: self, recursive: true },
    ]);
    expect(written(self)).toBe('O:8:"stdClass":1:{s:4:"self";r:1;}');
  });

  it('should write the target itself where a reference lost it to an edit', () => {
    const gone = str('kept');
    expect(written({ t: 'array', entries: [[int(0), { t: 'ref', kind: 'R', target: gone }]] })).toBe(
      'a:1:{i:0;s:4:"kept";}',
    );
    const orphan: PhpValue = { t: 'array', entries: [] };
    (orphan as { entries: unknown[] }).entries.push([
      int(0),
      { t: 'ref', kind: 'R', target: orphan, recursive: true },
    ]);
    expect(written({ t: 'array', entries: [[int(0), { t: 'ref', kind: 'R', target: orphan }]] })).toBe(
      'a:1:{i:0;a:1:{i:0;R:2;}}',
    );
    expect(
      written({ t: 'array', entries: [[int(0), { t: 'ref', kind: 'r', target: str('not an object') }]] }),
    ).toBe('a:1:{i:0;s:13:"not an object";}');
  });

  it('should write a 100k-deep value without a stack overflow', () => {
    let value: PhpValue = { t: 'null' };
    for (let level = 0; level < 100_000; level += 1) value = { t: 'array', entries: [[int(0), value]] };
    expect(writePhpSerialized(value)).toHaveLength(100_000 * 10 + 2);
  });

  it('should refuse values PHP could not hold', () => {
    expect(() => written({ t: 'int', v: 2n ** 63n })).toThrow(RangeError);
    expect(() => written({ t: 'int', v: 0.5 })).toThrow(RangeError);
    expect(() => written({ t: 'object', className: 'Bad-Name', props: [] })).toThrow(RangeError);
    expect(() => written({ t: 'enum', className: 'Suit', caseName: 'No:pe' })).toThrow(RangeError);
  });
});

describe('jsonToPhp', () => {
  it('should build what json_decode($json, true) builds, with PHP array keys in JS key order', () => {
    expect(
      jsonToPhp({ a: [1, 1.5, 2 ** 60, null, true, 'x'], '5': 'five', '05': 'str', '-3': 'neg' }),
    ).toEqual({
      t: 'array',
      entries: [
        [int(5), str('five')],
        [
          str('a'),
          {
            t: 'array',
            entries: [
              [int(0), int(1)],
              [int(1), { t: 'float', v: 1.5 }],
              [int(2), { t: 'float', v: 2 ** 60 }],
              [int(3), { t: 'null' }],
              [int(4), { t: 'bool', v: true }],
              [int(5), str('x')],
            ],
          },
        ],
        [str('05'), str('str')],
        [int(-3), str('neg')],
      ],
    });
  });

  it('should never build an object, whatever the JSON says', () => {
    expect(written(jsonToPhp({ __class: 'Monolog\\Handler\\SyslogUdpHandler', socket: 'x' }))).toBe(
      'a:2:{s:7:"__class";s:32:"Monolog\\Handler\\SyslogUdpHandler";s:6:"socket";s:1:"x";}',
    );
  });

  test.prop([fc.jsonValue()], { numRuns: 300 })('jsonToPhp writes what the reader reads back', (json) => {
    const value = jsonToPhp(json as never);
    const read = readPhpSerialized(writePhpSerialized(value), DEFAULT_BUDGETS);
    expect(read.ok).toBe(true);
  });
});

describe('properties', () => {
  test.prop([phpValueArb], { numRuns: 1000 })(
    'readPhpSerialized(writePhpSerialized(v)) returns v',
    (value) => {
      expect(readPhpSerialized(writePhpSerialized(value), DEFAULT_BUDGETS)).toEqual({ ok: true, value });
    },
  );

  test.prop([phpValueArb], { numRuns: 300 })('writing what was read is byte-identical', (value) => {
    const bytes = writePhpSerialized(value);
    const read = readPhpSerialized(bytes, DEFAULT_BUDGETS);
    expect(read.ok && Buffer.from(writePhpSerialized(read.value)).equals(Buffer.from(bytes))).toBe(true);
  });
});
