/**
 * The values a pickle holds, as plain data (`PyValue`), and Python's equality between hashable ones (`hashKey`),
 * which dict keys and set items follow when the reader builds them.
 */
import { createHash } from 'node:crypto';
import { latin1 } from './text.ts';

/** `datetime.timezone(offset[, name])`. The offset is strictly between -24 h and +24 h. */
export interface PyTimezone {
  t: 'timezone';
  /** `utcoffset()` in microseconds. */
  offsetMicroseconds: number;
  /** Only when the pickle carried an explicit name (`timezone(offset, name)`). */
  name?: string;
}

export interface PyDatetime {
  t: 'datetime';
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  fold: 0 | 1;
  tz: PyTimezone | null;
}

export interface PyDate {
  t: 'date';
  year: number;
  month: number;
  day: number;
}

export interface PyTime {
  t: 'time';
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  fold: 0 | 1;
  tz: PyTimezone | null;
}

/** Normalised as Python does: `0 <= seconds < 86400`, `0 <= microseconds < 1e6`, `|days| <= 999999999`. */
export interface PyTimedelta {
  t: 'timedelta';
  days: number;
  seconds: number;
  microseconds: number;
}

export type PyValue =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string }
  /** `py2str`: a Python 2 `str` (bytes) that is not ASCII; the JSON view decodes it as UTF-8, else latin-1. */
  | { t: 'bytes'; v: Uint8Array; py2str?: boolean }
  | { t: 'list'; items: PyValue[] }
  | { t: 'tuple'; items: PyValue[] }
  | { t: 'set'; items: PyValue[] }
  | { t: 'frozenset'; items: PyValue[] }
  | { t: 'dict'; entries: [PyValue, PyValue][]; cls?: 'Storage' | 'OrderedDict' }
  | PyDatetime
  | PyDate
  | PyTime
  | PyTimedelta
  | PyTimezone
  | { t: 'decimal'; v: string };

/** Python's numeric equality: one key per exact rational value (`n:<integer>` or `n:<digits>e<exp>`). */
function numberKey(sign: string, digits: string, exponent: number): string {
  let coefficient = digits.replace(/^0+/, '');
  if (coefficient === '') return 'n:0';
  let exp = exponent;
  while (coefficient.endsWith('0')) {
    coefficient = coefficient.slice(0, -1);
    exp++;
  }
  if (exp >= 0 && exp <= 5000) return `n:${sign}${coefficient}${'0'.repeat(exp)}`;
  return `n:${sign}${coefficient}e${exp}`;
}

/** The exact value of a finite double as `[sign, digits, exponent]` (value = digits * 10^exponent). */
function exactDecimal(value: number): [string, string, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp = biased - 1075;
  if (biased === 0) exp = -1074;
  else mantissa |= 1n << 52n;
  if (exp >= 0) return [value < 0 ? '-' : '', (mantissa << BigInt(exp)).toString(), 0];
  // mantissa * 2^exp = mantissa * 5^-exp * 10^exp
  return [value < 0 ? '-' : '', (mantissa * 5n ** BigInt(-exp)).toString(), exp];
}

/** Floats that are not integers: their own text (cheap); a Decimal equal to one maps to the same key. */
function floatKey(value: number): string {
  if (Number.isInteger(value)) return `n:${BigInt(value)}`;
  if (!Number.isFinite(value)) return value > 0 ? 'n:inf' : 'n:-inf';
  return `f:${value}`;
}

function decimalKey(text: string): string | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) {
    if (/^[+-]?inf/i.test(text)) return text.startsWith('-') ? 'n:-inf' : 'n:inf';
    if (/^[+-]?snan/i.test(text)) return null; // Python: "Cannot hash a signaling NaN value"
    return `nan:${nanCount++}`;
  }
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  if (exponent.length > 12) return `d:${text}`;
  const key = numberKey(sign === '-' ? '-' : '', whole + fraction, Number(exponent) - fraction.length);
  const exact = /^n:(-?)(\d+)e(-\d+)$/.exec(key);
  if (!exact) return key;
  // A non-integer Decimal equals a float only when it is exactly that double's value.
  const [, keySign = '', digits = '', keyExponent = '0'] = exact;
  if (Number(keyExponent) < -1074 || BigInt(digits) % 5n ** BigInt(-Number(keyExponent)) !== 0n) return key;
  const asFloat = Number(`${keySign}${digits}e${keyExponent}`);
  if (!Number.isFinite(asFloat) || asFloat === 0) return key;
  return numberKey(...exactDecimal(asFloat)) === key ? floatKey(asFloat) : key;
}

function civilMicros(value: PyDatetime): bigint {
  const date = new Date(0);
  date.setUTCFullYear(value.year, value.month - 1, value.day);
  date.setUTCHours(value.hour, value.minute, value.second, 0);
  return BigInt(date.getTime()) * 1000n + BigInt(value.microsecond);
}

let nanCount = 0;

/** Keys longer than this are replaced by a digest, so that a key's cost never grows with what it stands for. */
const MAX_KEY_CHARS = 80;

/**
 * Keys already worked out, by value object. The memo shares one object wherever a pickle reuses a value, so a
 * long string, a big int or a tuple met a million times as a dict key or set item is keyed once, not once per
 * place (a few KB of pickle would otherwise copy one 64 KB string a million times).
 */
const keyCache = new WeakMap<PyValue, string | null>();

/**
 * `key` as is when short, else `#` and its SHA-256 (over its UTF-16 code units, so lone surrogates stay
 * distinct): a function of the key alone, so equal values still get equal keys. No short key starts with `#`.
 */
function compact(key: string): string {
  if (key.length <= MAX_KEY_CHARS) return key;
  return `#${createHash('sha256').update(key, 'utf16le').digest('base64')}`;
}

/** Kinds whose key is a constant (or null: unhashable). */
const FIXED_KEYS: ReadonlySet<PyValue['t']> = new Set(['none', 'bool', 'list', 'set', 'dict']);

/**
 * A key under which Python considers two hashable values equal: numbers by exact value across
 * bool/int/float/Decimal (1 == 1.0 == True == Decimal('1')), aware datetimes/times by UTC instant,
 * timezones by offset; NaN is only equal to itself (the same object). Null for an unhashable value (list,
 * set, dict). At most MAX_KEY_CHARS long: a tuple's key holds its items' short keys, never their text, so a
 * key costs its value's own items however deep the value nests or however often the memo repeats a part.
 */
export function hashKey(value: PyValue): string | null {
  // Keys that are short whatever the value are made each time; the others once per value object.
  if (value.t === 'str' ? value.v.length <= MAX_KEY_CHARS - 2 : FIXED_KEYS.has(value.t)) return rawKey(value);
  let key = keyCache.get(value);
  if (key === undefined) {
    const raw = rawKey(value);
    key = raw === null ? null : compact(raw);
    keyCache.set(value, key);
  }
  return key;
}

/** The key before compact: a tuple's holds its items' compacted keys. */
function rawKey(value: PyValue): string | null {
  switch (value.t) {
    case 'none':
      return 'N';
    case 'bool':
      return value.v ? 'n:1' : 'n:0';
    case 'list':
    case 'set':
    case 'dict':
      return null;
    case 'int':
      return `n:${value.v}`;
    case 'float':
      if (Number.isNaN(value.v)) return `nan:${nanCount++}`; // NaN != NaN: every NaN is its own key
      return floatKey(value.v);
    case 'decimal':
      return decimalKey(value.v);
    case 'str':
      return `s:${value.v}`;
    case 'bytes':
      return `b:${latin1(value.v)}`;
    case 'tuple':
    case 'frozenset': {
      const keys: string[] = [];
      for (const item of value.items) {
        const key = hashKey(item);
        if (key === null) return null;
        keys.push(key);
      }
      return value.t === 'tuple' ? `t:${JSON.stringify(keys)}` : `F:${JSON.stringify(keys.sort())}`;
    }
    case 'datetime':
      if (value.tz) return `dtz:${civilMicros(value) - BigInt(value.tz.offsetMicroseconds)}`;
      return `dt:${civilMicros(value)}`;
    case 'date':
      return `d:${value.year}-${value.month}-${value.day}`;
    case 'time': {
      const micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond;
      return value.tz ? `ttz:${micros - value.tz.offsetMicroseconds}` : `t:${micros}`;
    }
    case 'timedelta':
      return `td:${value.days}:${value.seconds}:${value.microseconds}`;
    case 'timezone':
      return `tz:${value.offsetMicroseconds}`;
  }
}

/** `[k0, v0, k1, v1, ...]`, faster than `entries.flat()`. */
export function flatEntries(entries: [PyValue, PyValue][]): PyValue[] {
  const out = new Array<PyValue>(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    out[2 * i] = entry[0];
    out[2 * i + 1] = entry[1];
  }
  return out;
}
