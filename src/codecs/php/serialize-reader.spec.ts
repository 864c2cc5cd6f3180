import { fc, test } from '@fast-check/vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS, type DecodeBudgets } from '../budgets.ts';
import type { JsonValue } from '../result.ts';
import { keysCounted, phpValueArb } from './fixtures/arbitrary.ts';
import { fromBase64, loadCorpus, tagOf } from './fixtures/php.ts';
import { phpToJson } from './json-view.ts';
import { type PhpReadOptions, readPhpSerialized } from './serialize-reader.ts';
import { writePhpSerialized } from './serialize-writer.ts';
import { INT64_MAX, INT64_MIN, type PhpArray, type PhpObject, type PhpValue } from './values.ts';

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

function read(text: string, options?: PhpReadOptions, budgets: DecodeBudgets = DEFAULT_BUDGETS): PhpValue {
  const result = readPhpSerialized(bytesOf(text), budgets, options);
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
  return result.value;
}

const view = (text: string, options?: PhpReadOptions) => phpToJson(read(text, options));

function problemOf(text: string | Uint8Array, options?: PhpReadOptions, budgets = DEFAULT_BUDGETS): string {
  const result = readPhpSerialized(typeof text === 'string' ? bytesOf(text) : text, budgets, options);
  return result.ok ? 'ok' : result.problem;
}

describe('scalars, as PHP 8.2 reads them', () => {
  it('should read null, booleans and ints, with a sign, leading zeros and saturation', () => {
    expect(read('N;')).toEqual({ t: 'null' });
    expect(read('b:1;')).toEqual({ t: 'bool', v: true });
    expect(read('b:0;')).toEqual({ t: 'bool', v: false });
    expect(read('i:+5;')).toEqual({ t: 'int', v: 5 });
    expect(read('i:-0;')).toEqual({ t: 'int', v: 0 });
    expect(Object.is((read('i:-0;') as { v: number }).v, 0)).toBe(true);
    expect(read('i:007;')).toEqual({ t: 'int', v: 7 });
    expect(read('i:9223372036854775807;')).toEqual({ t: 'int', v: 9223372036854775807n });
    expect(read('i:9223372036854775808;')).toEqual({ t: 'int', v: 9223372036854775807n });
    expect(read(`i:-${'9'.repeat(40)};`)).toEqual({ t: 'int', v: -9223372036854775808n });
    expect(read('i:9007199254740991;')).toEqual({ t: 'int', v: 9007199254740991 });
    for (const bad of ['b:2;', 'b:01;', 'i: 5;', 'i:;', 'i:-;', 'i:1', 'N', 'n;'])
      expect(problemOf(bad)).toBe('corrupt');
  });

  it('should read floats in every spelling PHP accepts, keeping the text', () => {
    expect(read('d:0.1;')).toEqual({ t: 'float', v: 0.1, text: '0.1' });
    expect(read('d:.5;')).toEqual({ t: 'float', v: 0.5, text: '.5' });
    expect(read('d:5.;')).toMatchObject({ v: 5 });
    expect(read('d:+.5e-3;')).toMatchObject({ v: 0.0005 });
    expect(read('d:1E+25;')).toMatchObject({ v: 1e25 });
    expect(read('d:1e999;')).toMatchObject({ v: Number.POSITIVE_INFINITY });
    expect(read('d:-INF;')).toMatchObject({ v: Number.NEGATIVE_INFINITY });
    expect(read('d:NAN;')).toMatchObject({ v: Number.NaN });
    expect(Object.is((read('d:-0;') as { v: number }).v, -0)).toBe(true);
    for (const bad of [
      'd:1e;',
      'd:-.e1;',
      'd:-NAN;',
      'd:+INF;',
      'd:inf;',
      'd:0x10;',
      'd:1_0;',
      'd: 1;',
      'd:;',
    ]) {
      expect(problemOf(bad)).toBe('corrupt');
    }
  });

  it('should read strings as bytes, by byte length, and old S: strings with hex escapes', () => {
    expect(read('s:4:"Zoë";'.replace('Zoë', 'Zo\xc3\xab'))).toEqual({ t: 'string', v: utf8('Zoë') });
    expect(read('s:3:"a";";')).toEqual({ t: 'string', v: bytesOf('a";') });
    expect(read('s:03:"abc";')).toEqual({ t: 'string', v: bytesOf('abc') });
    expect(read('S:3:"\\61bc";')).toEqual({ t: 'string', v: bytesOf('abc') });
    expect(read('S:1:"\\fF";')).toEqual({ t: 'string', v: Uint8Array.of(0xff) });
    for (const bad of [
      's:3:"abcd";',
      's:4:"abc";',
      's:3:"abc"',
      "s:3:'abc';",
      's:+3:"abc";',
      'S:1:"\\4";',
      'S:1:"\\xx";',
    ]) {
      expect(problemOf(bad)).toBe('corrupt');
    }
  });

  it('should wrap lengths modulo 2^64 as PHP does', () => {
    expect(read('s:18446744073709551619:"abc";')).toEqual({ t: 'string', v: bytesOf('abc') });
    expect(view('a:2:{i:0;s:1:"x";i:1;R:18446744073709551618;}')).toEqual(['x', 'x']);
  });
});

describe('arrays and objects', () => {
  it('should turn numeric string keys into ints and keep others as strings', () => {
    const value = read('a:4:{s:1:"5";i:1;s:2:"05";i:2;s:2:"-0";i:3;S:1:"\\36";i:4;}') as PhpArray;
    expect(value.entries.map(([key]) => key)).toEqual([
      { t: 'int', v: 5 },
      { t: 'string', v: bytesOf('05') },
      { t: 'string', v: bytesOf('-0') },
      { t: 'int', v: 6 },
    ]);
  });

  it('should replace a repeated key in place and refuse keys that are not ints or strings', () => {
    expect(view('a:3:{i:0;s:1:"a";i:1;s:1:"b";i:0;s:1:"c";}')).toEqual(['c', 'b']);
    expect(view('O:8:"stdClass":2:{s:1:"5";i:1;i:5;i:2;}')).toEqual({ __class: 'stdClass', '5': 2 });
    for (const bad of [
      'a:1:{d:1.5;i:1;}',
      'a:1:{b:1;i:1;}',
      'a:1:{N;i:1;}',
      'a:1:{a:0:{}i:1;}',
      'a:1:{R:1;i:1;}',
    ]) {
      expect(problemOf(bad)).toBe('corrupt');
    }
  });

  it('should check counts, braces and the end', () => {
    expect(view('a:00:{}')).toEqual([]);
    expect(view('O:8:"stdClass"::{}')).toEqual({ __class: 'stdClass' });
    expect(view('O:8:"stdClass":-0:{}')).toEqual({ __class: 'stdClass' });
    expect(view('O:8:"stdClass":+1:{s:1:"a";N;}')).toEqual({ __class: 'stdClass', a: null });
    for (const bad of [
      'a:2:{i:0;i:1;}',
      'a:1:{i:0;i:1;i:1;i:2;}',
      'a:1:{i:0;i:1;',
      'a:-0:{}',
      'a:+1:{i:0;i:1;}',
      'O:8:"stdClass":-1:{}',
      'O:8:"stdClass":0{}',
      'O:7:"stdClass":0:{}',
      'O:9:"stdClass":0:{}',
      'a:0:{x}',
    ]) {
      expect(problemOf(bad)).toBe('corrupt');
    }
  });

  it('should keep visibility prefixes and int property keys raw', () => {
    const value = read('O:1:"P":3:{s:3:"pub";i:1;s:6:"\0*\0pro";i:2;i:7;s:1:"x";}') as PhpObject;
    expect(value.props.map(([key]) => key)).toEqual([
      { t: 'string', v: bytesOf('pub') },
      { t: 'string', v: bytesOf('\0*\0pro') },
      { t: 'int', v: 7 },
    ]);
  });

  it('should check class names as PHP does, case and all', () => {
    expect(read('O:8:"stdclass":0:{}')).toMatchObject({ className: 'stdclass' });
    expect(read('O:1:"1":0:{}')).toMatchObject({ className: '1' });
    expect(read('O:3:"A\\B":0:{}')).toMatchObject({ className: 'A\\B' });
    for (const bad of ['O:8:"std-lass":0:{}', 'O:4:"\\A\\B":0:{}', 'O:0:"":0:{}', 'O:2:"\0A":0:{}']) {
      expect(problemOf(bad)).toBe('corrupt');
    }
    expect(problemOf('O:2:"\xc3\xc3":0:{}')).toBe('unsupported');
  });

  it('should read enums and C: objects without their classes', () => {
    expect(read('E:11:"Suit:Hearts";')).toEqual({ t: 'enum', className: 'Suit', caseName: 'Hearts' });
    expect(read('C:1:"S":5:{hello}')).toEqual({ t: 'custom', className: 'S', data: bytesOf('hello') });
    expect(read('C:1:"S"::{}')).toEqual({ t: 'custom', className: 'S', data: new Uint8Array(0) });
    expect(read('C:1:"S":+2:{}}}')).toEqual({ t: 'custom', className: 'S', data: bytesOf('}}') });
    for (const bad of [
      'E:4:"Suit";',
      'E:5:"Suit:";',
      'E:12:"Suit::Hearts";',
      'E:0:"";',
      'C:1:"S":5::hello}',
      'C:1:"S":5:{hello',
      'C:1:"S":9:{hello}',
    ]) {
      expect(problemOf(bad)).toBe('corrupt');
    }
  });
});

describe('references', () => {
  it('should share the value an R: or r: names, numbered as PHP numbers values', () => {
    const value = read(
      'a:5:{s:1:"a";s:1:"x";s:1:"b";i:1;s:1:"c";R:2;s:1:"d";O:8:"stdClass":0:{}s:1:"e";r:4;}',
    );
    const entries = (value as { entries: [unknown, PhpValue][] }).entries;
    expect(entries[2]![1]).toMatchObject({ t: 'ref', kind: 'R', target: entries[0]![1] });
    expect((entries[2]![1] as { target: unknown }).target).toBe(entries[0]![1]);
    expect((entries[4]![1] as { target: unknown }).target).toBe(entries[3]![1]);
    // r: takes a number and reaches through to the object; R: takes none.
    expect(view('a:3:{i:0;O:8:"stdClass":0:{}i:1;r:2;i:2;r:3;}')).toEqual([
      { __class: 'stdClass' },
      { __class: 'stdClass' },
      { __class: 'stdClass' },
    ]);
    expect(problemOf('a:3:{i:0;O:8:"stdClass":0:{}i:1;R:2;i:2;R:3;}')).toBe('corrupt');
    expect(view('a:2:{i:0;i:5;i:1;R:02;}')).toEqual([5, 5]);
  });

  it('should refuse references to nothing, to non-objects with r:, and at the top', () => {
    for (const bad of [
      'a:2:{i:0;i:1;i:1;r:2;}',
      'a:1:{i:0;R:2;}',
      'a:1:{i:0;R:0;}',
      'R:1;',
      'r:1;',
      'a:1:{i:0;r:1;}',
      'a:2:{i:0;i:5;i:1;R:+2;}',
    ]) {
      expect(problemOf(bad)).toBe('corrupt');
    }
  });

  it('should keep cycles as recursive refs and show them as a marker', () => {
    const self = read('O:8:"stdClass":1:{s:4:"self";r:1;}') as PhpObject;
    expect(self.props[0]![1]).toEqual({ t: 'ref', kind: 'r', target: self, recursive: true });
    expect(phpToJson(self)).toEqual({ __class: 'stdClass', self: { __recursion: true } });
    expect(view('a:1:{i:0;a:1:{i:0;R:2;}}')).toEqual([[{ __recursion: true }]]);
    expect(view('a:1:{s:1:"a";R:1;}')).toEqual({ a: { __recursion: true } });
  });

  it('should refuse references past a C: payload and to values a repeated key replaced', () => {
    expect(problemOf('a:3:{i:0;C:1:"N":4:{i:1;}i:1;O:8:"stdClass":0:{}i:2;r:4;}')).toBe('unsupported');
    expect(view('a:3:{i:0;O:8:"stdClass":0:{}i:1;C:1:"N":4:{i:1;}i:2;r:2;}')).toHaveLength(3);
    expect(view('a:3:{i:0;C:1:"N":0:{}i:1;O:8:"stdClass":0:{}i:2;r:3;}')).toHaveLength(3);
    expect(problemOf('a:2:{i:0;i:1;i:0;R:2;}')).toBe('unsupported');
    expect(problemOf('a:3:{i:0;i:1;i:0;i:2;i:1;R:2;}')).toBe('unsupported');
  });
});

describe('options', () => {
  const session =
    'a:3:{i:0;O:8:"App\\User":1:{s:2:"id";i:7;}i:1;O:4:"Evil":1:{s:3:"cmd";s:2:"ls";}i:2;C:1:"S":2:{xx}}';

  it('should read every class by default and keep C: objects opaque', () => {
    expect(view(session)).toEqual([
      { __class: 'App\\User', id: 7 },
      { __class: 'Evil', cmd: 'ls' },
      { __class: 'S', __opaque: true },
    ]);
  });

  it('should keep classes outside allowedClasses opaque, compared case-insensitively', () => {
    const value = read(session, { allowedClasses: ['app\\user'] });
    expect(phpToJson(value)).toEqual([
      { __class: 'App\\User', id: 7 },
      { __class: 'Evil', __opaque: true },
      { __class: 'S', __opaque: true },
    ]);
    expect(Buffer.from(writePhpSerialized(value)).toString('latin1')).toBe(session);
  });

  it("should fail the read on them under unknownObjects: 'invalid'", () => {
    expect(problemOf(session, { allowedClasses: ['App\\User'], unknownObjects: 'invalid' })).toBe(
      'unsupported',
    );
    expect(problemOf('C:1:"S":0:{}', { unknownObjects: 'invalid' })).toBe('unsupported');
    expect(problemOf('E:6:"Suit:A";', { allowedClasses: ['suit'], unknownObjects: 'invalid' })).toBe('ok');
  });

  it('should fail the read on an enum outside allowedClasses, as PHP fails on an enum class it cannot find', () => {
    // An object of a missing class loads as __PHP_Incomplete_Class; an enum fails unserialize() and
    // session_decode() whole ("Class 'Suit' not found"): Laravel and Symfony serve an empty session.
    expect(problemOf('a:1:{i:0;E:6:"Suit:A";}', { allowedClasses: [] })).toBe('unloadable');
    expect(problemOf('a:1:{i:0;E:6:"Suit:A";}', { allowedClasses: ['SUIT'] })).toBe('ok');
    expect(problemOf('a:1:{i:0;O:4:"Suit":0:{}}', { allowedClasses: [] })).toBe('ok');
  });

  it('should refuse trailing bytes unless told to ignore them, as PHP 8.2 does', () => {
    expect(problemOf('i:1;x')).toBe('corrupt');
    expect(read('i:1;x', { trailing: 'ignore' })).toEqual({ t: 'int', v: 1 });
  });

  it("should refuse the ints PHP warns are out of range under overflow: 'refuse', and only those", () => {
    for (const text of [
      'i:9223372036854775808;',
      'i:-9223372036854775809;',
      `i:${'9'.repeat(20)};`,
      'a:1:{i:99999999999999999999;N;}',
      'O:8:"stdClass":99999999999999999999:{}',
    ]) {
      expect(problemOf(text, { overflow: 'refuse' }), text).toBe('corrupt');
    }
    expect(read('i:-9223372036854775808;', { overflow: 'refuse' })).toEqual({ t: 'int', v: INT64_MIN });
    expect(read(`i:+000${'0'.repeat(30)}9223372036854775807;`, { overflow: 'refuse' })).toEqual({
      t: 'int',
      v: INT64_MAX,
    });
    expect(read('i:9223372036854775808;')).toEqual({ t: 'int', v: INT64_MAX });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------------------------------------

const budgets = (over: Partial<DecodeBudgets>): DecodeBudgets => ({ ...DEFAULT_BUDGETS, ...over });

function quick(
  input: string | Uint8Array,
  expected: { problem: string; detail?: RegExp },
  limits = DEFAULT_BUDGETS,
) {
  const started = performance.now();
  const result = readPhpSerialized(typeof input === 'string' ? bytesOf(input) : input, limits);
  expect(performance.now() - started).toBeLessThan(2000);
  expect(result.ok ? 'ok' : result.problem).toBe(expected.problem);
  if (expected.detail && !result.ok) expect(result.detail).toMatch(expected.detail);
}

/** 1: the outer array, 2: a string, then each array holds two R: to the one before: 2^levels strings. */
function referenceBomb(levels: number, kind: 'R' | 'r'): string {
  let text = `a:${levels + 1}:{i:0;${kind === 'r' ? 'O:8:"stdClass":1:{s:1:"s";s:100:"' : 's:100:"'}${'x'.repeat(100)}";${kind === 'r' ? '}' : ''}`;
  for (let level = 1; level <= levels; level += 1) {
    const previous = kind === 'r' ? (level === 1 ? 2 : 4 + (level - 2) * 3) : level + 1;
    text +=
      kind === 'r'
        ? `i:${level};O:8:"stdClass":2:{s:1:"a";r:${previous};s:1:"b";r:${previous};}`
        : `i:${level};a:2:{i:0;R:${previous};i:1;R:${previous};}`;
  }
  return `${text}}`;
}

describe('budgets: hostile input is decided quickly', () => {
  it('should refuse input over maxInputBytes before reading it', () => {
    expect(readPhpSerialized(bytesOf('s:3:"abc";'), budgets({ maxInputBytes: 5 }))).toEqual({
      ok: false,
      problem: 'over-budget',
      detail: 'stored data exceeds 5 bytes (budgets.maxInputBytes)',
    });
  });

  it('should refuse reference bombs on the output budget, counting each use', () => {
    quick(referenceBomb(60, 'R'), { problem: 'over-budget', detail: /maxOutputBytes/ });
    quick(referenceBomb(8, 'R'), { problem: 'ok' });
    expect(problemOf(referenceBomb(8, 'R'), {}, budgets({ maxOutputBytes: 20_000 }))).toBe('over-budget');
  });

  it('should refuse r: object bombs, counting values reached through references', () => {
    quick(referenceBomb(60, 'r'), { problem: 'over-budget' });
    expect(problemOf(referenceBomb(10, 'r'), {}, budgets({ maxValues: 5000 }))).toBe('over-budget');
  });

  it('should refuse 100k nested arrays and objects on the depth budget, without a stack overflow', () => {
    quick(`${'a:1:{i:0;'.repeat(100_000)}N;${'}'.repeat(100_000)}`, {
      problem: 'over-budget',
      detail: /maxDepth/,
    });
    quick('O:8:"stdClass":1:{s:1:"a";'.repeat(100_000), { problem: 'over-budget', detail: /maxDepth/ });
  });

  it('should count the depth a reference shows again', () => {
    const chain = (depth: number) => `${'a:1:{i:0;'.repeat(depth)}N;${'}'.repeat(depth)}`;
    const twice = `a:2:{i:0;${chain(300)}i:1;${'a:1:{i:0;'.repeat(300)}R:2;${'}'.repeat(300)}}`;
    quick(twice, { problem: 'over-budget', detail: /maxDepth/ });
    expect(problemOf(twice, {}, budgets({ maxDepth: 602 }))).toBe('ok');
  });

  it('should refuse declared lengths and counts beyond the data without allocating', () => {
    for (const text of [
      's:999999999:"abc";',
      'S:999999999:"abc',
      'a:999999999:{',
      'O:8:"stdClass":999999999:{',
      'C:1:"S":999999999:{',
      'E:999999999:"',
      'C:1:"S":-5:{',
    ]) {
      quick(text, { problem: 'corrupt' });
    }
  });

  it('should read a megabyte of digits in linear time', () => {
    quick(`i:${'9'.repeat(1_000_000)};`, { problem: 'ok' });
    quick(`d:${'9'.repeat(1_000_000)};`, { problem: 'ok' });
    quick(`s:${'9'.repeat(1_000_000)}:"";`, { problem: 'corrupt' });
    // Wrapped modulo 2^64 a bigint step per digit took 0.85 s for a whole row of them.
    quick(`s:${'9'.repeat(DEFAULT_BUDGETS.maxInputBytes - 6)}:"";`, { problem: 'corrupt' });
  });

  it('should refuse a malformed d: of many digits without trying every split of them', () => {
    // The check was `\d+\.?\d*`, whose two runs of digits share them: 100,000 and an E took 11 s.
    quick(`d:${'1'.repeat(100_000)}E;`, { problem: 'corrupt' });
    quick(`d:-1.${'1'.repeat(100_000)}e+;`, { problem: 'corrupt' });
    quick(`d:${'1'.repeat(100_000)}.${'1'.repeat(100_000)}E-;`, { problem: 'corrupt' });
    quick(`d:${'1'.repeat(100_000)}.${'1'.repeat(100_000)}E-5;`, { problem: 'ok' });
  });

  it('should build a row at the values budget in a heap the server has, counting keys as values', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const list = (count: number) =>
      bytesOf(
        `a:1:{s:1:"l";a:${count}:{${Array.from({ length: count }, (_, i) => `i:${i};s:1:"a";`).join('')}}}`,
      );
    // A million one-byte strings fit 16 MiB and the output budget, and took 360 MB of heap: the server
    // (256 MB) ran out of memory. Each entry is a key and a value now, and its string a view of the input.
    // Linear work (about a second, more on a loaded machine): the verdict is what counts here, not the time.
    expect(readPhpSerialized(list(980_000), DEFAULT_BUDGETS)).toMatchObject({
      ok: false,
      problem: 'over-budget',
      detail: expect.stringMatching(/maxValues/),
    });
    const most = list((DEFAULT_BUDGETS.maxValues - 4) / 2);
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = readPhpSerialized(most, DEFAULT_BUDGETS);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(held.ok).toBe(true);
    // 180 MB before: a Uint8Array of its own per string.
    expect(grown).toBeLessThan(130 * 1024 * 1024);
  });

  it('should stop on maxValues', () => {
    expect(
      problemOf(
        `a:100:{${Array.from({ length: 100 }, (_, i) => `i:${i};N;`).join('')}}`,
        {},
        budgets({ maxValues: 50 }),
      ),
    ).toBe('over-budget');
  });
});

/** What the JSON view of a value measures: UTF-8 bytes, values, depth, as checkJsonValue counts them. */
function measure(json: JsonValue): { bytes: number; values: number; depth: number } {
  let values = 0;
  const depthOf = (node: JsonValue): number => {
    values += 1;
    if (node === null || typeof node !== 'object') return 0;
    const items = Array.isArray(node) ? node : Object.values(node);
    return 1 + Math.max(0, ...items.map(depthOf));
  };
  const depth = depthOf(json);
  return { bytes: Buffer.byteLength(JSON.stringify(json)), values, depth };
}

describe('properties', () => {
  test.prop([phpValueArb], { numRuns: 300 })(
    'the reader counts exactly what the JSON view prints, and the keys: each budget passes at the size and fails one below',
    (value) => {
      const bytes = writePhpSerialized(value);
      const json = phpToJson(value);
      const size = measure(json);
      size.values += keysCounted(value);
      const exact = {
        ...DEFAULT_BUDGETS,
        maxOutputBytes: size.bytes,
        maxValues: size.values,
        maxDepth: Math.max(size.depth, 1),
      };
      expect(problemOf(bytes, {}, exact)).toBe('ok');
      expect(problemOf(bytes, {}, { ...exact, maxOutputBytes: size.bytes - 1 })).toBe('over-budget');
      expect(problemOf(bytes, {}, { ...exact, maxValues: size.values - 1 })).toBe('over-budget');
      if (size.depth > 1)
        expect(problemOf(bytes, {}, { ...exact, maxDepth: size.depth - 1 })).toBe('over-budget');
    },
  );

  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 2000 })(
    'readPhpSerialized never throws on any bytes',
    (bytes) => {
      const result = readPhpSerialized(bytes, DEFAULT_BUDGETS);
      expect(result.ok || result.detail !== 'unreadable serialized data').toBe(true);
    },
  );

  const pieces = [
    'a:',
    'i:',
    's:',
    'S:',
    'O:',
    'C:',
    'E:',
    'R:',
    'r:',
    'd:',
    'b:',
    'N;',
    '0',
    '1',
    '2',
    '9',
    ':',
    ';',
    '{',
    '}',
    '"',
    '-',
    '+',
    '.',
    'e',
    'INF',
    'x',
    '\\',
    '1:"A":',
    '11:"Suit:Hearts"',
    '8:"stdClass":',
  ];
  test.prop([fc.array(fc.constantFrom(...pieces), { maxLength: 60 })], { numRuns: 3000 })(
    'readPhpSerialized never throws on syntax soup',
    (parts) => {
      const result = readPhpSerialized(bytesOf(parts.join('')), DEFAULT_BUDGETS, { trailing: 'ignore' });
      expect(result.ok || result.detail !== 'unreadable serialized data').toBe(true);
    },
  );

  const corpus = loadCorpus()
    .values.filter((item) => !item.ours)
    .map((item) => fromBase64(item.stored))
    .filter((bytes) => bytes.length < 3000);

  test.prop([fc.constantFrom(...corpus), fc.array(fc.nat(), { minLength: 1, maxLength: 8 })], {
    numRuns: 3000,
  })('readPhpSerialized never throws on bit-flipped PHP output', (bytes, flips) => {
    const copy = Uint8Array.from(bytes);
    for (const flip of flips) copy[(flip >> 3) % copy.length]! ^= 1 << (flip & 7);
    const result = readPhpSerialized(copy, DEFAULT_BUDGETS);
    expect(result.ok || result.detail !== 'unreadable serialized data').toBe(true);
  });

  it('should report every strict prefix of PHP output as corrupt', () => {
    for (const bytes of corpus) {
      for (let end = 0; end < bytes.length; end += 1) {
        expect(problemOf(bytes.subarray(0, end))).toBe('corrupt');
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The corpus written by real PHP (fixtures/generate.php)
// ---------------------------------------------------------------------------------------------------------

describe(`values serialized by PHP (${loadCorpus().php})`, () => {
  const cases = loadCorpus().values;

  it.each(cases.filter((item) => !item.ours).map((item) => [item.name, item] as const))(
    'should read %s as PHP reads it and write it back byte for byte',
    (_name, item) => {
      const bytes = fromBase64(item.stored);
      const value = read(Buffer.from(bytes).toString('latin1'));
      expect(JSON.parse(JSON.stringify(tagOf(value)))).toEqual(item.value);
      expect(Buffer.from(writePhpSerialized(value)).equals(Buffer.from(bytes))).toBe(true);
      if (item.json !== null)
        expect(JSON.stringify(phpToJson(value))).toBe(JSON.stringify(JSON.parse(item.json)));
    },
  );

  it.each(cases.filter((item) => item.ours).map((item) => [item.name, item] as const))(
    'should refuse %s as unsupported',
    (_name, item) => {
      expect(problemOf(fromBase64(item.stored))).toBe(item.ours);
    },
  );
});

describe('hand-written strings, against what PHP unserialize() said (fixtures/generate.php quirks)', () => {
  const quirks = loadCorpus().quirks.map(
    (item) => [Buffer.from(item.stored, 'base64').toString('latin1'), item] as const,
  );

  it.each(quirks)('should agree with PHP on %j', (text, item) => {
    const result = readPhpSerialized(bytesOf(text), DEFAULT_BUDGETS, { trailing: 'ignore' });
    expect(result.ok).toBe(item.ok);
    if (result.ok) expect(JSON.parse(JSON.stringify(tagOf(result.value)))).toEqual(item.value);
  });
});
