/**
 * Text and bytes as Python converts them for pickles: UTF-8 with lone surrogates passed through (how CPython
 * writes str), latin-1, the encodings `_codecs.encode` may name, and Python 2 str.
 */
import { corrupt, unsupported } from './limits.ts';

export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

/** Decode UTF-8 as CPython's `surrogatepass` handler does (BINUNICODE is written that way). */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
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
  // At most one UTF-16 unit per byte (four bytes give two): one typed array, not a number[] of 8 heap bytes
  // per unit.
  const units = new Uint16Array(end - start);
  let u = 0;
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
      units[u++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[u++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else {
      units[u++] = cp;
    }
  }
  return fromCharCodes(units.subarray(0, u));
}

/** Whether a Uint16Array's bytes are UTF-16LE (they are in the platform's order). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The string of these UTF-16 units, lone surrogates included (TextDecoder would replace them). */
export function fromCharCodes(units: Uint16Array): string {
  if (LITTLE_ENDIAN) {
    return Buffer.from(units.buffer, units.byteOffset, units.byteLength).toString('utf16le');
  }
  let text = '';
  for (let i = 0; i < units.length; i += 8192) {
    text += String.fromCharCode(...units.subarray(i, i + 8192));
  }
  return text;
}

export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= 24) {
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function maxCharCode(text: string): number {
  let max = 0;
  for (let i = 0; i < text.length; i++) max = Math.max(max, text.charCodeAt(i));
  return max;
}

export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

export function encodeText(text: string, encoding: string): Uint8Array {
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

export function encodeUtf8(text: string): Uint8Array {
  if (!/[\ud800-\udfff]/.test(text)) return utf8Encoder.encode(text);
  // surrogatepass: lone surrogates are written as 3-byte sequences, as CPython does for pickles. Into bytes
  // sized for the worst case (3 per UTF-16 unit): a plain array costs several times that per byte.
  const out = new Uint8Array(text.length * 3);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out[o++] = cp;
    else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return out.slice(0, o);
}

const utf8Encoder = new TextEncoder();

export function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** A Python 2 str's text: UTF-8 if valid, else latin-1. */
export function py2Text(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return latin1(bytes);
  }
}
