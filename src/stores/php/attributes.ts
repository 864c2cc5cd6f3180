import type { JsonObject, JsonValue } from '../../codecs/result.ts';
import { entriesToJson, mergePhpArray, phpKeyToJson, phpToJson } from '../../codecs/php/json-view.ts';
import type { PhpArray, PhpEntry, PhpValue } from '../../codecs/php/values.ts';
import { arrayKeyOf } from '../../codecs/php/values.ts';

/**
 * What the Symfony and Laravel layouts share: `data` is an array of attributes (Symfony's attribute bag,
 * Laravel's session array), some of which the framework manages. Managed attributes (CSRF secrets, the login,
 * flash bookkeeping) are hidden from `data`, refused in edits and written back as PHP wrote them.
 *
 * Some of them are known only by a pattern (`_csrf/<token id>`, `login_<guard>_<sha1>`), while the shared
 * blob store hides and protects keys through a `Set`: `ManagedNames` answers `has` by name or pattern, and
 * its members are the names a decoded session may carry in `full` (the user id, and the password hash a
 * framework's login check compares). `mergeManaged` takes managed values from the stored tree, never from
 * `full`, so no edit can reach them.
 */
export class ManagedNames extends Set<string> {
  readonly #patterns: readonly RegExp[];

  constructor(names: readonly string[], patterns: readonly RegExp[]) {
    super(names);
    this.#patterns = patterns;
  }

  override has(name: string): boolean {
    return super.has(name) || this.#patterns.some((pattern) => pattern.test(name));
  }
}

/** The value a `R:`/`r:` stands for. */
export const deref = (value: PhpValue): PhpValue => (value.t === 'ref' ? value.target : value);

/** The entry of `array` whose key shows as `name`, if any (the last one, as the JSON view shows it). */
export function entryNamed(array: PhpArray, name: string): PhpEntry | undefined {
  let found: PhpEntry | undefined;
  for (const entry of array.entries) if (phpKeyToJson(entry[0]) === name) found = entry;
  return found;
}

/** Set an own enumerable property, `__proto__` included. */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The lossy choices a view made, for `Session.decodeNote` (a few, then a count). */
export function noteCollector() {
  const notes: string[] = [];
  let more = 0;
  return {
    note: (path: string, what: string) => {
      if (notes.length < 3) notes.push(`${path || '/'}: ${what}`);
      else more += 1;
    },
    text: () =>
      notes.length === 0 ? null : more > 0 ? `${notes.join('; ')}; and ${more} more` : notes.join('; '),
  };
}

/** The JSON view of the attributes that are not managed. */
export function visibleView(
  entries: readonly PhpEntry[],
  managed: ManagedNames,
  note: (path: string, what: string) => void,
): JsonObject {
  return entriesToJson(
    {},
    entries.filter(([key]) => !managed.has(phpKeyToJson(key))),
    false,
    '',
    note,
  );
}

/**
 * The attributes after an edit of their visible view: visible ones merged as `mergePhpArray` merges (untouched
 * values are the stored nodes, written back byte for byte), managed ones kept where they were, whatever
 * `full` says about them. New names are PHP array keys (`"5"` is the int 5, as `$session->set('5', ...)`).
 */
export function mergeManaged(full: JsonObject, previous: PhpArray, managed: ManagedNames): PhpArray {
  const json: JsonObject = {};
  for (const key of Object.keys(full)) if (!managed.has(key)) setOwn(json, key, full[key]!);
  for (const [key, value] of previous.entries) {
    const name = phpKeyToJson(key);
    // Its own view again: the merge sees it unchanged and keeps the stored node in its place.
    if (managed.has(name)) setOwn(json, name, phpToJson(value));
  }
  return mergePhpArray(json, previous, arrayKeyOf);
}

/** `full` without its managed names: what a new session's attributes are made of. */
export function withoutManaged(full: JsonObject, managed: ManagedNames): JsonObject {
  const copy: JsonObject = {};
  for (const key of Object.keys(full)) if (!managed.has(key)) setOwn(copy, key, full[key]!);
  return copy;
}
