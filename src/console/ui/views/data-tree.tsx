/**
 * Decoded session data as a tree of <details>, in the words of the language that wrote it: a Python
 * store's None/True/False, dict/list, and the types its JSON erased (`Session.dataTypes`: tuple, set,
 * datetime, Decimal, Storage…); a PHP object's class (`__class`, as the PHP codec's JSON view marks it).
 * Wide levels show their first items with a count of the rest; nesting is as deep as the decoder allowed.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_ITEMS = 200;

interface Tree {
  python: boolean;
  /** Python type names by JSON pointer. */
  types: Readonly<Record<string, string>>;
}

export function DataTree(props: { data: Json; python: boolean; types?: Readonly<Record<string, string>> }) {
  const tree: Tree = { python: props.python, types: props.types ?? {} };
  return (
    <div class="tree">
      <Value value={props.data} tree={tree} label={null} path="" depth={0} />
    </div>
  );
}

const pointer = (path: string, key: string) => `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

function Value(props: { value: Json; tree: Tree; label: string | null; path: string; depth: number }) {
  const { value, tree, label, path, depth } = props;
  const name = label === null ? null : <span class="key">{label}</span>;
  const pyType = tree.types[path];
  if (value === null || typeof value !== 'object') {
    return (
      <div class="leaf">
        {name}
        {name && ': '}
        <Scalar value={value} python={tree.python} />
        {pyType && <span class="type"> {pyType}</span>}
      </div>
    );
  }
  const array = Array.isArray(value);
  const entries: [string, Json][] = array
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value).filter(([key]) => key !== '__class' && key !== '__opaque' && key !== '__case');
  const object = array ? null : value;
  const className = object && typeof object['__class'] === 'string' ? object['__class'] : null;
  const enumCase = object && typeof object['__case'] === 'string' ? ` ${object['__case']}` : '';
  const summary = className
    ? `${className} object${object?.['__opaque'] === true ? ' (not shown: it serializes itself)' : enumCase}`
    : `${pyType ?? (array ? (tree.python ? 'list' : 'array') : tree.python ? 'dict' : 'object')} of ${entries.length}`;
  return (
    <details open={depth < 3}>
      <summary>
        {name}
        {name && ': '}
        <span class="type">{summary}</span>
      </summary>
      {entries.slice(0, MAX_ITEMS).map(([key, item]) => (
        <Value
          key={key}
          value={item}
          tree={tree}
          label={array ? `[${key}]` : key}
          path={pointer(path, key)}
          depth={depth + 1}
        />
      ))}
      {entries.length > MAX_ITEMS && <div class="muted">… {entries.length - MAX_ITEMS} more</div>}
    </details>
  );
}

function Scalar(props: { value: null | boolean | number | string; python: boolean }) {
  const { value, python } = props;
  if (value === null) return <span class="null">{python ? 'None' : 'null'}</span>;
  if (typeof value === 'boolean')
    return <span class="bool">{python ? (value ? 'True' : 'False') : String(value)}</span>;
  if (typeof value === 'number') return <span class="number">{String(value)}</span>;
  return <span class="string">{JSON.stringify(value)}</span>;
}
