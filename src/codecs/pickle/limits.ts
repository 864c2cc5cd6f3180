/** What a read may cost, and the error that ends a read (readPickle turns it into a `Decoded` failure). */
import { type DecodeBudgets, overBudget } from '../budgets.ts';
import type { DecodeProblem } from '../result.ts';

export interface PickleLimits {
  /** Largest input accepted, in bytes. Default 16 MiB. */
  maxBytes?: number;
  /** Deepest value nesting (and MARK nesting) accepted. Default 512, the decode budget (budgets.ts). */
  maxDepth?: number;
  /** Most memo entries. Default 100 000. */
  maxMemo?: number;
  /** Most decimal digits of an integer (binary LONGs: the equivalent byte length). Default 4300, as Python 3.11. */
  maxIntDigits?: number;
  /** Most values in the result counted as a tree (shared memo references counted each time), and most
   *  container insertions and stack entries while reading. Default 1 000 000. */
  maxItems?: number;
  /**
   * Largest JSON view (`pyToJson`), in UTF-8 bytes, counting a value shared through the memo at every place
   * it appears: a few KB of pickle that reuse one large string must not become gigabytes. Default 8 MiB.
   */
  maxOutputBytes?: number;
}

/** The pickle limits that the decode budgets (budgets.ts) set. */
export const pickleLimitsOf = (budgets: DecodeBudgets): PickleLimits => ({
  maxBytes: budgets.maxInputBytes,
  maxDepth: budgets.maxDepth,
  maxItems: budgets.maxValues,
  maxOutputBytes: budgets.maxOutputBytes,
});

export const DEFAULT_LIMITS: Required<PickleLimits> = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 512,
  maxMemo: 100_000,
  maxIntDigits: 4300,
  maxItems: 1_000_000,
  maxOutputBytes: 8 * 1024 * 1024,
};

/** The limits as decode budgets, for the problems that name them. */
export const budgetsOf = (limits: Required<PickleLimits>): DecodeBudgets => ({
  maxInputBytes: limits.maxBytes,
  maxOutputBytes: limits.maxOutputBytes,
  maxDepth: limits.maxDepth,
  maxValues: limits.maxItems,
});

export class PickleError extends Error {
  constructor(
    readonly problem: DecodeProblem,
    detail: string,
  ) {
    super(detail);
  }
}

export const corrupt = (detail: string) => new PickleError('corrupt', detail);
export const unsupported = (detail: string) => new PickleError('unsupported', detail);
export const over = (which: keyof typeof overBudget, limits: Required<PickleLimits>) =>
  new PickleError('over-budget', overBudget[which](budgetsOf(limits)).detail);
