import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  checkJsonValue,
  DEFAULT_BUDGETS,
  type DecodeBudgets,
  jsonStringBytes,
  jsonTextNestsDeeper,
} from './budgets.ts';
import { parseJsonObject } from './json.ts';
import { pyToJson, readPickle } from './pickle.ts';
import type { JsonValue } from './result.ts';

/**
 * The decode budgets (budgets.ts) as properties: the count is the JSON a value prints as, to the byte; any
 * text or pickle within the input budget decodes within the output, depth and work budgets, or is INVALID by
 * name; and never takes long. The budgets here are small, so that inputs near them are cheap to generate.
 */

const small: DecodeBudgets = {
  maxInputBytes: 64 * 1024,
  maxOutputBytes: 16 * 1024,
  maxDepth: 24,
  maxValues: 4000,
};

/** Deepest nesting of a JSON value, without recursion. */
function depthOf(value: JsonValue): number {
  let deepest = 0;
  const pending: [JsonValue, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Array.isArray(node) ? node : Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

const utf8Length = (value: JsonValue) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** Strings with what JSON escapes: quotes, backslashes, controls, lone surrogates, astral characters. */
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '\u0000', '\u001f', '\b\f\n\r\t', '\ud800', '\udc00x', '😀', 'é', '\u2028'),
);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(9e20, 1e21, -0, 5e-324, Number.MAX_VALUE),
    hostileString,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 5 }),
  ),
})).value as fc.Arbitrary<JsonValue>;

describe('the output budget counts the JSON a value prints as', () => {
  test.prop([hostileString])('should count a string as JSON.stringify prints it, in UTF-8 bytes', (text) => {
    expect(jsonStringBytes(text)).toBe(Buffer.byteLength(JSON.stringify(text), 'utf8'));
  });

  test.prop([jsonValue])(
    'should accept a value exactly at its printed size and refuse it one byte under',
    (value) => {
      const bytes = utf8Length(value);
      const roomy = { ...DEFAULT_BUDGETS, maxDepth: 10_000 };
      expect(checkJsonValue(value, { ...roomy, maxOutputBytes: bytes })).toBeNull();
      expect(checkJsonValue(value, { ...roomy, maxOutputBytes: bytes - 1 })).toMatchObject({
        problem: 'over-budget',
      });
    },
  );

  test.prop([jsonValue])('should find the depth of any value', (value) => {
    const depth = depthOf(value);
    const roomy = { ...DEFAULT_BUDGETS, maxOutputBytes: 1 << 30 };
    expect(checkJsonValue(value, { ...roomy, maxDepth: Math.max(depth, 1) })).toBeNull();
    if (depth > 1) {
      expect(checkJsonValue(value, { ...roomy, maxDepth: depth - 1 })).toMatchObject({
        problem: 'over-budget',
      });
    }
  });

  it('should count a shared value at every place it appears, and stop early', () => {
    const big = 'x'.repeat(1 << 20);
    const shared = Array.from({ length: 100_000 }, () => big) as JsonValue;
    const started = performance.now();
    expect(checkJsonValue(shared, DEFAULT_BUDGETS)).toMatchObject({
      detail: 'decoded data exceeds 8 MiB (budgets.maxOutputBytes)',
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('any JSON text within the input budget', () => {
  /** Texts near the budgets: deep brackets, wide arrays, numbers that print longer than they are written. */
  const nearBudgets = fc.oneof(
    fc.json(),
    fc.integer({ min: 1, max: 60 }).map((depth) => `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    fc
      .integer({ min: 1, max: 6000 })
      .map((count) => `{"n":[${Array.from({ length: count }, () => '9e20').join(',')}]}`),
    fc.integer({ min: 1, max: 3000 }).map((count) => `{"s":"${'\\u0001'.repeat(count)}"}`),
    fc.string({ maxLength: 400 }).map((noise) => `{"a":[[[${noise}]]]}`),
  );

  test.prop([nearBudgets])(
    'should decode within the output, depth and work budgets, or be refused by name',
    (text) => {
      const started = performance.now();
      const result = parseJsonObject(text, small, 'the text');
      expect(performance.now() - started).toBeLessThan(1000);
      if (result.ok) {
        expect(utf8Length(result.value)).toBeLessThanOrEqual(small.maxOutputBytes);
        expect(depthOf(result.value)).toBeLessThanOrEqual(small.maxDepth);
      } else {
        expect(['corrupt', 'over-budget']).toContain(result.problem);
      }
    },
  );

  it('should find nesting deeper than the budget without parsing, strings aside', () => {
    expect(jsonTextNestsDeeper(`${'['.repeat(30)}${']'.repeat(30)}`, 24)).toBe(true);
    expect(jsonTextNestsDeeper(`["${'['.repeat(30)}"]`, 24)).toBe(false);
    expect(jsonTextNestsDeeper(`${'[{"a":'.repeat(12)}1${'}]'.repeat(12)}`, 24)).toBe(false);
    expect(jsonTextNestsDeeper(`${'[{"a":'.repeat(13)}1${'}]'.repeat(13)}`, 24)).toBe(true);
  });
});

describe('any pickle within the input budget', () => {
  /**
   * Pickle programs built from opcodes that make containers, strings and memo references (protocol 2): the
   * shapes that expand, nest and share. Many are not well formed, and must be refused, never thrown on.
   */
  const op = fc.oneof(
    fc.constant(']'), // EMPTY_LIST
    fc.constant('}'), // EMPTY_DICT
    fc.constant('('), // MARK
    fc.constant('e'), // APPENDS
    fc.constant('a'), // APPEND
    fc.constant('u'), // SETITEMS
    fc.constant('t'), // TUPLE
    fc.constant('N'), // NONE
    fc.integer({ min: 0, max: 255 }).map((n) => `K${String.fromCharCode(n)}`), // BININT1
    fc
      .integer({ min: 0, max: 3000 })
      .map((n) => `X${String.fromCharCode(n & 0xff, n >> 8, 0, 0)}${'s'.repeat(n)}`),
    fc.integer({ min: 0, max: 7 }).map((n) => `q${String.fromCharCode(n)}`), // BINPUT
    fc.integer({ min: 0, max: 7 }).map((n) => `h${String.fromCharCode(n)}`), // BINGET
  );
  const program = fc
    .array(op, { maxLength: 300 })
    .map((ops) => Buffer.from(`\x80\x02${ops.join('')}.`, 'latin1'));

  test.prop([program], { numRuns: 500 })('should read within the budgets or refuse, never throw', (bytes) => {
    const started = performance.now();
    const limits = {
      maxBytes: small.maxInputBytes,
      maxOutputBytes: small.maxOutputBytes,
      maxDepth: small.maxDepth,
      maxItems: small.maxValues,
    };
    const result = readPickle(bytes, limits);
    if (result.ok) {
      const json = pyToJson(result.value);
      expect(utf8Length(json)).toBeLessThanOrEqual(small.maxOutputBytes);
      expect(depthOf(json)).toBeLessThanOrEqual(small.maxDepth);
    } else {
      expect(['corrupt', 'unsupported', 'over-budget', 'unsafe']).toContain(result.problem);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('should refuse a memo that doubles a list 40 times, by its output', () => {
    let body = '\x80\x02X\x04\x00\x00\x00abcdq\x00';
    for (let step = 0; step < 40; step += 1) {
      const memo = String.fromCharCode(step);
      body += `h${memo}h${memo}\x86q${String.fromCharCode(step + 1)}`;
    }
    const result = readPickle(Buffer.from(`${body}.`, 'latin1'));
    expect(result).toMatchObject({ ok: false, problem: 'over-budget' });
  });
});
