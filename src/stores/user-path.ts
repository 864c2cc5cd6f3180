import type { JsonObject, JsonValue } from '../codecs/result.ts';

/** Reading and writing a value at a path of keys inside session data, without trusting the data's shape. */
export function valueAt(data: JsonObject, path: readonly string[]): JsonValue | undefined {
  let node: JsonValue | undefined = data;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, key))
      return undefined;
    node = node[key];
  }
  return node;
}

/** A user id as found in data: numbers and strings become the users-table key as text. */
export function userIdAt(data: JsonObject, paths: readonly (readonly string[])[]): string | null {
  for (const path of paths) {
    const value = valueAt(data, path);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return null;
}

/** A copy of `data` with `value` at `path`, creating objects on the way. */
export function withValueAt(data: JsonObject, path: readonly string[], value: JsonValue): JsonObject {
  const [head, ...rest] = path;
  if (head === undefined) return data;
  const copy: JsonObject = { ...data };
  const child = copy[head];
  const next =
    rest.length === 0
      ? value
      : withValueAt(
          typeof child === 'object' && child !== null && !Array.isArray(child) ? child : {},
          rest,
          value,
        );
  Object.defineProperty(copy, head, { value: next, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** The user id as the application stores it: a number when the users key is an integer column. */
export function typedUserId(userId: string, keyPgType: string): JsonValue {
  return ['integer', 'smallint', 'bigint'].includes(keyPgType) && Number.isSafeInteger(Number(userId))
    ? Number(userId)
    : userId;
}
