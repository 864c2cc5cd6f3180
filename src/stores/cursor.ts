/**
 * Every store pages newest first by (time, row reference): a cursor position is the time as ISO text and
 * the reference, which must have the store's own shape (a UUID, a key hash) before it reaches SQL.
 */
export const isTimeAndRef =
  (ref: RegExp) =>
  (parts: unknown[]): parts is string[] =>
    parts.length === 2 &&
    typeof parts[0] === 'string' &&
    !Number.isNaN(Date.parse(parts[0])) &&
    typeof parts[1] === 'string' &&
    ref.test(parts[1]);

/** The cursor position back as the keyset values the page statements take. */
export const keysetOf = (after: string[] | null): [Date, string] | null =>
  after ? [new Date(after[0]!), after[1]!] : null;
