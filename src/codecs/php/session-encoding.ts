/**
 * PHP's session serialize handlers (ext/session/session.c, PHP 8.2), which turn `$_SESSION` into the bytes a
 * save handler stores (Symfony's PdoSessionHandler: the `sess_data` column as is):
 *
 * - `php` (the default): `name|<serialize(value)>` for each variable, one numbering for all values, so a
 *   `r:`/`R:` may reach a value of an earlier variable. Decoding scans for `|`, reads one value, repeats;
 *   bytes left with no `|` fail the whole decode, as they do in PHP 8.2. Names are bytes and may be empty
 *   or numeric (`5|i:1;` is the string key "5", which the application cannot even reach: `$_SESSION['5']`
 *   looks up the int 5); PHP 8 has no `!name|` "undefined" marker any more (PHP 5's PS_UNDEF_MARKER is
 *   gone: `!a|i:1;` is a variable named `!a`). A repeated name replaces the value in the first one's place.
 *   Encoding refuses a name with `|` (PHP fails the write) and a numeric one (PHP holds it as an int key,
 *   which it skips with a warning); an empty session is empty bytes.
 * - `php_serialize`: one `serialize($_SESSION)`. Empty bytes and `N;` are an empty session; bytes after the
 *   array are ignored (PHP's decoder ignores them); a value that is not an array is `corrupt` (PHP would
 *   make `$_SESSION` that scalar or object and fail to write it back).
 *
 * `php_binary` and the igbinary/msgpack handlers are not read.
 */
import { type DecodeBudgets, overBudget } from '../budgets.ts';
import { type Decoded, failure, type JsonObject } from '../result.ts';
import { entriesToJson, type JsonViewNote, mergePhpArray, phpKeyToJson } from './json-view.ts';
import {
  guardRead,
  keyViewBytes,
  type PhpReadOptions,
  PhpReadError,
  PhpSerializedReader,
} from './serialize-reader.ts';
import { jsonToPhp, PhpSerializedWriter, writePhpSerialized } from './serialize-writer.ts';
import { arrayKey, arrayKeyOf, type PhpArray, type PhpEntry, type PhpKey, phpString } from './values.ts';

export type PhpSessionHandler = 'php' | 'php_serialize';

const PIPE = 0x7c;

function decodePhpHandler(
  bytes: Uint8Array,
  budgets: DecodeBudgets,
  options: PhpReadOptions,
): Decoded<PhpArray> {
  return guardRead(() => {
    // One reader for every variable: the values share PHP's numbering. The view is one object around them.
    const reader = new PhpSerializedReader(bytes, budgets, options, 1);
    reader.count(2, 1);
    const entries: PhpEntry[] = [];
    const index = new Map<string, number>();
    let pos = 0;
    while (pos < bytes.length) {
      const bar = bytes.indexOf(PIPE, pos);
      if (bar === -1) {
        throw new PhpReadError(failure('corrupt', `bytes at ${pos} are not a name|value pair`));
      }
      const key: PhpKey = { t: 'string', v: new Uint8Array(bytes.subarray(pos, bar)) };
      const name = Buffer.from(key.v).toString('latin1');
      const earlier = index.get(name);
      reader.count((entries.length > 0 ? 1 : 0) + keyViewBytes(key, false) + 1, 1);
      reader.pos = bar + 1;
      const value = reader.read();
      if (earlier === undefined) {
        index.set(name, entries.length);
        entries.push([key, value]);
      } else {
        entries[earlier] = [entries[earlier]![0], value];
      }
      pos = reader.pos;
    }
    return { t: 'array', entries };
  });
}

function decodePhpSerializeHandler(
  bytes: Uint8Array,
  budgets: DecodeBudgets,
  options: PhpReadOptions,
): Decoded<PhpArray> {
  if (bytes.length === 0) return { ok: true, value: { t: 'array', entries: [] } };
  const read = guardRead(() => new PhpSerializedReader(bytes, budgets, options).read(true));
  if (!read.ok) return read;
  if (read.value.t === 'null') return { ok: true, value: { t: 'array', entries: [] } };
  if (read.value.t !== 'array')
    return failure('corrupt', `the session is a serialized ${read.value.t}, not an array`);
  return { ok: true, value: read.value };
}

/**
 * Decode stored session bytes into `$_SESSION` as PHP would hold it: an array of name → value. Never throws;
 * failures as `readPhpSerialized` reports them (it is the reader both handlers use).
 */
export function decodePhpSession(
  bytes: Uint8Array,
  handler: PhpSessionHandler,
  budgets: DecodeBudgets,
  options: PhpReadOptions = {},
): Decoded<PhpArray> {
  if (bytes.length > budgets.maxInputBytes) return overBudget.input(budgets);
  if (handler === 'php_serialize') return decodePhpSerializeHandler(bytes, budgets, options);
  return decodePhpHandler(bytes, budgets, options);
}

/**
 * The bytes PHP's `session_encode()` writes for `session`. Throws RangeError where PHP would not write the
 * session as given: under `php`, a name containing `|` or a numeric one; a value `writePhpSerialized` refuses.
 */
export function encodePhpSession(session: PhpArray, handler: PhpSessionHandler): Uint8Array {
  if (handler === 'php_serialize') return writePhpSerialized(session);
  const writer = new PhpSerializedWriter();
  for (const [key, value] of session.entries) {
    // PHP makes $_SESSION['5'] the int key 5, which this handler skips; a string "5" decodes unreachable.
    if (key.t === 'int' || arrayKey(key.v).t === 'int') {
      throw new RangeError(`the php session handler cannot store the numeric name ${phpKeyToJson(key)}`);
    }
    if (key.v.includes(PIPE))
      throw new RangeError('the php session handler cannot store a name containing |');
    writer.raw(key.v);
    writer.raw(Uint8Array.of(PIPE));
    writer.write(value);
  }
  return writer.finish();
}

/** The session's JSON view: always an object of name → `phpToJson(value)`, even when the keys are 0, 1, 2. */
export function phpSessionToJson(session: PhpArray, note?: JsonViewNote): JsonObject {
  return entriesToJson({}, session.entries, false, '', note);
}

/**
 * `$_SESSION` after an edit of its JSON view, typed like `previous` where that still fits (see `mergePhp`).
 * New names are string keys under `php` (its names are always strings) and PHP array keys under
 * `php_serialize` (`"5"` becomes the int 5, as `$_SESSION["5"] = ...` makes it).
 */
export function mergePhpSession(
  data: JsonObject,
  previous: PhpArray | undefined,
  handler: PhpSessionHandler,
): PhpArray {
  const newKey = handler === 'php' ? phpString : arrayKeyOf;
  if (!previous)
    return { t: 'array', entries: Object.keys(data).map((name) => [newKey(name), jsonToPhp(data[name]!)]) };
  return mergePhpArray(data, previous, newKey);
}
