import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

/**
 * The timestamptz parser gives exactly what pg's own parser (postgres-date) gives, for every shape
 * PostgreSQL prints: any offset, 0 to 6 fraction digits, years before 1000 and BC, infinities.
 */

// Taken before src/db/timestamps.ts replaces it in pg's registry.
const postgresDate = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => unknown;
const { parseTimestamptz } = await import('../src/db/timestamps.ts');

const pad = (value: number, width: number) => String(value).padStart(width, '0');

const printed = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 1, max: 999 })),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    micros: fc.integer({ min: 0, max: 999_999 }),
    offset: fc.constantFrom('+00', '+00', '+00', '-05', '+05:30', '+01', '-09:30:15'),
    bc: fc.boolean().map((bc) => (bc ? ' BC' : '')),
    bcOften: fc.integer({ min: 0, max: 9 }),
  })
  .map((t) => {
    // PostgreSQL drops trailing zeros of the fraction, and the fraction altogether when it is zero.
    const fraction = pad(t.micros, 6).replace(/0+$/, '');
    return `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)} ${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${fraction ? `.${fraction}` : ''}${t.offset}${t.bcOften === 0 ? t.bc : ''}`;
  });

const same = (text: string) => {
  const ours = parseTimestamptz(text);
  const theirs = postgresDate(text);
  if (theirs instanceof Date) {
    expect(ours).toBeInstanceOf(Date);
    expect((ours as Date).getTime(), text).toEqual(theirs.getTime());
  } else {
    expect(ours, text).toEqual(theirs);
  }
};

describe('timestamptz parsing', () => {
  it('should parse what PostgreSQL prints exactly as postgres-date does', () => {
    fc.assert(fc.property(printed, same), { numRuns: 20_000 });
  });

  it('should agree on the edges and on text that is not a timestamp', () => {
    for (const text of [
      'infinity',
      '-infinity',
      '2026-11-22 02:25:11+00',
      '2026-11-22 02:25:11.5+00',
      '2026-11-22 02:25:11.123456+00',
      '9999-12-31 23:59:59.999999+00',
      '1000-01-01 00:00:00+00',
      '0099-01-01 00:00:00+00',
      '2026-11-22 02:25:11.1234567+00',
      '2026-11-22T02:25:11+00',
      '2026-1x-22 02:25:11+00',
      '2026-11-22 02:25:11.+00',
      '2026-11-22 02:25:11+0000',
      '2026-02-30 00:00:00+00',
    ]) {
      same(text);
    }
  });
});
