import type { JsonObject, JsonValue } from '../codecs/result.ts';
import { InvalidInputError, InvalidSessionDataError } from '../errors/domain.ts';

/**
 * Pure rules for session data written through the API: what may be stored, and how a patch applies.
 * PostgreSQL's jsonb rejects NUL characters and very deep nesting, so both are refused here, with the
 * path that offends, before anything reaches SQL.
 */

export interface DataLimits {
  maxBytes: number;
  maxDepth: number;
}

export const defaultDataLimits: DataLimits = { maxBytes: 64 * 1024, maxDepth: 32 };

export function assertStorable(value: JsonValue, limits: DataLimits, root = 'data'): void {
  const visit = (node: JsonValue, path: string, depth: number) => {
    if (depth > limits.maxDepth) {
      throw new InvalidSessionDataError(path, `nested deeper than ${limits.maxDepth} levels`);
    }
    if (typeof node === 'string') {
      if (node.includes('\u0000')) throw new InvalidSessionDataError(path, 'strings must not contain NUL');
      return;
    }
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw new InvalidSessionDataError(path, 'numbers must be finite');
      return;
    }
    if (node === null || typeof node === 'boolean') return;
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) visit(item, `${path}[${index}]`, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(node)) {
      if (key.includes('\u0000')) throw new InvalidSessionDataError(path, 'keys must not contain NUL');
      visit(item, `${path}.${key}`, depth + 1);
    }
  };
  visit(value, root, 0);
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > limits.maxBytes) {
    throw new InvalidSessionDataError(root, `session data is ${size} bytes; the limit is ${limits.maxBytes}`);
  }
}

export interface DataPatch {
  set?: JsonObject | null;
  unset?: readonly string[] | null;
  replace?: JsonObject | null;
}

export function validatePatch(patch: DataPatch): void {
  if (patch.replace && (patch.set || (patch.unset && patch.unset.length > 0))) {
    throw new InvalidInputError('replace', '`replace` cannot be combined with `set` or `unset`');
  }
  if (patch.set && patch.unset) {
    const both = patch.unset.filter((key) => Object.hasOwn(patch.set!, key));
    if (both.length > 0) {
      throw new InvalidInputError('unset', `keys both set and unset: ${both.join(', ')}`);
    }
  }
}

/** The data after a patch: replace wins; otherwise top-level keys are set, then unset. */
export function applyPatch(current: JsonObject, patch: DataPatch): JsonObject {
  if (patch.replace) return { ...patch.replace };
  const next: JsonObject = { ...current };
  if (patch.set) {
    for (const [key, value] of Object.entries(patch.set)) {
      Object.defineProperty(next, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  for (const key of patch.unset ?? []) delete next[key];
  return next;
}

export const isEmptyPatch = (patch: DataPatch) =>
  !patch.replace &&
  (!patch.set || Object.keys(patch.set).length === 0) &&
  (!patch.unset || patch.unset.length === 0);
