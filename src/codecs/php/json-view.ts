/**
 * The JSON view of PHP data, and the merge that turns an edited view back into PHP data.
 *
 * The view (`phpToJson`):
 * - null, bool; int → number when a safe integer, else its decimal string; float → number, with `'NaN'`,
 *   `'Infinity'`, `'-Infinity'` for the non-finite ones (the spellings the pickle view uses);
 * - string → its text when the bytes are UTF-8, else standard base64;
 * - array → a JSON array when it is a list (keys 0, 1, 2 ... in order, as `json_encode` decides), else an
 *   object keyed by the decimal int or the string key (U+FFFD for bytes that are not UTF-8);
 * - object → `{"__class": "App\\User", ...properties}`, each property under its plain name (`\0*\0name`
 *   and `\0Class\0name` show as `name`), int keys in decimal (JSON objects list integer-like keys first,
 *   whatever PHP's order: the merge keeps PHP's);
 * - `C:` object, or object outside the reader's allow-list → `{"__class": "X", "__opaque": true}`;
 * - enum → `{"__class": "Suit", "__case": "Hearts"}`;
 * - `R:`/`r:` reference → its target's view again, at every place (JSON has no sharing); one that points
 *   back into an enclosing value (a cycle) → `{"__recursion": true}`.
 * When two keys show under one name (a private property of a parent and of a child class), the later one
 * is shown; a property called `__class` is not shown (the name is the class's); `note` is told about these
 * and every other lossy choice.
 */
import { notePath } from '../budgets.ts';
import type { JsonObject, JsonValue } from '../result.ts';
import { jsonToPhp } from './serialize-writer.ts';
import {
  arrayKeyOf,
  INT64_MAX,
  INT64_MIN,
  lenientText,
  type PhpArray,
  type PhpEntry,
  type PhpKey,
  type PhpValue,
  phpFloat,
  phpInt,
  phpString,
  plainPropertyName,
  safeNumber,
  utf8Text,
} from './values.ts';

/** Something the view could not show exactly, at a JSON-pointer-like path. */
export type JsonViewNote = (path: string, what: string) => void;

/** Set `object[key] = value` as an own, enumerable property, even for `__proto__`. */
function setProperty(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

/** The JSON key an array key or property key shows under. */
export function phpKeyToJson(key: PhpKey, property = false): string {
  if (key.t === 'int') return String(key.v);
  return lenientText(property ? plainPropertyName(key.v) : key.v);
}

/** Keys 0, 1, 2 ... in order: what PHP's `json_encode` and `array_is_list` call a list. */
export function isList(entries: readonly PhpEntry[]): boolean {
  return entries.every(([key], index) => key.t === 'int' && key.v === index);
}

/**
 * Entries added to `object` under their view names (a later key wins a collision); properties skip the name
 * `__class`, which the object view holds for the class.
 */
export function entriesToJson(
  object: JsonObject,
  entries: readonly PhpEntry[],
  property: boolean,
  path: string,
  note: JsonViewNote | undefined,
): JsonObject {
  for (const [key, item] of entries) {
    if (key.t === 'string' && utf8Text(property ? plainPropertyName(key.v) : key.v) === null) {
      note?.(path, 'a key that is not UTF-8 is shown with U+FFFD');
    }
    const name = phpKeyToJson(key, property);
    const itemPath = notePath(path, name);
    if (property && name === '__class') {
      note?.(itemPath, 'a property named __class is not shown');
      continue;
    }
    if (Object.hasOwn(object, name)) note?.(itemPath, 'two keys show under one name; the later one is shown');
    setProperty(object, name, toJson(item, itemPath, note));
  }
  return object;
}

function toJson(value: PhpValue, path: string, note: JsonViewNote | undefined): JsonValue {
  switch (value.t) {
    case 'null':
      return null;
    case 'bool':
      return value.v;
    case 'int':
      if (typeof value.v === 'number') return value.v;
      note?.(path, 'an integer beyond 2^53 is shown as a decimal string');
      return value.v.toString();
    case 'float':
      if (Number.isFinite(value.v)) return value.v;
      note?.(path, `the float ${value.text ?? value.v} is shown as a string`);
      return Number.isNaN(value.v) ? 'NaN' : value.v > 0 ? 'Infinity' : '-Infinity';
    case 'string': {
      const text = utf8Text(value.v);
      if (text !== null) return text;
      note?.(path, 'bytes that are not UTF-8 are shown as base64');
      return Buffer.from(value.v.buffer, value.v.byteOffset, value.v.byteLength).toString('base64');
    }
    case 'array':
      if (isList(value.entries))
        return value.entries.map(([, item], index) => toJson(item, notePath(path, String(index)), note));
      return entriesToJson({}, value.entries, false, path, note);
    case 'object':
      if (value.opaque) {
        note?.(path, `the ${value.className} object is outside the allowed classes and not shown`);
        return { __class: value.className, __opaque: true };
      }
      return entriesToJson({ __class: value.className }, value.props, true, path, note);
    case 'custom':
      note?.(path, `the ${value.className} object is custom-serialized (C:) and not shown`);
      return { __class: value.className, __opaque: true };
    case 'enum':
      return { __class: value.className, __case: value.caseName };
    case 'ref':
      if (value.recursive) {
        note?.(path, 'a reference back into an enclosing value is shown as {"__recursion": true}');
        return { __recursion: true };
      }
      return toJson(value.target, path, note);
  }
}

/** The JSON view of a value (see the file comment for every type's shape). */
export function phpToJson(value: PhpValue, note?: JsonViewNote): JsonValue {
  return toJson(value, '', note);
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values (0 and -0 are equal, as JSON cannot tell them apart). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * Entries edited through their JSON object: an entry whose name is still there keeps its key (visibility
 * prefix included) and position, with its value merged; a missing name drops it; a new name is appended
 * under `newKey(name)`. An entry the view never showed (shadowed by a later one of the same name, a
 * property called `__class`) is kept unchanged while its name is there.
 */
function mergeEntries(
  json: JsonObject,
  entries: readonly PhpEntry[],
  property: boolean,
  newKey: (name: string) => PhpKey,
  origins: Map<PhpValue, PhpValue>,
): PhpEntry[] {
  const shown = new Map<string, PhpEntry>();
  for (const entry of entries) shown.set(phpKeyToJson(entry[0], property), entry);
  const out: PhpEntry[] = [];
  const done = new Set<string>(property ? ['__class'] : []);
  for (const entry of entries) {
    const name = phpKeyToJson(entry[0], property);
    if (property && name === '__class') {
      out.push(entry);
      continue;
    }
    if (!Object.hasOwn(json, name)) continue;
    if (shown.get(name) !== entry) {
      out.push(entry);
      continue;
    }
    done.add(name);
    out.push([entry[0], merge(json[name]!, entry[1], origins)]);
  }
  for (const name of Object.keys(json)) {
    if (!done.has(name)) out.push([newKey(name), jsonToPhp(json[name]!)]);
  }
  return out;
}

const propertyKey = (name: string): PhpKey => phpString(name);

function decodeBase64(text: string): Uint8Array | null {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : null;
}

/**
 * The edited JSON `json` as PHP data, typed like `previous` where that still fits. A value whose view did
 * not change is `previous` itself, so it is written back byte for byte (a float's text, an object's class,
 * private and protected property keys, references). Otherwise, recursively:
 * - an array edited as an object keeps its keys, their order and untouched values (`mergeEntries`: a
 *   missing name drops its entry, a new one is appended as a PHP array key, `"5"` as the int 5); a list
 *   edited as an array keeps each item's type by position;
 * - an object edited with the same `__class` stays that object, its properties merged the same way (a new
 *   one is public); with another or no `__class`, or an opaque object or enum that changed, the new JSON
 *   is a new value (`jsonToPhp`: an array, never an object);
 * - a string stays a string (one shown as base64 reads an edit as base64 when that decodes to bytes that
 *   are not UTF-8, so the edit shows as itself); an int takes a safe integer (any other number makes it a
 *   float) or, beyond 2^53, the decimal string it was shown as; a float takes a number or
 *   `'NaN'`/`'Infinity'`/`'-Infinity'`;
 * - a reference that changed becomes a plain value, typed like its target: the edit no longer shares it.
 *   One that did not change keeps its target as it was (written as a copy where the target itself was
 *   edited away), except a cycle marker, which follows its enclosing value, so a cycle stays a cycle (a
 *   marker inside a shared value that was edited at another of its places, and so copied out of what it
 *   stood in, becomes a reference to that value, as PHP had it, not a marker);
 * - everything else: `jsonToPhp`.
 */
export function mergePhp(json: JsonValue, previous: PhpValue): PhpValue {
  const origins = new Map<PhpValue, PhpValue>();
  return retarget(merge(json, previous, origins), origins);
}

/** A top-level array (a session) edited as an object; new names are keyed by `newKey`. */
export function mergePhpArray(
  json: JsonObject,
  previous: PhpArray,
  newKey: (name: string) => PhpKey,
): PhpArray {
  const origins = new Map<PhpValue, PhpValue>();
  const merged: PhpArray = {
    t: 'array',
    entries: mergeEntries(json, previous.entries, false, newKey, origins),
  };
  origins.set(merged, previous);
  return retarget(merged, origins) as PhpArray;
}

/** `origins`: each array and object the merge rebuilt, and the one of `previous` it came from. */
function merge(json: JsonValue, previous: PhpValue, origins: Map<PhpValue, PhpValue>): PhpValue {
  if (jsonEqual(phpToJson(previous), json)) return previous;
  switch (previous.t) {
    case 'ref':
      return previous.recursive ? jsonToPhp(json) : merge(json, previous.target, origins);
    case 'array': {
      let entries: PhpEntry[] | null = null;
      if (isObject(json)) entries = mergeEntries(json, previous.entries, false, arrayKeyOf, origins);
      else if (Array.isArray(json) && isList(previous.entries)) {
        entries = json.map((item, index) => {
          const before = previous.entries[index];
          return [{ t: 'int', v: index }, before ? merge(item, before[1], origins) : jsonToPhp(item)];
        });
      }
      if (entries === null) break;
      const next: PhpValue = { t: 'array', entries };
      origins.set(next, previous);
      return next;
    }
    case 'object':
      if (!previous.opaque && isObject(json) && json['__class'] === previous.className) {
        const next: PhpValue = {
          ...previous,
          props: mergeEntries(json, previous.props, true, propertyKey, origins),
        };
        origins.set(next, previous);
        return next;
      }
      break;
    case 'string':
      if (typeof json === 'string') {
        // Bytes shown as base64 read an edit as base64 when it decodes to bytes that show as base64 again.
        const shownAsBase64 = previous.v.length > 0 && utf8Text(previous.v) === null;
        const raw = shownAsBase64 ? decodeBase64(json) : null;
        return raw && utf8Text(raw) === null ? { t: 'string', v: raw } : phpString(json);
      }
      break;
    case 'int':
      if (typeof json === 'number') return Number.isSafeInteger(json) ? phpInt(json) : phpFloat(json);
      // The view shows an int beyond 2^53 as its decimal string: an edit in that form stays an int.
      if (typeof json === 'string' && /^-?[1-9]\d{15,18}$/.test(json)) {
        const value = BigInt(json);
        if (value >= INT64_MIN && value <= INT64_MAX && typeof safeNumber(value) === 'bigint') {
          return { t: 'int', v: value };
        }
      }
      break;
    case 'float':
      if (typeof json === 'number') return phpFloat(json);
      if (json === 'NaN') return phpFloat(Number.NaN);
      if (json === 'Infinity') return phpFloat(Number.POSITIVE_INFINITY);
      if (json === '-Infinity') return phpFloat(Number.NEGATIVE_INFINITY);
      break;
    default:
      break;
  }
  return jsonToPhp(json);
}

/**
 * The merged tree with every cycle marker pointing at the enclosing value it stands for: the nearest
 * enclosing array or object that is, or was rebuilt from, its old target. Arrays and objects that hold a
 * marker (or a reference to one that does) are copied, since the copy is what the marker must reach; a
 * reference to one follows it to the copy, so the copy stays shared, and a reference to one that an edit
 * replaced gets a copy of it right there. All else stays the node it was.
 */
function retarget(root: PhpValue, origins: Map<PhpValue, PhpValue>): PhpValue {
  if (origins.size === 0) return root;
  const holdsMarker = new Map<PhpValue, boolean>();
  const holds = (value: PhpValue): boolean => {
    if (value.t === 'ref') return value.recursive === true || holds(value.target);
    if (value.t !== 'array' && value.t !== 'object') return false;
    let known = holdsMarker.get(value);
    if (known === undefined) {
      holdsMarker.set(value, false);
      known = (value.t === 'array' ? value.entries : value.props).some(([, item]) => holds(item));
      holdsMarker.set(value, known);
    }
    return known;
  };
  const copies = new Map<PhpValue, PhpValue>();
  const enclosing: { origin: PhpValue; copy: PhpValue }[] = [];
  const visit = (value: PhpValue): PhpValue => {
    if (value.t === 'ref') {
      if (!value.recursive) {
        const copy = copies.get(value.target);
        if (copy) return { ...value, target: copy };
        // Targets come before their references: one that holds a marker and was not met is gone.
        return holds(value.target) ? visit(value.target) : value;
      }
      for (let index = enclosing.length - 1; index >= 0; index -= 1) {
        const { origin, copy } = enclosing[index]!;
        if (origin === value.target) return { ...value, target: copy };
      }
      // A marker copied out of what it stood in (a shared value edited elsewhere): no longer a cycle, but
      // a reference to where that value now is, as PHP had it.
      const copy = copies.get(value.target);
      return copy ? { t: 'ref', kind: value.kind, target: copy } : value;
    }
    if ((value.t !== 'array' && value.t !== 'object') || !holds(value)) return value;
    const entries: PhpEntry[] = [];
    const copy: PhpValue = value.t === 'array' ? { t: 'array', entries } : { ...value, props: entries };
    copies.set(value, copy);
    enclosing.push({ origin: origins.get(value) ?? value, copy });
    for (const [key, item] of value.t === 'array' ? value.entries : value.props)
      entries.push([key, visit(item)]);
    enclosing.pop();
    return copy;
  };
  return visit(root);
}
