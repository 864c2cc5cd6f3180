/**
 * Decoded session data as a tree of <details>, in the words of the language that wrote it: a Python
 * store's None/True/False, a PHP object's class (`__class`, as the PHP codec's JSON view marks it). Wide
 * levels show their first items with a count of the rest; nesting is as deep as the decoder allowed.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_ITEMS = 200;

export function DataTree(props: { data: Json; python: boolean }) {
  return (
    <div class="tree">
      <Value value={props.data} python={props.python} label={null} depth={0} />
    </div>
  );
}

function Value(props: { value: Json; python: boolean; label: string | null; depth: number }) {
  const { value, python, label, depth } = props;
  const name = label === null ? null : <span class="key">{label}</span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div class="leaf">
        {name}
        {name && ': '}
        <Scalar value={value} python={python} />
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
    : array
      ? `${python ? 'list' : 'array'} of ${entries.length}`
      : `${python ? 'dict' : 'object'} of ${entries.length}`;
  return (
    <details open={depth < 3}>
      <summary>
        {name}
        {name && ': '}
        <span class="type">{summary}</span>
      </summary>
      {entries.slice(0, MAX_ITEMS).map(([key, item]) => (
        <Value key={key} value={item} python={python} label={array ? `[${key}]` : key} depth={depth + 1} />
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
