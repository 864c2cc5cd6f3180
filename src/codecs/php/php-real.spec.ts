/**
 * Our writer and reader against real PHP (`php` on PATH: Debian's php8.2-cli, which CI installs). Each test
 * batches its cases into one PHP process (fixtures/generate.php --load / --session-decode).
 */
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from '../budgets.ts';
import {
  floatArb,
  phpValueArb,
  plainValueArb,
  sessionNameArb,
  withReferences,
} from './fixtures/arbitrary.ts';
import {
  fromBase64,
  loadCorpus,
  phpLoad,
  phpSessionDecode,
  tagEntries,
  tagOf,
  toBase64,
} from './fixtures/php.ts';
import { readPhpSerialized } from './serialize-reader.ts';
import { writePhpSerialized } from './serialize-writer.ts';
import { encodePhpSession, mergePhpSession, type PhpSessionHandler } from './session-encoding.ts';
import type { PhpArray, PhpValue } from './values.ts';

const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Whether some value in the tree (references followed) satisfies `test`. */
const some = (value: PhpValue, test: (value: PhpValue) => boolean, seen = new Set<PhpValue>()): boolean => {
  if (seen.has(value)) return false;
  seen.add(value);
  if (test(value)) return true;
  if (value.t === 'ref') return some(value.target, test, seen);
  if (value.t === 'array') return value.entries.some(([, item]) => some(item, test, seen));
  if (value.t === 'object') return value.props.some(([, item]) => some(item, test, seen));
  return false;
};

/**
 * Where PHP's serialize() of what it loaded differs from what we wrote: a C: object loads as an
 * __PHP_Incomplete_Class without its payload, an object's int property keys load as strings, and a second
 * E: of the same case loads as that same object.
 */
const rewrittenByPhp = (value: PhpValue) => {
  const cases = new Set<string>();
  return some(value, (item) => {
    if (item.t === 'custom') return true;
    if (item.t === 'object') return item.props.some(([key]) => key.t === 'int');
    // An enum case is one object: PHP writes a second E: of it as r:n.
    if (item.t !== 'enum') return false;
    const name = `${item.className}:${item.caseName}`;
    return cases.has(name) || !cases.add(name);
  });
};

/** The enums generate.php declares; PHP refuses any other (it must find the enum), we read them all. */
const KNOWN_ENUMS = new Set([
  'Suit:Hearts',
  'Suit:Spades',
  'App\\Model\\Role:Admin',
  'App\\Model\\Role:Editor',
]);
const unknownEnum = (value: PhpValue) =>
  some(value, (item) => item.t === 'enum' && !KNOWN_ENUMS.has(`${item.className}:${item.caseName}`));

/** Whether a reference inside `value` reaches `target`. */
const refersTo = (value: PhpValue, target: PhpValue, seen = new Set<PhpValue>()): boolean => {
  if (seen.has(value)) return false;
  seen.add(value);
  if (value.t === 'ref') return value.target === target || refersTo(value.target, target, seen);
  if (value.t === 'array') return value.entries.some(([, item]) => refersTo(item, target, seen));
  if (value.t === 'object') return value.props.some(([, item]) => refersTo(item, target, seen));
  return false;
};

describe('real PHP reads what we write', () => {
  it('should unserialize 400 arbitrary values, references and cycles included, as the values we wrote', () => {
    const values = fc.sample(phpValueArb, { numRuns: 400, seed: 20240229 });
    const written = values.map(writePhpSerialized);
    const loaded = phpLoad(written);
    values.forEach((value, index) => {
      const answer = loaded[index]!;
      if (!answer.ok)
        throw new Error(`PHP could not unserialize ${Buffer.from(written[index]!).toString('latin1')}`);
      expect(answer.value).toEqual(plain(tagOf(value)));
      // PHP's serialize() of what it loaded is what we wrote, byte for byte.
      if (!rewrittenByPhp(value)) expect(answer.again).toBe(toBase64(written[index]!));
    });
  });

  it('should print 2000 arbitrary floats exactly as PHP prints them', () => {
    const floats = fc.sample(floatArb, { numRuns: 2000, seed: 7 });
    const list: PhpValue = {
      t: 'array',
      entries: floats.map((value, index) => [{ t: 'int', v: index }, value]),
    };
    const bytes = writePhpSerialized(list);
    const [answer] = phpLoad([bytes]);
    expect(answer?.ok && answer.again).toBe(toBase64(bytes));
  });

  it('should round-trip every corpus value through PHP and us unchanged', () => {
    const corpus = loadCorpus().values.filter((item) => !item.ours);
    const ours = corpus.map((item) => {
      const read = readPhpSerialized(fromBase64(item.stored), DEFAULT_BUDGETS);
      if (!read.ok) throw new Error(`${item.name}: ${read.detail}`);
      return writePhpSerialized(read.value);
    });
    phpLoad(ours).forEach((answer, index) => {
      expect(answer.ok && answer.value).toEqual(corpus[index]!.value);
    });
  });

  for (const handler of ['php', 'php_serialize'] as const satisfies readonly PhpSessionHandler[]) {
    it(`should session_decode() 200 sessions we encode with the ${handler} handler`, () => {
      const sessions = fc.sample(
        fc
          .tuple(
            fc.uniqueArray(fc.tuple(sessionNameArb, plainValueArb), {
              maxLength: 5,
              selector: ([name]) => name,
            }),
            fc.array(fc.nat(), { maxLength: 20 }),
          )
          .map(([pairs, choices]) => {
            const names = mergePhpSession(
              Object.fromEntries(pairs.map(([name]) => [name, null])),
              undefined,
              handler,
            );
            const session: PhpArray = {
              t: 'array',
              entries: names.entries.map(([key], index) => [key, pairs[index]![1]]),
            };
            return withReferences(session, choices, false, true) as PhpArray;
          }),
        { numRuns: 200, seed: 42 },
      );
      const decoded = phpSessionDecode(
        handler,
        sessions.map((session) => encodePhpSession(session, handler)),
      );
      sessions.forEach((session, index) => {
        const answer = decoded[index]!;
        expect(answer.ok).toBe(true);
        // PHP's $_SESSION has PHP array keys; the php handler's names stay strings, as PHP keeps them.
        expect(answer.ok && answer.value).toEqual(plain(tagEntries(session.entries)));
      });
    });
  }
});

/** A tag as JSON text, enum class names in lower case: PHP finds `suit:Hearts` and names it `Suit`. */
const sameCase = (tag: unknown) =>
  JSON.stringify(tag, (key, value) =>
    key === 'enum' && typeof value === 'string'
      ? value.replace(/^[^:]*/, (name) => name.toLowerCase())
      : value,
  );

describe('our reader agrees with real PHP on damaged PHP output', () => {
  it('should accept and refuse what PHP accepts and refuses, for 3000 mutations of the corpus', () => {
    const corpus = loadCorpus()
      .values.map((item) => fromBase64(item.stored))
      .filter((bytes) => bytes.length < 600);
    const syntax = [...'0123456789:;{}"-+.aiOsSdbNRrCE'].map((char) => char.charCodeAt(0));
    const inputs = fc.sample(
      fc
        .tuple(
          fc.constantFrom(...corpus),
          fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(2)), { minLength: 1, maxLength: 3 }),
        )
        .map(([bytes, edits]) => {
          let out = [...bytes];
          for (const [at, pick, kind] of edits) {
            const index = at % (out.length + 1);
            const byte = syntax[pick % syntax.length]!;
            if (kind === 0) out[index % out.length] = byte;
            else if (kind === 1) out.splice(index, 0, byte);
            else out = out.filter((_, i) => i !== index);
          }
          return Uint8Array.from(out);
        }),
      { numRuns: 3000, seed: 99 },
    );
    const answers = phpLoad(inputs);
    const disagreements: string[] = [];
    inputs.forEach((bytes, index) => {
      const php = answers[index]!;
      const ours = readPhpSerialized(bytes, DEFAULT_BUDGETS, { trailing: 'ignore' });
      const text = Buffer.from(bytes).toString('latin1');
      // R:1 to the top-level array: PHP loads a snapshot of it, we a cycle (serialize() never writes one).
      if (ours.ok && ours.value.t === 'array' && refersTo(ours.value, ours.value)) return;
      if (php.ok && ours.ok) {
        if (sameCase(tagOf(ours.value)) !== sameCase(php.value)) disagreements.push(`value: ${text}`);
      } else if (php.ok && !ours.ok) {
        // Deliberately not read (see serialize-reader.ts): references past a C: payload and the like.
        if (ours.problem !== 'unsupported') disagreements.push(`PHP reads, we say ${ours.detail}: ${text}`);
      } else if (!php.ok && ours.ok && !unknownEnum(ours.value)) {
        disagreements.push(`PHP refuses, we read: ${text}`);
      }
    });
    expect(disagreements).toEqual([]);
  });
});
