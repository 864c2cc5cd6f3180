import { type DecodeBudgets, jsonTextNestsDeeper, overBudget } from '../../codecs/budgets.ts';
import { parseJsonValue } from '../../codecs/json.ts';
import { type DecodeFailure, type Decoded, decoded, failure, type JsonValue } from '../../codecs/result.ts';
import { isList } from '../../codecs/php/json-view.ts';
import {
  arrayKey,
  INT64_MAX,
  INT64_MIN,
  type PhpArray,
  type PhpEntry,
  type PhpValue,
  phpFloatText,
  phpInt,
  phpString,
  utf8Text,
} from '../../codecs/php/values.ts';

/**
 * Laravel 9+'s `session.serialization = json`: the payload is `json_encode($attributes)` and is read with
 * `json_decode($payload, true)`. The text becomes the PHP array `json_decode` builds (objects and lists are
 * arrays, `"5"` keys the int 5, a repeated key replaces the earlier value in its place, integers beyond int64
 * floats), so an edit merges into it like any PHP session (`mergePhpArray`) and what an update does not touch
 * is written back with the text PHP wrote: a float keeps its digits, keys keep PHP's order (a JSON object in
 * JavaScript would list integer-like keys first).
 */

const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const utf8Encoder = new TextEncoder();

/** Arrays and objects `json_decode` nests at most: its default depth, 512, counts the scalar in the deepest. */
const JSON_DECODE_NESTING = 511;

/** Whether a key or a string of `value` holds a lone surrogate (`"\ud800"`), which `json_decode` refuses. */
function hasLoneSurrogate(value: JsonValue): boolean {
  const pending: JsonValue[] = [value];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node === 'string') {
      if (!node.isWellFormed()) return true;
    } else if (Array.isArray(node)) {
      for (const item of node) pending.push(item);
    } else if (typeof node === 'object' && node !== null) {
      for (const [name, item] of Object.entries(node)) {
        if (!name.isWellFormed()) return true;
        pending.push(item);
      }
    }
  }
  return false;
}
const SCALAR = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * The values of `value` and the keys of its arrays and objects, counted until past `most`: the PHP array
 * built from it holds a key per item, which the values budget counts as serialize-reader.ts counts it (a
 * million JSON values within the budgets became 250 MB and more of PHP entries).
 */
function valuesAndKeys(value: JsonValue, most: number): number {
  let count = 0;
  const pending: JsonValue[] = [value];
  for (let node = pending.pop(); node !== undefined && count <= most; node = pending.pop()) {
    count += 1;
    if (typeof node !== 'object' || node === null) continue;
    const items = Array.isArray(node) ? node : Object.values(node);
    count += items.length;
    for (const item of items) pending.push(item);
  }
  return count;
}

/** The attributes of a JSON payload, as `json_decode($payload, true)` builds them, or why there are none. */
export function decodeLaravelJson(text: string, budgets: DecodeBudgets): Decoded<PhpArray> {
  const refused = refusal(text, budgets);
  if (refused) return refused;
  // Strings and keys are views of one buffer (a Uint8Array of its own per string takes twice the heap); their
  // UTF-8 is no longer than the JSON text's, escapes included.
  const arena = new Uint8Array(Buffer.byteLength(text));
  let used = 0;
  const bytesOf = (string: string): Uint8Array => {
    const { read, written } = utf8Encoder.encodeInto(string, arena.subarray(used));
    if (read !== string.length) return utf8Encoder.encode(string);
    used += written;
    return arena.subarray(used - written, used);
  };
  let pos = 0;
  const skip = () => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos += 1;
  };
  const stringAt = (): string => {
    const start = pos;
    pos += 1;
    while (text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    pos += 1;
    return JSON.parse(text.slice(start, pos)) as string;
  };
  const value = (): PhpValue => {
    skip();
    const char = text[pos]!;
    if (char === '{' || char === '[') {
      pos += 1;
      const entries: PhpEntry[] = [];
      skip();
      if (text[pos] === (char === '{' ? '}' : ']')) {
        pos += 1;
        return { t: 'array', entries };
      }
      const index = char === '{' ? new Map<string, number>() : null;
      for (;;) {
        skip();
        if (index) {
          const key = arrayKey(bytesOf(stringAt()));
          skip();
          pos += 1; // ':'
          const item = value();
          const name = `${key.t}:${key.t === 'int' ? key.v : Buffer.from(key.v).toString('latin1')}`;
          const earlier = index.get(name);
          if (earlier === undefined) {
            index.set(name, entries.length);
            entries.push([key, item]);
          } else entries[earlier] = [entries[earlier]![0], item];
        } else {
          entries.push([{ t: 'int', v: entries.length }, value()]);
        }
        skip();
        if (text[pos++] !== ',') return { t: 'array', entries };
      }
    }
    if (char === '"') return { t: 'string', v: bytesOf(stringAt()) };
    SCALAR.lastIndex = pos;
    const token = SCALAR.exec(text)![0];
    pos += token.length;
    if (token === 'true' || token === 'false') return { t: 'bool', v: token === 'true' };
    if (token === 'null') return { t: 'null' };
    if (INTEGER.test(token)) {
      const big = BigInt(token);
      if (big >= INT64_MIN && big <= INT64_MAX) return phpInt(big);
    }
    return { t: 'float', v: Number(token), text: token };
  };
  const attributes = value();
  return decoded(attributes as PhpArray);
}

/**
 * Why Laravel, or the budgets, refuse a JSON payload, or null. The text is parsed by `JSON.parse` under the
 * budgets, so what decodeLaravelJson walks is valid JSON nested no deeper than `maxDepth` (its recursion is
 * bounded by the budget); the parsed value is let go before the walk builds the PHP array.
 */
function refusal(text: string, budgets: DecodeBudgets): DecodeFailure | null {
  const checked = jsonDecode(text, budgets);
  if (!checked.ok) {
    return 'refused' in checked
      ? failure('corrupt', `the payload ${checked.refused}: Laravel starts an empty session`)
      : checked;
  }
  if (typeof checked.value !== 'object' || checked.value === null) {
    return failure(
      'corrupt',
      'the payload is JSON but not an object or array: Laravel starts an empty session',
    );
  }
  if (valuesAndKeys(checked.value, budgets.maxValues) > budgets.maxValues) {
    return overBudget.values(budgets);
  }
  return null;
}

/**
 * `json_decode($text)` under the budgets: the value, what `json_decode` refuses that JSON.parse reads
 * (`refused`: nesting 512 deep, a lone surrogate), or the budgets' failure.
 */
export function jsonDecode(
  text: string,
  budgets: DecodeBudgets,
): { ok: true; value: JsonValue } | { ok: false; refused: string } | DecodeFailure {
  if (jsonTextNestsDeeper(text, JSON_DECODE_NESTING)) {
    return { ok: false, refused: 'nests 512 deep, past json_decode' };
  }
  const parsed = parseJsonValue(text, budgets, 'the payload');
  if (parsed.ok && hasLoneSurrogate(parsed.value)) {
    return { ok: false, refused: 'escapes a lone surrogate, which json_decode refuses' };
  }
  return parsed;
}

const HEX = '0123456789abcdef';
const hex4 = (code: number) =>
  `\\u${HEX[(code >> 12) & 15]}${HEX[(code >> 8) & 15]}${HEX[(code >> 4) & 15]}${HEX[code & 15]}`;

/** A string as `json_encode` writes it by default: `/` escaped, everything beyond ASCII as `\uXXXX`. */
function jsonString(bytes: Uint8Array): string {
  const text = utf8Text(bytes);
  if (text === null) throw new RangeError('json_encode cannot write a string that is not UTF-8');
  let out = '"';
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code === 0x2f) out += '\\/';
    else if (code === 0x08) out += '\\b';
    else if (code === 0x0c) out += '\\f';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else if (code < 0x20 || code > 0x7f) out += hex4(code);
    else out += text[index];
  }
  return `${out}"`;
}

/**
 * `json_encode($attributes)` with PHP's default flags. Throws RangeError where PHP's would fail (a float that
 * is not finite, bytes that are not UTF-8) or for what JSON cannot hold (objects, which a JSON payload never
 * has and an edit never makes). References are written as their target, as `json_encode` does.
 */
export function encodeLaravelJson(attributes: PhpArray): string {
  const write = (value: PhpValue, depth: number): string => {
    if (depth > 512) throw new RangeError('json_encode cannot nest deeper than 512 levels');
    switch (value.t) {
      case 'null':
        return 'null';
      case 'bool':
        return value.v ? 'true' : 'false';
      case 'int':
        return String(value.v);
      case 'float':
        if (!Number.isFinite(value.v)) throw new RangeError('json_encode cannot write INF or NAN');
        return value.text ?? phpFloatText(value.v).replace('E', 'e');
      case 'string':
        return jsonString(value.v);
      case 'array':
        if (isList(value.entries))
          return `[${value.entries.map(([, item]) => write(item, depth + 1)).join(',')}]`;
        return `{${value.entries
          .map(
            ([key, item]) =>
              `${jsonString(key.t === 'int' ? phpString(String(key.v)).v : key.v)}:${write(item, depth + 1)}`,
          )
          .join(',')}}`;
      case 'ref':
        return write(value.target, depth);
      default:
        throw new RangeError(`a JSON session cannot hold a PHP ${value.t}`);
    }
  };
  return write(attributes, 0);
}
