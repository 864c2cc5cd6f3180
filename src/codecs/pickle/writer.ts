/** The pickle writer: protocol 2 (FORMATS §2.5), which Python 2 and 3 both load. */
import { checkDateValue, checkTimeValue } from './datetime.ts';
import { DECIMAL_RE } from './literals.ts';
import { encodeUtf8, latin1, maxCharCode, printable, py2Text } from './text.ts';
import type { PyTimezone, PyValue } from './values.ts';

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
