/**
 * A safe reader of PHP's `serialize()` format, as PHP 8.2's `unserialize()` reads it (ext/standard/
 * var_unserializer.re), checked against real PHP in serialize-reader.spec.ts and php-real.spec.ts.
 *
 * Nothing is instantiated: `O:` objects are a class name and properties, `C:` payloads are kept raw, enums
 * are a class and case name. The reader is a loop over an explicit stack, so nesting costs heap, not call
 * stack, and every budget is checked while reading:
 * - input bytes up front;
 * - depth: arrays and objects open, and the JSON view's depth where a reference shows a nested value again;
 * - output: the bytes of the JSON view (json-view.ts), with a value reached through `R:`/`r:` counted at every
 *   use from its size recorded when it closed, so references cost nothing to count and cannot expand;
 * - values: the JSON view's values, counted the same way, plus the values read inside opaque objects, plus
 *   one for each key of an array or object: the decode builds it as it builds a value. A PHP entry (key,
 *   value and the pair of them) takes about three times the heap of a JSON value, and a million of them,
 *   within the other budgets, took 270 MB and more, past the 256 MB heap the server runs in.
 *
 * PHP's quirks mirrored (each seen in PHP 8.2): `i:` takes `+`/`-` and leading zeros and saturates at the
 * int64 bounds; lengths (`s:`, `O:`, `R:` ...) are unsigned and wrap modulo 2^64; `b:` is only 0 or 1; `d:`
 * takes `.5`, `5.`, `1e5`, `INF`, `-INF`, `NAN`, and overflows to INF; `S:` (escaped string) has `\xx` hex
 * escapes; array keys are `i:`, `s:` or `S:` only and a numeric string key becomes an int; a repeated key
 * replaces the earlier value in place; an object count may be signed or even empty (`O:1:"A"::{}`);
 * `r:` must reach an object (or enum, or `C:` object), `R:` may reach anything, including an enclosing
 * array or object (a cycle, kept as a recursive `PhpRef`).
 *
 * Deliberately not read (`unsupported`): a reference past a `C:` object with a payload (PHP numbers the
 * values that the class's own `unserialize()` reads inside the payload, which cannot be known here); a
 * reference to a value a repeated key replaced; a class or enum name that is not UTF-8.
 */
import { isUtf8 } from 'node:buffer';
import { type DecodeBudgets, jsonStringBytes, overBudget } from '../budgets.ts';
import { latin1Slice } from '../bytes.ts';
import { type DecodeFailure, type DecodeProblem, type Decoded, decoded, failure } from '../result.ts';
import {
  arrayKey,
  INT64_MAX,
  INT64_MIN,
  isObjectLike,
  isValidCaseName,
  isValidClassName,
  lenientText,
  PHP_FLOAT_TEXT,
  type PhpArray,
  type PhpEntry,
  type PhpKey,
  type PhpObject,
  type PhpRef,
  type PhpValue,
  phpFloatValue,
  plainPropertyName,
  safeNumber,
  utf8Text,
} from './values.ts';

export interface PhpReadOptions {
  /**
   * Classes whose `O:` objects are read as data, compared case-insensitively as PHP compares class names.
   * `true` (the default): every class. Reading is safe either way: nothing is ever instantiated. An enum of
   * another class fails the read (`unloadable`), as PHP fails the whole unserialize() on an enum whose class
   * it cannot find (where an object of a missing class loads as an incomplete one).
   */
  allowedClasses?: true | readonly string[];
  /**
   * What `C:` objects and `O:` objects outside `allowedClasses` do: `'opaque'` (the default) keeps them
   * (written back byte for byte, shown as `{"__class": ..., "__opaque": true}`); `'invalid'` fails the whole
   * read with `unsupported`.
   */
  unknownObjects?: 'opaque' | 'invalid';
  /**
   * Bytes after the value: `'refuse'` (the default) reads them as `corrupt`; `'ignore'` drops them, as PHP
   * 8.2's `unserialize()` does silently (8.3 warns).
   */
  trailing?: 'refuse' | 'ignore';
  /**
   * An int beyond int64 (`i:`, keys, counts): `'saturate'` (the default) reads the bound, as PHP does with the
   * warning "Numerical result out of range"; `'refuse'` reads it as `corrupt`, as a caller that turns
   * unserialize()'s warnings into errors fails (Symfony's ContextListener).
   */
  overflow?: 'saturate' | 'refuse';
}

/** A failed read inside the reader; the public functions turn it into a `DecodeFailure`. */
export class PhpReadError extends Error {
  constructor(readonly failure: DecodeFailure) {
    super(failure.detail);
  }
}

const fail = (problem: DecodeProblem, detail: string) => new PhpReadError(failure(problem, detail));

// Slot states: values are numbered from 1 in the order they start, as PHP's var_push numbers them.
const OPEN = 0;
const DONE = 1;
const REPLACED = 2;

/** `{"__recursion":true}`: what the JSON view shows for a recursive reference. */
const RECURSION_BYTES = 20;

interface Frame {
  value: PhpArray | PhpObject;
  entries: PhpEntry[];
  isObject: boolean;
  opaque: boolean;
  remaining: number;
  /** The key read and waiting for its value, and where it goes: -1 appends, else the index it replaces. */
  key: PhpKey | null;
  replaceAt: number;
  keysRead: number;
  slot: number;
  startBytes: number;
  startValues: number;
  height: number;
  /** Keys 0, 1, 2 ... so far: the view is a JSON array, and the key bytes in `pendingKeyBytes` never print. */
  list: boolean;
  pendingKeyBytes: number;
  /** Where each key is, once duplicate checks need it. */
  index: Map<string, number> | null;
  /** The slot of each entry's value (0 for `R:`, which has none), to mark it when a repeated key replaces it. */
  entrySlots: number[];
}

function printable(bytes: Uint8Array): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  const text = lenientText(bytes.subarray(0, 80)).replace(/[\u0000-\u001f\u007f]/g, '?');
  return bytes.length > 80 ? `${text}…` : text;
}

/**
 * Bytes of `JSON.stringify` of `bytes` as UTF-8 text, or -1 when they are not UTF-8. ASCII (most keys and
 * values) is settled in this loop; only text with other bytes pays for the native UTF-8 check.
 */
function utf8JsonBytes(bytes: Uint8Array): number {
  let size = 2 + bytes.length;
  let ascii = true;
  for (const byte of bytes) {
    if (byte < 0x20) size += byte === 8 || byte === 9 || byte === 10 || byte === 12 || byte === 13 ? 1 : 5;
    else if (byte === 0x22 || byte === 0x5c) size += 1;
    else if (byte >= 0x80) ascii = false;
  }
  return ascii || isUtf8(bytes) ? size : -1;
}

/** Bytes of the JSON string the view prints for `bytes`: the UTF-8 text when valid, else base64. */
export function stringViewBytes(bytes: Uint8Array): number {
  const size = utf8JsonBytes(bytes);
  return size >= 0 ? size : 2 + 4 * Math.ceil(bytes.length / 3);
}

/** Bytes of a JSON object key as the view prints it: ints in decimal, strings as text (U+FFFD if not UTF-8). */
export function keyViewBytes(key: PhpKey, property: boolean): number {
  if (key.t === 'int') return String(key.v).length + 2;
  const bytes = property ? plainPropertyName(key.v) : key.v;
  const size = utf8JsonBytes(bytes);
  return size >= 0 ? size : jsonStringBytes(lenientText(bytes));
}

/** `{"__class":"X","__opaque":true}` and `{"__class":"X","__case":"Y"}`: the constant-size views. */
export const opaqueViewBytes = (className: string) => 28 + jsonStringBytes(className);
export const enumViewBytes = (className: string, caseName: string) =>
  22 + jsonStringBytes(className) + jsonStringBytes(caseName);

/**
 * One stream of serialized values sharing PHP's value numbering: one value for `unserialize()`, several for
 * the `php` session handler, which reads `name|value` pairs with one numbering. Throws PhpReadError.
 */
export class PhpSerializedReader {
  pos = 0;
  private readonly end: number;
  private readonly allowed: Set<string> | null;
  private readonly opaqueUnknown: boolean;
  private readonly saturate: boolean;
  private readonly slots: PhpValue[] = [{ t: 'null' }];
  private readonly slotState: number[] = [DONE];
  private readonly slotBytes: number[] = [0];
  private readonly slotValues: number[] = [0];
  private readonly slotHeight: number[] = [0];
  /** For an `r:` slot, the slot of the value it reaches; otherwise the slot itself. */
  private readonly slotTarget: number[] = [0];
  /** The first `C:` with a payload: references past it cannot be resolved. */
  private customBarrier = Number.POSITIVE_INFINITY;
  private bytesOut = 0;
  private valuesOut = 0;
  private hiddenValues = 0;
  private opaqueDepth = 0;
  /** The JSON view height of the value just read (0 for scalars), for its container's height. */
  private lastHeight = 0;

  private readonly bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    private readonly budgets: DecodeBudgets,
    options: PhpReadOptions = {},
    /** Containers around the values read (the session's own object), for the depth budget. */
    private readonly baseDepth = 0,
  ) {
    // One copy, of which strings and keys are views: a Uint8Array of its own per string took twice the heap
    // (208 bytes against 96 for a short one), and the copy is a plain Uint8Array (subarray() of a Buffer
    // builds a Buffer, several times dearer) that no caller reuses under the tree.
    this.bytes = new Uint8Array(bytes);
    this.end = bytes.length;
    const allowed = options.allowedClasses ?? true;
    this.allowed = allowed === true ? null : new Set(allowed.map((name) => name.toLowerCase()));
    this.opaqueUnknown = (options.unknownObjects ?? 'opaque') === 'opaque';
    this.saturate = (options.overflow ?? 'saturate') === 'saturate';
  }

  /** Count output that surrounds the values (a session's braces, names, commas) against the budgets. */
  count(bytes: number, values: number): void {
    this.add(bytes, values);
  }

  /**
   * Read one value at `pos`. `objectView`: a top-level array is shown as a JSON object even when it is a
   * list (a session's variables), so its keys are counted.
   */
  read(objectView = false): PhpValue {
    const stack: Frame[] = [];
    for (;;) {
      const top = stack[stack.length - 1];
      if (top !== undefined && top.key === null) {
        if (top.remaining === 0) {
          this.expect(0x7d, "'}'");
          const value = this.close(top);
          stack.pop();
          if (stack.length === 0) return value;
          this.deliver(stack[stack.length - 1]!, value, top.slot, this.lastHeight);
        } else {
          this.readKey(top);
        }
        continue;
      }
      const start = this.pos;
      const tag = this.byteAt(start);
      if (tag === 0x61 || tag === 0x4f) {
        if (this.baseDepth + stack.length + 1 > this.budgets.maxDepth)
          throw new PhpReadError(overBudget.depth(this.budgets));
        const frame = tag === 0x61 ? this.openArray() : this.openObject();
        if (objectView && stack.length === 0) frame.list = false;
        stack.push(frame);
        continue;
      }
      const slot = tag === 0x52 ? 0 : this.newSlot();
      const value = this.readLeaf(tag, slot, stack.length);
      if (top === undefined) return value;
      this.deliver(top, value, slot, this.lastHeight);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Budgets
  // -------------------------------------------------------------------------------------------------------

  private add(bytes: number, values: number): void {
    this.bytesOut += bytes;
    this.valuesOut += values;
    this.checkOutput();
  }

  private checkOutput(): void {
    if (this.valuesOut + this.hiddenValues > this.budgets.maxValues) {
      throw new PhpReadError(overBudget.values(this.budgets));
    }
    // Inside an opaque object the count runs ahead of what prints; it is settled when the object closes.
    if (this.opaqueDepth === 0 && this.bytesOut > this.budgets.maxOutputBytes) {
      throw new PhpReadError(overBudget.output(this.budgets));
    }
  }

  private newSlot(): number {
    const slot = this.slots.length;
    this.slots.push(this.slots[0]!);
    this.slotState.push(OPEN);
    this.slotBytes.push(0);
    this.slotValues.push(0);
    this.slotHeight.push(0);
    this.slotTarget.push(slot);
    return slot;
  }

  private finishSlot(slot: number, value: PhpValue, bytes: number, values: number, height: number): void {
    if (slot === 0) return;
    this.slots[slot] = value;
    this.slotState[slot] = DONE;
    this.slotBytes[slot] = bytes;
    this.slotValues[slot] = values;
    this.slotHeight[slot] = height;
  }

  // -------------------------------------------------------------------------------------------------------
  // Bytes
  // -------------------------------------------------------------------------------------------------------

  private byteAt(at: number): number {
    if (at >= this.end) throw fail('corrupt', 'serialized data is truncated');
    return this.bytes[at]!;
  }

  private expect(byte: number, what: string): void {
    if (this.byteAt(this.pos) !== byte) throw fail('corrupt', `expected ${what} at byte ${this.pos}`);
    this.pos += 1;
  }

  /** `uiv`: one or more digits, read modulo 2^64 as PHP's size_t does. Infinity when beyond 2^53. */
  private uiv(): number {
    const start = this.pos;
    let value = 0;
    let at = start;
    for (; at < this.end; at += 1) {
      const byte = this.bytes[at]!;
      if (byte < 0x30 || byte > 0x39) break;
      value = value * 10 + (byte - 0x30);
    }
    if (at === start) throw fail('corrupt', `expected digits at byte ${start}`);
    this.pos = at;
    if (Number.isSafeInteger(value)) return value;
    // Fifteen digits per bigint step: one step per digit took 0.9 s for the 16 MiB of digits a row may hold.
    let wrapped = 0n;
    for (let index = start; index < at; ) {
      const stop = Math.min(index + 15, at);
      const scale = TEN_TO[stop - index]!;
      let chunk = 0;
      for (; index < stop; index += 1) chunk = chunk * 10 + (this.bytes[index]! - 0x30);
      wrapped = (wrapped * scale + BigInt(chunk)) & 0xffff_ffff_ffff_ffffn;
    }
    return wrapped <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wrapped) : Number.POSITIVE_INFINITY;
  }

  /**
   * PHP's `parse_iv2`: an optional sign, digits (none is 0 where `empty` allows it), saturating at the int64
   * bounds beyond 19 significant digits, as PHP does with a warning. A number when safe, else a bigint.
   */
  private iv(empty: boolean): number | bigint {
    let at = this.pos;
    let negative = false;
    const sign = this.bytes[at];
    if (sign === 0x2d || sign === 0x2b) {
      negative = sign === 0x2d;
      at += 1;
    }
    const digitsStart = at;
    while (at < this.end && this.bytes[at] === 0x30) at += 1;
    const significant = at;
    let value = 0;
    for (; at < this.end; at += 1) {
      const byte = this.bytes[at]!;
      if (byte < 0x30 || byte > 0x39) break;
      value = value * 10 + (byte - 0x30);
    }
    if (at === digitsStart && !empty) throw fail('corrupt', `expected an integer at byte ${this.pos}`);
    const start = this.pos;
    this.pos = at;
    if (at - significant <= 15) return negative ? -value + 0 : value;
    const magnitude =
      at - significant > 19
        ? null
        : BigInt(Buffer.from(this.bytes.subarray(significant, at)).toString('latin1'));
    const bound = negative ? -INT64_MIN : INT64_MAX;
    if (magnitude !== null && magnitude <= bound) return safeNumber(negative ? -magnitude : magnitude);
    if (!this.saturate) throw fail('corrupt', `an integer out of PHP's range at byte ${start}`);
    return negative ? INT64_MIN : INT64_MAX;
  }

  /** `len:"` then `len` bytes then `"`: the raw bytes (class names, enum names, strings). */
  private quoted(): Uint8Array {
    const length = this.uiv();
    this.expect(0x3a, "':'");
    this.expect(0x22, "'\"'");
    if (length > this.end - this.pos)
      throw fail('corrupt', `a length at byte ${this.pos} runs past the data`);
    const start = this.pos;
    this.pos += length;
    this.expect(0x22, "'\"'");
    return this.bytes.subarray(start, start + length);
  }

  /** `S:`: `len` bytes where `\xx` (two hex digits) stands for one byte. */
  private escaped(): Uint8Array {
    const length = this.uiv();
    this.expect(0x3a, "':'");
    this.expect(0x22, "'\"'");
    if (length > this.end - this.pos)
      throw fail('corrupt', `a length at byte ${this.pos} runs past the data`);
    const out = new Uint8Array(length);
    for (let index = 0; index < length; index += 1) {
      const byte = this.byteAt(this.pos);
      if (byte !== 0x5c) {
        out[index] = byte;
        this.pos += 1;
        continue;
      }
      const high = hexDigit(this.bytes[this.pos + 1]);
      const low = hexDigit(this.bytes[this.pos + 2]);
      if (high < 0 || low < 0) throw fail('corrupt', `bad escape in an S: string at byte ${this.pos}`);
      out[index] = high * 16 + low;
      this.pos += 3;
    }
    this.expect(0x22, "'\"'");
    return out;
  }

  private className(raw: Uint8Array): string {
    if (!isValidClassName(raw)) throw fail('corrupt', `invalid class name at byte ${this.pos}`);
    const name = utf8Text(raw);
    if (name === null) throw fail('unsupported', 'a class name that is not UTF-8');
    return name;
  }

  private isAllowed(className: string): boolean {
    return this.allowed === null || this.allowed.has(className.toLowerCase());
  }

  // -------------------------------------------------------------------------------------------------------
  // Values
  // -------------------------------------------------------------------------------------------------------

  private readLeaf(tag: number, slot: number, depth: number): PhpValue {
    const start = this.pos;
    if (tag === 0x4e) {
      this.pos += 1;
      this.expect(0x3b, "';'");
      return this.leaf(slot, { t: 'null' }, 4);
    }
    this.pos += 1;
    this.expect(0x3a, "':'");
    switch (tag) {
      case 0x62: {
        const digit = this.byteAt(this.pos);
        if (digit !== 0x30 && digit !== 0x31) throw fail('corrupt', `b: is not 0 or 1 at byte ${start}`);
        this.pos += 1;
        this.expect(0x3b, "';'");
        return this.leaf(slot, { t: 'bool', v: digit === 0x31 }, digit === 0x31 ? 4 : 5);
      }
      case 0x69: {
        const value = this.iv(false);
        this.expect(0x3b, "';'");
        const bytes = typeof value === 'number' ? String(value).length : String(value).length + 2;
        return this.leaf(slot, { t: 'int', v: value }, bytes);
      }
      case 0x64: {
        let at = this.pos;
        while (at < this.end && FLOAT_BYTES[this.bytes[at]!] === 1) at += 1;
        const text = latin1Slice(this.bytes, this.pos, at);
        if (!PHP_FLOAT_TEXT.test(text)) throw fail('corrupt', `malformed d: at byte ${start}`);
        this.pos = at;
        this.expect(0x3b, "';'");
        const value = phpFloatValue(text);
        const bytes = Number.isFinite(value)
          ? String(value).length
          : Number.isNaN(value)
            ? 5
            : value > 0
              ? 10
              : 11;
        return this.leaf(slot, { t: 'float', v: value, text }, bytes);
      }
      case 0x73:
      case 0x53: {
        const raw = tag === 0x73 ? this.quoted() : this.escaped();
        this.expect(0x3b, "';'");
        return this.leaf(slot, { t: 'string', v: raw }, stringViewBytes(raw));
      }
      case 0x43:
        return this.readCustom(slot, start, depth);
      case 0x45: {
        const raw = this.quoted();
        this.expect(0x3b, "';'");
        const colon = raw.indexOf(0x3a);
        if (
          colon === -1 ||
          !isValidClassName(raw.subarray(0, colon)) ||
          !isValidCaseName(raw.subarray(colon + 1))
        ) {
          throw fail('corrupt', `invalid enum name at byte ${start}`);
        }
        const className = utf8Text(raw.subarray(0, colon));
        const caseName = utf8Text(raw.subarray(colon + 1));
        if (className === null || caseName === null)
          throw fail('unsupported', 'an enum name that is not UTF-8');
        if (!this.isAllowed(className)) {
          throw fail(
            'unloadable',
            `enum ${printable(Buffer.from(className))} is not in the allowed classes: PHP fails to load it`,
          );
        }
        return this.leaf(
          slot,
          { t: 'enum', className, caseName },
          enumViewBytes(className, caseName),
          3,
          1,
          depth,
        );
      }
      case 0x52:
      case 0x72:
        return this.readRef(tag === 0x52 ? 'R' : 'r', slot, depth, start);
      default:
        throw fail('corrupt', `unknown type at byte ${start}`);
    }
  }

  private leaf(slot: number, value: PhpValue, bytes: number, values = 1, height = 0, depth = 0): PhpValue {
    // Enums and C: objects show as a JSON object: one level below where they sit.
    if (height > 0 && this.baseDepth + depth + height > this.budgets.maxDepth) {
      throw new PhpReadError(overBudget.depth(this.budgets));
    }
    this.add(bytes, values);
    this.lastHeight = height;
    this.finishSlot(slot, value, bytes, values, height);
    return value;
  }

  private readCustom(slot: number, start: number, depth: number): PhpValue {
    const className = this.className(this.quoted());
    this.expect(0x3a, "':'");
    const length = this.iv(true);
    this.expect(0x3a, "':'");
    this.expect(0x7b, "'{'");
    if (length < 0 || length >= this.end - this.pos) {
      throw fail('corrupt', `a C: payload at byte ${start} runs past the data`);
    }
    const dataStart = this.pos;
    this.pos += Number(length);
    this.expect(0x7d, "'}'");
    if (!this.opaqueUnknown)
      throw fail('unsupported', `a C: custom-serialized ${printable(Buffer.from(className))}`);
    if (length > 0 && slot < this.customBarrier) this.customBarrier = slot;
    const value: PhpValue = {
      t: 'custom',
      className,
      data: this.bytes.subarray(dataStart, this.pos - 1),
    };
    return this.leaf(slot, value, opaqueViewBytes(className), 3, 1, depth);
  }

  private readRef(kind: 'R' | 'r', slot: number, depth: number, start: number): PhpValue {
    const id = this.uiv();
    this.expect(0x3b, "';'");
    if (id > this.customBarrier) {
      throw fail(
        'unsupported',
        `${kind}:${id} refers past a C: payload, whose numbering only its class knows`,
      );
    }
    if (id === 0 || id >= this.slots.length) throw fail('corrupt', `${kind}:${id} refers to no value`);
    const target = this.slotTarget[id]!;
    const state = this.slotState[target]!;
    if (this.slotState[id] === REPLACED) {
      throw fail('unsupported', `${kind}:${id} refers to a value that a repeated key replaced`);
    }
    const value = this.slots[target]!;
    const recursive = state === OPEN;
    // An open slot holds its array or object (or, for the r: itself, a placeholder null).
    if (kind === 'r' && !isObjectLike(value)) {
      throw fail('corrupt', `r:${id} at byte ${start} refers to a value that is not an object`);
    }
    const ref: PhpRef = recursive
      ? { t: 'ref', kind, target: value, recursive }
      : { t: 'ref', kind, target: value };
    const bytes = recursive ? RECURSION_BYTES : this.slotBytes[target]!;
    const values = recursive ? 2 : this.slotValues[target]!;
    const height = recursive ? 1 : this.slotHeight[target]!;
    if (this.baseDepth + depth + height > this.budgets.maxDepth)
      throw new PhpReadError(overBudget.depth(this.budgets));
    this.add(bytes, values);
    this.lastHeight = height;
    if (slot !== 0) {
      this.finishSlot(slot, ref, bytes, values, height);
      this.slotTarget[slot] = target;
    }
    return ref;
  }

  // -------------------------------------------------------------------------------------------------------
  // Arrays and objects
  // -------------------------------------------------------------------------------------------------------

  private frame(value: PhpArray | PhpObject, entries: PhpEntry[], remaining: number, slot: number): Frame {
    return {
      value,
      entries,
      isObject: value.t === 'object',
      opaque: value.t === 'object' && value.opaque === true,
      remaining,
      key: null,
      replaceAt: -1,
      keysRead: 0,
      slot,
      startBytes: this.bytesOut,
      startValues: this.valuesOut,
      height: 0,
      list: value.t === 'array',
      pendingKeyBytes: 0,
      index: null,
      entrySlots: [],
    };
  }

  private openArray(): Frame {
    const slot = this.newSlot();
    this.pos += 1;
    this.expect(0x3a, "':'");
    const count = this.uiv();
    this.expect(0x3a, "':'");
    this.expect(0x7b, "'{'");
    if (count > this.end - this.pos)
      throw fail('corrupt', `an array count at byte ${this.pos} runs past the data`);
    const entries: PhpEntry[] = [];
    const value: PhpArray = { t: 'array', entries };
    this.slots[slot] = value;
    const frame = this.frame(value, entries, count, slot);
    this.add(2, 1);
    return frame;
  }

  private openObject(): Frame {
    const slot = this.newSlot();
    const start = this.pos;
    this.pos += 1;
    this.expect(0x3a, "':'");
    const className = this.className(this.quoted());
    this.expect(0x3a, "':'");
    const count = this.iv(true);
    this.expect(0x3a, "':'");
    this.expect(0x7b, "'{'");
    if (count < 0 || count > this.end - this.pos) {
      throw fail('corrupt', `an object count at byte ${start} runs past the data`);
    }
    const allowed = this.isAllowed(className);
    if (!allowed && !this.opaqueUnknown) {
      throw fail('unsupported', `class ${printable(Buffer.from(className))} is not in the allowed classes`);
    }
    const props: PhpEntry[] = [];
    const value: PhpObject = allowed
      ? { t: 'object', className, props }
      : { t: 'object', className, props, opaque: true };
    this.slots[slot] = value;
    const frame = this.frame(value, props, Number(count), slot);
    if (frame.opaque) this.opaqueDepth += 1;
    this.add(12 + jsonStringBytes(className), 2);
    return frame;
  }

  private readKey(frame: Frame): void {
    const start = this.pos;
    const tag = this.byteAt(start);
    let key: PhpKey;
    if (tag === 0x69) {
      this.pos += 1;
      this.expect(0x3a, "':'");
      key = { t: 'int', v: this.iv(false) };
    } else if (tag === 0x73 || tag === 0x53) {
      this.pos += 1;
      this.expect(0x3a, "':'");
      const raw = tag === 0x73 ? this.quoted() : this.escaped();
      key = frame.isObject ? { t: 'string', v: raw } : arrayKey(raw);
    } else {
      throw fail('corrupt', `a key at byte ${start} is not an int or a string`);
    }
    this.expect(0x3b, "';'");
    frame.key = key;
    frame.replaceAt = -1;
    frame.keysRead += 1;
    const sequential = frame.list && key.t === 'int' && key.v === frame.entries.length;
    if (!sequential) {
      const index = this.keyIndex(frame);
      const name = indexName(key, frame.isObject);
      const existing = index.get(name);
      if (existing === undefined) index.set(name, frame.entries.length);
      else {
        // From here on PHP's number for the earlier value names the slot being rewritten: refused below.
        frame.replaceAt = existing;
        const earlier = frame.entrySlots[existing]!;
        if (earlier !== 0) this.slotState[earlier] = REPLACED;
      }
    } else if (frame.index !== null) {
      frame.index.set(indexName(key, false), frame.entries.length);
    }
    // The view prints one member per key read: a repeated key is counted twice (an upper bound). A key is
    // a value the decode builds (see the file comment), whether the view prints it or not.
    const comma = frame.isObject || frame.keysRead > 1 ? 1 : 0;
    const keyBytes = keyViewBytes(key, frame.isObject) + 1;
    if (frame.list && sequential && frame.replaceAt === -1) {
      frame.pendingKeyBytes += keyBytes;
      this.add(comma, 1);
    } else {
      const pending = frame.list ? frame.pendingKeyBytes : 0;
      frame.list = false;
      frame.pendingKeyBytes = 0;
      this.add(comma + keyBytes + pending, 1);
    }
  }

  private keyIndex(frame: Frame): Map<string, number> {
    if (frame.index === null) {
      const index = new Map<string, number>();
      frame.entries.forEach(([key], at) => {
        index.set(indexName(key, frame.isObject), at);
      });
      frame.index = index;
    }
    return frame.index;
  }

  /** A value finished inside `frame`: append it under the pending key or replace the earlier one in place. */
  private deliver(frame: Frame, value: PhpValue, slot: number, height: number): void {
    const key = frame.key!;
    if (frame.replaceAt === -1) {
      frame.entries.push([key, value]);
      frame.entrySlots.push(slot);
    } else {
      frame.entries[frame.replaceAt] = [frame.entries[frame.replaceAt]![0], value];
      frame.entrySlots[frame.replaceAt] = slot;
    }
    frame.key = null;
    frame.remaining -= 1;
    if (height > frame.height) frame.height = height;
  }

  private close(frame: Frame): PhpValue {
    let bytes = this.bytesOut - frame.startBytes;
    let values = this.valuesOut - frame.startValues;
    let height = frame.height + 1;
    if (frame.opaque) {
      const className = (frame.value as PhpObject).className;
      this.opaqueDepth -= 1;
      this.hiddenValues += values - 3;
      this.bytesOut = frame.startBytes + opaqueViewBytes(className);
      this.valuesOut = frame.startValues + 3;
      bytes = this.bytesOut - frame.startBytes;
      values = 3;
      height = 1;
      this.checkOutput();
    }
    this.finishSlot(frame.slot, frame.value, bytes, values, height);
    this.lastHeight = height;
    return frame.value;
  }
}

/** 10^0 ... 10^15, the scale of each chunk of digits `uiv` folds in. */
const TEN_TO = Array.from({ length: 16 }, (_, power) => 10n ** BigInt(power));

/** Bytes a `d:` text may hold: digits, `+-.eE`, and the letters of INF and NAN. */
const FLOAT_BYTES = new Uint8Array(256);
for (const char of '0123456789+-.eEINFA') FLOAT_BYTES[char.charCodeAt(0)] = 1;

function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/** The identity of a key within one container: an object's int key 5 is its string key "5", as in PHP. */
function indexName(key: PhpKey, property: boolean): string {
  if (key.t === 'int') return property ? `s${key.v}` : `i${key.v}`;
  let name = 's';
  const bytes = key.v;
  if (bytes.length < 64) {
    for (const byte of bytes) name += String.fromCharCode(byte);
    return name;
  }
  return name + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Run a read, turning every error into a failure: a decoder reports, it never throws. */
export function guardRead<T>(read: () => T): Decoded<T> {
  try {
    return decoded(read());
  } catch (error) {
    if (error instanceof PhpReadError) return error.failure;
    // Not expected (the tests look for this detail); reported rather than thrown all the same.
    return failure('corrupt', 'unreadable serialized data');
  }
}

/**
 * Read one `serialize()`d value. Never throws: malformed or truncated input is `corrupt`, budgets exceeded
 * `over-budget`, what is deliberately not read (see the file comment, `options`) `unsupported`.
 */
export function readPhpSerialized(
  bytes: Uint8Array,
  budgets: DecodeBudgets,
  options: PhpReadOptions = {},
): Decoded<PhpValue> {
  if (bytes.length > budgets.maxInputBytes) return overBudget.input(budgets);
  return guardRead(() => {
    const reader = new PhpSerializedReader(bytes, budgets, options);
    const value = reader.read();
    if (reader.pos < bytes.length && (options.trailing ?? 'refuse') === 'refuse') {
      throw fail('corrupt', `${bytes.length - reader.pos} bytes follow the serialized value`);
    }
    return value;
  });
}
