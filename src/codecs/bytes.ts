/**
 * Buffer's string conversions, called as the methods Buffer's own `write` and `toString` end in: those two
 * normalise their arguments and look the encoding up on every call, which costs about 4% of decoding a typical
 * Django row (several conversions per row). The methods are not documented, so each is checked at load and,
 * where missing, replaced by the public call.
 */
type Methods = {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  latin1Write(this: Uint8Array, text: string, offset: number, length: number): number;
  utf8Write(this: Uint8Array, text: string, offset: number, length: number): number;
  base64urlWrite(this: Uint8Array, text: string, offset: number, length: number): number;
};
const methods = Buffer.prototype as unknown as Partial<Methods>;
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function pick<K extends keyof Methods>(name: K, fallback: Methods[K]): Methods[K] {
  const method = methods[name];
  return typeof method === 'function' ? (method as Methods[K]) : fallback;
}

const slice = pick('latin1Slice', function (start, end) {
  return asBuffer(this).toString('latin1', start, end);
});
const writeLatin1 = pick('latin1Write', function (text, offset, length) {
  return asBuffer(this).write(text, offset, length, 'latin1');
});
const writeUtf8 = pick('utf8Write', function (text, offset, length) {
  return asBuffer(this).write(text, offset, length, 'utf8');
});
const writeBase64url = pick('base64urlWrite', function (text, offset, length) {
  return asBuffer(this).write(text, offset, length, 'base64url');
});

/** bytes[start, end) as a latin-1 string (one character per byte). */
export const latin1Slice = (bytes: Uint8Array, start: number, end: number): string =>
  slice.call(bytes, start, end);

/** Writes `text` as latin-1 at `offset`, at most `length` bytes; returns the bytes written. */
export const latin1Write = (bytes: Uint8Array, text: string, offset: number, length: number): number =>
  writeLatin1.call(bytes, text, offset, length);

/** Writes `text` as UTF-8 at `offset`, at most `length` bytes (whole characters only); returns the bytes written. */
export const utf8Write = (bytes: Uint8Array, text: string, offset: number, length: number): number =>
  writeUtf8.call(bytes, text, offset, length);

/** Decodes base64 or base64url `text` at `offset`, at most `length` bytes; returns the bytes written. */
export const base64urlWrite = (bytes: Uint8Array, text: string, offset: number, length: number): number =>
  writeBase64url.call(bytes, text, offset, length);
