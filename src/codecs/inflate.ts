/**
 * A one-shot zlib (RFC 1950) + DEFLATE (RFC 1951) decoder for small payloads, accepting and rejecting exactly
 * what zlib's inflate() does for a complete stream (checked against node:zlib by the spec's differential
 * properties): header check, no preset dictionary, stored/fixed/dynamic blocks, zlib's rules for incomplete
 * and over-subscribed codes, distances never before the start, Adler-32 at the end; bytes after it are
 * ignored, as Python's zlib.decompress ignores them.
 *
 * Huffman codes decode through one table indexed by the next TABLE_BITS bits (entry = symbol << 4 | length);
 * an entry of 0 means a longer code (or an unused one) and falls back to canonical decoding bit by bit.
 *
 * Input and output are module-level scratch buffers, reused by every call, so a row allocates nothing here:
 * django.ts decodes a row's base64 straight into `scratchIn` and reads the result from `scratchOut`.
 */
import { DEFAULT_BUDGETS } from './budgets.ts';
import { INFLATE_BAD, INFLATE_TOO_LARGE, reusableInflate, SCRATCH_KEEP_BYTES } from './zlib-handle.ts';

export let scratchIn: Buffer = Buffer.allocUnsafeSlow(4096);
/** scratchIn as a DataView: the inflate refills its bit buffer with one getUint32 (cheaper than 4 byte loads). */
export let scratchInView = new DataView(scratchIn.buffer, scratchIn.byteOffset, scratchIn.byteLength);

export function growScratchIn(size: number): void {
  scratchIn = Buffer.allocUnsafeSlow(size);
  scratchInView = new DataView(scratchIn.buffer, scratchIn.byteOffset, scratchIn.byteLength);
}

/** Before each row: scratch buffers (zlib's too) that grew past SCRATCH_KEEP_BYTES for one row go back to small. */
export function trimScratch(): void {
  if (scratchIn.length > SCRATCH_KEEP_BYTES) growScratchIn(4096);
  if (scratchOut.length > SCRATCH_KEEP_BYTES) scratchOut = Buffer.allocUnsafeSlow(16 * 1024);
  reusableInflate?.trim();
}

const TABLE_BITS = 10;
const TABLE_SIZE = 1 << TABLE_BITS;
const LENGTH_BASE = new Uint16Array([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
  227, 258,
]);
const LENGTH_EXTRA = new Uint8Array([
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]);
const DIST_BASE = new Uint16Array([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
]);
const DIST_EXTRA = new Uint8Array([
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]);
const CODE_LENGTH_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/** REVERSE[x] = the 10-bit value x with its bits in reverse order. */
const REVERSE = new Uint16Array(TABLE_SIZE);
for (let x = 0; x < TABLE_SIZE; x++) {
  let reversed = 0;
  for (let b = 0; b < TABLE_BITS; b++) reversed |= ((x >> b) & 1) << (TABLE_BITS - 1 - b);
  REVERSE[x] = reversed;
}

/**
 * A canonical Huffman code: a table indexed by the next `mask`-selected bits (as many bits as the longest code,
 * at most TABLE_BITS, so small codes fill small tables), plus counts and sorted symbols for longer codes.
 */
class Huffman {
  readonly table = new Uint16Array(TABLE_SIZE);
  readonly count = new Uint16Array(16);
  /**
   * The symbols of each length in increasing order: those of length `len` at [len * 288, len * 288 + count[len]).
   * Symbols arrive in increasing order, so bucketing them as they come is already the canonical (length, symbol)
   * order, with no sorting pass in finish().
   */
  readonly byLength = new Uint16Array(16 * 288);
  mask = 0;
  /** How many bits the table is indexed by (mask = 2^bits - 1). */
  bits = 0;

  /** Starts a new code: then add() each symbol with a non-zero length, in increasing symbol order, and finish(). */
  reset(): void {
    this.count.fill(0);
  }

  add(symbol: number, length: number): void {
    this.byLength[length * 288 + this.count[length]!++] = symbol;
  }

  /**
   * Builds the table. `kind` follows zlib's inflate_table: 'codes' must be complete; 'lens' and 'dists' may be
   * incomplete only when the longest code has one bit; an empty code (no symbol) is accepted for 'dists' and any
   * distance then fails to decode. Returns false where zlib fails.
   */
  finish(kind: 'codes' | 'lens' | 'dists'): boolean {
    const { count, table, byLength } = this;
    let max = 15;
    while (max > 0 && count[max] === 0) max--;
    const bits = max < TABLE_BITS ? max : TABLE_BITS;
    this.mask = (1 << bits) - 1;
    this.bits = bits;
    if (max === 0) {
      table[0] = 0;
      return kind === 'dists';
    }
    let left = 1;
    for (let len = 1; len <= 15; len++) {
      left = (left << 1) - count[len]!;
      if (left < 0) return false;
    }
    if (left > 0) {
      if (kind === 'codes' || max !== 1) return false;
      table.fill(0, 0, 1 << bits); // the unused code must fail to decode
    }
    // Canonical codes in (length, symbol) order, stored bit-reversed (DEFLATE sends them MSB first).
    const size = 1 << bits;
    let code = 0;
    for (let len = 1; len <= bits; len++) {
      const step = 1 << len;
      const shift = TABLE_BITS - len;
      const from = len * 288;
      const stop = from + count[len]!;
      for (let k = from; k < stop; k++) {
        const entry = (byLength[k]! << 4) | len;
        for (let fill = REVERSE[code]! >> shift; fill < size; fill += step) table[fill] = entry;
        code++;
      }
      if (len < bits) code <<= 1;
    }
    // The rest of the table are prefixes of longer codes: mark them (the last table's entries are still there).
    for (; code < size; code++) table[REVERSE[code]! >> (TABLE_BITS - bits)] = 0;
    return true;
  }

  /** Builds from a plain array of lengths (the fixed codes). */
  build(lengths: Uint8Array, kind: 'lens' | 'dists'): boolean {
    this.reset();
    for (let symbol = 0; symbol < lengths.length; symbol++) {
      if (lengths[symbol] !== 0) this.add(symbol, lengths[symbol]!);
    }
    return this.finish(kind);
  }

  /**
   * Canonical decoding, one bit at a time, of a code longer than the table, from the low bits of `hold` (at
   * least 15 valid bits). Returns symbol << 4 | length, or -1 for a code that is not in the set.
   */
  slowDecode(hold: number): number {
    let code = 0;
    let first = 0;
    for (let len = 1; len <= 15; len++) {
      code |= (hold >>> (len - 1)) & 1;
      const count = this.count[len]!;
      if (code - first < count) return (this.byLength[len * 288 + code - first]! << 4) | len;
      first = (first + count) << 1;
      code <<= 1;
    }
    return -1;
  }
}

const litLen = new Huffman();
const dist = new Huffman();
const codeLengthCode = new Huffman();
const codeLengths = new Uint8Array(19);
const fixedLitLen = new Huffman();
const fixedDist = new Huffman();
fixedLitLen.build(
  new Uint8Array(288).fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288),
  'lens',
);
fixedDist.build(new Uint8Array(32).fill(5), 'dists');

export let scratchOut: Buffer = Buffer.allocUnsafeSlow(16 * 1024);
/** Matches at least this long that do not overlap their source are copied by copyWithin (a memmove). */
const COPY_WITHIN_MIN = 32;

/**
 * Inflates the zlib stream in input[0, inputLength) (followed by at least 16 readable bytes) into `scratchOut`.
 * `view` is a DataView of the same bytes. Returns the output length, INFLATE_BAD or INFLATE_TOO_LARGE.
 */
export function inflateInto(input: Uint8Array, view: DataView, inputLength: number, maxOut: number): number {
  if (inputLength < 2) return INFLATE_BAD;
  const cmf = input[0]!;
  const flg = input[1]!;
  if ((cmf & 15) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 32) return INFLATE_BAD;
  // Bit buffer, least significant bit first: `hold` has `bits` valid bits; bytes come from input[pos]. `hold`
  // stays below 2^31, so V8 keeps it a small integer (`>>>` on a negative number would make it a heap number).
  // The hot loops refill without a branch (as libdeflate does): OR in the next 4 bytes shifted past the valid
  // bits (cut to 31 bits), then count only the whole bytes that fit, leaving 23 to 30 valid bits. The bits above
  // those are the stream's next bits too, so OR-ing them again later changes nothing. A refill loop whose trip
  // count depends on the data mispredicted often enough to cost ~15% of the inflate. Refilling stops 4 bytes
  // past the end (inside the zero padding): by then the stream is certainly truncated.
  const stopAt = inputLength + 4;
  let pos = 2;
  let hold = 0;
  let bits = 0;
  let out = scratchOut;
  // Writes below `limit` need no check: it is the smaller of the buffer's size and maxOut.
  let limit = Math.min(out.length, maxOut);
  let o = 0;
  let final = 0;
  while (final === 0) {
    while (bits <= 23) {
      hold |= input[pos++]! << bits;
      bits += 8;
    }
    if (pos > stopAt) return INFLATE_BAD;
    final = hold & 1;
    const type = (hold >>> 1) & 3;
    hold >>>= 3;
    bits -= 3;
    if (type === 0) {
      // Stored: skip to the byte boundary, then LEN, NLEN and LEN raw bytes.
      bits -= bits & 7;
      const at = pos - (bits >> 3);
      hold = 0;
      bits = 0;
      if (at + 4 > inputLength) return INFLATE_BAD;
      const len = input[at]! | (input[at + 1]! << 8);
      const nlen = input[at + 2]! | (input[at + 3]! << 8);
      if (len !== (~nlen & 0xffff)) return INFLATE_BAD;
      if (at + 4 + len > inputLength) return INFLATE_BAD;
      if (o + len > limit) {
        if (o + len > maxOut) return INFLATE_TOO_LARGE;
        out = growOutput(o, o + len, maxOut);
        limit = Math.min(out.length, maxOut);
      }
      out.set(input.subarray(at + 4, at + 4 + len), o);
      o += len;
      pos = at + 4 + len;
      continue;
    }
    let lit: Huffman;
    let dst: Huffman;
    if (type === 1) {
      lit = fixedLitLen;
      dst = fixedDist;
    } else if (type === 2) {
      while (bits <= 23) {
        hold |= input[pos++]! << bits;
        bits += 8;
      }
      const nlen = (hold & 31) + 257;
      const ndist = ((hold >>> 5) & 31) + 1;
      const ncode = ((hold >>> 10) & 15) + 4;
      hold >>>= 14;
      bits -= 14;
      if (nlen > 286 || ndist > 30) return INFLATE_BAD;
      codeLengths.fill(0);
      for (let i = 0; i < ncode; i++) {
        if (bits < 3) {
          hold |= input[pos++]! << bits;
          bits += 8;
        }
        codeLengths[CODE_LENGTH_ORDER[i]!] = hold & 7;
        hold >>>= 3;
        bits -= 3;
      }
      codeLengthCode.reset();
      for (let symbol = 0; symbol < 19; symbol++) {
        if (codeLengths[symbol] !== 0) codeLengthCode.add(symbol, codeLengths[symbol]!);
      }
      if (!codeLengthCode.finish('codes')) return INFLATE_BAD;
      // Literal/length then distance code lengths, as one sequence (a repeat may cross from one to the other).
      // Only non-zero lengths go to the codes being built, so runs of zeros cost nothing.
      litLen.reset();
      dist.reset();
      const total = nlen + ndist;
      const clTable = codeLengthCode.table;
      const clMask = codeLengthCode.mask;
      let have = 0;
      let previous = -1;
      let endOfBlock = false;
      while (have < total) {
        hold |= (view.getUint32(pos, true) << bits) & 0x7fffffff;
        const bytes = (30 - bits) >> 3;
        pos += bytes;
        bits += bytes << 3;
        if (pos > stopAt) return INFLATE_BAD;
        // Code-length codes are complete and at most 7 bits long: every table entry is a symbol.
        const entry = clTable[hold & clMask]!;
        hold >>>= entry & 15;
        bits -= entry & 15;
        const symbol = entry >> 4;
        if (symbol < 16) {
          if (symbol !== 0) {
            if (have < nlen) litLen.add(have, symbol);
            else dist.add(have - nlen, symbol);
            if (have === 256) endOfBlock = true;
          }
          previous = symbol;
          have++;
          continue;
        }
        let repeat: number;
        if (symbol === 16) {
          if (previous < 0) return INFLATE_BAD;
          repeat = 3 + (hold & 3);
          hold >>>= 2;
          bits -= 2;
          if (have + repeat > total) return INFLATE_BAD;
          if (previous !== 0) {
            for (let k = 0; k < repeat; k++, have++) {
              if (have < nlen) litLen.add(have, previous);
              else dist.add(have - nlen, previous);
              if (have === 256) endOfBlock = true;
            }
            continue;
          }
        } else {
          if (symbol === 17) {
            repeat = 3 + (hold & 7);
            hold >>>= 3;
            bits -= 3;
          } else {
            repeat = 11 + (hold & 127);
            hold >>>= 7;
            bits -= 7;
          }
          previous = 0;
        }
        if (have + repeat > total) return INFLATE_BAD;
        have += repeat;
      }
      if (!endOfBlock) return INFLATE_BAD;
      if (!litLen.finish('lens')) return INFLATE_BAD;
      if (!dist.finish('dists')) return INFLATE_BAD;
      lit = litLen;
      dst = dist;
    } else {
      return INFLATE_BAD;
    }
    const litTable = lit.table;
    const litMask = lit.mask;
    const litBits = lit.bits;
    const distTable = dst.table;
    const distMask = dst.mask;
    for (;;) {
      // Branch-free refill to 23..30 bits (see above).
      hold |= (view.getUint32(pos, true) << bits) & 0x7fffffff;
      const bytes = (30 - bits) >> 3;
      pos += bytes;
      bits += bytes << 3;
      if (pos > stopAt) return INFLATE_BAD;
      let entry = litTable[hold & litMask]!;
      if (entry === 0) {
        entry = lit.slowDecode(hold);
        if (entry < 0) return INFLATE_BAD;
      }
      hold >>>= entry & 15;
      bits -= entry & 15;
      const symbol = entry >> 4;
      if (symbol < 256) {
        if (o >= limit) {
          if (o >= maxOut) return INFLATE_TOO_LARGE;
          out = growOutput(o, o + 1, maxOut);
          limit = Math.min(out.length, maxOut);
        }
        out[o++] = symbol;
        // Most symbols are literals: take a second one without a refill when a whole table index is still
        // valid, and leave anything else (a long code, a length, the end) to the next turn.
        if (bits >= litBits) {
          const next = litTable[hold & litMask]!;
          if (next !== 0 && next < 256 << 4 && o < limit) {
            hold >>>= next & 15;
            bits -= next & 15;
            out[o++] = next >> 4;
          }
        }
        continue;
      }
      if (symbol === 256) break;
      const lengthCode = symbol - 257;
      if (lengthCode > 28) return INFLATE_BAD;
      // At least 23 bits were in `hold`: the length code (15 at most) and its extra bits (5 at most) fit.
      const lengthExtra = LENGTH_EXTRA[lengthCode]!;
      const length = LENGTH_BASE[lengthCode]! + (hold & ((1 << lengthExtra) - 1));
      hold >>>= lengthExtra;
      bits -= lengthExtra;
      hold |= (view.getUint32(pos, true) << bits) & 0x7fffffff;
      const bytes2 = (30 - bits) >> 3;
      pos += bytes2;
      bits += bytes2 << 3;
      entry = distTable[hold & distMask]!;
      if (entry === 0) {
        entry = dst.slowDecode(hold);
        if (entry < 0) return INFLATE_BAD;
      }
      hold >>>= entry & 15;
      bits -= entry & 15;
      const distCode = entry >> 4;
      if (distCode > 29) return INFLATE_BAD;
      const distExtra = DIST_EXTRA[distCode]!;
      if (bits < distExtra) {
        hold |= input[pos++]! << bits;
        bits += 8;
      }
      const distance = DIST_BASE[distCode]! + (hold & ((1 << distExtra) - 1));
      hold >>>= distExtra;
      bits -= distExtra;
      if (distance > o) return INFLATE_BAD;
      if (o + length > limit) {
        if (o + length > maxOut) return INFLATE_TOO_LARGE;
        out = growOutput(o, o + length, maxOut);
        limit = Math.min(out.length, maxOut);
      }
      // Overlapping copies repeat the pattern, so copy byte by byte (copyWithin would not).
      let from = o - distance;
      if (length >= COPY_WITHIN_MIN && distance >= length) {
        out.copyWithin(o, from, from + length);
        o += length;
        continue;
      }
      const stop = o + length;
      while (o < stop) out[o++] = out[from++]!;
    }
  }
  // The Adler-32 trailer starts at the next byte boundary.
  const at = pos - (bits >> 3);
  if (at + 4 > inputLength) return INFLATE_BAD;
  const expected =
    ((input[at]! << 24) | (input[at + 1]! << 16) | (input[at + 2]! << 8) | input[at + 3]!) >>> 0;
  return adler32(out, o) === expected ? o : INFLATE_BAD;
}

function growOutput(used: number, needed: number, maxOut: number): Buffer {
  const size = Math.min(Math.max(needed, scratchOut.length * 2), Math.max(maxOut, needed));
  const bigger = Buffer.allocUnsafeSlow(size);
  bigger.set(scratchOut.subarray(0, used));
  scratchOut = bigger;
  return bigger;
}

function adler32(bytes: Uint8Array, length: number): number {
  let a = 1;
  let b = 0;
  let i = 0;
  // Blocks of 8 bytes: b gains 8a plus the bytes weighted 8..1 (shorter dependency chains than byte by byte).
  // Reduce every 2048 bytes: until then a < 65521 + 2048 * 255 and b < 65521 + 2048 * a, both below 2^31, so
  // `| 0` keeps the sums int32 arithmetic (~30% faster than the 4-byte, float-typed loop this replaced).
  while (i < length) {
    const stop = Math.min(i + 2048, length);
    const stop8 = i + ((stop - i) & ~7);
    for (; i < stop8; i += 8) {
      const x0 = bytes[i]!;
      const x1 = bytes[i + 1]!;
      const x2 = bytes[i + 2]!;
      const x3 = bytes[i + 3]!;
      const x4 = bytes[i + 4]!;
      const x5 = bytes[i + 5]!;
      const x6 = bytes[i + 6]!;
      const x7 = bytes[i + 7]!;
      b = (b + 8 * a + 8 * x0 + 7 * x1 + 6 * x2 + 5 * x3 + 4 * x4 + 3 * x5 + 2 * x6 + x7) | 0;
      a = (a + x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7) | 0;
    }
    for (; i < stop; i++) {
      a = (a + bytes[i]!) | 0;
      b = (b + a) | 0;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Inflates a complete zlib stream (exported for the spec's differential tests against node:zlib). Returns the
 * bytes (a view of a scratch buffer, valid until the next call), 'bad' where zlib's inflate fails, or
 * 'too-large' past maxOut bytes of output.
 */
export function inflateZlib(
  stream: Uint8Array,
  maxOut: number = DEFAULT_BUDGETS.maxInputBytes,
): Uint8Array | 'bad' | 'too-large' {
  if (scratchIn.length < stream.length + 16) growScratchIn(stream.length + 16);
  scratchIn.set(stream);
  scratchIn.fill(0, stream.length, stream.length + 16);
  const n = inflateInto(scratchIn, scratchInView, stream.length, maxOut);
  if (n === INFLATE_BAD) return 'bad';
  if (n === INFLATE_TOO_LARGE) return 'too-large';
  return scratchOut.subarray(0, n);
}
