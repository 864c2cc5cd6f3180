import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

/**
 * The timestamptz parser gives exactly what pg's own parser (postgres-date) gives, for every shape
 * PostgreSQL prints: any offset, 0 to 6 fraction digits, years before 1000 and BC, infinities.
 */

// Taken before src/db/timestamps.ts replaces it in pg's registry.
const postgresDate = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (text: string) => unknown;
const { EARLIEST_DATE, LATEST_DATE, parseTimestamptz, pgTimestampText } = await import(
  '../src/db/timestamps.ts'
);

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
  expect(ours).toBeInstanceOf(Date);
  if (theirs instanceof Date && !Number.isNaN(theirs.getTime())) {
    expect(ours.getTime(), text).toEqual(theirs.getTime());
  } else {
    // What postgres-date cannot give as a valid Date is read as one of the two ends, never thrown on later.
    expect([LATEST_DATE.getTime(), EARLIEST_DATE.getTime()], text).toContain(ours.getTime());
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

  it('should read infinities and times beyond JavaScript as the ends, which PostgreSQL reads back', async () => {
    expect(parseTimestamptz('infinity')).toEqual(LATEST_DATE);
    expect(parseTimestamptz('-infinity')).toEqual(EARLIEST_DATE);
    expect(parseTimestamptz('200000-01-01 00:00:00+00')).toEqual(new Date(Date.UTC(200_000, 0, 1)));
    expect(pgTimestampText(new Date(Date.UTC(200_000, 0, 1)))).toBe('200000-01-01T00:00:00.000Z');
    expect(parseTimestamptz('294276-12-31 23:59:59.999999+00')).toEqual(LATEST_DATE);
    expect(parseTimestamptz('4714-11-24 00:00:00+00 BC')).toEqual(EARLIEST_DATE);
    expect(pgTimestampText(LATEST_DATE)).toBe('275760-09-13T00:00:00.000Z');
    expect(pgTimestampText(EARLIEST_DATE)).toBe('4714-11-24T00:00:00.000+00 BC');
    expect(pgTimestampText(new Date('2026-11-22T02:25:11.123Z'))).toBe('2026-11-22T02:25:11.123Z');
    expect(LATEST_DATE.toISOString()).toBe('+275760-09-13T00:00:00.000Z');
  });
});
