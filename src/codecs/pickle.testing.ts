/**
 * What the pickle*.spec.ts files share: building pickle bytes by hand and reading them. The fast-check
 * arbitraries are pickle.arbitraries.ts's (they take over half a second to build: only the files that use
 * them pay for it).
 */
import { type PyValue, readPickle } from './pickle.ts';

/** Build pickle bytes by hand: strings are latin-1 (one char = one byte), arrays are raw bytes. */
export function pk(...parts: (string | number[])[]): Uint8Array {
  return Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );
}

export const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

export function read(bytes: Uint8Array): PyValue {
  const result = readPickle(bytes);
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
  return result.value;
}

export function problemOf(bytes: Uint8Array): string {
  const result = readPickle(bytes);
  return result.ok ? 'ok' : result.problem;
}

export const str = (v: string): PyValue => ({ t: 'str', v });
export const int = (v: number | bigint): PyValue => ({ t: 'int', v: BigInt(v) });
