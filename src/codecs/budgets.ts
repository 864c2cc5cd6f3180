import { type DecodeFailure, failure, type JsonObject, type JsonValue } from './result.ts';

/**
 * The limits every decoder works under. Stored rows are untrusted: a few KB of pickle can reference one
 * large string a million times, a signed Django payload can nest 200,000 levels deep, a blob can be 10 MiB.
 * Each budget is far above what a real session holds and low enough that one row cannot take the process
 * down; a row over any of them is INVALID with a problem naming the budget, decided in bounded time.
 */
export interface DecodeBudgets {
  /** Largest stored value read, in bytes; a larger one is not even fetched from PostgreSQL. */
  maxInputBytes: number;
  /**
   * Largest decoded data, counted as the UTF-8 JSON it prints as, with a value shared through references
   * counted at every place it appears (that is what a response or the projection would hold).
   */
  maxOutputBytes: number;
  /** Deepest nesting of arrays and objects (lists, dicts, tuples, sets, objects). */
  maxDepth: number;
  /** Most values a decode may build or visit (the work budget). */
  maxValues: number;
}

export const DEFAULT_BUDGETS: Readonly<DecodeBudgets> = Object.freeze({
  maxInputBytes: 16 * 1024 * 1024,
  maxOutputBytes: 8 * 1024 * 1024,
  maxDepth: 512,
  maxValues: 1_000_000,
});

/** `8 MiB`, `512 KiB`, `100 bytes`: how a budget reads in a problem. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The failures, one per budget; their text is what `Session.problem` shows after "over-budget: ". */
export const overBudget = {
  input: (budgets: DecodeBudgets): DecodeFailure =>
    failure(
      'over-budget',
      `stored data exceeds ${formatBytes(budgets.maxInputBytes)} (budgets.maxInputBytes)`,
    ),
  output: (budgets: DecodeBudgets): DecodeFailure =>
    failure(
      'over-budget',
      `decoded data exceeds ${formatBytes(budgets.maxOutputBytes)} (budgets.maxOutputBytes)`,
    ),
  depth: (budgets: DecodeBudgets): DecodeFailure =>
    failure('over-budget', `nesting deeper than ${budgets.maxDepth} levels (budgets.maxDepth)`),
  values: (budgets: DecodeBudgets): DecodeFailure =>
    failure(
      'over-budget',
      `more than ${budgets.maxValues.toLocaleString('en-US')} values (budgets.maxValues)`,
    ),
};

/** How often `chars` occur in `text`, counted by the native `indexOf` and only up to `enough`. */
function occurrences(text: string, chars: readonly string[], enough: number): number {
  let count = 0;
  for (const char of chars) {
    for (let at = text.indexOf(char); at !== -1 && count < enough; at = text.indexOf(char, at + 1))
      count += 1;
  }
  return count;
}

/** Whether `found` holds for some character code of a JSON text outside its strings, read in order. */
function someOutsideStrings(text: string, found: (code: number) => boolean): boolean {
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 92) index += 1;
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (found(code)) return true;
  }
  return false;
}

/**
 * Whether a JSON text nests arrays and objects deeper than `maxDepth`, found without parsing (brackets in
 * strings skipped). Nesting that deep needs that many opening brackets, so the common case is settled by
 * counting them with the native `indexOf` and never walks the text character by character.
 */
export function jsonTextNestsDeeper(text: string, maxDepth: number): boolean {
  if (text.length <= maxDepth || occurrences(text, ['{', '['], maxDepth + 1) <= maxDepth) return false;
  let depth = 0;
  return someOutsideStrings(text, (code) => {
    if (code === 123 || code === 91) return ++depth > maxDepth;
    if (code === 125 || code === 93) depth -= 1;
    return false;
  });
}

/**
 * Whether a JSON text has more than `maxValues` members and items, found without parsing: n commas outside
 * its strings separate at least n + 1 of them (checkJsonValue counts every array item and member value, and
 * the root). A refusal on purpose where keys repeat (JSON.parse keeps the last): the parse would build them
 * all the same. Only a lower bound otherwise, so a text it passes may still be over, once parsed. As in
 * jsonTextNestsDeeper, counting commas with the native `indexOf` settles most texts without walking them.
 */
export function jsonTextHasMoreValues(text: string, maxValues: number): boolean {
  if (text.length <= maxValues || occurrences(text, [','], maxValues) < maxValues) return false;
  let commas = 0;
  return someOutsideStrings(text, (code) => code === 44 && ++commas >= maxValues);
}

/** Characters a path in a decode note holds at most. */
const MAX_NOTE_PATH = 200;

/**
 * `path` one step down, under `name`, as a JSON pointer (`~` and `/` escaped) for the notes a JSON view
 * makes, cut at MAX_NOTE_PATH characters with `…`. Every note repeats its whole path, and the budgets count
 * a key once per place in the view, not once per note: a Flask row of 1 MB (a 1 MB key shared through the
 * memo, seven levels deep, twenty NaNs below) made 140 MB of notes.
 */
export function notePath(path: string, name: string): string {
  if (path.length > MAX_NOTE_PATH) return path;
  const step = name.length > MAX_NOTE_PATH ? name.slice(0, MAX_NOTE_PATH) : name;
  const next = `${path}/${step.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  return next.length > MAX_NOTE_PATH ? `${next.slice(0, MAX_NOTE_PATH)}…` : next;
}

/** UTF-8 bytes of `JSON.stringify(text)`: the quotes, escapes (`\n`, `\u0001`, lone surrogates) and text. */
export function jsonStringBytes(text: string): number {
  let bytes = 2;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x80) {
      if (code === 34 || code === 92 || code === 8 || code === 9 || code === 10 || code === 12 || code === 13)
        bytes += 2;
      else bytes += code < 0x20 ? 6 : 1;
    } else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index += 1;
      } else bytes += 6;
    } else if (code >= 0xdc00 && code <= 0xdfff) bytes += 6;
    else bytes += 3;
  }
  return bytes;
}

/** Bytes of a number as JSON.stringify prints it (non-finite numbers print as `null`). */
const numberBytes = (value: number) => (Number.isFinite(value) ? String(value).length : 4);

/**
 * Walks a decoded JSON value without recursion and checks it against the output, depth and values budgets.
 * Returns null when it fits. Arrays and objects met again (shared) are counted again, as JSON would print
 * them; the walk stops as soon as a budget is exceeded, so its own work is bounded by them.
 */
export function checkJsonValue(value: JsonValue, budgets: DecodeBudgets): DecodeFailure | null {
  let bytes = 0;
  let values = 0;
  // A stack of pending values with their depth; containers push their members.
  const pending: JsonValue[] = [value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const depth = depths.pop()!;
    values += 1;
    if (values > budgets.maxValues) return overBudget.values(budgets);
    if (node === null) bytes += 4;
    else if (typeof node === 'string') bytes += jsonStringBytes(node);
    else if (typeof node === 'number') bytes += numberBytes(node);
    else if (typeof node === 'boolean') bytes += node ? 4 : 5;
    else {
      if (depth + 1 > budgets.maxDepth) return overBudget.depth(budgets);
      if (Array.isArray(node)) {
        bytes += 2 + Math.max(0, node.length - 1);
        for (let index = node.length - 1; index >= 0; index -= 1) {
          pending.push(node[index] as JsonValue);
          depths.push(depth + 1);
        }
      } else {
        const keys = Object.keys(node);
        bytes += 2 + Math.max(0, keys.length - 1) + keys.length;
        for (const key of keys) {
          bytes += jsonStringBytes(key);
          pending.push((node as JsonObject)[key] as JsonValue);
          depths.push(depth + 1);
        }
      }
    }
    if (bytes > budgets.maxOutputBytes) return overBudget.output(budgets);
  }
  return null;
}
