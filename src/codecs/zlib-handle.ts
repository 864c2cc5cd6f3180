/**
 * One zlib inflate handle, reset and reused for every stream: `inflateSync` builds a new zlib stream object (and
 * its 32 KiB window) per call, which cost about as much as inflating a 12 KB Django payload itself (18 against
 * 14 µs per large row in django.bench.ts). Node has no public API for reusing a handle synchronously, so this
 * drives the binding under `zlib.createInflate()` the way Node's own `zlibBufferSync` does (`writeSync`, the
 * `[availOut, availIn]` write state, `onerror`), and checks at load that it behaves: where it does not (another
 * Node), `inflateWhole` uses `inflateSync` instead.
 *
 * Same answers as `inflateSync` on a whole stream: header checks, Adler-32, "unexpected end of file" for a
 * truncated stream, bytes after the end ignored (as Python's zlib.decompress ignores them).
 */
import { createInflate, deflateSync, inflateSync, constants as zlibConstants } from 'node:zlib';

interface InflateBinding {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
  onerror: (message: string, errno: number) => void;
}

export const INFLATE_BAD = -1;
export const INFLATE_TOO_LARGE = -2;

/**
 * A scratch buffer that grew past this for one large row is replaced by a small one before the next row
 * (inflate.ts, trimScratch): otherwise one hostile row of 16 MiB keeps tens of MB outside the heap for the
 * life of the process.
 */
export const SCRATCH_KEEP_BYTES = 1 << 20;

export interface ReusableInflate {
  /**
   * Inflates the zlib stream in input[0, length) into `output()`. Returns the byte count, INFLATE_BAD where zlib
   * fails, or INFLATE_TOO_LARGE past maxOut bytes. The bytes stay valid until the next call.
   */
  inflate(input: Uint8Array, length: number, maxOut: number): number;
  output(): Buffer;
  /** Lets go of an output buffer grown past SCRATCH_KEEP_BYTES (the last output is then gone). */
  trim(): void;
}

function open(): ReusableInflate | null {
  const owner = createInflate() as unknown as { _handle?: InflateBinding; _writeState?: unknown };
  const state = owner._writeState;
  if (
    !owner._handle ||
    typeof owner._handle.writeSync !== 'function' ||
    typeof owner._handle.reset !== 'function' ||
    !(state instanceof Uint32Array) ||
    state.length !== 2
  ) {
    return null;
  }
  const binding = owner._handle;
  const writeState: Uint32Array = state;
  let failed = false;
  // The stream object around the binding is never written to: its own handler would destroy it.
  binding.onerror = () => {
    failed = true;
  };
  let out = Buffer.allocUnsafeSlow(64 * 1024);

  function inflate(input: Uint8Array, length: number, maxOut: number): number {
    // The binding aborts the process on offsets outside its buffers: never hand it any.
    if (!(length >= 0 && length <= input.length) || !(maxOut >= 0)) return INFLATE_BAD;
    binding.reset();
    failed = false;
    let produced = 0;
    let consumed = 0;
    for (;;) {
      const room = Math.min(out.length, maxOut + 1) - produced;
      binding.writeSync(zlibConstants.Z_FINISH, input, consumed, length - consumed, out, produced, room);
      if (failed) return INFLATE_BAD;
      const availOut = writeState[0]!;
      produced += room - availOut;
      consumed = length - writeState[1]!;
      // With Z_FINISH, zlib stops with room to spare only at the stream's end (anything else is an error).
      if (availOut > 0) return produced;
      if (produced > maxOut) return INFLATE_TOO_LARGE;
      const bigger = Buffer.allocUnsafeSlow(Math.min(out.length * 4, maxOut + 1));
      bigger.set(out.subarray(0, produced));
      out = bigger;
    }
  }

  const trim = () => {
    if (out.length > SCRATCH_KEEP_BYTES) out = Buffer.allocUnsafeSlow(64 * 1024);
  };
  const reusable: ReusableInflate = { inflate, output: () => out, trim };
  // The handle is a private API: trust it only if it inflates, fails and recovers as expected.
  const sample = Buffer.from('{"check":"' + 'reusable inflate '.repeat(200) + '"}');
  const stream = deflateSync(sample);
  const broken = Buffer.from(stream);
  broken[broken.length - 1]! ^= 1;
  try {
    const n = inflate(stream, stream.length, sample.length);
    if (n !== sample.length || !out.subarray(0, n).equals(sample)) return null;
    if (inflate(broken, broken.length, sample.length) !== INFLATE_BAD) return null;
    if (inflate(stream, stream.length - 3, sample.length) !== INFLATE_BAD) return null;
    if (inflate(stream, stream.length, sample.length - 1) !== INFLATE_TOO_LARGE) return null;
    if (inflate(stream, stream.length, sample.length) !== sample.length) return null;
  } catch {
    return null;
  }
  return reusable;
}

export const reusableInflate: ReusableInflate | null = open();

/**
 * Inflates the whole zlib stream in input[0, length): through the reused handle where Node allows it, otherwise
 * through inflateSync. Returns the bytes (valid until the next call), INFLATE_BAD or INFLATE_TOO_LARGE.
 */
export function inflateWhole(
  input: Uint8Array,
  length: number,
  maxOut: number,
): Uint8Array | typeof INFLATE_BAD | typeof INFLATE_TOO_LARGE {
  if (reusableInflate) {
    const n = reusableInflate.inflate(input, length, maxOut);
    return n < 0
      ? (n as typeof INFLATE_BAD | typeof INFLATE_TOO_LARGE)
      : reusableInflate.output().subarray(0, n);
  }
  try {
    return inflateSync(input.subarray(0, length), { maxOutputLength: maxOut });
  } catch (error) {
    return error instanceof RangeError ? INFLATE_TOO_LARGE : INFLATE_BAD;
  }
}
