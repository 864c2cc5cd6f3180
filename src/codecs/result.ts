/**
 * What every codec's decoder returns: a decoder reports, it never throws. One bad row must never stop a
 * list of sessions from being served, so the caller turns a failure into an INVALID session with a problem.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * - `tampered`: a signature or MAC does not verify under any configured key;
 * - `corrupt`: the bytes are not what the format promises (bad base64, truncated, bad JSON, bad inflate);
 * - `unsafe`: the payload would import, build or call something (a pickle GLOBAL outside the allow-list);
 * - `unsupported`: well-formed, but a variant this codec does not read (e.g. a pickle protocol > 5);
 * - `over-budget`: larger, deeper or more work than the decode budgets allow (budgets.ts);
 * - `unloadable`: decodes, but the framework itself would refuse to hand it to the application (express's
 *   `sess` without a usable `cookie`, a key web.py would not accept).
 */
export type DecodeProblem = 'tampered' | 'corrupt' | 'unsafe' | 'unsupported' | 'over-budget' | 'unloadable';

export interface DecodeFailure {
  ok: false;
  problem: DecodeProblem;
  /** A short human sentence; never contains key material or the stored blob. */
  detail: string;
}

export interface DecodeSuccess<T> {
  ok: true;
  value: T;
}

export type Decoded<T> = DecodeSuccess<T> | DecodeFailure;

export const decoded = <T>(value: T): DecodeSuccess<T> => ({ ok: true, value });
export const failure = (problem: DecodeProblem, detail: string): DecodeFailure => ({
  ok: false,
  problem,
  detail,
});
