/** The JSON view of a pickled value (what the API shows), and new values written through the API. */
import { notePath } from '../budgets.ts';
import type { JsonObject, JsonValue } from '../result.ts';
import { pyIsoFormat, timedeltaSeconds } from './datetime.ts';
import { pyFloatRepr, pyRepr } from './repr.ts';
import { py2Text, utf8Decoder } from './text.ts';
import type { PyValue } from './values.ts';

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
      return value.items.map((item, i) => toJson(item, notePath(path, String(i)), note));
    case 'dict': {
      const object: JsonObject = {};
      for (const [key, item] of value.entries) {
        const name = pyKeyToJson(key);
        const itemPath = notePath(path, name);
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

/**
 * The JSON view of a pickled session dict and a note per lossy value (at most `most`, then how many more), for
 * the codecs that show a pickled session (web.py, Flask).
 */
export function sessionView(dict: PyValue, most = 20): { data: JsonObject; notes: string[] } {
  const notes: string[] = [];
  let lossy = 0;
  const data = pyToJson(dict, (path, what) => {
    lossy++;
    if (lossy <= most) notes.push(`${path}: ${what}`);
  }) as JsonObject;
  if (lossy > most) notes.push(`... and ${lossy - most} more lossy values`);
  return { data, notes };
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
