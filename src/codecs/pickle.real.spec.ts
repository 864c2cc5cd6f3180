/**
 * The pickle reader and writer against real Python: the fixtures generate.py wrote (fixtures/webpy/), and
 * Python and web.py loading what the writer writes.
 */
import * as fc from 'fast-check'; // not @fast-check/vitest: see pickle.arbitraries.ts
import { describe, expect, it } from 'vitest';
import {
  canonical,
  loadFixtures,
  PYTHON,
  pythonLoad,
  type Tagged,
  toTagged,
} from './fixtures/webpy/python.ts';
import { type PyTimezone, type PyValue, pyRepr, readPickle, writePickle } from './pickle.ts';
import { pyValueArb } from './pickle.arbitraries.ts';
import { int, pk, read, str } from './pickle.testing.ts';

// ---------------------------------------------------------------------------------------------------------
// Real Python
// ---------------------------------------------------------------------------------------------------------

describe('fixtures written by real Python (generate.py)', () => {
  const fixtures = loadFixtures();

  it.each(fixtures.filter((fixture) => fixture.expect.ok).map((fixture) => [fixture.name, fixture] as const))(
    'should read %s as Python loaded it',
    (_name, fixture) => {
      const text = fixture.repr_wrapped ? fixture.stored.slice(2, -1).replace(/\\n/g, '\n') : fixture.stored;
      const value = read(Buffer.from(text, 'base64'));
      expect(canonical(toTagged(value))).toEqual(canonical((fixture.expect as { value: Tagged }).value));
    },
  );

  it.each(
    fixtures.filter((fixture) => !fixture.expect.ok).map((fixture) => [fixture.name, fixture] as const),
  )('should refuse %s as unsafe', (_name, fixture) => {
    const result = readPickle(Buffer.from(fixture.stored, 'base64'));
    expect(result).toEqual({
      ok: false,
      problem: 'unsafe',
      detail: `unsafe pickle: ${(fixture.expect as { global: string }).global}`,
    });
  });
});

describe(`our writer, loaded by ${PYTHON} and web.py`, () => {
  it('should be loaded by Python with the same values and types, for 400 arbitrary trees', () => {
    const values = fc.sample(
      pyValueArb.map((value): PyValue => ({ t: 'dict', entries: [[str('v'), value]] })),
      { numRuns: 400, seed: 20240229 },
    );
    const loaded = pythonLoad(values.map((value) => Buffer.from(writePickle(value)).toString('base64')));
    values.forEach((value, i) => {
      const answer = loaded[i]!;
      if (!answer.ok) throw new Error(`Python could not load ${pyRepr(value)}: ${answer.error}`);
      expect(canonical(answer.value)).toEqual(canonical(toTagged(value)));
    });
  });

  it('should be loaded by Python for every Python-written fixture value, rewritten', () => {
    const fixtures = loadFixtures().filter((fixture) => fixture.expect.ok && !fixture.py2);
    const trees = fixtures.map((fixture) => {
      const text = fixture.repr_wrapped ? fixture.stored.slice(2, -1).replace(/\\n/g, '\n') : fixture.stored;
      return read(Buffer.from(text, 'base64'));
    });
    const loaded = pythonLoad(trees.map((tree) => Buffer.from(writePickle(tree)).toString('base64')));
    trees.forEach((tree, i) => {
      const answer = loaded[i]!;
      expect(answer.ok).toBe(true);
      expect(answer.ok && canonical(answer.value)).toEqual(canonical(toTagged(tree)));
    });
  });

  it('should deduplicate set items and dict keys exactly as Python does', () => {
    const utc: PyTimezone = { t: 'timezone', offsetMicroseconds: 0 };
    const plusOne: PyTimezone = { t: 'timezone', offsetMicroseconds: 3_600_000_000, name: 'CET' };
    const at = (hour: number, tz: PyTimezone | null): PyValue => ({
      t: 'datetime',
      year: 2024,
      month: 1,
      day: 1,
      hour,
      minute: 0,
      second: 0,
      microsecond: 0,
      fold: 0,
      tz,
    });
    const items: PyValue[] = [
      int(1),
      { t: 'float', v: 1 },
      { t: 'bool', v: true },
      { t: 'decimal', v: '1.000' },
      { t: 'float', v: 0.5 },
      { t: 'decimal', v: '0.50' },
      { t: 'float', v: 0.1 },
      { t: 'decimal', v: '0.1' },
      { t: 'decimal', v: '0.1000000000000000055511151231257827021181583404541015625' },
      { t: 'decimal', v: '-0' },
      { t: 'bool', v: false },
      { t: 'float', v: Number.POSITIVE_INFINITY },
      { t: 'decimal', v: 'Infinity' },
      at(12, utc),
      at(13, plusOne),
      at(12, null),
      { t: 'timezone', offsetMicroseconds: 3_600_000_000 },
      plusOne,
      { t: 'tuple', items: [int(2), str('x')] },
      { t: 'tuple', items: [{ t: 'float', v: 2 }, str('x')] },
      { t: 'frozenset', items: [int(1), int(2)] },
      { t: 'frozenset', items: [int(2), int(1)] },
    ];
    const pickled = pk(
      '\x80\x02c__builtin__\nset\n',
      [...writePickle({ t: 'list', items }).subarray(2, -1)],
      '\x85R.',
    );
    const ours = read(pickled) as { items: PyValue[] };
    const [python] = pythonLoad([Buffer.from(pickled).toString('base64')]);
    expect(python?.ok && (python.value as { items: unknown[] }).items.length).toBe(ours.items.length);
    expect(ours.items).toHaveLength(11);
  });

  it('should write non-ASCII Python 2 strings as text Python 3 loads', () => {
    const tree: PyValue = {
      t: 'dict',
      entries: [
        [str('utf8'), { t: 'bytes', v: Buffer.from('café'), py2str: true }],
        [str('latin1'), { t: 'bytes', v: Uint8Array.from([0xe9]), py2str: true }],
      ],
    };
    const [answer] = pythonLoad([Buffer.from(writePickle(tree)).toString('base64')]);
    expect(answer).toMatchObject({
      ok: true,
      value: {
        entries: [
          ['utf8', 'café'],
          ['latin1', 'é'],
        ],
      },
    });
  });
});
