/**
 * The bounds on a read's result, checked once the reader is done: no cycles, and depth, size and the JSON
 * view's size within the limits, counting a value the memo shares at every place it appears.
 */
import { jsonStringBytes } from '../budgets.ts';
import { pyIsoFormat, timedeltaSeconds } from './datetime.ts';
import { isGlobal, type Item } from './globals.ts';
import { over, type PickleLimits, unsupported } from './limits.ts';
import { py2Text, utf8Decoder } from './text.ts';
import type { PyValue } from './values.ts';

/** A container's children, read in place: a dict's are its keys and values, in turn. */
type Kids = PyValue[] | [PyValue, PyValue][];

function children(value: PyValue): Kids | null {
  const item = value as Item;
  if (isGlobal(item)) throw unsupported(`a bare reference to ${item.qualname}`);
  switch (item.t) {
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
      return item.items;
    case 'dict':
      return item.entries;
    default:
      return null;
  }
}

const kidCount = (kids: Kids, dict: boolean) => (dict ? kids.length * 2 : kids.length);
const kidAt = (kids: Kids, dict: boolean, at: number): PyValue =>
  dict ? (kids as [PyValue, PyValue][])[at >> 1]![at & 1]! : (kids as PyValue[])[at]!;

/** Bytes of a leaf's JSON view (see `toJson` in json-view.ts); no value here is a container. */
function leafJsonBytes(value: PyValue): number {
  switch (value.t) {
    case 'none':
      return 4;
    case 'bool':
      return value.v ? 4 : 5;
    case 'int':
      // A safe integer prints as a number; a larger one as its quoted digits.
      return value.v.toString().length + 2;
    case 'float':
      return Number.isFinite(value.v) ? String(value.v).length : 11;
    case 'str':
      return jsonStringBytes(value.v);
    case 'bytes':
      if (value.py2str) return jsonStringBytes(py2Text(value.v));
      try {
        return jsonStringBytes(utf8Decoder.decode(value.v));
      } catch {
        return Math.ceil(value.v.length / 3) * 4 + 2;
      }
    case 'decimal':
      return jsonStringBytes(value.v);
    case 'timedelta':
      return String(timedeltaSeconds(value)).length;
    case 'datetime':
    case 'date':
    case 'time':
    case 'timezone':
      return jsonStringBytes(pyIsoFormat(value));
    default:
      return 4;
  }
}

/** Strings and bytes this long are measured once per object, however often the memo reuses them. */
const MEASURE_ONCE = 64;

/**
 * Reject cycles, and bound depth, tree size and the JSON view's size, counting shared memo references each
 * time. Iterative: a subtree met again adds its recorded size without being walked again, so the walk is
 * linear in the distinct values however often they are shared. Its own bookkeeping is a map entry and three
 * numbers per container, and a frame per level reused: with an object or two per container, a million small
 * containers took a second, most of it collecting them.
 */
export function checkTree(root: PyValue, limits: Required<PickleLimits>): void {
  const rootKids = children(root);
  if (!rootKids) {
    if (leafJsonBytes(root) > limits.maxOutputBytes) throw over('output', limits);
    return;
  }
  const measured = new Map<object, number>();
  const leafBytes = (leaf: PyValue): number => {
    const long = (leaf.t === 'str' || leaf.t === 'bytes') && leaf.v.length >= MEASURE_ONCE;
    if (!long) return leafJsonBytes(leaf);
    let bytes = measured.get(leaf);
    if (bytes === undefined) {
      bytes = leafJsonBytes(leaf);
      measured.set(leaf, bytes);
    }
    return bytes;
  };
  // Each container walked, by the index of its stats; its height is -1 while it is open (on the path from
  // the root), so meeting it again then is a cycle.
  const seen = new Map<object, number>();
  const sizes: number[] = [];
  const heights: number[] = [];
  /** UTF-8 bytes of the subtree's JSON view (about: dict keys count as the strings they print as). */
  const viewBytes: number[] = [];
  // The open frames, level by level: arrays reused as the walk goes up and down.
  const kidsOf: Kids[] = [];
  const dicts: boolean[] = [];
  const next: number[] = [];
  const size: number[] = [];
  const height: number[] = [];
  const bytes: number[] = [];
  const ids: number[] = [];
  let top = -1;
  // Bytes of the whole view so far, checked as it grows (a frame's own count is only its subtree's).
  let total = 2;
  const grow = (more: number) => {
    total += more;
    if (total > limits.maxOutputBytes) throw over('output', limits);
  };
  const open = (node: PyValue, kids: Kids) => {
    top += 1;
    kidsOf[top] = kids;
    dicts[top] = node.t === 'dict';
    next[top] = 0;
    size[top] = 1;
    height[top] = 1;
    bytes[top] = 2;
    ids[top] = sizes.length;
    seen.set(node, sizes.length);
    sizes.push(0);
    heights.push(-1);
    viewBytes.push(0);
  };
  open(root, rootKids);
  while (top >= 0) {
    if (next[top]! < kidCount(kidsOf[top]!, dicts[top]!)) {
      const kid = kidAt(kidsOf[top]!, dicts[top]!, next[top]!);
      next[top]! += 1;
      const kidKids = children(kid);
      if (!kidKids) {
        const more = leafBytes(kid) + 1;
        size[top]! += 1;
        height[top] = Math.max(height[top]!, 2);
        bytes[top]! += more;
        grow(more);
      } else if (kidKids.length === 0) {
        // An empty container: its stats are known without a frame (and it can close no cycle).
        if (top + 1 >= limits.maxDepth) throw over('depth', limits);
        size[top]! += 1;
        height[top] = Math.max(height[top]!, 2);
        bytes[top]! += 3;
        grow(3);
      } else {
        const index = seen.get(kid);
        if (index === undefined) {
          if (top + 1 >= limits.maxDepth) throw over('depth', limits);
          grow(3);
          open(kid, kidKids);
          continue;
        }
        if (heights[index] === -1)
          throw unsupported('a recursive structure (a container that contains itself)');
        size[top]! += sizes[index]!;
        height[top] = Math.max(height[top]!, heights[index]! + 1);
        bytes[top]! += viewBytes[index]! + 1;
        grow(viewBytes[index]! + 1);
      }
      if (size[top]! > limits.maxItems) throw over('values', limits);
      continue;
    }
    const index = ids[top]!;
    sizes[index] = size[top]!;
    heights[index] = height[top]!;
    viewBytes[index] = bytes[top]!;
    top -= 1;
    if (top >= 0) {
      size[top]! += sizes[index]!;
      height[top] = Math.max(height[top]!, heights[index]! + 1);
      bytes[top]! += viewBytes[index]! + 1;
      if (size[top]! > limits.maxItems) throw over('values', limits);
    }
  }
}
