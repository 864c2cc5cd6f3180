/**
 * A safe reader for the subset of Python's pickle format that session stores use.
 *
 * Format: CPython `Lib/pickletools.py` (opcode table, protocols 0-5) and `Lib/pickle.py` (`_Unpickler`),
 * summarised in shared/FORMATS.md §8. The reader is a stack machine over the opcode table with a real
 * memo (PUT/BINPUT/LONG_BINPUT/MEMOIZE, GET/BINGET/LONG_BINGET). It never imports, builds or calls
 * anything: `GLOBAL`/`STACK_GLOBAL`/`INST` names are checked against a short allow-list of data types
 * (FORMATS §8.3) and every other name fails the whole read with `problem: 'unsafe'`. The allowed
 * constructors (`datetime`, `Decimal`, `set`, `web.utils.Storage`, ...) are interpreted as data (globals.ts).
 *
 * Python 2 byte strings (`STRING`, `BINSTRING`, `SHORT_BINSTRING`) are read the way Python 3's
 * `pickle.loads` reads them (its default `encoding='ASCII'`): ASCII becomes `str`. Non-ASCII ones, which
 * make Python 3 raise `UnicodeDecodeError`, become `{ t: 'bytes', py2str: true }` so they can still be shown.
 *
 * Limits (input size, MARK nesting, value depth, memo size, item count, integer digits; limits.ts, and
 * check-tree.ts for the result) keep hostile input bounded; a read never throws and never hangs. See
 * pickle.properties.spec.ts for the properties.
 */
import { overBudget } from '../budgets.ts';
import { type Decoded, decoded, failure } from '../result.ts';
import { checkTree } from './check-tree.ts';
import {
  asItems,
  callGlobal,
  type Item,
  isGlobal,
  newObject,
  resolveGlobal,
  type ValueBuilder,
} from './globals.ts';
import {
  budgetsOf,
  corrupt,
  DEFAULT_LIMITS,
  over,
  PickleError,
  type PickleLimits,
  unsupported,
} from './limits.ts';
import {
  decodeLong,
  escapeDecode,
  PLAIN_INT_RE,
  parsePyFloat,
  parsePyInt,
  rawUnicodeEscapeDecode,
} from './literals.ts';
import { decodeUtf8, isAscii, latin1 } from './text.ts';
import { hashKey, type PyValue } from './values.ts';

/** What the reader saw besides the value; used by codecs to describe a row. */
export interface PickleInfo {
  /** The `PROTO` opcode's argument, or null for protocol 0/1 pickles, which have none. */
  proto: number | null;
  /** Count of Python 2 byte strings (`STRING`/`BINSTRING`/`SHORT_BINSTRING`) read. */
  py2Strings: number;
  /** Of those, how many were not ASCII (read as `{ t: 'bytes', py2str: true }`). */
  py2NonAscii: number;
}

function isEmptyState(value: Item | undefined): boolean {
  return !value || value.t === 'none' || (value.t === 'dict' && value.entries.length === 0);
}

class Reader implements ValueBuilder {
  private pos = 0;
  private dataView: DataView | undefined;
  private readonly stack: Item[] = [];
  private readonly marks: number[] = [];
  private readonly memo: (Item | undefined)[] = [];
  private memoSize = 0;
  private inserted = 0;
  /** Per-dict and per-set index of hash keys, for Python's replace-on-duplicate semantics. */
  private readonly indexes = new Map<object, Map<string, number>>();
  readonly info: PickleInfo = { proto: null, py2Strings: 0, py2NonAscii: 0 };

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: Required<PickleLimits>,
  ) {}

  run(): PyValue {
    const { bytes } = this;
    const n = bytes.length;
    for (;;) {
      if (this.pos >= n) throw corrupt('truncated: the pickle ends before STOP');
      const op = bytes[this.pos++]!;
      switch (op) {
        case 0x2e: {
          // STOP
          const value = this.pop();
          if (isGlobal(value)) throw unsupported(`a bare reference to ${value.qualname}`);
          return value;
        }
        case 0x80: {
          // PROTO
          const proto = this.u8();
          if (proto > 5) throw unsupported(`pickle protocol ${proto}`);
          this.info.proto = proto;
          break;
        }
        case 0x95: {
          // FRAME: an 8-byte length; frames only matter to buffered readers
          const low = this.u32();
          const high = this.u32();
          if (high > 0 || low > n - this.pos) throw corrupt('truncated: FRAME longer than the data');
          break;
        }
        case 0x28: // MARK
          if (this.marks.length >= this.limits.maxDepth) throw over('depth', this.limits);
          this.marks.push(this.stack.length);
          break;
        case 0x30: // POP
          if (this.stack.length > this.base()) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push({ t: 'none' });
          break;
        case 0x88: // NEWTRUE
          this.push({ t: 'bool', v: true });
          break;
        case 0x89: // NEWFALSE
          this.push({ t: 'bool', v: false });
          break;
        case 0x49: {
          // INT: decimal line; protocol 0 writes booleans as I01 / I00
          const line = this.asciiLine();
          if (line === '00') this.push({ t: 'bool', v: false });
          else if (line === '01') this.push({ t: 'bool', v: true });
          else this.push({ t: 'int', v: parsePyInt(line, 0, this.limits.maxIntDigits) });
          break;
        }
        case 0x4c: {
          // LONG: decimal line with an optional trailing L
          const line = this.asciiLine();
          const body = line.endsWith('L') ? line.slice(0, -1) : line;
          this.push({ t: 'int', v: parsePyInt(body, 0, this.limits.maxIntDigits) });
          break;
        }
        case 0x4a: // BININT
          this.need(4);
          this.push({ t: 'int', v: BigInt(this.view().getInt32(this.pos, true)) });
          this.pos += 4;
          break;
        case 0x4b: // BININT1
          this.push({ t: 'int', v: BigInt(this.u8()) });
          break;
        case 0x4d: // BININT2
          this.push({ t: 'int', v: BigInt(this.u8() | (this.u8() << 8)) });
          break;
        case 0x8a: // LONG1
          this.push({ t: 'int', v: decodeLong(this.take(this.longLength(this.u8()))) });
          break;
        case 0x8b: {
          // LONG4
          const length = this.i32();
          if (length < 0) throw corrupt('LONG4 with a negative length');
          this.push({ t: 'int', v: decodeLong(this.take(this.longLength(length))) });
          break;
        }
        case 0x46: // FLOAT
          this.push({ t: 'float', v: parsePyFloat(this.asciiLine()) });
          break;
        case 0x47: // BINFLOAT: big-endian IEEE 754 double
          this.need(8);
          this.push({ t: 'float', v: this.view().getFloat64(this.pos, false) });
          this.pos += 8;
          break;
        case 0x53: {
          // STRING: a quoted Python 2 str literal
          const [start, end] = this.line();
          const quote = bytes[start];
          if (end - start < 2 || (quote !== 0x27 && quote !== 0x22) || bytes[end - 1] !== quote) {
            throw corrupt('STRING argument is not quoted');
          }
          this.pushPy2String(escapeDecode(bytes.subarray(start + 1, end - 1)));
          break;
        }
        case 0x54: {
          // BINSTRING
          const length = this.i32();
          if (length < 0) throw corrupt('BINSTRING with a negative length');
          this.pushPy2String(this.take(length).slice());
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.pushPy2String(this.take(this.u8()).slice());
          break;
        case 0x56: {
          // UNICODE: raw-unicode-escape line
          const [start, end] = this.line();
          this.push({ t: 'str', v: rawUnicodeEscapeDecode(bytes, start, end) });
          break;
        }
        case 0x58: // BINUNICODE
          this.pushUtf8(this.u32());
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.pushUtf8(this.u8());
          break;
        case 0x8d: // BINUNICODE8
          this.pushUtf8(this.u64());
          break;
        case 0x42: // BINBYTES
          this.push({ t: 'bytes', v: this.take(this.u32()).slice() });
          break;
        case 0x43: // SHORT_BINBYTES
          this.push({ t: 'bytes', v: this.take(this.u8()).slice() });
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8 (read as bytes)
          this.push({ t: 'bytes', v: this.take(this.u64()).slice() });
          break;
        case 0x7d: // EMPTY_DICT
          this.push({ t: 'dict', entries: [] });
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          const dict: PyValue = { t: 'dict', entries: [] };
          this.setItems(dict, items);
          this.push(dict);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.top(), [key, value]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        case 0x5d: // EMPTY_LIST
          this.push({ t: 'list', items: [] });
          break;
        case 0x6c: // LIST
          this.push({ t: 'list', items: this.values(this.popMark()) });
          break;
        case 0x61: {
          // APPEND
          const value = this.pop();
          this.append(this.top(), [value]);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x29: // EMPTY_TUPLE
          this.push({ t: 'tuple', items: [] });
          break;
        case 0x74: // TUPLE (may hold classes while they are arguments; checkTree refuses them in the result)
          this.push({ t: 'tuple', items: this.tupleItems(this.popMark()) });
          break;
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const count = op - 0x84;
          if (this.stack.length - this.base() < count) throw corrupt('stack underflow');
          this.push({ t: 'tuple', items: this.tupleItems(this.stack.splice(this.stack.length - count)) });
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push({ t: 'set', items: [] });
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const target = this.top();
          if (target.t !== 'set') throw corrupt('ADDITEMS on something other than a set');
          this.addToSet(target, this.values(items));
          break;
        }
        case 0x91: {
          // FROZENSET
          const frozen: PyValue = { t: 'frozenset', items: [] };
          this.addToSet(frozen, this.values(this.popMark()));
          this.push(frozen);
          break;
        }
        case 0x70: // PUT
          this.put(this.memoIndex(this.asciiLine()));
          break;
        case 0x71: // BINPUT
          this.put(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.put(this.u32());
          break;
        case 0x94: // MEMOIZE
          this.put(this.memoSize);
          break;
        case 0x67: // GET
          this.get(this.memoIndex(this.asciiLine()));
          break;
        case 0x68: // BINGET
          this.get(this.u8());
          break;
        case 0x6a: // LONG_BINGET
          this.get(this.u32());
          break;
        case 0x63: {
          // GLOBAL
          const module = this.utf8Line();
          const name = this.utf8Line();
          this.push(resolveGlobal(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (module.t !== 'str' || name.t !== 'str') throw corrupt('STACK_GLOBAL requires two str');
          this.push(resolveGlobal(module.v, name.v));
          break;
        }
        case 0x69: {
          // INST: module and name lines, arguments since MARK
          const module = this.utf8Line();
          const name = this.utf8Line();
          const callable = resolveGlobal(module, name);
          this.push(callGlobal(this, callable, this.popMark()));
          break;
        }
        case 0x6f: {
          // OBJ: class and arguments since MARK
          const [callable, ...args] = this.popMark();
          if (!callable || !isGlobal(callable)) throw corrupt('OBJ without a class');
          this.push(callGlobal(this, callable, args));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = asItems(this.pop());
          const callable = this.pop();
          if (!args || !isGlobal(callable)) throw corrupt('REDUCE without a callable and an argument tuple');
          this.push(callGlobal(this, callable, args));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = asItems(this.pop());
          const cls = this.pop();
          if (!args || !isGlobal(cls)) throw corrupt('NEWOBJ without a class and an argument tuple');
          this.push(newObject(this, cls, args));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = asItems(this.pop());
          const cls = this.pop();
          if (!args || !isGlobal(cls) || kwargs.t !== 'dict') throw corrupt('malformed NEWOBJ_EX');
          if (kwargs.entries.length > 0) throw unsupported(`${cls.qualname} built with keyword arguments`);
          this.push(newObject(this, cls, args));
          break;
        }
        case 0x62: {
          // BUILD: only a no-op state is accepted (a dict subclass without instance attributes)
          const state = this.pop();
          const target = this.top();
          if (target.t !== 'dict') throw corrupt('BUILD on a value that has no state');
          const emptyPair =
            state.t === 'tuple' && state.items.length === 2 && state.items.every(isEmptyState);
          if (!isEmptyState(state) && !emptyPair)
            throw unsupported('a dict subclass with instance attributes');
          break;
        }
        case 0x50: // PERSID
        case 0x51: // BINPERSID
          throw new PickleError('unsafe', 'unsafe pickle: persistent id');
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          throw new PickleError('unsafe', 'unsafe pickle: extension registry code');
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          throw unsupported('out-of-band buffers');
        default:
          throw corrupt(`invalid opcode 0x${op.toString(16).padStart(2, '0')} at offset ${this.pos - 1}`);
      }
    }
  }

  // --- input -------------------------------------------------------------------------------------------

  private need(count: number): void {
    if (count > this.bytes.length - this.pos) throw corrupt('truncated: an argument runs past the end');
  }

  private view(): DataView {
    this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return this.dataView;
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u32(): number {
    this.need(4);
    const value = this.view().getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  private i32(): number {
    this.need(4);
    const value = this.view().getInt32(this.pos, true);
    this.pos += 4;
    return value;
  }

  private u64(): number {
    const low = this.u32();
    const high = this.u32();
    if (high > 0) throw corrupt('truncated: an 8-byte length runs past the end');
    return low;
  }

  private take(length: number): Uint8Array {
    this.need(length);
    const slice = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return slice;
  }

  private line(): [number, number] {
    const start = this.pos;
    const end = this.bytes.indexOf(0x0a, start);
    if (end < 0) throw corrupt('truncated: a line argument has no newline');
    this.pos = end + 1;
    return [start, end];
  }

  private asciiLine(): string {
    const [start, end] = this.line();
    // One native conversion: appending a character at a time makes a rope of one node per byte, many times
    // the line's size in heap.
    const line = this.bytes.subarray(start, end);
    if (!isAscii(line)) throw corrupt('non-ASCII in a numeric argument');
    return latin1(line);
  }

  private utf8Line(): string {
    const [start, end] = this.line();
    return decodeUtf8(this.bytes, start, end);
  }

  private longLength(length: number): number {
    if (length * 2.41 > this.limits.maxIntDigits) {
      throw unsupported(`integer longer than ${this.limits.maxIntDigits} digits`);
    }
    return length;
  }

  private memoIndex(line: string): number {
    if (PLAIN_INT_RE.test(line) && line[0] !== '-') return Number(line);
    const index = parsePyInt(line, 10, 20);
    if (index < 0n) throw corrupt('negative memo index');
    if (index > BigInt(Number.MAX_SAFE_INTEGER)) throw unsupported('memo index too large');
    return Number(index);
  }

  // --- stack -------------------------------------------------------------------------------------------

  private base(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
  }

  private push(item: Item): void {
    if (this.stack.length >= this.limits.maxItems) throw over('values', this.limits);
    this.stack.push(item);
  }

  private pop(): Item {
    if (this.stack.length <= this.base()) throw corrupt('stack underflow');
    return this.stack.pop()!;
  }

  private top(): Item {
    if (this.stack.length <= this.base()) throw corrupt('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  private popMark(): Item[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw corrupt('no MARK on the stack');
    return this.stack.splice(mark);
  }

  private put(index: number): void {
    if (this.memo[index] === undefined) {
      if (this.memoSize >= this.limits.maxMemo)
        throw unsupported(`more than ${this.limits.maxMemo} memo entries`);
      this.memoSize++;
    }
    this.memo[index] = this.top();
  }

  private get(index: number): void {
    const item = this.memo[index];
    if (item === undefined) throw corrupt(`memo entry ${index} is missing`);
    this.push(item);
  }

  private count(added: number): void {
    this.inserted += added;
    if (this.inserted > this.limits.maxItems) throw over('values', this.limits);
  }

  // --- values ------------------------------------------------------------------------------------------

  values(items: Item[]): PyValue[] {
    for (const item of items) {
      if (isGlobal(item)) throw unsupported(`a bare reference to ${item.qualname}`);
    }
    this.count(items.length);
    return items as PyValue[];
  }

  private tupleItems(items: Item[]): PyValue[] {
    this.count(items.length);
    return items as PyValue[];
  }

  private pushPy2String(raw: Uint8Array): void {
    this.info.py2Strings++;
    if (isAscii(raw)) {
      this.push({ t: 'str', v: latin1(raw) });
    } else {
      this.info.py2NonAscii++;
      this.push({ t: 'bytes', v: raw, py2str: true });
    }
  }

  private pushUtf8(length: number): void {
    this.need(length);
    const start = this.pos;
    this.pos += length;
    this.push({ t: 'str', v: decodeUtf8(this.bytes, start, start + length) });
  }

  setItems(target: Item, items: Item[]): void {
    if (target.t !== 'dict') throw corrupt('SETITEM on something other than a dict');
    if (items.length % 2 !== 0) throw corrupt('SETITEMS with an odd number of items');
    const values = this.values(items);
    let index = this.indexes.get(target);
    if (!index) {
      index = new Map();
      for (let i = 0; i < target.entries.length; i++) index.set(hashKey(target.entries[i]![0])!, i);
      this.indexes.set(target, index);
    }
    for (let i = 0; i < values.length; i += 2) {
      const key = values[i]!;
      const value = values[i + 1]!;
      const hash = hashKey(key);
      if (hash === null) throw corrupt(`unhashable dict key of type ${key.t}`);
      const existing = index.get(hash);
      if (existing === undefined) {
        index.set(hash, target.entries.length);
        target.entries.push([key, value]);
      } else {
        target.entries[existing]![1] = value;
      }
    }
  }

  private append(target: Item, items: Item[]): void {
    if (target.t !== 'list') throw corrupt('APPEND on something other than a list');
    const values = this.values(items);
    for (const value of values) target.items.push(value);
  }

  addToSet(target: { t: 'set' | 'frozenset'; items: PyValue[] }, values: PyValue[]): void {
    let index = this.indexes.get(target);
    if (!index) {
      index = new Map();
      for (let i = 0; i < target.items.length; i++) index.set(hashKey(target.items[i]!)!, i);
      this.indexes.set(target, index);
    }
    for (const value of values) {
      const hash = hashKey(value);
      if (hash === null) throw corrupt(`unhashable set item of type ${value.t}`);
      if (!index.has(hash)) {
        index.set(hash, target.items.length);
        target.items.push(value);
      }
    }
  }
}

/**
 * Read a pickle (protocols 0-5) into a `PyValue` tree. Never throws; never executes or imports anything.
 * Shared references (the memo) come back as shared JS objects; recursive structures are refused.
 */
export function readPickle(bytes: Uint8Array, limits?: PickleLimits): Decoded<PyValue> {
  const result = readPickleWithInfo(bytes, limits);
  return result.ok ? decoded(result.value.value) : result;
}

/** `readPickle`, plus what the reader noticed (protocol, Python 2 strings). */
export function readPickleWithInfo(
  bytes: Uint8Array,
  limits?: PickleLimits,
): Decoded<{ value: PyValue; info: PickleInfo }> {
  const effective = { ...DEFAULT_LIMITS, ...limits };
  if (bytes.length > effective.maxBytes) return overBudget.input(budgetsOf(effective));
  try {
    const reader = new Reader(bytes, effective);
    const value = reader.run();
    checkTree(value, effective);
    return decoded({ value, info: reader.info });
  } catch (error) {
    if (error instanceof PickleError) return failure(error.problem, error.message);
    if (error instanceof RangeError) return overBudget.values(budgetsOf(effective));
    return failure('corrupt', 'unreadable pickle');
  }
}
