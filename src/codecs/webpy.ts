/**
 * web.py `web.session.DBStore`: the `data` column (shared/FORMATS.md §2).
 *
 * `webpy/webpy: web/session.py` (0.40-0.70), `Store`:
 *
 *     def encode(self, session_dict):
 *         pickled = pickle.dumps(session_dict)
 *         return encodebytes(pickled)
 *
 *     def decode(self, session_data):
 *         ...
 *         pickled = decodebytes(session_data)
 *         return pickle.loads(pickled)
 *
 * and `DBStore.__setitem__` stores `self.encode(value).decode()`. So the column is standard base64 with a
 * newline after every 76 characters and a trailing newline, over a pickle of the session dict (Python 2:
 * cPickle protocol 0; Python 3: the interpreter default, 3 or 4). web.py 0.40-0.51 on Python 3 stored
 * `str(bytes)`, i.e. `b'gASV...\n'` with literal backslash-n escapes (fixed in 0.60, #645); we read that too.
 *
 * Decoding goes through our own safe pickle reader (pickle.ts): nothing is ever unpickled by Python rules.
 * Encoding writes protocol 2 (FORMATS §2.5), which Python 2 and 3 web.py both load.
 */
import { isUtf8 } from 'node:buffer';
import {
  isDecimalLiteral,
  jsonToPy,
  type PickleLimits,
  type PyValue,
  parsePyIso,
  pyKeyToJson,
  pyToJson,
  sessionView,
  readPickleWithInfo,
  timedeltaFromSeconds,
  hashKey,
  writePickle,
} from './pickle.ts';
import { type Decoded, decoded, failure, type JsonObject, type JsonValue } from './result.ts';

export interface WebpyDecoded {
  /** The JSON view of the session dict (see `pyToJson` in pickle/json-view.ts for every type's mapping). */
  data: JsonObject;
  /** The dict as read, kept so untouched values round-trip with their Python types. */
  tree: PyValue;
  /** Written by Python 2's cPickle: protocol 0/1 (no PROTO opcode) with Python 2 byte strings. */
  py2: boolean;
  /** Human notes about the row: repr-wrapped, py2 bytes, lossy JSON choices. */
  notes: string[];
}

const MAX_NOTES = 20;

/** Standard base64 with any line breaks, as `base64.decodebytes` reads what `encodebytes` wrote. */
function decodeBase64(text: string): Uint8Array | null {
  const clean = text.replace(/[\r\n\t ]+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return null;
  return Buffer.from(clean, 'base64');
}

/** `base64.encodebytes`: a newline after every 76 characters and at the end. */
function encodeBase64Lines(bytes: Uint8Array): string {
  const flat = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < flat.length; i += 76) out += `${flat.slice(i, i + 76)}\n`;
  return out;
}

/**
 * Decode a web.py session `data` column. Never throws: bad base64 or a truncated pickle is `corrupt`, a
 * pickle naming anything outside the allow-list is `unsafe`, a top-level value that is not a dict is `corrupt`.
 */
export function decodeWebpySession(stored: string, limits?: PickleLimits): Decoded<WebpyDecoded> {
  if (typeof stored !== 'string') return failure('corrupt', 'session data is not text');
  const notes: string[] = [];
  let text = stored;
  const wrapped = /^\s*b(['"])([^'"]*)\1\s*$/.exec(text);
  if (wrapped) {
    text = wrapped[2]!.replace(/\\n/g, '\n');
    notes.push('repr-wrapped: stored as the repr of a Python bytes object (web.py 0.40-0.51 on Python 3)');
  }
  const bytes = decodeBase64(text);
  if (!bytes) return failure('corrupt', 'session data is not base64');
  const read = readPickleWithInfo(bytes, limits);
  if (!read.ok) return read;
  const { value: tree, info } = read.value;
  if (tree.t !== 'dict') return failure('corrupt', `the session is a pickled ${tree.t}, not a dict`);
  if (info.py2NonAscii > 0) {
    notes.push(
      `py2 bytes: ${info.py2NonAscii} Python 2 byte string(s) are not ASCII (text is shown as UTF-8, else ` +
        'latin-1); Python 3 web.py cannot load this row as stored',
    );
  }
  const view = sessionView(tree, MAX_NOTES);
  notes.push(...view.notes);
  return decoded({ data: view.data, tree, py2: info.proto === null && info.py2Strings > 0, notes });
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values (0 and -0 are equal, as JSON cannot tell them apart). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

function mergeDict(data: JsonObject, previous: Extract<PyValue, { t: 'dict' }>): PyValue {
  // The JSON view shows the later of two keys that map to the same name; match against that one.
  const byName = new Map<string, [PyValue, PyValue]>();
  for (const entry of previous.entries) byName.set(pyKeyToJson(entry[0]), entry);
  const entries: [PyValue, PyValue][] = [];
  const done = new Set<string>();
  for (const entry of previous.entries) {
    const name = pyKeyToJson(entry[0]);
    if (!Object.hasOwn(data, name)) continue;
    // A key the view shadows (the int 1 behind the str '1') was never shown, so never changed: keep it.
    if (byName.get(name) !== entry) {
      entries.push(entry);
      continue;
    }
    done.add(name);
    entries.push([entry[0], merge(data[name]!, entry[1])]);
  }
  for (const name of Object.keys(data)) {
    if (!done.has(name)) entries.push([{ t: 'str', v: name }, jsonToPy(data[name]!)]);
  }
  return previous.cls ? { t: 'dict', entries, cls: previous.cls } : { t: 'dict', entries };
}

/** Items for a set: hashable ones only (arrays become tuples), deduplicated; null if one cannot be hashed. */
function setItems(items: PyValue[]): PyValue[] | null {
  const seen = new Set<string>();
  const out: PyValue[] = [];
  for (const raw of items) {
    const item: PyValue = raw.t === 'list' ? { t: 'tuple', items: raw.items } : raw;
    const key = hashKey(item);
    if (key === null) return null;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(item);
    }
  }
  return out;
}

/** The new JSON value, typed like the previous Python value where it still fits. */
function merge(json: JsonValue, previous: PyValue): PyValue {
  if (jsonEqual(pyToJson(previous), json)) return previous;
  if (isObject(json) && previous.t === 'dict') return mergeDict(json, previous);
  if (Array.isArray(json)) {
    if (previous.t === 'list' || previous.t === 'tuple') {
      const items = json.map((item, i) => {
        const before = previous.items[i];
        return before ? merge(item, before) : jsonToPy(item);
      });
      return { t: previous.t, items };
    }
    if (previous.t === 'set' || previous.t === 'frozenset') {
      const items = setItems(
        json.map((item) => {
          const before = previous.items.find((candidate) => jsonEqual(pyToJson(candidate), item));
          return before ?? jsonToPy(item);
        }),
      );
      return items ? { t: previous.t, items } : jsonToPy(json);
    }
  }
  if (typeof json === 'string') {
    switch (previous.t) {
      case 'datetime':
      case 'date':
      case 'time': {
        const parsed = parsePyIso(previous.t as 'datetime', json) as PyValue | null;
        if (parsed && 'tz' in parsed && parsed.tz && previous.t !== 'date') {
          // keep a named timezone (e.g. 'CET') when the offset did not change
          const before = (previous as { tz: typeof parsed.tz }).tz;
          if (before && before.offsetMicroseconds === parsed.tz.offsetMicroseconds) parsed.tz = before;
        }
        if (parsed) return parsed;
        break;
      }
      case 'decimal':
        if (isDecimalLiteral(json)) return { t: 'decimal', v: json };
        break;
      case 'int':
        if (/^-?\d{1,4300}$/.test(json)) return { t: 'int', v: BigInt(json) };
        break;
      case 'float':
        if (json === 'NaN') return { t: 'float', v: Number.NaN };
        if (json === 'Infinity') return { t: 'float', v: Number.POSITIVE_INFINITY };
        if (json === '-Infinity') return { t: 'float', v: Number.NEGATIVE_INFINITY };
        break;
      case 'bytes': {
        if (previous.py2str) break;
        // Bytes that are not UTF-8 were shown as base64: an edit in that form is read back as base64.
        const shownAsBase64 = previous.v.length > 0 && !isUtf8(previous.v);
        const raw = shownAsBase64 ? decodeBase64(json) : null;
        if (raw && Buffer.from(raw).toString('base64') === json) return { t: 'bytes', v: raw };
        return { t: 'bytes', v: new TextEncoder().encode(json) };
      }
      default:
        break;
    }
  }
  if (typeof json === 'number') {
    if (previous.t === 'float') return { t: 'float', v: json };
    if (previous.t === 'timedelta') return timedeltaFromSeconds(json) ?? jsonToPy(json);
    if (previous.t === 'decimal' && Number.isFinite(json)) return { t: 'decimal', v: String(json) };
  }
  return jsonToPy(json);
}

/**
 * Write a session dict web.py loads (protocol 2 pickle, `base64.encodebytes` layout).
 *
 * For every key whose JSON value deep-equals its JSON view in `previous`, keep the previous PyValue (a
 * datetime stays a datetime, a tuple a tuple, a big int an int). New keys use `jsonToPy`. Changed keys are
 * re-typed where the previous type still fits, recursively: a dict keeps its class (Storage stays
 * Storage, so `session.user.name` keeps working in the app) and its untouched members; a list/tuple/set
 * keeps its kind; an ISO string stays a datetime/date/time, a number a float/timedelta/Decimal, a digit
 * string a big int. Otherwise `jsonToPy`. Keys keep their previous Python key and order; new keys follow.
 */
export function encodeWebpySession(data: JsonObject, previous?: PyValue): string {
  return encodeBase64Lines(pickleSession(data, previous));
}

/** The protocol 2 pickle of a session dict, typed after `previous` (see `encodeWebpySession`); Flask's too. */
export function pickleSession(data: JsonObject, previous?: PyValue): Uint8Array {
  return writePickle(previous?.t === 'dict' ? mergeDict(data, previous) : jsonToPy(data));
}
