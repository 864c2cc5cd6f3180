/**
 * A safe reader and writer for the subset of Python's pickle format that session stores use.
 *
 * Format: CPython `Lib/pickletools.py` (opcode table, protocols 0-5) and `Lib/pickle.py` (`_Unpickler`),
 * summarised in shared/FORMATS.md §8. The reader is a stack machine over the opcode table with a real
 * memo (PUT/BINPUT/LONG_BINPUT/MEMOIZE, GET/BINGET/LONG_BINGET). It never imports, builds or calls
 * anything: `GLOBAL`/`STACK_GLOBAL`/`INST` names are checked against a short allow-list of data types
 * (FORMATS §8.3) and every other name fails the whole read with `problem: 'unsafe'`. The allowed
 * constructors (`datetime`, `Decimal`, `set`, `web.utils.Storage`, ...) are interpreted as data here.
 *
 * Python 2 byte strings (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) are read the way Python 3's
 * `pickle.loads` reads them (its default `encoding='ASCII'`): ASCII becomes `str`. Non-ASCII ones, which
 * make Python 3 raise `UnicodeDecodeError`, become `{ t: 'bytes', py2str: true }` so they can still be shown.
 *
 * Limits (input size, MARK nesting, value depth, memo size, item count, integer digits) keep hostile input
 * bounded; a read never throws and never hangs. See pickle.spec.ts for the properties.
 */
import { type DecodeBudgets, jsonStringBytes, overBudget } from './budgets.ts';
import {
  type DecodeProblem,
  type Decoded,
  decoded,
  failure,
  type JsonObject,
  type JsonValue,
} from './result.ts';

// ---------------------------------------------------------------------------------------------------------
// Value model
// ---------------------------------------------------------------------------------------------------------

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

export interface PickleLimits {
  /** Largest input accepted, in bytes. Default 16 MiB. */
  maxBytes?: number;
  /** Deepest value nesting (and MARK nesting) accepted. Default 1000, about Python's recursion limit. */
  maxDepth?: number;
  /** Most memo entries. Default 100 000. */
  maxMemo?: number;
  /** Most decimal digits of an integer (binary LONGs: the equivalent byte length). Default 4300, as Python 3.11. */
  maxIntDigits?: number;
  /** Most values in the result counted as a tree (shared memo references counted each time), and most
   *  container insertions and stack entries while reading. Default 1 000 000. */
  maxItems?: number;
  /**
   * Largest JSON view (`pyToJson`), in UTF-8 bytes, counting a value shared through the memo at every place
   * it appears: a few KB of pickle that reuse one large string must not become gigabytes. Default 8 MiB.
   */
  maxOutputBytes?: number;
}

/** The pickle limits that the decode budgets (budgets.ts) set. */
export const pickleLimitsOf = (budgets: DecodeBudgets): PickleLimits => ({
  maxBytes: budgets.maxInputBytes,
  maxDepth: budgets.maxDepth,
  maxItems: budgets.maxValues,
  maxOutputBytes: budgets.maxOutputBytes,
});

/** What the reader saw besides the value; used by codecs to describe a row. */
export interface PickleInfo {
  /** The `PROTO` opcode's argument, or null for protocol 0/1 pickles, which have none. */
  proto: number | null;
  /** Count of Python 2 byte strings (`STRING`/`BINSTRING`/`SHORT_BINSTRING`) read. */
  py2Strings: number;
  /** Of those, how many were not ASCII (read as `{ t: 'bytes', py2str: true }`). */
  py2NonAscii: number;
}

const DEFAULT_LIMITS: Required<PickleLimits> = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 512,
  maxMemo: 100_000,
  maxIntDigits: 4300,
  maxItems: 1_000_000,
  maxOutputBytes: 8 * 1024 * 1024,
};

/** The limits as decode budgets, for the problems that name them. */
const budgetsOf = (limits: Required<PickleLimits>): DecodeBudgets => ({
  maxInputBytes: limits.maxBytes,
  maxOutputBytes: limits.maxOutputBytes,
  maxDepth: limits.maxDepth,
  maxValues: limits.maxItems,
});

// ---------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------

class PickleError extends Error {
  constructor(
    readonly problem: DecodeProblem,
    detail: string,
  ) {
    super(detail);
  }
}

const corrupt = (detail: string) => new PickleError('corrupt', detail);
const unsupported = (detail: string) => new PickleError('unsupported', detail);
const over = (which: keyof typeof overBudget, limits: Required<PickleLimits>) =>
  new PickleError('over-budget', overBudget[which](budgetsOf(limits)).detail);

/** A class or function named by GLOBAL/STACK_GLOBAL/INST; only ever lives on the stack and in the memo. */
interface GlobalRef {
  t: '$global';
  /** `module.name`, with Python 2 module names mapped to Python 3 (`copy_reg` → `copyreg`). */
  qualname: string;
}

type Item = PyValue | GlobalRef;

const MODULE_ALIASES: Record<string, string> = { copy_reg: 'copyreg', __builtin__: 'builtins' };

/** FORMATS §8.3: the only names a pickle may mention. Each is interpreted as data by `callGlobal`. */
const ALLOWED_GLOBALS = new Set([
  'web.utils.Storage',
  'copyreg._reconstructor',
  'copyreg.__newobj__',
  'builtins.dict',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytes',
  'builtins.bytearray',
  '_codecs.encode',
  'datetime.datetime',
  'datetime.date',
  'datetime.time',
  'datetime.timedelta',
  'datetime.timezone',
  'decimal.Decimal',
  'collections.OrderedDict',
]);

/** Allowed GlobalRefs, by `module name` as written; they are immutable, so one object each is shared. */
const GLOBAL_REFS = new Map<string, GlobalRef>();
for (const qualname of ALLOWED_GLOBALS) {
  const dot = qualname.lastIndexOf('.');
  const [module, name] = [qualname.slice(0, dot), qualname.slice(dot + 1)];
  const ref: GlobalRef = { t: '$global', qualname };
  GLOBAL_REFS.set(`${module} ${name}`, ref);
  for (const [alias, target] of Object.entries(MODULE_ALIASES)) {
    if (target === module) GLOBAL_REFS.set(`${alias} ${name}`, ref);
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

function isGlobal(item: Item): item is GlobalRef {
  return item.t === '$global';
}

/** Decode UTF-8 as CPython's `surrogatepass` handler does (BINUNICODE is written that way). */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let text = '';
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) break;
      text += String.fromCharCode(byte);
    }
    if (i === end) return text;
  }
  try {
    return utf8Decoder.decode(bytes.subarray(start, end));
  } catch {
    return decodeUtf8Surrogatepass(bytes, start, end);
  }
}

function decodeUtf8Surrogatepass(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let i = start;
  const cont = (k: number): number => {
    const b = bytes[i + k];
    if (b === undefined || i + k >= end || (b & 0xc0) !== 0x80) throw corrupt('invalid UTF-8 in a string');
    return b & 0x3f;
  };
  while (i < end) {
    const b0 = bytes[i]!;
    let cp: number;
    if (b0 < 0x80) {
      cp = b0;
      i += 1;
    } else if (b0 >= 0xc2 && b0 < 0xe0) {
      cp = ((b0 & 0x1f) << 6) | cont(1);
      i += 2;
    } else if (b0 >= 0xe0 && b0 < 0xf0) {
      cp = ((b0 & 0x0f) << 12) | (cont(1) << 6) | cont(2);
      if (cp < 0x800) throw corrupt('invalid UTF-8 in a string');
      i += 3;
    } else if (b0 >= 0xf0 && b0 < 0xf5) {
      cp = ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
      if (cp < 0x10000 || cp > 0x10ffff) throw corrupt('invalid UTF-8 in a string');
      i += 4;
    } else {
      throw corrupt('invalid UTF-8 in a string');
    }
    if (cp >= 0x10000) {
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      units.push(cp);
    }
  }
  return fromCharCodes(units);
}

function fromCharCodes(units: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < units.length; i += 8192) {
    text += String.fromCharCode(...Array.prototype.slice.call(units, i, i + 8192));
  }
  return text;
}

function latin1(bytes: Uint8Array): string {
  if (bytes.length <= 24) {
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function maxCharCode(text: string): number {
  let max = 0;
  for (let i = 0; i < text.length; i++) max = Math.max(max, text.charCodeAt(i));
  return max;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** `codecs.escape_decode`: the body of a protocol-0 `STRING` (a Python 2 `str` literal). */
function escapeDecode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const c = data[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    i++;
    if (i >= n) throw corrupt('STRING ends with a backslash');
    const e = data[i]!;
    switch (e) {
      case 0x0a: // backslash-newline: line continuation
        break;
      case 0x5c:
      case 0x27:
      case 0x22:
        out.push(e);
        break;
      case 0x61: // a
        out.push(7);
        break;
      case 0x62: // b
        out.push(8);
        break;
      case 0x66: // f
        out.push(12);
        break;
      case 0x6e: // n
        out.push(10);
        break;
      case 0x72: // r
        out.push(13);
        break;
      case 0x74: // t
        out.push(9);
        break;
      case 0x76: // v
        out.push(11);
        break;
      case 0x78: {
        // \xhh
        const hex = String.fromCharCode(data[i + 1] ?? 0, data[i + 2] ?? 0);
        if (i + 2 >= n || !/^[0-9a-fA-F]{2}$/.test(hex)) throw corrupt('invalid \\x escape in STRING');
        out.push(Number.parseInt(hex, 16));
        i += 2;
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) {
          let value = e - 0x30;
          for (let k = 0; k < 2 && i + 1 < n && data[i + 1]! >= 0x30 && data[i + 1]! <= 0x37; k++) {
            i++;
            value = value * 8 + (data[i]! - 0x30);
          }
          out.push(value & 0xff);
        } else {
          out.push(0x5c, e); // unknown escapes are kept as written
        }
    }
  }
  return Uint8Array.from(out);
}

/** `str(line, 'raw-unicode-escape')`: latin-1, plus `\uXXXX`/`\UXXXXXXXX` after an odd run of backslashes. */
function rawUnicodeEscapeDecode(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  let i = start;
  while (i < end) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      let j = i;
      while (j < end && bytes[j] !== 0x5c) j++;
      text += latin1(bytes.subarray(i, j));
      i = j;
      continue;
    }
    let j = i;
    while (j < end && bytes[j] === 0x5c) j++;
    const run = j - i;
    const next = bytes[j];
    if (run % 2 === 0 || j >= end || (next !== 0x75 && next !== 0x55)) {
      text += '\\'.repeat(run);
      i = j;
      continue;
    }
    text += '\\'.repeat(run - 1);
    const count = next === 0x75 ? 4 : 8;
    const hex = latin1(bytes.subarray(j + 1, Math.min(end, j + 1 + count)));
    if (hex.length !== count || !/^[0-9a-fA-F]+$/.test(hex)) throw corrupt('truncated \\u escape in UNICODE');
    const cp = Number.parseInt(hex, 16);
    if (cp > 0x10ffff) throw corrupt('\\U escape out of range in UNICODE');
    text += cp >= 0x10000 ? String.fromCodePoint(cp) : String.fromCharCode(cp);
    i = j + 1 + count;
  }
  return text;
}

/** Python's `int(text, base)` for base 0 (literal prefixes) or 10, limited to `maxDigits` digits. */
const PLAIN_INT_RE = /^-?(?:0|[1-9]\d{0,14})$/;
const DIGIT_RES: Record<string, RegExp> = {
  '': /^\d(?:_?\d)*$/,
  '0x': /^[0-9a-fA-F](?:_?[0-9a-fA-F])*$/,
  '0o': /^[0-7](?:_?[0-7])*$/,
  '0b': /^[01](?:_?[01])*$/,
};

function parsePyInt(text: string, base: 0 | 10, maxDigits: number): bigint {
  if (PLAIN_INT_RE.test(text)) return BigInt(text);
  const trimmed = text.trim();
  const match = /^([+-]?)(.*)$/s.exec(trimmed)!;
  const sign = match[1] === '-' ? -1n : 1n;
  let body = match[2]!;
  let prefix = '';
  if (base === 0 && /^0[xXoObB]/.test(body)) {
    prefix = `0${body[1]!.toLowerCase()}`;
    body = body.slice(2).replace(/^_/, '');
  }
  if (!DIGIT_RES[prefix]!.test(body)) throw corrupt('invalid integer literal');
  const digits = body.replace(/_/g, '');
  if (prefix === '' && base === 0 && /^0+[1-9]/.test(digits)) throw corrupt('invalid integer literal');
  const decimalDigits =
    prefix === '' ? digits.length : prefix === '0x' ? digits.length * 1.2 : digits.length * 0.4;
  if (decimalDigits > maxDigits) throw unsupported(`integer longer than ${maxDigits} digits`);
  return sign * BigInt(prefix + digits);
}

/** Python's `float(text)`. */
function parsePyFloat(text: string): number {
  const trimmed = text.trim();
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  const digits = '\\d(?:_?\\d)*';
  if (
    !new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`).test(
      trimmed,
    )
  ) {
    throw corrupt('invalid float literal');
  }
  return Number(trimmed.replace(/_/g, ''));
}

/** Little-endian two's complement (LONG1/LONG4) to bigint. */
function decodeLong(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

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

/**
 * A key under which Python considers two hashable values equal: numbers by exact value across
 * bool/int/float/Decimal (1 == 1.0 == True == Decimal('1')), aware datetimes/times by UTC instant,
 * timezones by offset; NaN is only equal to itself. Null for an unhashable value (list, set, dict).
 */
export function hashKey(value: PyValue): string | null {
  switch (value.t) {
    case 'none':
      return 'N';
    case 'bool':
      return value.v ? 'n:1' : 'n:0';
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
    case 'list':
    case 'set':
    case 'dict':
      return null;
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

function isEmptyState(value: Item | undefined): boolean {
  return !value || value.t === 'none' || (value.t === 'dict' && value.entries.length === 0);
}

/** `[k0, v0, k1, v1, ...]`, faster than `entries.flat()`. */
function flatEntries(entries: [PyValue, PyValue][]): PyValue[] {
  const out = new Array<PyValue>(entries.length * 2);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    out[2 * i] = entry[0];
    out[2 * i + 1] = entry[1];
  }
  return out;
}

function asItems(value: Item | undefined): PyValue[] | null {
  if (value && (value.t === 'list' || value.t === 'tuple' || value.t === 'set' || value.t === 'frozenset')) {
    return value.items;
  }
  return null;
}

class Reader {
  private pos = 0;
  private dataView: DataView | undefined;
  private readonly stack: Item[] = [];
  private readonly marks: number[] = [];
  private readonly memo: (Item | undefined)[] = [];
  private memoSize = 0;
  private inserted = 0;
  /** Per-dict and per-set index of hash keys, for Python's replace-on-duplicate semantics. */
  private readonly indexes = new Map<object, Map<string, number>>();
  readonly info: PickleInfo = { proto: null, py2Strings: 0, py2NonAscii: 0 };

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: Required<PickleLimits>,
  ) {}

  run(): PyValue {
    const { bytes } = this;
    const n = bytes.length;
    for (;;) {
      if (this.pos >= n) throw corrupt('truncated: the pickle ends before STOP');
      const op = bytes[this.pos++]!;
      switch (op) {
        case 0x2e: {
          // STOP
          const value = this.pop();
          if (isGlobal(value)) throw unsupported(`a bare reference to ${value.qualname}`);
          return value;
        }
        case 0x80: {
          // PROTO
          const proto = this.u8();
          if (proto > 5) throw unsupported(`pickle protocol ${proto}`);
          this.info.proto = proto;
          break;
        }
        case 0x95: {
          // FRAME: an 8-byte length; frames only matter to buffered readers
          const low = this.u32();
          const high = this.u32();
          if (high > 0 || low > n - this.pos) throw corrupt('truncated: FRAME longer than the data');
          break;
        }
        case 0x28: // MARK
          if (this.marks.length >= this.limits.maxDepth) throw over('depth', this.limits);
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.stack.length > this.base()) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push({ t: 'none' });
          break;
        case 0x88: // NEWTRUE
          this.push({ t: 'bool', v: true });
          break;
        case 0x89: // NEWFALSE
          this.push({ t: 'bool', v: false });
          break;
        case 0x49: {
          // INT: decimal line; protocol 0 writes booleans as I01 / I00
          const line = this.asciiLine();
          if (line === '00') this.push({ t: 'bool', v: false });
          else if (line === '01') this.push({ t: 'bool', v: true });
          else this.push({ t: 'int', v: parsePyInt(line, 0, this.limits.maxIntDigits) });
          break;
        }
        case 0x4c: {
          // LONG: decimal line with an optional trailing L
          const line = this.asciiLine();
          const body = line.endsWith('L') ? line.slice(0, -1) : line;
          this.push({ t: 'int', v: parsePyInt(body, 0, this.limits.maxIntDigits) });
          break;
        }
        case 0x4a: // BININT
          this.need(4);
          this.push({ t: 'int', v: BigInt(this.view().getInt32(this.pos, true)) });
          this.pos += 4;
          break;
        case 0x4b: // BININT1
          this.push({ t: 'int', v: BigInt(this.u8()) });
          break;
        case 0x4d: // BININT2
          this.push({ t: 'int', v: BigInt(this.u8() | (this.u8() << 8)) });
          break;
        case 0x8a: // LONG1
          this.push({ t: 'int', v: decodeLong(this.take(this.longLength(this.u8()))) });
          break;
        case 0x8b: {
          // LONG4
          const length = this.i32();
          if (length < 0) throw corrupt('LONG4 with a negative length');
          this.push({ t: 'int', v: decodeLong(this.take(this.longLength(length))) });
          break;
        }
        case 0x46: // FLOAT
          this.push({ t: 'float', v: parsePyFloat(this.asciiLine()) });
          break;
        case 0x47: // BINFLOAT: big-endian IEEE 754 double
          this.need(8);
          this.push({ t: 'float', v: this.view().getFloat64(this.pos, false) });
          this.pos += 8;
          break;
        case 0x53: {
          // STRING: a quoted Python 2 str literal
          const [start, end] = this.line();
          const quote = bytes[start];
          if (end - start < 2 || (quote !== 0x27 && quote !== 0x22) || bytes[end - 1] !== quote) {
            throw corrupt('STRING argument is not quoted');
          }
          this.pushPy2String(escapeDecode(bytes.subarray(start + 1, end - 1)));
          break;
        }
        case 0x54: {
          // BINSTRING
          const length = this.i32();
          if (length < 0) throw corrupt('BINSTRING with a negative length');
          this.pushPy2String(this.take(length).slice());
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.pushPy2String(this.take(this.u8()).slice());
          break;
        case 0x56: {
          // UNICODE: raw-unicode-escape line
          const [start, end] = this.line();
          this.push({ t: 'str', v: rawUnicodeEscapeDecode(bytes, start, end) });
          break;
        }
        case 0x58: // BINUNICODE
          this.pushUtf8(this.u32());
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.pushUtf8(this.u8());
          break;
        case 0x8d: // BINUNICODE8
          this.pushUtf8(this.u64());
          break;
        case 0x42: // BINBYTES
          this.push({ t: 'bytes', v: this.take(this.u32()).slice() });
          break;
        case 0x43: // SHORT_BINBYTES
          this.push({ t: 'bytes', v: this.take(this.u8()).slice() });
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8 (read as bytes)
          this.push({ t: 'bytes', v: this.take(this.u64()).slice() });
          break;
        case 0x7d: // EMPTY_DICT
          this.push({ t: 'dict', entries: [] });
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          const dict: PyValue = { t: 'dict', entries: [] };
          this.setItems(dict, items);
          this.push(dict);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.push({ t: 'list', items: [] });
          break;
        case 0x6c: // LIST
          this.push({ t: 'list', items: this.values(this.popMark()) });
          break;
        case 0x61: {
          // APPEND
          const value = this.pop();
          this.append(this.top(), [value]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x29: // EMPTY_TUPLE
          this.push({ t: 'tuple', items: [] });
          break;
        case 0x74: // TUPLE (may hold classes while they are arguments; checkTree refuses them in the result)
          this.push({ t: 'tuple', items: this.tupleItems(this.popMark()) });
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const count = op - 0x84;
          if (this.stack.length - this.base() < count) throw corrupt('stack underflow');
          this.push({ t: 'tuple', items: this.tupleItems(this.stack.splice(this.stack.length - count)) });
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push({ t: 'set', items: [] });
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const target = this.top();
          if (target.t !== 'set') throw corrupt('ADDITEMS on something other than a set');
          this.addToSet(target, this.values(items));
          break;
        }
        case 0x91: {
          // FROZENSET
          const frozen: PyValue = { t: 'frozenset', items: [] };
          this.addToSet(frozen, this.values(this.popMark()));
          this.push(frozen);
          break;
        }
        case 0x70: // PUT
          this.put(this.memoIndex(this.asciiLine()));
          break;
        case 0x71: // BINPUT
          this.put(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.put(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.put(this.memoSize);
          break;
        case 0x67: // GET
          this.get(this.memoIndex(this.asciiLine()));
          break;
        case 0x68: // BINGET
          this.get(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.get(this.u32());
          break;
        case 0x63: {
          // GLOBAL
          const module = this.utf8Line();
          const name = this.utf8Line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (module.t !== 'str' || name.t !== 'str') throw corrupt('STACK_GLOBAL requires two str');
          this.push(this.global(module.v, name.v));
          break;
        }
        case 0x69: {
          // INST: module and name lines, arguments since MARK
          const module = this.utf8Line();
          const name = this.utf8Line();
          const callable = this.global(module, name);
          this.push(this.call(callable, this.popMark()));
          break;
        }
        case 0x6f: {
          // OBJ: class and arguments since MARK
          const [callable, ...args] = this.popMark();
          if (!callable || !isGlobal(callable)) throw corrupt('OBJ without a class');
          this.push(this.call(callable, args));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = asItems(this.pop());
          const callable = this.pop();
          if (!args || !isGlobal(callable)) throw corrupt('REDUCE without a callable and an argument tuple');
          this.push(this.call(callable, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = asItems(this.pop());
          const cls = this.pop();
          if (!args || !isGlobal(cls)) throw corrupt('NEWOBJ without a class and an argument tuple');
          this.push(this.newObject(cls, args));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = asItems(this.pop());
          const cls = this.pop();
          if (!args || !isGlobal(cls) || kwargs.t !== 'dict') throw corrupt('malformed NEWOBJ_EX');
          if (kwargs.entries.length > 0) throw unsupported(`${cls.qualname} built with keyword arguments`);
          this.push(this.newObject(cls, args));
          break;
        }
        case 0x62: {
          // BUILD: only a no-op state is accepted (a dict subclass without instance attributes)
          const state = this.pop();
          const target = this.top();
          if (target.t !== 'dict') throw corrupt('BUILD on a value that has no state');
          const emptyPair =
            state.t === 'tuple' && state.items.length === 2 && state.items.every(isEmptyState);
          if (!isEmptyState(state) && !emptyPair)
            throw unsupported('a dict subclass with instance attributes');
          break;
        }
        case 0x50: // PERSID
        case 0x51: // BINPERSID
          throw new PickleError('unsafe', 'unsafe pickle: persistent id');
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          throw new PickleError('unsafe', 'unsafe pickle: extension registry code');
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          throw unsupported('out-of-band buffers');
        default:
          throw corrupt(`invalid opcode 0x${op.toString(16).padStart(2, '0')} at offset ${this.pos - 1}`);
      }
    }
  }

  // --- input -------------------------------------------------------------------------------------------

  private need(count: number): void {
    if (count > this.bytes.length - this.pos) throw corrupt('truncated: an argument runs past the end');
  }

  private view(): DataView {
    this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.dataView;
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u32(): number {
    this.need(4);
    const value = this.view().getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  private i32(): number {
    this.need(4);
    const value = this.view().getInt32(this.pos, true);
    this.pos += 4;
    return value;
  }

  private u64(): number {
    const low = this.u32();
    const high = this.u32();
    if (high > 0) throw corrupt('truncated: an 8-byte length runs past the end');
    return low;
  }

  private take(length: number): Uint8Array {
    this.need(length);
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  private line(): [number, number] {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0) throw corrupt('truncated: a line argument has no newline');
    this.pos = end + 1;
    return [start, end];
  }

  private asciiLine(): string {
    const [start, end] = this.line();
    let text = '';
    for (let i = start; i < end; i++) {
      const byte = this.bytes[i]!;
      if (byte >= 0x80) throw corrupt('non-ASCII in a numeric argument');
      text += String.fromCharCode(byte);
    }
    return text;
  }

  private utf8Line(): string {
    const [start, end] = this.line();
    return decodeUtf8(this.bytes, start, end);
  }

  private longLength(length: number): number {
    if (length * 2.41 > this.limits.maxIntDigits) {
      throw unsupported(`integer longer than ${this.limits.maxIntDigits} digits`);
    }
    return length;
  }

  private memoIndex(line: string): number {
    if (PLAIN_INT_RE.test(line) && line[0] !== '-') return Number(line);
    const index = parsePyInt(line, 10, 20);
    if (index < 0n) throw corrupt('negative memo index');
    if (index > BigInt(Number.MAX_SAFE_INTEGER)) throw unsupported('memo index too large');
    return Number(index);
  }

  // --- stack -------------------------------------------------------------------------------------------

  private base(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
  }

  private push(item: Item): void {
    if (this.stack.length >= this.limits.maxItems) throw over('values', this.limits);
    this.stack.push(item);
  }

  private pop(): Item {
    if (this.stack.length <= this.base()) throw corrupt('stack underflow');
    return this.stack.pop()!;
  }

  private top(): Item {
    if (this.stack.length <= this.base()) throw corrupt('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): Item[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw corrupt('no MARK on the stack');
    return this.stack.splice(mark);
  }

  private put(index: number): void {
    if (this.memo[index] === undefined) {
      if (this.memoSize >= this.limits.maxMemo)
        throw unsupported(`more than ${this.limits.maxMemo} memo entries`);
      this.memoSize++;
    }
    this.memo[index] = this.top();
  }

  private get(index: number): void {
    const item = this.memo[index];
    if (item === undefined) throw corrupt(`memo entry ${index} is missing`);
    this.push(item);
  }

  private count(added: number): void {
    this.inserted += added;
    if (this.inserted > this.limits.maxItems) throw over('values', this.limits);
  }

  // --- values ------------------------------------------------------------------------------------------

  private values(items: Item[]): PyValue[] {
    for (const item of items) {
      if (isGlobal(item)) throw unsupported(`a bare reference to ${item.qualname}`);
    }
    this.count(items.length);
    return items as PyValue[];
  }

  private tupleItems(items: Item[]): PyValue[] {
    this.count(items.length);
    return items as PyValue[];
  }

  private pushPy2String(raw: Uint8Array): void {
    this.info.py2Strings++;
    if (isAscii(raw)) {
      this.push({ t: 'str', v: latin1(raw) });
    } else {
      this.info.py2NonAscii++;
      this.push({ t: 'bytes', v: raw, py2str: true });
    }
  }

  private pushUtf8(length: number): void {
    this.need(length);
    const start = this.pos;
    this.pos += length;
    this.push({ t: 'str', v: decodeUtf8(this.bytes, start, start + length) });
  }

  private setItems(target: Item, items: Item[]): void {
    if (target.t !== 'dict') throw corrupt('SETITEM on something other than a dict');
    if (items.length % 2 !== 0) throw corrupt('SETITEMS with an odd number of items');
    const values = this.values(items);
    let index = this.indexes.get(target);
    if (!index) {
      index = new Map();
      for (let i = 0; i < target.entries.length; i++) index.set(hashKey(target.entries[i]![0])!, i);
      this.indexes.set(target, index);
    }
    for (let i = 0; i < values.length; i += 2) {
      const key = values[i]!;
      const value = values[i + 1]!;
      const hash = hashKey(key);
      if (hash === null) throw corrupt(`unhashable dict key of type ${key.t}`);
      const existing = index.get(hash);
      if (existing === undefined) {
        index.set(hash, target.entries.length);
        target.entries.push([key, value]);
      } else {
        target.entries[existing]![1] = value;
      }
    }
  }

  private append(target: Item, items: Item[]): void {
    if (target.t !== 'list') throw corrupt('APPEND on something other than a list');
    const values = this.values(items);
    for (const value of values) target.items.push(value);
  }

  private addToSet(target: { t: 'set' | 'frozenset'; items: PyValue[] }, values: PyValue[]): void {
    let index = this.indexes.get(target);
    if (!index) {
      index = new Map();
      for (let i = 0; i < target.items.length; i++) index.set(hashKey(target.items[i]!)!, i);
      this.indexes.set(target, index);
    }
    for (const value of values) {
      const hash = hashKey(value);
      if (hash === null) throw corrupt(`unhashable set item of type ${value.t}`);
      if (!index.has(hash)) {
        index.set(hash, target.items.length);
        target.items.push(value);
      }
    }
  }

  private global(module: string, name: string): GlobalRef {
    const cached = GLOBAL_REFS.get(`${module} ${name}`);
    if (cached) return cached;
    const qualname = `${MODULE_ALIASES[module] ?? module}.${name}`;
    if (!ALLOWED_GLOBALS.has(qualname))
      throw new PickleError('unsafe', `unsafe pickle: ${printable(qualname)}`);
    return { t: '$global', qualname };
  }

  /** `cls.__new__(cls, *args)` for NEWOBJ and `copyreg.__newobj__`. */
  private newObject(cls: GlobalRef, args: Item[]): PyValue {
    switch (cls.qualname) {
      case 'web.utils.Storage':
      case 'collections.OrderedDict':
      case 'builtins.dict':
      case 'builtins.set':
      case 'builtins.frozenset':
        // dict.__new__ / set.__new__ ignore their arguments; the items follow as SETITEMS / are the REDUCE form
        if (cls.qualname === 'builtins.frozenset') return this.call(cls, args);
        return this.call(cls, []);
      default:
        throw unsupported(`${cls.qualname} built with NEWOBJ`);
    }
  }

  /** Interpret a call of an allow-listed callable as data. */
  private call(callable: Item, rawArgs: Item[]): PyValue {
    if (!isGlobal(callable)) throw corrupt('call of a value that is not callable');
    const name = callable.qualname;
    if (name === 'copyreg.__newobj__') {
      const [cls, ...rest] = rawArgs;
      if (!cls || !isGlobal(cls)) throw corrupt('copyreg.__newobj__ without a class');
      return this.newObject(cls, rest);
    }
    if (name === 'copyreg._reconstructor') {
      // Python 2 protocol 0/1 form of a dict subclass: _reconstructor(cls, dict, state)
      const [cls, base, state] = rawArgs;
      if (rawArgs.length !== 3 || !cls || !isGlobal(cls) || !base || !isGlobal(base)) {
        throw corrupt('malformed copyreg._reconstructor call');
      }
      if (base.qualname !== 'builtins.dict' || cls.qualname !== 'web.utils.Storage') {
        throw unsupported(`copyreg._reconstructor of ${cls.qualname} on ${base.qualname}`);
      }
      const dict: PyValue = { t: 'dict', entries: [], cls: 'Storage' };
      if (state && state.t === 'dict') this.setItems(dict, flatEntries(state.entries));
      else if (state?.t !== 'none') throw unsupported('copyreg._reconstructor with a non-dict state');
      return dict;
    }
    const args = this.values(rawArgs);
    switch (name) {
      case '_codecs.encode': {
        const [text, encoding] = args;
        if (args.length > 2 || text?.t !== 'str' || (encoding && encoding.t !== 'str')) return badCall(name);
        return { t: 'bytes', v: encodeText(text.v, encoding?.t === 'str' ? encoding.v : 'utf-8') };
      }
      case 'builtins.bytes':
      case 'builtins.bytearray': {
        const [first, encoding] = args;
        if (!first) return { t: 'bytes', v: new Uint8Array(0) };
        if (first.t === 'bytes' && args.length === 1) return { t: 'bytes', v: first.v };
        if (first.t === 'str' && encoding?.t === 'str' && args.length === 2) {
          return { t: 'bytes', v: encodeText(first.v, encoding.v) };
        }
        return badCall(name);
      }
      case 'builtins.set':
      case 'builtins.frozenset': {
        const set = { t: name === 'builtins.set' ? ('set' as const) : ('frozenset' as const), items: [] };
        if (args.length > 1) return badCall(name);
        if (args.length === 1) {
          const items = asItems(args[0]);
          if (items) this.addToSet(set, items);
          else if (args[0]!.t === 'dict')
            this.addToSet(
              set,
              args[0]!.entries.map(([key]) => key),
            );
          else return badCall(name);
        }
        return set;
      }
      case 'builtins.dict':
      case 'web.utils.Storage':
      case 'collections.OrderedDict': {
        const dict: PyValue = { t: 'dict', entries: [] };
        if (name === 'web.utils.Storage') dict.cls = 'Storage';
        if (name === 'collections.OrderedDict') dict.cls = 'OrderedDict';
        if (args.length > 1) return badCall(name);
        const source = args[0];
        if (source?.t === 'dict') {
          this.setItems(dict, flatEntries(source.entries));
        } else if (source) {
          const pairs = asItems(source);
          if (!pairs) return badCall(name);
          for (const pair of pairs) {
            const kv = asItems(pair);
            if (kv?.length !== 2) return badCall(name);
            this.setItems(dict, kv);
          }
        }
        return dict;
      }
      case 'decimal.Decimal': {
        const [value] = args;
        if (args.length > 1) return badCall(name);
        if (!value) return { t: 'decimal', v: '0' };
        if (value.t === 'int') return { t: 'decimal', v: value.v.toString() };
        if (value.t !== 'str') return badCall(name);
        const text = value.v.trim().replace(/_/g, '');
        if (!DECIMAL_RE.test(text)) throw corrupt('invalid Decimal literal');
        return { t: 'decimal', v: text };
      }
      case 'datetime.timedelta':
        return timedeltaFromArgs(args) ?? badCall(name);
      case 'datetime.timezone': {
        const [offset, tzName] = args;
        if (offset?.t !== 'timedelta' || args.length > 2 || (tzName && tzName.t !== 'str'))
          return badCall(name);
        const micro = timedeltaMicroseconds(offset);
        if (Math.abs(micro) >= 86_400_000_000) throw corrupt('timezone offset of 24 hours or more');
        const tz: PyTimezone = { t: 'timezone', offsetMicroseconds: micro };
        if (tzName?.t === 'str') tz.name = tzName.v;
        return tz;
      }
      case 'datetime.datetime':
      case 'datetime.date':
      case 'datetime.time':
        return dateFromArgs(name, args) ?? badCall(name);
      default:
        throw new PickleError('unsafe', `unsafe pickle: ${name}`);
    }
  }
}

function badCall(name: string): never {
  throw unsupported(`${name} called with unexpected arguments`);
}

const DECIMAL_RE = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|s?nan\d*)$/i;

function encodeText(text: string, encoding: string): Uint8Array {
  const normalized = encoding.toLowerCase().replace(/[-_ ]/g, '');
  if (['latin1', 'iso88591', 'l1', '8859', 'cp819'].includes(normalized)) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) throw corrupt('latin-1 encoding of a character above U+00FF');
      out[i] = code;
    }
    return out;
  }
  if (normalized === 'utf8') return encodeUtf8(text);
  if (normalized === 'ascii' && maxCharCode(text) < 0x80) return encodeUtf8(text);
  throw unsupported(`text encoding ${printable(encoding)}`);
}

const MICROS_PER_DAY = 86_400_000_000n;

function timedeltaMicroseconds(value: PyTimedelta): number {
  return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds;
}

function timedeltaFromArgs(args: PyValue[]): PyTimedelta | null {
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

function dateFromArgs(name: string, args: PyValue[]): PyValue | null {
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

interface TreeStats {
  size: number;
  height: number;
  /** UTF-8 bytes of the subtree's JSON view (about: dict keys count as the strings they print as). */
  bytes: number;
}

function children(value: PyValue): PyValue[] | null {
  const item = value as Item;
  if (isGlobal(item)) throw unsupported(`a bare reference to ${item.qualname}`);
  switch (item.t) {
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
      return item.items;
    case 'dict':
      return flatEntries(item.entries);
    default:
      return null;
  }
}

/** Bytes of a leaf's JSON view (see `toJson`); no value here is a container. */
function leafJsonBytes(value: PyValue): number {
  switch (value.t) {
    case 'none':
      return 4;
    case 'bool':
      return value.v ? 4 : 5;
    case 'int':
      // A safe integer prints as a number; a larger one as its quoted digits.
      return value.v.toString().length + 2;
    case 'float':
      return Number.isFinite(value.v) ? String(value.v).length : 11;
    case 'str':
      return jsonStringBytes(value.v);
    case 'bytes':
      if (value.py2str) return jsonStringBytes(py2Text(value.v));
      try {
        return jsonStringBytes(utf8Decoder.decode(value.v));
      } catch {
        return Math.ceil(value.v.length / 3) * 4 + 2;
      }
    case 'decimal':
      return jsonStringBytes(value.v);
    case 'timedelta':
      return String(timedeltaSeconds(value)).length;
    case 'datetime':
    case 'date':
    case 'time':
    case 'timezone':
      return jsonStringBytes(pyIsoFormat(value));
    default:
      return 4;
  }
}

/** Strings and bytes this long are measured once per object, however often the memo reuses them. */
const MEASURE_ONCE = 64;

/**
 * Reject cycles, and bound depth, tree size and the JSON view's size, counting shared memo references each
 * time. Iterative: a subtree met again adds its recorded size without being walked again, so the walk is
 * linear in the distinct values however often they are shared.
 */
function checkTree(root: PyValue, limits: Required<PickleLimits>): void {
  const done = new Map<object, TreeStats>();
  const measured = new Map<object, number>();
  const onPath = new Set<object>();
  interface Frame {
    node: PyValue;
    kids: PyValue[];
    next: number;
    size: number;
    height: number;
    bytes: number;
  }
  const rootKids = children(root);
  if (!rootKids) {
    if (leafJsonBytes(root) > limits.maxOutputBytes) throw over('output', limits);
    return;
  }
  // Bytes of the whole view so far, checked as it grows (a frame's own count is only its subtree's).
  let total = 2;
  const grow = (bytes: number) => {
    total += bytes;
    if (total > limits.maxOutputBytes) throw over('output', limits);
  };
  const leafBytes = (leaf: PyValue): number => {
    const long = (leaf.t === 'str' || leaf.t === 'bytes') && leaf.v.length >= MEASURE_ONCE;
    if (!long) return leafJsonBytes(leaf);
    let bytes = measured.get(leaf);
    if (bytes === undefined) {
      bytes = leafJsonBytes(leaf);
      measured.set(leaf, bytes);
    }
    return bytes;
  };
  const frames: Frame[] = [{ node: root, kids: rootKids, next: 0, size: 1, height: 1, bytes: 2 }];
  onPath.add(root);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame.next < frame.kids.length) {
      const kid = frame.kids[frame.next++]!;
      const kidKids = children(kid);
      if (!kidKids) {
        const bytes = leafBytes(kid) + 1;
        frame.size += 1;
        frame.height = Math.max(frame.height, 2);
        frame.bytes += bytes;
        grow(bytes);
      } else {
        const stats = done.get(kid);
        if (stats) {
          frame.size += stats.size;
          frame.height = Math.max(frame.height, stats.height + 1);
          frame.bytes += stats.bytes + 1;
          grow(stats.bytes + 1);
        } else {
          if (onPath.has(kid)) throw unsupported('a recursive structure (a container that contains itself)');
          if (frames.length >= limits.maxDepth) throw over('depth', limits);
          onPath.add(kid);
          grow(3);
          frames.push({ node: kid, kids: kidKids, next: 0, size: 1, height: 1, bytes: 2 });
        }
      }
      if (frame.size > limits.maxItems) throw over('values', limits);
      continue;
    }
    frames.pop();
    onPath.delete(frame.node);
    done.set(frame.node, { size: frame.size, height: frame.height, bytes: frame.bytes });
    const parent = frames[frames.length - 1];
    if (parent) {
      parent.size += frame.size;
      parent.height = Math.max(parent.height, frame.height + 1);
      parent.bytes += frame.bytes + 1;
      if (parent.size > limits.maxItems) throw over('values', limits);
    }
  }
}

/**
 * Read a pickle (protocols 0-5) into a `PyValue` tree. Never throws; never executes or imports anything.
 * Shared references (the memo) come back as shared JS objects; recursive structures are refused.
 */
export function readPickle(bytes: Uint8Array, limits?: PickleLimits): Decoded<PyValue> {
  const result = readPickleWithInfo(bytes, limits);
  return result.ok ? decoded(result.value.value) : result;
}

/** `readPickle`, plus what the reader noticed (protocol, Python 2 strings). */
export function readPickleWithInfo(
  bytes: Uint8Array,
  limits?: PickleLimits,
): Decoded<{ value: PyValue; info: PickleInfo }> {
  const effective = { ...DEFAULT_LIMITS, ...limits };
  if (bytes.length > effective.maxBytes) return overBudget.input(budgetsOf(effective));
  try {
    const reader = new Reader(bytes, effective);
    const value = reader.run();
    checkTree(value, effective);
    return decoded({ value, info: reader.info });
  } catch (error) {
    if (error instanceof PickleError) return failure(error.problem, error.message);
    if (error instanceof RangeError) return overBudget.values(budgetsOf(effective));
    return failure('corrupt', 'unreadable pickle');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writer (protocol 2, FORMATS §2.5)
// ---------------------------------------------------------------------------------------------------------

function encodeUtf8(text: string): Uint8Array {
  if (!/[\ud800-\udfff]/.test(text)) return utf8Encoder.encode(text);
  // surrogatepass: lone surrogates are written as 3-byte sequences, as CPython does for pickles
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else
      out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

const utf8Encoder = new TextEncoder();

class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(values: Uint8Array): void {
    this.reserve(values.length);
    this.buffer.set(values, this.length);
    this.length += values.length;
  }

  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buffer[this.length++] = text.charCodeAt(i);
  }

  u16(value: number): void {
    this.byte(value & 0xff);
    this.byte((value >>> 8) & 0xff);
  }

  u32(value: number): void {
    this.reserve(4);
    new DataView(this.buffer.buffer).setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    new DataView(this.buffer.buffer).setFloat64(this.length, value, false);
    this.length += 8;
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function encodeLong(value: bigint): Uint8Array {
  // Python's encode_long: minimal little-endian two's complement
  const magnitude = value < 0n ? -value : value;
  const bitLength = magnitude.toString(2).length;
  let length = (bitLength >> 3) + 1;
  const unsigned = value < 0n ? (1n << BigInt(length * 8)) + value : value;
  const out = new Uint8Array(length);
  let rest = unsigned;
  for (let i = 0; i < length; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (value < 0n && length > 1 && out[length - 1] === 0xff && (out[length - 2]! & 0x80) !== 0) length--;
  return out.subarray(0, length);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

class PickleWriter {
  readonly out = new ByteWriter();

  global(module: string, name: string): void {
    this.out.byte(0x63); // GLOBAL
    this.out.ascii(`${module}\n${name}\n`);
  }

  int(value: bigint): void {
    const { out } = this;
    if (value >= 0n && value < 256n) {
      out.byte(0x4b); // BININT1
      out.byte(Number(value));
    } else if (value >= 0n && value < 65_536n) {
      out.byte(0x4d); // BININT2
      out.u16(Number(value));
    } else if (value >= -2_147_483_648n && value < 2_147_483_648n) {
      out.byte(0x4a); // BININT
      out.u32(Number(value));
    } else {
      const encoded = encodeLong(value);
      if (encoded.length < 256) {
        out.byte(0x8a); // LONG1
        out.byte(encoded.length);
      } else {
        out.byte(0x8b); // LONG4
        out.u32(encoded.length);
      }
      out.bytes(encoded);
    }
  }

  str(text: string): void {
    const { out } = this;
    if (maxCharCode(text) < 0x80) {
      // ASCII: SHORT_BINSTRING / BINSTRING, a str in Python 2 and (ASCII-decoded) in Python 3
      if (text.length < 256) {
        out.byte(0x55);
        out.byte(text.length);
      } else {
        out.byte(0x54);
        out.u32(text.length);
      }
      out.ascii(text);
      return;
    }
    const encoded = encodeUtf8(text);
    out.byte(0x58); // BINUNICODE
    out.u32(encoded.length);
    out.bytes(encoded);
  }

  /** bytes as Python 3 protocol 2 writes them: `_codecs.encode(latin1_text, 'latin1')`, or `bytes()`. */
  bytes(value: Uint8Array): void {
    if (value.length === 0) {
      this.global('__builtin__', 'bytes');
      this.out.byte(0x29); // EMPTY_TUPLE
      this.out.byte(0x52); // REDUCE
      return;
    }
    this.global('_codecs', 'encode');
    this.str(latin1(value));
    this.str('latin1');
    this.out.byte(0x86); // TUPLE2
    this.out.byte(0x52); // REDUCE
  }

  tuple(items: PyValue[]): void {
    if (items.length === 0) {
      this.out.byte(0x29); // EMPTY_TUPLE
      return;
    }
    if (items.length > 3) this.out.byte(0x28); // MARK
    for (const item of items) this.value(item);
    this.out.byte(items.length > 3 ? 0x74 : 0x84 + items.length); // TUPLE / TUPLE1-3
  }

  list(items: PyValue[]): void {
    this.out.byte(0x5d); // EMPTY_LIST
    for (let i = 0; i < items.length; i += 1000) {
      this.out.byte(0x28); // MARK
      for (const item of items.slice(i, i + 1000)) this.value(item);
      this.out.byte(0x65); // APPENDS
    }
  }

  timedelta(days: number, seconds: number, microseconds: number): void {
    this.global('datetime', 'timedelta');
    this.int(BigInt(days));
    this.int(BigInt(seconds));
    this.int(BigInt(microseconds));
    this.out.byte(0x87); // TUPLE3
    this.out.byte(0x52); // REDUCE
  }

  timezone(tz: PyTimezone): void {
    const micros = tz.offsetMicroseconds;
    if (!Number.isInteger(micros) || Math.abs(micros) >= 86_400_000_000) {
      throw new RangeError('timezone offset out of range');
    }
    this.global('datetime', 'timezone');
    const days = Math.floor(micros / 86_400_000_000);
    const rest = micros - days * 86_400_000_000;
    this.timedelta(days, Math.floor(rest / 1_000_000), rest % 1_000_000);
    if (tz.name !== undefined) this.str(tz.name);
    this.out.byte(tz.name !== undefined ? 0x86 : 0x85); // TUPLE2 / TUPLE1
    this.out.byte(0x52); // REDUCE
  }

  /** datetime/date/time: GLOBAL, the state bytes, an optional tzinfo, REDUCE. */
  dateLike(name: string, state: number[], tz: PyTimezone | null): void {
    this.global('datetime', name);
    this.bytes(Uint8Array.from(state));
    if (tz) this.timezone(tz);
    this.out.byte(tz ? 0x86 : 0x85);
    this.out.byte(0x52); // REDUCE
  }

  value(value: PyValue): void {
    const { out } = this;
    switch (value.t) {
      case 'none':
        out.byte(0x4e);
        return;
      case 'bool':
        out.byte(value.v ? 0x88 : 0x89);
        return;
      case 'int':
        this.int(value.v);
        return;
      case 'float':
        out.byte(0x47); // BINFLOAT
        out.f64(value.v);
        return;
      case 'str':
        this.str(value.v);
        return;
      case 'bytes':
        // A Python 2 str that is not ASCII: Python 3 could not load it as written, so write its text.
        if (value.py2str) this.str(py2Text(value.v));
        else this.bytes(value.v);
        return;
      case 'list':
        this.list(value.items);
        return;
      case 'tuple':
        this.tuple(value.items);
        return;
      case 'set':
      case 'frozenset':
        this.global('__builtin__', value.t);
        this.list(value.items);
        out.byte(0x85); // TUPLE1
        out.byte(0x52); // REDUCE
        return;
      case 'dict':
        if (value.cls === 'Storage') {
          this.global('web.utils', 'Storage');
          out.byte(0x29); // EMPTY_TUPLE
          out.byte(0x81); // NEWOBJ
        } else if (value.cls === 'OrderedDict') {
          this.global('collections', 'OrderedDict');
          out.byte(0x29); // EMPTY_TUPLE
          out.byte(0x52); // REDUCE
        } else {
          out.byte(0x7d); // EMPTY_DICT
        }
        for (let i = 0; i < value.entries.length; i += 1000) {
          out.byte(0x28); // MARK
          for (const [key, item] of value.entries.slice(i, i + 1000)) {
            this.value(key);
            this.value(item);
          }
          out.byte(0x75); // SETITEMS
        }
        return;
      case 'datetime': {
        checkDateValue(value.year, value.month, value.day);
        checkTimeValue(value.hour, value.minute, value.second, value.microsecond);
        const us = value.microsecond;
        this.dateLike(
          'datetime',
          [
            value.year >> 8,
            value.year & 0xff,
            value.month | (value.fold ? 0x80 : 0),
            value.day,
            value.hour,
            value.minute,
            value.second,
            us >> 16,
            (us >> 8) & 0xff,
            us & 0xff,
          ],
          value.tz,
        );
        return;
      }
      case 'date':
        checkDateValue(value.year, value.month, value.day);
        this.dateLike('date', [value.year >> 8, value.year & 0xff, value.month, value.day], null);
        return;
      case 'time': {
        checkTimeValue(value.hour, value.minute, value.second, value.microsecond);
        const us = value.microsecond;
        this.dateLike(
          'time',
          [
            value.hour | (value.fold ? 0x80 : 0),
            value.minute,
            value.second,
            us >> 16,
            (us >> 8) & 0xff,
            us & 0xff,
          ],
          value.tz,
        );
        return;
      }
      case 'timedelta':
        this.timedelta(value.days, value.seconds, value.microseconds);
        return;
      case 'timezone':
        this.timezone(value);
        return;
      case 'decimal':
        if (!DECIMAL_RE.test(value.v)) throw new RangeError(`invalid Decimal literal ${printable(value.v)}`);
        this.global('decimal', 'Decimal');
        this.str(value.v);
        out.byte(0x85); // TUPLE1
        out.byte(0x52); // REDUCE
        return;
    }
  }
}

function checkDateValue(year: number, month: number, day: number): void {
  if (
    !(year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))
  ) {
    throw new RangeError('date out of range');
  }
}

function checkTimeValue(hour: number, minute: number, second: number, microsecond: number): void {
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
  if (!(ok(hour, 23) && ok(minute, 59) && ok(second, 59) && ok(microsecond, 999_999))) {
    throw new RangeError('time out of range');
  }
}

/**
 * Write a value as a protocol-2 pickle (FORMATS §2.5): no memo; ASCII text as SHORT_BINSTRING/BINSTRING
 * and other text as BINUNICODE, so Python 2 and 3 both load it. Python 3 loads every kind identically;
 * Python 2 too except `datetime.timezone` (absent from Python 2). A `py2str` bytes value is written as its
 * text (UTF-8, else latin-1), because Python 3 cannot load a non-ASCII Python 2 str. Throws a `RangeError`
 * for a value no Python could hold (a 13th month, a 24 h timezone offset, a malformed Decimal).
 */
export function writePickle(value: PyValue): Uint8Array {
  const writer = new PickleWriter();
  writer.out.byte(0x80); // PROTO
  writer.out.byte(2);
  writer.value(value);
  writer.out.byte(0x2e); // STOP
  return writer.out.result();
}

// ---------------------------------------------------------------------------------------------------------
// JSON view
// ---------------------------------------------------------------------------------------------------------

/** A Python 2 str's text: UTF-8 if valid, else latin-1. */
export function py2Text(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/** `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const point = exponent + 1;
  if (point > 16 || point < -3) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${head}e${exponent < 0 ? '-' : '+'}${pad(Math.abs(exponent), 2)}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
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

function reprStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]/u.test(char)) {
      out +=
        code < 0x100
          ? `\\x${pad16(code, 2)}`
          : code < 0x10000
            ? `\\u${pad16(code, 4)}`
            : `\\U${pad16(code, 8)}`;
    } else out += char;
  }
  return out + quote;
}

function pad16(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}

function reprBytes(bytes: Uint8Array): string {
  const text = latin1(bytes);
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = `b${quote}`;
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (char === '\\' || char === quote) out += `\\${char}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${pad16(byte, 2)}`;
    else out += char;
  }
  return out + quote;
}

/** An approximation of Python's `repr()`, used for dict keys that are not str or int. */
export function pyRepr(value: PyValue): string {
  const join = (items: PyValue[]) => items.map(pyRepr).join(', ');
  switch (value.t) {
    case 'none':
      return 'None';
    case 'bool':
      return value.v ? 'True' : 'False';
    case 'int':
      return value.v.toString();
    case 'float':
      return pyFloatRepr(value.v);
    case 'str':
      return reprStr(value.v);
    case 'bytes':
      return reprBytes(value.v);
    case 'list':
      return `[${join(value.items)}]`;
    case 'tuple':
      return value.items.length === 1 ? `(${pyRepr(value.items[0]!)},)` : `(${join(value.items)})`;
    case 'set':
      return value.items.length === 0 ? 'set()' : `{${join(value.items)}}`;
    case 'frozenset':
      return value.items.length === 0 ? 'frozenset()' : `frozenset({${join(value.items)}})`;
    case 'dict': {
      const body = value.entries.map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ');
      if (value.cls === 'OrderedDict') {
        return `OrderedDict([${value.entries.map(([k, v]) => `(${pyRepr(k)}, ${pyRepr(v)})`).join(', ')}])`;
      }
      return value.cls === 'Storage' ? `<Storage {${body}}>` : `{${body}}`;
    }
    case 'datetime':
    case 'time': {
      const fields =
        value.t === 'datetime'
          ? [value.year, value.month, value.day, value.hour, value.minute]
          : [value.hour, value.minute];
      if (value.second || value.microsecond) fields.push(value.second);
      if (value.microsecond) fields.push(value.microsecond);
      let args = fields.join(', ');
      if (value.tz) args += `, tzinfo=${pyRepr(value.tz)}`;
      if (value.fold) args += ', fold=1';
      return `datetime.${value.t}(${args})`;
    }
    case 'date':
      return `datetime.date(${value.year}, ${value.month}, ${value.day})`;
    case 'timezone': {
      if (value.offsetMicroseconds === 0 && value.name === undefined) return 'datetime.timezone.utc';
      const days = Math.floor(value.offsetMicroseconds / 86_400_000_000);
      const rest = value.offsetMicroseconds - days * 86_400_000_000;
      const offset = pyRepr({
        t: 'timedelta',
        days,
        seconds: Math.floor(rest / 1_000_000),
        microseconds: rest % 1_000_000,
      });
      return `datetime.timezone(${offset}${value.name === undefined ? '' : `, ${reprStr(value.name)}`})`;
    }
    case 'timedelta': {
      const parts: string[] = [];
      if (value.days) parts.push(`days=${value.days}`);
      if (value.seconds) parts.push(`seconds=${value.seconds}`);
      if (value.microseconds) parts.push(`microseconds=${value.microseconds}`);
      return `datetime.timedelta(${parts.length > 0 ? parts.join(', ') : '0'})`;
    }
    case 'decimal':
      return `Decimal('${value.v}')`;
  }
}

/** The JSON object key for a dict key: str as is, int in decimal, a Python 2 str as text, else `repr()`. */
export function pyKeyToJson(key: PyValue): string {
  if (key.t === 'str') return key.v;
  if (key.t === 'int') return key.v.toString();
  if (key.t === 'bytes' && key.py2str) return py2Text(key.v);
  return pyRepr(key);
}

/** Set `object[key] = value` as an own, enumerable property, even for `__proto__`. */
export function setJsonProperty(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** Something the JSON view could not show exactly, with a JSON-pointer-like path. */
export type JsonViewNote = (path: string, what: string) => void;

function toJson(value: PyValue, path: string, note: JsonViewNote | undefined): JsonValue {
  switch (value.t) {
    case 'none':
      return null;
    case 'bool':
      return value.v;
    case 'int':
      if (value.v >= BigInt(Number.MIN_SAFE_INTEGER) && value.v <= BigInt(Number.MAX_SAFE_INTEGER)) {
        return Number(value.v);
      }
      note?.(path, 'an integer beyond 2^53 is shown as a decimal string');
      return value.v.toString();
    case 'float':
      if (Number.isFinite(value.v)) return value.v;
      note?.(path, `the float ${pyFloatRepr(value.v)} is shown as a string`);
      return Number.isNaN(value.v) ? 'NaN' : value.v > 0 ? 'Infinity' : '-Infinity';
    case 'str':
      return value.v;
    case 'bytes':
      if (value.py2str) return py2Text(value.v);
      try {
        return utf8Decoder.decode(value.v);
      } catch {
        note?.(path, 'bytes that are not UTF-8 are shown as base64');
        return Buffer.from(value.v).toString('base64');
      }
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
      return value.items.map((item, i) => toJson(item, `${path}/${i}`, note));
    case 'dict': {
      const object: JsonObject = {};
      for (const [key, item] of value.entries) {
        const name = pyKeyToJson(key);
        const itemPath = `${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (Object.hasOwn(object, name))
          note?.(itemPath, 'two keys map to the same JSON key; the later one is shown');
        setJsonProperty(object, name, toJson(item, itemPath, note));
      }
      return object;
    }
    case 'datetime':
    case 'date':
    case 'time':
    case 'timezone':
      return pyIsoFormat(value);
    case 'timedelta':
      return timedeltaSeconds(value);
    case 'decimal':
      return value.v;
  }
}

/**
 * The JSON view of a value:
 * - None → null; bool; int → number when a safe integer, else its decimal string; float → number, with
 *   `'NaN'`, `'Infinity'`, `'-Infinity'` strings for the non-finite ones;
 * - str → string; bytes → the UTF-8 text when valid, else standard base64; a Python 2 str → UTF-8, else latin-1;
 * - list, tuple, set, frozenset → array (pickle order);
 * - dict (and Storage, OrderedDict) → a plain object (Object.prototype). Keys: str as is, int in decimal,
 *   None/True/False/floats/tuples/... as their Python `repr()`; if two keys collide the later value wins.
 *   A `__proto__` key becomes an own enumerable property (never the prototype);
 * - datetime/date/time → Python's `isoformat()`; timezone → `str(tz)` (`'UTC'`, `'UTC+05:30'`, or its name);
 *   timedelta → `total_seconds()` as a number; Decimal → its string.
 * `note` is told about every lossy choice (bytes as base64, big ints, non-finite floats, key collisions).
 */
export function pyToJson(value: PyValue, note?: JsonViewNote): JsonValue {
  return toJson(value, '', note);
}

/** A new value written through the API: numbers → int when a safe integer else float, objects → dict. */
export function jsonToPy(value: JsonValue): PyValue {
  if (value === null) return { t: 'none' };
  if (typeof value === 'boolean') return { t: 'bool', v: value };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { t: 'int', v: BigInt(value) } : { t: 'float', v: value };
  }
  if (typeof value === 'string') return { t: 'str', v: value };
  if (Array.isArray(value)) return { t: 'list', items: value.map(jsonToPy) };
  return {
    t: 'dict',
    entries: Object.keys(value).map((key) => [{ t: 'str', v: key }, jsonToPy(value[key]!)]),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Parsing JSON-view strings back into Python types (used to keep a value's type when it is edited)
// ---------------------------------------------------------------------------------------------------------

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

/** Whether `text` is a literal `decimal.Decimal(text)` accepts (as `str(Decimal)` prints it). */
export function isDecimalLiteral(text: string): boolean {
  return DECIMAL_RE.test(text);
}
