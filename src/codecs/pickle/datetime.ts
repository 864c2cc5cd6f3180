/**
 * Python's datetime, date, time, timezone and timedelta as plain data: built from the arguments a pickle calls
 * their constructors with (pickled state bytes or integers), range-checked as Python checks them, printed as
 * `isoformat()` and `total_seconds()` for the JSON view, and parsed back from those when a value is edited.
 */
import { corrupt } from './limits.ts';
import { encodeText, maxCharCode, pad } from './text.ts';
import type { PyDate, PyDatetime, PyTime, PyTimedelta, PyTimezone, PyValue } from './values.ts';

const MICROS_PER_DAY = 86_400_000_000n;

export function timedeltaMicroseconds(value: PyTimedelta): number {
  return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds;
}

export function timedeltaFromArgs(args: PyValue[]): PyTimedelta | null {
  if (args.length > 3) return null;
  const parts: bigint[] = [];
  for (const arg of args) {
    if (arg.t === 'int') parts.push(arg.v);
    else if (arg.t === 'bool') parts.push(arg.v ? 1n : 0n);
    else return null;
  }
  const [days = 0n, seconds = 0n, micros = 0n] = parts;
  const total = days * MICROS_PER_DAY + seconds * 1_000_000n + micros;
  let outDays = total / MICROS_PER_DAY;
  let rest = total % MICROS_PER_DAY;
  if (rest < 0n) {
    outDays -= 1n;
    rest += MICROS_PER_DAY;
  }
  if (outDays > 999_999_999n || outDays < -999_999_999n) throw corrupt('timedelta out of range');
  return {
    t: 'timedelta',
    days: Number(outDays),
    seconds: Number(rest / 1_000_000n),
    microseconds: Number(rest % 1_000_000n),
  };
}

function stateBytes(value: PyValue | undefined): Uint8Array | null {
  if (!value) return null;
  if (value.t === 'bytes') return value.v;
  if (value.t === 'str' && maxCharCode(value.v) <= 0xff) return encodeText(value.v, 'latin1');
  return null;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function checkDate(year: number, month: number, day: number): void {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw corrupt('date out of range');
  }
}

function checkTime(hour: number, minute: number, second: number, microsecond: number): void {
  if (hour > 23 || minute > 59 || second > 59 || microsecond > 999_999) throw corrupt('time out of range');
}

function tzArg(value: PyValue | undefined): PyTimezone | null | undefined {
  if (!value || value.t === 'none') return null;
  if (value.t === 'timezone') return value;
  return undefined;
}

export function dateFromArgs(name: string, args: PyValue[]): PyValue | null {
  const state = stateBytes(args[0]);
  if (name === 'datetime.datetime') {
    if (state && state.length === 10 && (state[2]! & 0x7f) >= 1 && (state[2]! & 0x7f) <= 12) {
      if (args.length > 2) return null;
      const tz = tzArg(args[1]);
      if (tz === undefined) return null;
      const value: PyDatetime = {
        t: 'datetime',
        year: (state[0]! << 8) | state[1]!,
        month: state[2]! & 0x7f,
        day: state[3]!,
        hour: state[4]!,
        minute: state[5]!,
        second: state[6]!,
        microsecond: (state[7]! << 16) | (state[8]! << 8) | state[9]!,
        fold: state[2]! & 0x80 ? 1 : 0,
        tz,
      };
      checkDate(value.year, value.month, value.day);
      checkTime(value.hour, value.minute, value.second, value.microsecond);
      return value;
    }
    const ints = intArgs(args, 3, 7);
    if (!ints) return null;
    const [year, month, day, hour = 0, minute = 0, second = 0, microsecond = 0] = ints.values;
    checkDate(year!, month!, day!);
    checkTime(hour, minute, second, microsecond);
    return {
      t: 'datetime',
      year: year!,
      month: month!,
      day: day!,
      hour,
      minute,
      second,
      microsecond,
      fold: 0,
      tz: ints.tz,
    };
  }
  if (name === 'datetime.date') {
    if (state && state.length === 4 && state[2]! >= 1 && state[2]! <= 12 && args.length === 1) {
      const value: PyDate = {
        t: 'date',
        year: (state[0]! << 8) | state[1]!,
        month: state[2]!,
        day: state[3]!,
      };
      checkDate(value.year, value.month, value.day);
      return value;
    }
    const ints = intArgs(args, 3, 3);
    if (!ints || ints.tz) return null;
    const [year, month, day] = ints.values;
    checkDate(year!, month!, day!);
    return { t: 'date', year: year!, month: month!, day: day! };
  }
  if (state && state.length === 6 && (state[0]! & 0x7f) < 24) {
    if (args.length > 2) return null;
    const tz = tzArg(args[1]);
    if (tz === undefined) return null;
    const value: PyTime = {
      t: 'time',
      hour: state[0]! & 0x7f,
      minute: state[1]!,
      second: state[2]!,
      microsecond: (state[3]! << 16) | (state[4]! << 8) | state[5]!,
      fold: state[0]! & 0x80 ? 1 : 0,
      tz,
    };
    checkTime(value.hour, value.minute, value.second, value.microsecond);
    return value;
  }
  const ints = intArgs(args, 0, 4);
  if (!ints) return null;
  const [hour = 0, minute = 0, second = 0, microsecond = 0] = ints.values;
  checkTime(hour, minute, second, microsecond);
  return { t: 'time', hour, minute, second, microsecond, fold: 0, tz: ints.tz };
}

/** Positional integer arguments of a date/time constructor, optionally followed by a tzinfo. */
function intArgs(
  args: PyValue[],
  min: number,
  max: number,
): { values: number[]; tz: PyTimezone | null } | null {
  const values: number[] = [];
  let tz: PyTimezone | null = null;
  for (const [i, arg] of args.entries()) {
    if (
      arg.t === 'int' &&
      values.length === i &&
      arg.v >= 0n &&
      arg.v <= 10_000_000n &&
      values.length < max
    ) {
      values.push(Number(arg.v));
    } else if (i === args.length - 1 && (arg.t === 'timezone' || arg.t === 'none') && values.length >= min) {
      tz = arg.t === 'timezone' ? arg : null;
    } else {
      return null;
    }
  }
  return values.length >= min ? { values, tz } : null;
}

export function checkDateValue(year: number, month: number, day: number): void {
  if (
    !(year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))
  ) {
    throw new RangeError('date out of range');
  }
}

export function checkTimeValue(hour: number, minute: number, second: number, microsecond: number): void {
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
  if (!(ok(hour, 23) && ok(minute, 59) && ok(second, 59) && ok(microsecond, 999_999))) {
    throw new RangeError('time out of range');
  }
}

/** Python's `_format_offset`: ±HH:MM[:SS[.ffffff]]. */
function formatOffset(micros: number): string {
  const sign = micros < 0 ? '-' : '+';
  let rest = Math.abs(micros);
  const us = rest % 1_000_000;
  rest = (rest - us) / 1_000_000;
  const ss = rest % 60;
  const mm = ((rest - ss) / 60) % 60;
  const hh = Math.floor(rest / 3600);
  let text = `${sign}${pad(hh, 2)}:${pad(mm, 2)}`;
  if (ss || us) text += `:${pad(ss, 2)}`;
  if (us) text += `.${pad(us, 6)}`;
  return text;
}

function formatTime(value: PyTime | PyDatetime): string {
  let text = `${pad(value.hour, 2)}:${pad(value.minute, 2)}:${pad(value.second, 2)}`;
  if (value.microsecond) text += `.${pad(value.microsecond, 6)}`;
  if (value.tz) text += formatOffset(value.tz.offsetMicroseconds);
  return text;
}

function formatDate(value: PyDate | PyDatetime): string {
  return `${pad(value.year, 4)}-${pad(value.month, 2)}-${pad(value.day, 2)}`;
}

/** Python's `isoformat()` for datetime, date and time; `str()` for timezone. */
export function pyIsoFormat(value: PyDatetime | PyDate | PyTime | PyTimezone): string {
  switch (value.t) {
    case 'datetime':
      return `${formatDate(value)}T${formatTime(value)}`;
    case 'date':
      return formatDate(value);
    case 'time':
      return formatTime(value);
    case 'timezone':
      if (value.name !== undefined) return value.name;
      return value.offsetMicroseconds === 0 ? 'UTC' : `UTC${formatOffset(value.offsetMicroseconds)}`;
  }
}

/** `timedelta.total_seconds()`. */
export function timedeltaSeconds(value: PyTimedelta): number {
  const micros =
    BigInt(value.days) * MICROS_PER_DAY + BigInt(value.seconds) * 1_000_000n + BigInt(value.microseconds);
  // Parse the exact decimal, so the result is correctly rounded like Python's int / int division.
  const magnitude = (micros < 0n ? -micros : micros).toString().padStart(7, '0');
  return Number(`${micros < 0n ? '-' : ''}${magnitude.slice(0, -6)}.${magnitude.slice(-6)}`);
}

// Parsing JSON-view strings back into Python types (used to keep a value's type when it is edited)

const TIME_PART = '(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,6}))?)?';
const OFFSET_PART = '(Z|[+-]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{6})?)?)?';
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = new RegExp(`^${TIME_PART}${OFFSET_PART}$`);
const DATETIME_RE = new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})[T ]${TIME_PART}${OFFSET_PART}$`);

function parseOffset(text: string | undefined): PyTimezone | null | undefined {
  if (text === undefined) return null;
  if (text === 'Z') return { t: 'timezone', offsetMicroseconds: 0 };
  const match = /^([+-])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{6}))?)?$/.exec(text)!;
  const [, sign, hh, mm, ss = '0', us = '0'] = match;
  if (Number(mm) > 59 || Number(ss) > 59) return undefined;
  const micros = ((Number(hh) * 60 + Number(mm)) * 60 + Number(ss)) * 1_000_000 + Number(us);
  if (micros >= 86_400_000_000) return undefined;
  return { t: 'timezone', offsetMicroseconds: sign === '-' ? -micros : micros };
}

function validDate(year: number, month: number, day: number): boolean {
  return (
    year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
  );
}

function validTime(hour: number, minute: number, second: number): boolean {
  return hour <= 23 && minute <= 59 && second <= 59;
}

/**
 * Parse what `pyIsoFormat` prints (and Python's `fromisoformat` reads: `T` or space, fractions of 1-6
 * digits, `Z` or ±HH:MM[:SS[.ffffff]]) back into a datetime, date or time; null when it does not fit.
 */
export function parsePyIso(kind: 'datetime', text: string): PyDatetime | null;
export function parsePyIso(kind: 'date', text: string): PyDate | null;
export function parsePyIso(kind: 'time', text: string): PyTime | null;
export function parsePyIso(
  kind: 'datetime' | 'date' | 'time',
  text: string,
): PyDatetime | PyDate | PyTime | null {
  if (kind === 'date') {
    const match = DATE_RE.exec(text);
    if (!match) return null;
    const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
    return validDate(year, month, day) ? { t: 'date', year, month, day } : null;
  }
  const match = (kind === 'datetime' ? DATETIME_RE : TIME_RE).exec(text);
  if (!match) return null;
  const parts = match.slice(1);
  const dateParts = kind === 'datetime' ? parts.splice(0, 3).map(Number) : [];
  const [hh, mm, ss = '0', fraction = '', offset] = parts as [string, string, string?, string?, string?];
  const hour = Number(hh);
  const minute = Number(mm);
  const second = Number(ss);
  const microsecond = Number(fraction.padEnd(6, '0'));
  const tz = parseOffset(offset);
  if (tz === undefined || !validTime(hour, minute, second)) return null;
  if (kind === 'time') return { t: 'time', hour, minute, second, microsecond, fold: 0, tz };
  const [year, month, day] = dateParts as [number, number, number];
  if (!validDate(year, month, day)) return null;
  return { t: 'datetime', year, month, day, hour, minute, second, microsecond, fold: 0, tz };
}

/** A timedelta from `total_seconds()`, rounded to the microsecond; null when out of Python's range. */
export function timedeltaFromSeconds(seconds: number): PyTimedelta | null {
  if (!Number.isFinite(seconds)) return null;
  try {
    return timedeltaFromArgs([
      { t: 'int', v: 0n },
      { t: 'int', v: 0n },
      { t: 'int', v: BigInt(Math.round(seconds * 1_000_000)) },
    ]);
  } catch {
    return null;
  }
}
