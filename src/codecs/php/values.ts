/**
 * PHP data as data: the values `serialize()` writes, read without ever creating a PHP object.
 *
 * A tree is treated as immutable once built: the reader shares one node wherever PHP's `R:`/`r:` shares a
 * value (a `PhpRef` points at it), and `mergePhp` keeps untouched nodes of the previous tree, so mutating a
 * node in place would change every place that shows it.
 */

export interface PhpNull {
  t: 'null';
}

export interface PhpBool {
  t: 'bool';
  v: boolean;
}

/** A PHP int (64-bit): a JS number when it is a safe integer, else a bigint within int64. */
export interface PhpInt {
  t: 'int';
  v: number | bigint;
}

/**
 * A PHP float. `text` is what followed `d:` as read (`0.1`, `1.0E+25`, `-0`, `INF`, `NAN`), kept so a value
 * written back unchanged is byte-identical; without it the writer prints `v` as PHP 8's `serialize()` does.
 */
export interface PhpFloat {
  t: 'float';
  v: number;
  text?: string;
}

/** PHP strings are bytes; `s:N:` counts bytes. */
export interface PhpString {
  t: 'string';
  v: Uint8Array;
}

export type PhpKey = PhpInt | PhpString;
export type PhpEntry = [key: PhpKey, value: PhpValue];

/**
 * An ordered PHP array. Keys are as PHP holds them: a numeric string such as `"5"` is the int 5 (PHP converts
 * it on insert), `"05"`, `"-0"` and `" 5"` stay strings.
 */
export interface PhpArray {
  t: 'array';
  entries: PhpEntry[];
}

/**
 * `O:len:"Class":n:{...}`. Property keys are kept as written: `\0*\0name` (protected), `\0Class\0name`
 * (private), a plain name (public), or an int (objects with `__serialize`, e.g. ArrayObject, write int keys).
 * `opaque`: the class is outside the reader's allow-list; its properties are kept for writing back but the
 * JSON view does not show them.
 */
export interface PhpObject {
  t: 'object';
  className: string;
  props: PhpEntry[];
  opaque?: true;
}

/** `C:len:"Class":len:{payload}`: a `Serializable` object; the payload is the class's own format, kept raw. */
export interface PhpCustom {
  t: 'custom';
  className: string;
  data: Uint8Array;
}

/** `E:len:"Class:Case";` (PHP 8.1 enums). */
export interface PhpEnum {
  t: 'enum';
  className: string;
  caseName: string;
}

/**
 * A second place that holds a value met earlier: `R:n;` (a PHP reference, `&$x`) or `r:n;` (the same object).
 * `target` is the shared node itself, never another ref. `recursive`: the target encloses this ref (a cycle,
 * such as `$o->self = $o`); the JSON view shows a marker there instead of expanding the target again.
 */
export interface PhpRef {
  t: 'ref';
  kind: 'R' | 'r';
  target: PhpValue;
  recursive?: true;
}

export type PhpValue =
  | PhpNull
  | PhpBool
  | PhpInt
  | PhpFloat
  | PhpString
  | PhpArray
  | PhpObject
  | PhpCustom
  | PhpEnum
  | PhpRef;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const utf8Encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export const phpNull = (): PhpNull => ({ t: 'null' });
export const phpBool = (v: boolean): PhpBool => ({ t: 'bool', v });
export const phpFloat = (v: number): PhpFloat => ({ t: 'float', v });
export const phpString = (text: string): PhpString => ({ t: 'string', v: utf8Encoder.encode(text) });
export const phpBytes = (bytes: Uint8Array): PhpString => ({ t: 'string', v: bytes });

/** An int in the model's form: a number when safe, else a bigint. Throws RangeError outside int64. */
export function phpInt(value: number | bigint): PhpInt {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new RangeError(`${value} is not an integer`);
    if (Number.isSafeInteger(value)) return { t: 'int', v: value + 0 };
    value = BigInt(value);
  }
  if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${value} is outside PHP's 64-bit int`);
  return { t: 'int', v: safeNumber(value) };
}

/** A bigint as a number when that is exact. */
export function safeNumber(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** `bytes` as text when they are valid UTF-8, else null. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** `bytes` as text, invalid sequences as U+FFFD. */
export const lenientText = (bytes: Uint8Array): string => lenientUtf8.decode(bytes);

export const utf8Bytes = (text: string): Uint8Array => utf8Encoder.encode(text);

/**
 * The key PHP stores for the string key `bytes` in an array (`ZEND_HANDLE_NUMERIC_STR`): a canonical decimal
 * int within int64 (`0`, `-5`, not `05`, `-0`, `+5`, ` 5`) becomes that int; anything else stays a string.
 */
export function arrayKey(bytes: Uint8Array): PhpKey {
  const length = bytes.length;
  if (length === 0 || length > 20) return { t: 'string', v: bytes };
  const start = bytes[0] === 0x2d ? 1 : 0;
  if (start === length || (bytes[start] === 0x30 && length > 1)) return { t: 'string', v: bytes };
  let text = '';
  for (let index = start; index < length; index += 1) {
    const byte = bytes[index]!;
    if (byte < 0x30 || byte > 0x39) return { t: 'string', v: bytes };
    text += String.fromCharCode(byte);
  }
  const value = BigInt(start === 1 ? `-${text}` : text);
  if (value < INT64_MIN || value > INT64_MAX) return { t: 'string', v: bytes };
  return { t: 'int', v: safeNumber(value) };
}

/** The array key PHP uses for the text `key` (what `$array[$key]` does with a string). */
export const arrayKeyOf = (key: string): PhpKey => arrayKey(utf8Encoder.encode(key));

/**
 * A property key without its visibility prefix: `\0*\0name` and `\0Class\0name` give `name`; a key that
 * starts with NUL but has no second NUL is returned whole (PHP would refuse it for a declared class).
 */
export function plainPropertyName(key: Uint8Array): Uint8Array {
  if (key.length === 0 || key[0] !== 0) return key;
  const second = key.indexOf(0, 1);
  return second === -1 ? key : key.subarray(second + 1);
}

/** Values PHP holds as objects: the only targets an `r:` may have. */
export const isObjectLike = (value: PhpValue): boolean =>
  value.t === 'object' || value.t === 'custom' || value.t === 'enum';

/**
 * A float as PHP 8's `serialize()` and `var_export()` print it (`serialize_precision = -1`): the shortest
 * digits that read back as the same double (zend_gcvt mode 0), in plain notation while the decimal point
 * falls within 17 digits and no more than 4 places before the first digit, else `d.dddE+x`; `-0`, `INF`,
 * `-INF`, `NAN`.
 */
export function phpFloatText(value: number): string {
  if (Number.isNaN(value)) return 'NAN';
  if (value === Number.POSITIVE_INFINITY) return 'INF';
  if (value === Number.NEGATIVE_INFINITY) return '-INF';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const sign = value < 0 ? '-' : '';
  // toExponential() without digits gives the shortest round-trip digits, as zend_dtoa mode 0 does.
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1;
  if (point < 0 ? point < -3 : point > 17) {
    const shown = point - 1;
    const fraction = digits.length > 1 ? digits.slice(1) : '0';
    return `${sign}${digits[0]}.${fraction}E${shown < 0 ? '-' : '+'}${Math.abs(shown)}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (digits.length <= point) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * What `d:` accepts in PHP 8.2 (var_unserializer.re: `iv | nv | nvexp`, `NAN`, `INF`, `-INF`). The digits
 * before and after the point are separate groups: written `\d+\.?\d*`, a refused text of n digits (`1…1E`)
 * backtracks through every split of them, n² steps (100,000 digits took 11 s).
 */
export const PHP_FLOAT_TEXT = /^(?:NAN|-?INF|[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)$/;

/** The double PHP reads from a `d:` text that matches PHP_FLOAT_TEXT (zend_strtod rounds correctly, as JS does). */
export function phpFloatValue(text: string): number {
  if (text === 'NAN') return Number.NaN;
  if (text === 'INF') return Number.POSITIVE_INFINITY;
  if (text === '-INF') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * A class name PHP's unserialize accepts: not empty, not starting with NUL or `\`, every byte a letter,
 * digit, `_`, `\` or >= 0x80 (`zend_is_valid_class_name`).
 */
export function isValidClassName(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[0] === 0x5c) return false;
  for (const byte of bytes) {
    const ok =
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x5f ||
      byte === 0x5c ||
      byte >= 0x80;
    if (!ok) return false;
  }
  return true;
}

/** An enum case name: a PHP identifier (letters, digits, `_`, bytes >= 0x80), not empty. */
export function isValidCaseName(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const byte of bytes) {
    const ok =
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x5f ||
      byte >= 0x80;
    if (!ok) return false;
  }
  return true;
}
