/**
 * What the JSON view of a pickled value erased: the Python type of each value whose JSON form another type
 * shares (a tuple shows as an array, a datetime as a string, a Storage as an object), by its JSON pointer in
 * the view. Lists, dicts, str, int, float, bool and None are what their JSON says and are not listed.
 */
import { pyKeyToJson } from './json-view.ts';
import type { PyValue } from './values.ts';

/** A page of session data never needs more; a hostile row with a million tuples costs this much at most. */
export const MAX_TYPED_VALUES = 1000;
/**
 * The pointers' total length, too: a thousand values under one 7 MB key would otherwise be a thousand 7 MB
 * object keys (each one copied out of the shared text when it becomes a key).
 */
export const MAX_TYPED_POINTER_CHARS = 64 * 1024;

const CONTAINERS = new Set(['list', 'tuple', 'set', 'frozenset', 'dict']);
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function typeName(value: PyValue): string | null {
  switch (value.t) {
    case 'tuple':
    case 'set':
    case 'frozenset':
      return value.t;
    case 'bytes':
      return value.py2str ? 'str (Python 2 bytes)' : 'bytes';
    case 'datetime':
    case 'date':
    case 'time':
    case 'timedelta':
    case 'timezone':
      return `datetime.${value.t}`;
    case 'decimal':
      return 'decimal.Decimal';
    case 'dict':
      return value.cls === 'Storage'
        ? 'web.utils.Storage'
        : value.cls === 'OrderedDict'
          ? 'collections.OrderedDict'
          : null;
    case 'int':
      // Shown as a decimal string past Number.MAX_SAFE_INTEGER.
      return value.v > SAFE || value.v < -SAFE ? 'int' : null;
    case 'float':
      return Number.isFinite(value.v) ? null : 'float';
    default:
      return null;
  }
}

const escapePointer = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The types of `root`'s values under their pointers (`/cart/0`), at most `MAX_TYPED_VALUES` of them and
 * `MAX_TYPED_POINTER_CHARS` of pointers, a
 * container before what it holds. Top-level keys in `hidden` are left out, as the view leaves them out of `data`. Walks with
 * its own stack: a pickle as deep as the budgets allow never reaches the call stack's limit.
 */
export function pyTypes(root: PyValue, hidden: ReadonlySet<string> = new Set()): Record<string, string> {
  const types: Record<string, string> = {};
  let count = 0;
  let chars = 0;
  const rootType = typeName(root);
  if (rootType !== null && root.t !== 'dict') return { '': rootType };
  const stack: [PyValue, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    const children: [PyValue, string][] = [];
    if (value.t === 'list' || value.t === 'tuple' || value.t === 'set' || value.t === 'frozenset') {
      value.items.forEach((item, index) => {
        children.push([item, `${path}/${index}`]);
      });
    } else if (value.t === 'dict') {
      // Two keys that show under one JSON name: the view shows the later one, so only it is typed.
      const last = new Map<string, number>();
      value.entries.forEach(([key], index) => {
        last.set(pyKeyToJson(key), index);
      });
      value.entries.forEach(([key, item], index) => {
        const name = pyKeyToJson(key);
        if (last.get(name) !== index || (path === '' && hidden.has(name))) return;
        children.push([item, `${path}/${escapePointer(name)}`]);
      });
    }
    for (const [child, childPath] of children) {
      const name = typeName(child);
      if (name !== null) {
        chars += childPath.length;
        if (count === MAX_TYPED_VALUES || chars > MAX_TYPED_POINTER_CHARS) return types;
        types[childPath] = name;
        count += 1;
      }
    }
    // Reversed onto the stack: containers are walked in the view's order.
    for (let index = children.length - 1; index >= 0; index -= 1) {
      const child = children[index]!;
      if (CONTAINERS.has(child[0].t)) stack.push(child);
    }
  }
  return types;
}
