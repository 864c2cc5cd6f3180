/**
 * The literal syntaxes of protocol 0 arguments (STRING, UNICODE, INT, LONG, FLOAT lines), binary longs
 * (LONG1/LONG4), and the text `decimal.Decimal` accepts, read as Python reads them.
 */
import { corrupt, unsupported } from './limits.ts';
import { fromCharCodes } from './text.ts';

/** `codecs.escape_decode`: the body of a protocol-0 `STRING` (a Python 2 `str` literal). */
export function escapeDecode(data: Uint8Array): Uint8Array {
  // Every escape is shorter than what it stands for: the output fits in the input's length, so the bytes
  // go into one typed array (a plain array costs several times a byte's size per byte).
  const out = new Uint8Array(data.length);
  let o = 0;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const c = data[i]!;
    if (c !== 0x5c) {
      out[o++] = c;
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
        out[o++] = e;
        break;
      case 0x61: // a
        out[o++] = 7;
        break;
      case 0x62: // b
        out[o++] = 8;
        break;
      case 0x66: // f
        out[o++] = 12;
        break;
      case 0x6e: // n
        out[o++] = 10;
        break;
      case 0x72: // r
        out[o++] = 13;
        break;
      case 0x74: // t
        out[o++] = 9;
        break;
      case 0x76: // v
        out[o++] = 11;
        break;
      case 0x78: {
        // \xhh
        const hex = String.fromCharCode(data[i + 1] ?? 0, data[i + 2] ?? 0);
        if (i + 2 >= n || !/^[0-9a-fA-F]{2}$/.test(hex)) throw corrupt('invalid \\x escape in STRING');
        out[o++] = Number.parseInt(hex, 16);
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
          out[o++] = value & 0xff;
        } else {
          out[o++] = 0x5c; // unknown escapes are kept as written
          out[o++] = e;
        }
    }
  }
  return out.slice(0, o);
}

/** `str(line, 'raw-unicode-escape')`: latin-1, plus `\uXXXX`/`\UXXXXXXXX` after an odd run of backslashes. */
export function rawUnicodeEscapeDecode(bytes: Uint8Array, start: number, end: number): string {
  // UTF-16 units into one array, converted once at the end: each byte gives at most one unit (a `\U` escape,
  // ten bytes, gives two). Appending each piece to a string would make a rope node per escape.
  const units = new Uint16Array(end - start);
  let u = 0;
  let i = start;
  while (i < end) {
    const c = bytes[i]!;
    if (c !== 0x5c) {
      let j = i + 1;
      while (j < end && bytes[j] !== 0x5c) j++;
      units.set(bytes.subarray(i, j), u);
      u += j - i;
      i = j;
      continue;
    }
    let j = i;
    while (j < end && bytes[j] === 0x5c) j++;
    const run = j - i;
    const next = bytes[j];
    const escapes = run % 2 === 1 && j < end && (next === 0x75 || next === 0x55);
    units.fill(0x5c, u, u + (escapes ? run - 1 : run));
    u += escapes ? run - 1 : run;
    i = j;
    if (!escapes) continue;
    const count = next === 0x75 ? 4 : 8;
    if (j + 1 + count > end) throw corrupt('truncated \\u escape in UNICODE');
    let cp = 0;
    for (let k = j + 1; k < j + 1 + count; k++) {
      const digit = hexDigit(bytes[k]!);
      if (digit < 0) throw corrupt('truncated \\u escape in UNICODE');
      cp = cp * 16 + digit;
    }
    if (cp > 0x10ffff) throw corrupt('\\U escape out of range in UNICODE');
    if (cp >= 0x10000) {
      units[u++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[u++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else units[u++] = cp;
    i = j + 1 + count;
  }
  return fromCharCodes(units.subarray(0, u));
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/** Python's `int(text, base)` for base 0 (literal prefixes) or 10, limited to `maxDigits` digits. */
export const PLAIN_INT_RE = /^-?(?:0|[1-9]\d{0,14})$/;
const DIGIT_RES: Record<string, RegExp> = {
  '': /^\d(?:_?\d)*$/,
  '0x': /^[0-9a-fA-F](?:_?[0-9a-fA-F])*$/,
  '0o': /^[0-7](?:_?[0-7])*$/,
  '0b': /^[01](?:_?[01])*$/,
};

export function parsePyInt(text: string, base: 0 | 10, maxDigits: number): bigint {
  if (PLAIN_INT_RE.test(text)) return BigInt(text);
  const trimmed = text.trim();
  // Longer than any literal within maxDigits (sign, prefix, an underscore between digits, and binary's 2.5
  // digits for each decimal one): refused before a regular expression walks it.
  if (trimmed.length > 5 * maxDigits + 4) throw unsupported(`integer longer than ${maxDigits} digits`);
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
export function parsePyFloat(text: string): number {
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
export function decodeLong(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

export const DECIMAL_RE = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|s?nan\d*)$/i;

/** Whether `text` is a literal `decimal.Decimal(text)` accepts (as `str(Decimal)` prints it). */
export function isDecimalLiteral(text: string): boolean {
  return DECIMAL_RE.test(text);
}
