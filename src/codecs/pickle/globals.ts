/**
 * The only names a pickle may mention (GLOBAL, STACK_GLOBAL, INST), and what calling one means as data: each
 * allowed constructor is interpreted here, never imported or called.
 */
import { dateFromArgs, timedeltaFromArgs, timedeltaMicroseconds } from './datetime.ts';
import { corrupt, PickleError, unsupported } from './limits.ts';
import { DECIMAL_RE } from './literals.ts';
import { encodeText, printable } from './text.ts';
import { flatEntries, type PyTimezone, type PyValue } from './values.ts';

/** A class or function named by GLOBAL/STACK_GLOBAL/INST; only ever lives on the stack and in the memo. */
export interface GlobalRef {
  t: '$global';
  /** `module.name`, with Python 2 module names mapped to Python 3 (`copy_reg` → `copyreg`). */
  qualname: string;
}

export type Item = PyValue | GlobalRef;

const MODULE_ALIASES: Record<string, string> = { copy_reg: 'copyreg', __builtin__: 'builtins' };

/** FORMATS §8.3: the only names a pickle may mention. Each is interpreted as data by `callGlobal`. */
const ALLOWED_GLOBALS = new Set([
  'web.utils.Storage',
  'copyreg._reconstructor',
  'copyreg.__newobj__',
  'builtins.dict',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytes',
  'builtins.bytearray',
  '_codecs.encode',
  'datetime.datetime',
  'datetime.date',
  'datetime.time',
  'datetime.timedelta',
  'datetime.timezone',
  'decimal.Decimal',
  'collections.OrderedDict',
]);

/** Allowed GlobalRefs, by `module name` as written; they are immutable, so one object each is shared. */
const GLOBAL_REFS = new Map<string, GlobalRef>();
for (const qualname of ALLOWED_GLOBALS) {
  const dot = qualname.lastIndexOf('.');
  const [module, name] = [qualname.slice(0, dot), qualname.slice(dot + 1)];
  const ref: GlobalRef = { t: '$global', qualname };
  GLOBAL_REFS.set(`${module} ${name}`, ref);
  for (const [alias, target] of Object.entries(MODULE_ALIASES)) {
    if (target === module) GLOBAL_REFS.set(`${alias} ${name}`, ref);
  }
}

export function isGlobal(item: Item): item is GlobalRef {
  return item.t === '$global';
}

export function asItems(value: Item | undefined): PyValue[] | null {
  if (value && (value.t === 'list' || value.t === 'tuple' || value.t === 'set' || value.t === 'frozenset')) {
    return value.items;
  }
  return null;
}

/**
 * The reader, as a call sees it: calls build their dicts and sets through it, so duplicate keys and the item
 * budget work exactly as for SETITEMS and ADDITEMS.
 */
export interface ValueBuilder {
  values(items: Item[]): PyValue[];
  setItems(target: Item, items: Item[]): void;
  addToSet(target: { t: 'set' | 'frozenset'; items: PyValue[] }, values: PyValue[]): void;
}

export function resolveGlobal(module: string, name: string): GlobalRef {
  const cached = GLOBAL_REFS.get(`${module} ${name}`);
  if (cached) return cached;
  const qualname = `${MODULE_ALIASES[module] ?? module}.${name}`;
  if (!ALLOWED_GLOBALS.has(qualname))
    throw new PickleError('unsafe', `unsafe pickle: ${printable(qualname)}`);
  return { t: '$global', qualname };
}

/** `cls.__new__(cls, *args)` for NEWOBJ and `copyreg.__newobj__`. */
export function newObject(reader: ValueBuilder, cls: GlobalRef, args: Item[]): PyValue {
  switch (cls.qualname) {
    case 'web.utils.Storage':
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case 'builtins.set':
    case 'builtins.frozenset':
      // dict.__new__ / set.__new__ ignore their arguments; the items follow as SETITEMS / are the REDUCE form
      if (cls.qualname === 'builtins.frozenset') return callGlobal(reader, cls, args);
      return callGlobal(reader, cls, []);
    default:
      throw unsupported(`${cls.qualname} built with NEWOBJ`);
  }
}

/** Interpret a call of an allow-listed callable as data. */
export function callGlobal(reader: ValueBuilder, callable: Item, rawArgs: Item[]): PyValue {
  if (!isGlobal(callable)) throw corrupt('call of a value that is not callable');
  const name = callable.qualname;
  if (name === 'copyreg.__newobj__') {
    const [cls, ...rest] = rawArgs;
    if (!cls || !isGlobal(cls)) throw corrupt('copyreg.__newobj__ without a class');
    return newObject(reader, cls, rest);
  }
  if (name === 'copyreg._reconstructor') {
    // Python 2 protocol 0/1 form of a dict subclass: _reconstructor(cls, dict, state)
    const [cls, base, state] = rawArgs;
    if (rawArgs.length !== 3 || !cls || !isGlobal(cls) || !base || !isGlobal(base)) {
      throw corrupt('malformed copyreg._reconstructor call');
    }
    if (base.qualname !== 'builtins.dict' || cls.qualname !== 'web.utils.Storage') {
      throw unsupported(`copyreg._reconstructor of ${cls.qualname} on ${base.qualname}`);
    }
    const dict: PyValue = { t: 'dict', entries: [], cls: 'Storage' };
    if (state && state.t === 'dict') reader.setItems(dict, flatEntries(state.entries));
    else if (state?.t !== 'none') throw unsupported('copyreg._reconstructor with a non-dict state');
    return dict;
  }
  const args = reader.values(rawArgs);
  switch (name) {
    case '_codecs.encode': {
      const [text, encoding] = args;
      if (args.length > 2 || text?.t !== 'str' || (encoding && encoding.t !== 'str')) return badCall(name);
      return { t: 'bytes', v: encodeText(text.v, encoding?.t === 'str' ? encoding.v : 'utf-8') };
    }
    case 'builtins.bytes':
    case 'builtins.bytearray': {
      const [first, encoding] = args;
      if (!first) return { t: 'bytes', v: new Uint8Array(0) };
      if (first.t === 'bytes' && args.length === 1) return { t: 'bytes', v: first.v };
      if (first.t === 'str' && encoding?.t === 'str' && args.length === 2) {
        return { t: 'bytes', v: encodeText(first.v, encoding.v) };
      }
      return badCall(name);
    }
    case 'builtins.set':
    case 'builtins.frozenset': {
      const set = { t: name === 'builtins.set' ? ('set' as const) : ('frozenset' as const), items: [] };
      if (args.length > 1) return badCall(name);
      if (args.length === 1) {
        const items = asItems(args[0]);
        if (items) reader.addToSet(set, items);
        else if (args[0]!.t === 'dict')
          reader.addToSet(
            set,
            args[0]!.entries.map(([key]) => key),
          );
        else return badCall(name);
      }
      return set;
    }
    case 'builtins.dict':
    case 'web.utils.Storage':
    case 'collections.OrderedDict': {
      const dict: PyValue = { t: 'dict', entries: [] };
      if (name === 'web.utils.Storage') dict.cls = 'Storage';
      if (name === 'collections.OrderedDict') dict.cls = 'OrderedDict';
      if (args.length > 1) return badCall(name);
      const source = args[0];
      if (source?.t === 'dict') {
        reader.setItems(dict, flatEntries(source.entries));
      } else if (source) {
        const pairs = asItems(source);
        if (!pairs) return badCall(name);
        for (const pair of pairs) {
          const kv = asItems(pair);
          if (kv?.length !== 2) return badCall(name);
          reader.setItems(dict, kv);
        }
      }
      return dict;
    }
    case 'decimal.Decimal': {
      const [value] = args;
      if (args.length > 1) return badCall(name);
      if (!value) return { t: 'decimal', v: '0' };
      if (value.t === 'int') return { t: 'decimal', v: value.v.toString() };
      if (value.t !== 'str') return badCall(name);
      const text = value.v.trim().replace(/_/g, '');
      if (!DECIMAL_RE.test(text)) throw corrupt('invalid Decimal literal');
      return { t: 'decimal', v: text };
    }
    case 'datetime.timedelta':
      return timedeltaFromArgs(args) ?? badCall(name);
    case 'datetime.timezone': {
      const [offset, tzName] = args;
      if (offset?.t !== 'timedelta' || args.length > 2 || (tzName && tzName.t !== 'str'))
        return badCall(name);
      const micro = timedeltaMicroseconds(offset);
      if (Math.abs(micro) >= 86_400_000_000) throw corrupt('timezone offset of 24 hours or more');
      const tz: PyTimezone = { t: 'timezone', offsetMicroseconds: micro };
      if (tzName?.t === 'str') tz.name = tzName.v;
      return tz;
    }
    case 'datetime.datetime':
    case 'datetime.date':
    case 'datetime.time':
      return dateFromArgs(name, args) ?? badCall(name);
    default:
      throw new PickleError('unsafe', `unsafe pickle: ${name}`);
  }
}

function badCall(name: string): never {
  throw unsupported(`${name} called with unexpected arguments`);
}
