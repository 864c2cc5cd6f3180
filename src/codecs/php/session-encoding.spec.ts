import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS, type DecodeBudgets } from '../budgets.ts';
import type { JsonObject, JsonValue } from '../result.ts';
import { keysCounted, plainValueArb, sessionNameArb, withReferences } from './fixtures/arbitrary.ts';
import { fromBase64, loadCorpus, tagEntries } from './fixtures/php.ts';
import {
  decodePhpSession,
  encodePhpSession,
  mergePhpSession,
  type PhpSessionHandler,
  phpSessionToJson,
} from './session-encoding.ts';
import { type PhpArray, type PhpValue, phpInt, phpString } from './values.ts';

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

function decode(
  stored: string,
  handler: PhpSessionHandler,
  budgets: DecodeBudgets = DEFAULT_BUDGETS,
): PhpArray {
  const result = decodePhpSession(bytesOf(stored), handler, budgets);
  if (!result.ok) throw new Error(`${result.problem}: ${result.detail}`);
  return result.value;
}

function problemOf(
  stored: string | Uint8Array,
  handler: PhpSessionHandler,
  budgets = DEFAULT_BUDGETS,
): string {
  const result = decodePhpSession(typeof stored === 'string' ? bytesOf(stored) : stored, handler, budgets);
  return result.ok ? 'ok' : result.problem;
}

const view = (stored: string, handler: PhpSessionHandler) => phpSessionToJson(decode(stored, handler));

describe('the php handler', () => {
  it('should read name|value pairs that share one numbering', () => {
    expect(view('a|i:1;b|s:1:"x";', 'php')).toEqual({ a: 1, b: 'x' });
    expect(view('a|O:8:"stdClass":0:{}b|r:1;c|a:1:{i:0;r:1;}', 'php')).toEqual({
      a: { __class: 'stdClass' },
      b: { __class: 'stdClass' },
      c: [{ __class: 'stdClass' }],
    });
    const session = decode('a|O:8:"stdClass":0:{}b|r:1;', 'php');
    expect((session.entries[1]![1] as { target: PhpValue }).target).toBe(session.entries[0]![1]);
  });

  it('should take any name without |, and no ! marker (PHP 8 dropped it)', () => {
    expect(view('|N;!a|i:1;5|i:2;a\nb|i:3;', 'php')).toEqual({ '': null, '!a': 1, '5': 2, 'a\nb': 3 });
    expect(decode('5|i:2;', 'php').entries[0]![0]).toEqual(phpString('5'));
    expect(problemOf('!a|b|i:1;', 'php')).toBe('corrupt');
  });

  it('should replace a repeated name in place, its earlier value still numbered', () => {
    expect(view('a|a:1:{i:0;i:1;}b|i:2;a|i:3;c|R:2;', 'php')).toEqual({ a: 3, b: 2, c: 1 });
  });

  it('should fail on bytes that are not name|value, as PHP 8.2 does', () => {
    expect(view('', 'php')).toEqual({});
    for (const bad of ['a|i:1;junk', 'a|i:1;b|i:', 'junk', 'a|i:1;b|i:2', 'a|x'])
      expect(problemOf(bad, 'php')).toBe('corrupt');
  });

  it('should write what session_encode() writes, and refuse what PHP cannot store', () => {
    const session = decode('a|O:8:"stdClass":0:{}b|r:1;', 'php');
    expect(text(encodePhpSession(session, 'php'))).toBe('a|O:8:"stdClass":0:{}b|r:1;');
    expect(encodePhpSession({ t: 'array', entries: [] }, 'php')).toHaveLength(0);
    expect(() => encodePhpSession({ t: 'array', entries: [[phpString('a|b'), phpInt(1)]] }, 'php')).toThrow(
      RangeError,
    );
    expect(() => encodePhpSession({ t: 'array', entries: [[phpInt(5), phpInt(1)]] }, 'php')).toThrow(
      RangeError,
    );
    expect(() => encodePhpSession({ t: 'array', entries: [[phpString('-5'), phpInt(1)]] }, 'php')).toThrow(
      RangeError,
    );
  });
});

describe('the php_serialize handler', () => {
  it('should read one serialized array, empty bytes and N; as an empty session', () => {
    expect(view('a:2:{s:1:"a";i:1;i:5;s:1:"x";}', 'php_serialize')).toEqual({ a: 1, '5': 'x' });
    expect(view('a:2:{i:0;s:1:"x";i:1;s:1:"y";}', 'php_serialize')).toEqual({ '0': 'x', '1': 'y' });
    expect(view('', 'php_serialize')).toEqual({});
    expect(view('N;', 'php_serialize')).toEqual({});
  });

  it('should ignore bytes after the array, as PHP does, and refuse a value that is not an array', () => {
    expect(view('a:1:{s:1:"a";i:1;}junk', 'php_serialize')).toEqual({ a: 1 });
    expect(decodePhpSession(bytesOf('i:1;'), 'php_serialize', DEFAULT_BUDGETS)).toEqual({
      ok: false,
      problem: 'corrupt',
      detail: 'the session is a serialized int, not an array',
    });
    expect(problemOf('O:8:"stdClass":0:{}', 'php_serialize')).toBe('corrupt');
    expect(problemOf('garbage', 'php_serialize')).toBe('corrupt');
  });

  it('should write the whole session as one serialize()', () => {
    expect(text(encodePhpSession(decode('a:1:{s:3:"a|b";i:1;}', 'php_serialize'), 'php_serialize'))).toBe(
      'a:1:{s:3:"a|b";i:1;}',
    );
    expect(text(encodePhpSession({ t: 'array', entries: [] }, 'php_serialize'))).toBe('a:0:{}');
  });
});

describe('edits', () => {
  it('should refuse numeric names under php and make them int keys under php_serialize', () => {
    const data: JsonObject = { user: 7, '5': 'five' };
    expect(() => encodePhpSession(mergePhpSession(data, undefined, 'php'), 'php')).toThrow(/numeric name 5/);
    expect(text(encodePhpSession(mergePhpSession({ user: 7, '05': 'x' }, undefined, 'php'), 'php'))).toBe(
      'user|i:7;05|s:1:"x";',
    );
    expect(text(encodePhpSession(mergePhpSession(data, undefined, 'php_serialize'), 'php_serialize'))).toBe(
      'a:2:{i:5;s:4:"five";s:4:"user";i:7;}',
    );
  });

  it('should keep untouched variables byte for byte and the order PHP wrote', () => {
    const stored = 'b|d:0.1;a|O:8:"App\\User":1:{s:7:"\0*\0name";s:3:"Ann";}c|r:2;';
    const previous = decode(stored, 'php');
    const data = structuredClone(phpSessionToJson(previous));
    data['b'] = 0.5;
    expect(text(encodePhpSession(mergePhpSession(data, previous, 'php'), 'php'))).toBe(
      'b|d:0.5;a|O:8:"App\\User":1:{s:7:"\0*\0name";s:3:"Ann";}c|r:2;',
    );
    expect(text(encodePhpSession(mergePhpSession(phpSessionToJson(previous), previous, 'php'), 'php'))).toBe(
      stored,
    );
  });
});

describe('budgets', () => {
  it('should refuse input over maxInputBytes and count references across variables', () => {
    expect(problemOf('a|i:1;', 'php', { ...DEFAULT_BUDGETS, maxInputBytes: 3 })).toBe('over-budget');
    let bomb = `a|s:1000:"${'x'.repeat(1000)}";`;
    for (let level = 1; level <= 40; level += 1) bomb += `v${level}|a:2:{i:0;R:${level};i:1;R:${level};}`;
    const started = performance.now();
    expect(problemOf(bomb, 'php')).toBe('over-budget');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('should count the session object around the variables in the depth budget', () => {
    const nested = (depth: number) => `a|${'a:1:{i:0;'.repeat(depth)}N;${'}'.repeat(depth)}`;
    const limits = { ...DEFAULT_BUDGETS, maxDepth: 5 };
    expect(problemOf(nested(4), 'php', limits)).toBe('ok');
    expect(problemOf(nested(5), 'php', limits)).toBe('over-budget');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

const sessionArb = (handler: PhpSessionHandler): fc.Arbitrary<PhpArray> =>
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(sessionNameArb, plainValueArb), { maxLength: 5, selector: ([name]) => name }),
      fc.array(fc.nat(), { maxLength: 30 }),
    )
    .map(([pairs, choices]) => {
      // Names as the API would key them, values with references across the whole session.
      const keys = mergePhpSession(
        Object.fromEntries(pairs.map(([name]) => [name, null])),
        undefined,
        handler,
      );
      const session: PhpArray = {
        t: 'array',
        entries: keys.entries.map(([key], index) => [key, pairs[index]![1]]),
      };
      return withReferences(session, choices, false) as PhpArray;
    });

function measure(json: JsonValue): { bytes: number; values: number } {
  let values = 0;
  const walk = (node: JsonValue) => {
    values += 1;
    if (node !== null && typeof node === 'object') for (const item of Object.values(node)) walk(item);
  };
  walk(json);
  return { bytes: Buffer.byteLength(JSON.stringify(json)), values };
}

describe('properties', () => {
  for (const handler of ['php', 'php_serialize'] as const) {
    test.prop([sessionArb(handler)], { numRuns: 300 })(
      `${handler}: decode(encode(session)) is the session, counted as its JSON view prints`,
      (session) => {
        const stored = encodePhpSession(session, handler);
        const decoded = decodePhpSession(stored, handler, DEFAULT_BUDGETS);
        expect(decoded).toEqual({ ok: true, value: session });
        const size = measure(phpSessionToJson(session));
        size.values += keysCounted(session);
        const exact = { ...DEFAULT_BUDGETS, maxOutputBytes: size.bytes, maxValues: size.values };
        expect(problemOf(stored, handler, exact)).toBe('ok');
        expect(problemOf(stored, handler, { ...exact, maxOutputBytes: size.bytes - 1 })).toBe('over-budget');
        expect(problemOf(stored, handler, { ...exact, maxValues: size.values - 1 })).toBe('over-budget');
      },
    );

    test.prop([fc.uint8Array({ maxLength: 120 })], { numRuns: 1000 })(
      `${handler}: never throws on any bytes`,
      (bytes) => {
        const result = decodePhpSession(bytes, handler, DEFAULT_BUDGETS);
        expect(result.ok || result.detail !== 'unreadable serialized data').toBe(true);
      },
    );
  }
});

// ---------------------------------------------------------------------------------------------------------
// Sessions written and read by real PHP (fixtures/generate.php)
// ---------------------------------------------------------------------------------------------------------

describe('sessions from PHP session_encode() and session_decode()', () => {
  const cases = loadCorpus().sessions.map(
    (item) => [`${item.handler} ${JSON.stringify(item.name)}`, item] as const,
  );

  it.each(cases)('should decode %s as PHP does', (_name, item) => {
    const result = decodePhpSession(fromBase64(item.stored), item.handler, DEFAULT_BUDGETS);
    expect(result.ok).toBe(item.ok);
    if (!result.ok) return;
    expect(JSON.parse(JSON.stringify(tagEntries(result.value.entries)))).toEqual(item.value);
    if (!item.name.startsWith('decode ')) {
      expect(
        Buffer.from(encodePhpSession(result.value, item.handler)).equals(
          Buffer.from(fromBase64(item.stored)),
        ),
      ).toBe(true);
    }
  });

  it('should show a Symfony HttpFoundation session with its attribute bags', () => {
    const symfony = loadCorpus().sessions.find((item) => item.name === 'Symfony HttpFoundation')!;
    const session = decodePhpSession(fromBase64(symfony.stored), 'php', DEFAULT_BUDGETS);
    expect(session.ok).toBe(true);
    const data = session.ok ? phpSessionToJson(session.value) : {};
    expect(Object.keys(data)).toEqual(['_sf2_attributes', '_symfony_flashes', '_sf2_meta']);
    expect(data['_sf2_attributes']).toMatchObject({ user_id: 7, cart: { 'sku-1': 2, 'sku-2': 1 } });
    expect(data['_symfony_flashes']).toEqual({ notice: ['Saved'] });
    expect(Object.keys(data['_sf2_meta'] as JsonObject)).toEqual(['u', 'c', 'l']);
  });
});
