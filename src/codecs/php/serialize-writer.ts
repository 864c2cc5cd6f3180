/**
 * PHP's `serialize()` format, written as PHP 8 writes it (ext/standard/var.c), so a value read by
 * serialize-reader.ts and written back unchanged is byte-identical, references included.
 *
 * Values are numbered as PHP numbers them (from 1, in the order they are written; an `R:` takes no number,
 * an `r:` does), so a `PhpRef` is written as `R:n;`/`r:n;` with the number its target got here. A ref whose
 * target is no longer in the tree (an edit replaced it), or got a number after a `C:` payload (which PHP
 * numbers by its class's own rules, see serialize-reader.ts), is written as a full copy of the target
 * instead, so what PHP loads is what the JSON view showed. The writer loops over an explicit stack, so deep
 * values cost heap, not call stack.
 *
 * One difference from PHP: an enum case is a single object in PHP, so serialize() writes a second place
 * holding the same case as `r:n`; two separate `PhpEnum` nodes are written as two `E:` (PHP reads both as
 * that one case). Trees read from PHP's output hold the `r:` as a `PhpRef` and are written back as PHP wrote
 * them.
 */
import type { JsonValue } from '../result.ts';
import {
  arrayKeyOf,
  INT64_MAX,
  INT64_MIN,
  isObjectLike,
  isValidCaseName,
  isValidClassName,
  PHP_FLOAT_TEXT,
  type PhpKey,
  type PhpValue,
  phpFloatText,
  phpInt,
  phpString,
  utf8Bytes,
} from './values.ts';

/** The end of an array or object: it no longer encloses what follows. */
class Close {
  constructor(readonly value: PhpValue) {}
}

/** A pending piece of output: ASCII text, raw bytes, a value still to write, or the end of one. */
type Task = string | Uint8Array | PhpValue | Close;

function intText(value: number | bigint): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new RangeError(`int ${value} is not a safe integer; use a bigint`);
    return String(value + 0);
  }
  if (value < INT64_MIN || value > INT64_MAX)
    throw new RangeError(`int ${value} is outside PHP's 64-bit int`);
  return value.toString();
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function classBytes(className: string): Uint8Array {
  const bytes = utf8Bytes(className);
  if (!isValidClassName(bytes)) throw new RangeError(`${JSON.stringify(className)} is not a PHP class name`);
  return bytes;
}

/**
 * Writes values into one buffer with one numbering: `write` once for `serialize()`, several times for the
 * `php` session handler, whose `name|value` pairs share PHP's numbering.
 */
export class PhpSerializedWriter {
  private readonly parts: Uint8Array[] = [];
  private text = '';
  private count = 0;
  private readonly numbers = new Map<PhpValue, number>();
  private readonly open = new Set<PhpValue>();
  /** The number of the first C: object with a payload: PHP numbers what follows by its class's rules. */
  private barrier = Number.POSITIVE_INFINITY;

  /** Raw bytes between values (a session variable's name and `|`). */
  raw(bytes: Uint8Array): void {
    this.flush();
    this.parts.push(bytes);
  }

  write(root: PhpValue): void {
    const tasks: Task[] = [root];
    while (tasks.length > 0) {
      const task = tasks.pop()!;
      if (typeof task === 'string') this.text += task;
      else if (task instanceof Uint8Array) this.raw(task);
      else if (task instanceof Close) this.open.delete(task.value);
      else this.value(task, tasks);
    }
  }

  finish(): Uint8Array {
    this.flush();
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }

  private flush(): void {
    if (this.text.length > 0) {
      this.parts.push(Buffer.from(this.text, 'latin1'));
      this.text = '';
    }
  }

  private string(bytes: Uint8Array, tasks: Task[]): void {
    // Short strings go through the latin-1 text buffer (one char per byte) instead of a part of their own.
    if (bytes.length <= 64) tasks.push(`s:${bytes.length}:"${latin1(bytes)}";`);
    else tasks.push('";', bytes, `s:${bytes.length}:"`);
  }

  private key(key: PhpKey, tasks: Task[]): void {
    if (key.t === 'int') tasks.push(`i:${intText(key.v)};`);
    else this.string(key.v, tasks);
  }

  private value(value: PhpValue, tasks: Task[]): void {
    if (value.t === 'ref') {
      let target = value.target;
      while (target.t === 'ref') target = target.target;
      const number = this.numbers.get(target);
      if (number !== undefined && number <= this.barrier && (value.kind === 'R' || isObjectLike(target))) {
        if (value.kind === 'r') this.count += 1;
        this.text += `${value.kind}:${number};`;
      } else if (this.open.has(target)) {
        // Writing the enclosing value again would never end; a number past a C: payload would not be read.
        throw new RangeError(
          'a cycle after a C: object with a payload cannot be written for PHP to read back',
        );
      } else {
        tasks.push(target);
      }
      return;
    }
    this.count += 1;
    if (!this.numbers.has(value)) this.numbers.set(value, this.count);
    switch (value.t) {
      case 'null':
        this.text += 'N;';
        return;
      case 'bool':
        this.text += value.v ? 'b:1;' : 'b:0;';
        return;
      case 'int':
        this.text += `i:${intText(value.v)};`;
        return;
      case 'float': {
        const text = value.text ?? phpFloatText(value.v);
        if (!PHP_FLOAT_TEXT.test(text)) throw new RangeError(`${JSON.stringify(text)} is not a PHP float`);
        this.text += `d:${text};`;
        return;
      }
      case 'string':
        this.string(value.v, tasks);
        return;
      case 'array':
        this.text += `a:${value.entries.length}:{`;
        this.open.add(value);
        tasks.push(new Close(value), '}');
        for (let index = value.entries.length - 1; index >= 0; index -= 1) {
          const [key, item] = value.entries[index]!;
          tasks.push(item);
          this.key(key, tasks);
        }
        return;
      case 'object': {
        const name = classBytes(value.className);
        this.open.add(value);
        tasks.push(new Close(value), '}');
        for (let index = value.props.length - 1; index >= 0; index -= 1) {
          const [key, item] = value.props[index]!;
          tasks.push(item);
          this.key(key, tasks);
        }
        tasks.push(`":${value.props.length}:{`, name, `O:${name.length}:"`);
        return;
      }
      case 'custom': {
        const name = classBytes(value.className);
        if (value.data.length > 0 && this.count < this.barrier) this.barrier = this.count;
        tasks.push('}', value.data, `":${value.data.length}:{`, name, `C:${name.length}:"`);
        return;
      }
      case 'enum': {
        const bytes = utf8Bytes(`${value.className}:${value.caseName}`);
        if (!isValidClassName(utf8Bytes(value.className)) || !isValidCaseName(utf8Bytes(value.caseName))) {
          throw new RangeError(
            `${JSON.stringify(`${value.className}:${value.caseName}`)} is not a PHP enum case`,
          );
        }
        tasks.push('";', bytes, `E:${bytes.length}:"`);
        return;
      }
    }
  }
}

/**
 * `serialize($value)` as PHP 8 writes it. Throws RangeError for a value PHP could not hold (an int outside
 * int64, a float `text` PHP would not read, an invalid class or enum name), and for a cycle that would have
 * to be numbered past a `C:` payload (only an edit can make one: the reader refuses them).
 */
export function writePhpSerialized(value: PhpValue): Uint8Array {
  const writer = new PhpSerializedWriter();
  writer.write(value);
  return writer.finish();
}

/**
 * A new value written through the API, as PHP would hold it after `json_decode($json, true)`: null, bool,
 * a safe integer as int, any other number as float, text as a UTF-8 string, an array as a list, an object as
 * an array with string keys, except that a numeric-string key such as `"5"` becomes the int 5 as PHP makes it.
 * Never an object: `{"__class": "X"}` is an array with the key `__class`, so no write through the API can
 * put a class of its choosing into the application's `unserialize()` (PHP object injection).
 */
export function jsonToPhp(json: JsonValue): PhpValue {
  if (json === null) return { t: 'null' };
  if (typeof json === 'boolean') return { t: 'bool', v: json };
  if (typeof json === 'number') return Number.isSafeInteger(json) ? phpInt(json) : { t: 'float', v: json };
  if (typeof json === 'string') return phpString(json);
  if (Array.isArray(json)) {
    return { t: 'array', entries: json.map((item, index) => [{ t: 'int', v: index }, jsonToPhp(item)]) };
  }
  return { t: 'array', entries: Object.keys(json).map((key) => [arrayKeyOf(key), jsonToPhp(json[key]!)]) };
}
