/**
 * The bounds on a read's result, checked once the reader is done: no cycles, and depth, size and the JSON
 * view's size within the limits, counting a value the memo shares at every place it appears.
 */
import { jsonStringBytes } from '../budgets.ts';
import { pyIsoFormat, timedeltaSeconds } from './datetime.ts';
import { isGlobal, type Item } from './globals.ts';
import { over, type PickleLimits, unsupported } from './limits.ts';
import { py2Text, utf8Decoder } from './text.ts';
import { flatEntries, type PyValue } from './values.ts';

interface TreeStats {
  size: number;
  height: number;
  /** UTF-8 bytes of the subtree's JSON view (about: dict keys count as the strings they print as). */
  bytes: number;
}

function children(value: PyValue): PyValue[] | null {
  const item = value as Item;
  if (isGlobal(item)) throw unsupported(`a bare reference to ${item.qualname}`);
  switch (item.t) {
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
      return item.items;
    case 'dict':
      return flatEntries(item.entries);
    default:
      return null;
  }
}

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
 * linear in the distinct values however often they are shared.
 */
export function checkTree(root: PyValue, limits: Required<PickleLimits>): void {
  const done = new Map<object, TreeStats>();
  const measured = new Map<object, number>();
  const onPath = new Set<object>();
  interface Frame {
    node: PyValue;
    kids: PyValue[];
    next: number;
    size: number;
    height: number;
    bytes: number;
  }
  const rootKids = children(root);
  if (!rootKids) {
    if (leafJsonBytes(root) > limits.maxOutputBytes) throw over('output', limits);
    return;
  }
  // Bytes of the whole view so far, checked as it grows (a frame's own count is only its subtree's).
  let total = 2;
  const grow = (bytes: number) => {
    total += bytes;
    if (total > limits.maxOutputBytes) throw over('output', limits);
  };
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
  const frames: Frame[] = [{ node: root, kids: rootKids, next: 0, size: 1, height: 1, bytes: 2 }];
  onPath.add(root);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame.next < frame.kids.length) {
      const kid = frame.kids[frame.next++]!;
      const kidKids = children(kid);
      if (!kidKids) {
        const bytes = leafBytes(kid) + 1;
        frame.size += 1;
        frame.height = Math.max(frame.height, 2);
        frame.bytes += bytes;
        grow(bytes);
      } else {
        const stats = done.get(kid);
        if (stats) {
          frame.size += stats.size;
          frame.height = Math.max(frame.height, stats.height + 1);
          frame.bytes += stats.bytes + 1;
          grow(stats.bytes + 1);
        } else {
          if (onPath.has(kid)) throw unsupported('a recursive structure (a container that contains itself)');
          if (frames.length >= limits.maxDepth) throw over('depth', limits);
          onPath.add(kid);
          grow(3);
          frames.push({ node: kid, kids: kidKids, next: 0, size: 1, height: 1, bytes: 2 });
        }
      }
      if (frame.size > limits.maxItems) throw over('values', limits);
      continue;
    }
    frames.pop();
    onPath.delete(frame.node);
    done.set(frame.node, { size: frame.size, height: frame.height, bytes: frame.bytes });
    const parent = frames[frames.length - 1];
    if (parent) {
      parent.size += frame.size;
      parent.height = Math.max(parent.height, frame.height + 1);
      parent.bytes += frame.bytes + 1;
      if (parent.size > limits.maxItems) throw over('values', limits);
    }
  }
}
