/** fast-check arbitraries for PyValue trees: every kind a web.py session can hold, nested, with hashable keys. */
// `fc` is fast-check itself, the very module @fast-check/vitest re-exports: importing @fast-check/vitest costs
// each test file some 2 s, which the spec files that run no `test.prop` need not pay.
import * as fc from 'fast-check';
import { hashKey, type PyTimezone, type PyValue } from './pickle.ts';

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
  fc.string({ maxLength: 12 }),
);
const tzArb: fc.Arbitrary<PyTimezone> = fc
  .tuple(fc.integer({ min: -86_399_999_999, max: 86_399_999_999 }), fc.option(textArb, { nil: undefined }))
  .map(([offsetMicroseconds, name]) =>
    name === undefined ? { t: 'timezone', offsetMicroseconds } : { t: 'timezone', offsetMicroseconds, name },
  );
const clockArb = fc.record({
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  microsecond: fc.integer({ min: 0, max: 999_999 }),
  fold: fc.constantFrom<0 | 1>(0, 1),
  tz: fc.option(tzArb, { nil: null }),
});
const dateArb = fc
  .tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
  .map(([year, month, day]) => ({ year, month, day: Math.min(day, daysIn(year, month)) }));
/** Decimals in the form `str(Decimal)` prints, so Python's str() of the loaded value is the same text. */
const decimalArb = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1E+3', '-0'),
  fc
    .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 5 }), fc.boolean())
    .map(([coefficient, scale, negativeZero]) => {
      const digits = (coefficient < 0n ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
      const sign = coefficient < 0n || (coefficient === 0n && negativeZero) ? '-' : '';
      return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    }),
);

const leafArb: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant<PyValue>({ t: 'none' }),
  fc.boolean().map((v): PyValue => ({ t: 'bool', v })),
  fc
    .oneof(fc.bigInt({ min: -300n, max: 70_000n }), fc.bigInt({ min: -(2n ** 600n), max: 2n ** 600n }))
    .map((v): PyValue => ({ t: 'int', v })),
  fc.double().map((v): PyValue => ({ t: 'float', v })),
  textArb.map((v): PyValue => ({ t: 'str', v })),
  fc.uint8Array({ maxLength: 24 }).map((v): PyValue => ({ t: 'bytes', v })),
  fc.tuple(dateArb, clockArb).map(([date, clock]): PyValue => ({ t: 'datetime', ...date, ...clock })),
  dateArb.map((date): PyValue => ({ t: 'date', ...date })),
  clockArb.map((clock): PyValue => ({ t: 'time', ...clock })),
  fc
    .record({
      days: fc.integer({ min: -999_999_999, max: 999_999_999 }),
      seconds: fc.integer({ min: 0, max: 86_399 }),
      microseconds: fc.integer({ min: 0, max: 999_999 }),
    })
    .map((td): PyValue => ({ t: 'timedelta', ...td })),
  tzArb,
  decimalArb.map((v): PyValue => ({ t: 'decimal', v })),
);

export const { value: pyValueArb } = fc.letrec<{ value: PyValue; hashable: PyValue }>((tie) => ({
  hashable: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('hashable'), { maxLength: 3 }).map((items): PyValue => ({ t: 'tuple', items })),
    fc
      .uniqueArray(tie('hashable'), { maxLength: 3, selector: (v) => hashKey(v) })
      .map((items): PyValue => ({ t: 'frozenset', items })),
  ),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { maxLength: 4 }).map((items): PyValue => ({ t: 'list', items })),
    fc.array(tie('value'), { maxLength: 4 }).map((items): PyValue => ({ t: 'tuple', items })),
    fc
      .uniqueArray(tie('hashable'), { maxLength: 4, selector: (v) => hashKey(v) })
      .map((items): PyValue => ({ t: 'set', items })),
    fc
      .tuple(
        fc.uniqueArray(fc.tuple(tie('hashable'), tie('value')), {
          maxLength: 4,
          selector: ([k]) => hashKey(k),
        }),
        fc.constantFrom(undefined, 'Storage' as const, 'OrderedDict' as const),
      )
      .map(([entries, cls]): PyValue => (cls ? { t: 'dict', entries, cls } : { t: 'dict', entries })),
  ),
}));
