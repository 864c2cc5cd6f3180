/** Python's `repr()`, approximated: what the JSON view shows for dict keys that are not str or int. */
import { latin1, pad } from './text.ts';
import type { PyValue } from './values.ts';

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

/**
 * What repr() escapes besides the backslash and the quote: control, format, surrogate, private-use,
 * unassigned and separator code points, but the space. One pattern per quote, so that a key of millions of
 * plain characters is copied in runs instead of tested character by character.
 */
const REPR_ESCAPES = {
  "'": /['\\]|(?! )[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]/gu,
  '"': /["\\]|(?! )[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]/gu,
};

function reprChar(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  const code = char.codePointAt(0)!;
  if (char === '\\' || char === "'" || char === '"') return `\\${char}`;
  return code < 0x100
    ? `\\x${pad16(code, 2)}`
    : code < 0x10000
      ? `\\u${pad16(code, 4)}`
      : `\\U${pad16(code, 8)}`;
}

function reprStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escapes = REPR_ESCAPES[quote];
  escapes.lastIndex = 0;
  let out = quote;
  let from = 0;
  for (let found = escapes.exec(text); found !== null; found = escapes.exec(text)) {
    out += text.slice(from, found.index) + reprChar(found[0]);
    from = found.index + found[0].length;
  }
  return out + text.slice(from) + quote;
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
