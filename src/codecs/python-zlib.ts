import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';

/**
 * Python's `zlib.compress(data)` (level 6, 32 KiB window, memLevel 8) as zlib 1.2.x writes it. pako 2.1.0 is a
 * port of that deflate and matches it byte for byte; node:zlib is Chromium's zlib, whose output differs (Django
 * reads both, but only the former reproduces Django's own rows). pako 3.x changed its output too, so the
 * dependency must stay pinned to 2.1.0. Without pako the encoder falls back to node:zlib.
 *
 * pako's `deflate()` builds a new compressor for every call: some 270 KB of typed arrays, which the garbage
 * collector counts as external memory, so that a stream of writes kept its major collections running. One
 * compressor is kept and reset instead, as zlib's deflateReset does, with its window cleared so that the
 * bytes a match may look at past the input are the zeros of a new one: the output stays byte for byte.
 */
interface ZStream {
  input: Uint8Array | null;
  next_in: number;
  avail_in: number;
  output: Uint8Array | null;
  next_out: number;
  avail_out: number;
  state: { window: Uint8Array; head: Uint16Array };
}

interface PakoDeflate {
  deflateInit2(
    strm: ZStream,
    level: number,
    method: number,
    windowBits: number,
    memLevel: number,
    strategy: number,
  ): number;
  deflateReset(strm: ZStream): number;
  deflate(strm: ZStream, flush: number): number;
}

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_FINISH = 4;
const Z_DEFAULT_COMPRESSION = -1;
const Z_DEFLATED = 8;
const Z_DEFAULT_STRATEGY = 0;
const NO_HEADS = new Uint16Array(0);

type Compress = (data: Uint8Array) => Uint8Array;

/** pako 2.1.0's one-shot deflate, or null where that version is not installed. */
function pakoDeflate(require: NodeJS.Require): Compress | null {
  try {
    const { version } = require('pako/package.json') as { version?: unknown };
    const { deflate } = require('pako') as { deflate?: unknown };
    return version === '2.1.0' && typeof deflate === 'function' ? (deflate as Compress) : null;
  } catch {
    return null;
  }
}

/** `oneShot` with its compressor kept between calls; `oneShot` itself where pako's internals are elsewhere. */
function reused(require: NodeJS.Require, oneShot: Compress): Compress {
  let zlib: PakoDeflate;
  let ZStream: new () => ZStream;
  try {
    zlib = require('pako/lib/zlib/deflate.js') as PakoDeflate;
    ZStream = require('pako/lib/zlib/zstream.js') as new () => ZStream;
  } catch {
    return oneShot;
  }
  let kept: ZStream | null = null;
  return (data) => {
    let strm = kept;
    kept = null;
    if (strm === null) {
      strm = new ZStream();
      if (zlib.deflateInit2(strm, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) !== Z_OK) {
        return oneShot(data);
      }
    } else {
      // deflateReset clears the hash heads in a JavaScript loop; a native fill is some 20 µs faster.
      const { head } = strm.state;
      strm.state.head = NO_HEADS;
      zlib.deflateReset(strm);
      strm.state.head = head;
      head.fill(0);
    }
    // zlib's deflateBound for these settings, and room to spare.
    const output = new Uint8Array(data.length + (data.length >> 12) + (data.length >> 14) + 64);
    strm.input = data;
    strm.next_in = 0;
    strm.avail_in = data.length;
    strm.output = output;
    strm.next_out = 0;
    strm.avail_out = output.length;
    const status = zlib.deflate(strm, Z_FINISH);
    const written = strm.next_out;
    strm.input = null;
    strm.output = null;
    if (status !== Z_STREAM_END) return oneShot(data);
    // The window only ever holds input, at offsets below its length.
    strm.state.window.fill(0, 0, Math.min(data.length, strm.state.window.length));
    kept = strm;
    return output.subarray(0, written);
  };
}

const require = createRequire(import.meta.url);
const exact = pakoDeflate(require);

export const pythonZlib: { compress: Compress; exact: boolean } = exact
  ? { compress: reused(require, exact), exact: true }
  : { compress: (data) => deflateSync(data), exact: false };
