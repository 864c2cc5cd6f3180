import pg from 'pg';

/** pg's own parser (postgres-date), taken before ours replaces it. */
const general = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (
  text: string,
) => Date | number | null;

/**
 * `timestamptz` text as pg hands it to us, parsed the way pg's own parser (postgres-date) parses it, only
 * faster for the shape PostgreSQL prints when the connection's TimeZone is UTC (the usual server setting):
 * `2026-11-22 02:25:11.123456+00`. Pages of sessions parse several timestamps a row, and the
 * general parser's three regular expressions showed up in profiles. Any other shape (another offset,
 * years before 1000 or BC, infinity) goes to postgres-date, so the results are the same everywhere.
 */

const DIGIT_0 = 48;
/** 10 ** (6 - fraction digits), by digit count: a table, since `**` on a variable calls pow(). */
const FRACTION_SCALE = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];

/** The two-to-four-digit number at `start`, or -1 if any character is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index += 1) {
    const digit = text.charCodeAt(index) - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function fastUtc(text: string): Date | null {
  const length = text.length;
  // "YYYY-MM-DD HH:MM:SS+00" is 22 characters; with ".f" to ".ffffff", 24 to 29.
  if (length < 22 || length > 29 || length === 23) return null;
  if (
    text.charCodeAt(length - 3) !== 43 ||
    text.charCodeAt(length - 2) !== 48 ||
    text.charCodeAt(length - 1) !== 48
  ) {
    return null;
  }
  if (
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  ) {
    return null;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return null;
  let milliseconds = 0;
  if (length > 22) {
    if (text.charCodeAt(19) !== 46) return null;
    // Microseconds to milliseconds, truncated as Date.UTC truncates postgres-date's fractional value.
    const fraction = length - 23;
    const value = digits(text, 20, fraction);
    if (value < 0) return null;
    milliseconds = Math.floor((value * FRACTION_SCALE[fraction]!) / 1000);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
}

/**
 * The latest instant a JavaScript Date holds (8.64e15 ms, in year 275760) and the earliest PostgreSQL holds
 * (4714 BC). PostgreSQL also holds `infinity`, `-infinity` and years up to 294276. Stored rows may carry any of them
 * (a migration's `'infinity'` expiry, a corrupted row), and a Date that is not valid throws wherever it is
 * printed; so they are read as these two instants, which compare and print like any other time.
 */
export const LATEST_DATE = new Date(8.64e15);
export const EARLIEST_DATE = new Date(Date.UTC(-4713, 10, 24));

/** Whether a time is one of the two ends above: an infinity or a time JavaScript cannot hold. */
export const isUnboundedTime = (date: Date) =>
  date.getTime() === LATEST_DATE.getTime() || date.getTime() === EARLIEST_DATE.getTime();

/** SQL that clamps a timestamptz expression to what JavaScript holds, so keyset comparisons agree. */
export const clampedTime = (expr: string) =>
  `LEAST(GREATEST(${expr}, '4714-11-24 00:00:00+00 BC'::timestamptz), '275760-09-13 00:00:00+00'::timestamptz)`;

/** Always a valid Date (see LATEST_DATE); what postgres-date gives for every finite time within range. */
export function parseTimestamptz(text: string): Date {
  const parsed = fastUtc(text) ?? general(text);
  if (parsed instanceof Date) {
    if (!Number.isNaN(parsed.getTime())) return parsed;
    // Beyond Date's range: which end is in the text (PostgreSQL prints BC years with a suffix).
    return text.endsWith(' BC') ? new Date(EARLIEST_DATE) : new Date(LATEST_DATE);
  }
  if (parsed === Number.NEGATIVE_INFINITY) return new Date(EARLIEST_DATE);
  if (parsed === Number.POSITIVE_INFINITY) return new Date(LATEST_DATE);
  // postgres-date returns null only for text that is not a timestamp, which PostgreSQL never sends.
  return new Date(LATEST_DATE);
}

/**
 * A Date as timestamptz text PostgreSQL reads back exactly: `toISOString` for years 1-9999, and for the rest
 * (the clamped ends above) the year written out, with BC, which PostgreSQL reads and `toISOString`'s
 * `+275760-…` form is not.
 */
export function pgTimestampText(date: Date): string {
  const year = date.getUTCFullYear();
  if (year >= 1 && year <= 9999) return date.toISOString();
  const iso = date.toISOString();
  const rest = iso.slice(iso.indexOf('-', 1));
  return year > 0 ? `${year}${rest}` : `${1 - year}${rest.replace('Z', '+00')} BC`;
}
