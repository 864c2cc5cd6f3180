import { type FactFilter, TIME_FACTS } from '../sessions/facts.ts';

/**
 * `FactFilter` as SQL conditions, for a store that says where it keeps each fact: time facts as timestamptz
 * expressions, the IP and user agent as conditions on a text parameter.
 */
export interface FactColumns {
  createdAt?: string;
  lastSeenAt?: string;
  expiresAt?: string;
  /** A condition that holds where the session's IP is the address in the text parameter `p`. */
  ip?: (p: string) => string;
  /** A condition that holds where the session's user agent contains the text parameter `p` (`contains`). */
  userAgent?: (p: string) => string;
}

/** `text` contains the parameter `p`, letter case aside: no LIKE, so `%` and `_` mean themselves. */
export const contains = (text: string, p: string) => `strpos(lower(${text}), lower(${p}::text)) > 0`;

/**
 * ` AND …` conditions for the facts given, numbering their parameters from `$first`. A fact the columns do
 * not name was refused before (checkFacts), so meeting one here is a bug, not a request.
 */
export function factConditions(
  facts: FactFilter | undefined,
  columns: FactColumns,
  first: number,
): { conditions: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts: string[] = [];
  if (!facts) return { conditions: '', params };
  const next = (value: unknown) => `$${first + params.push(value) - 1}`;
  const kept = <K extends keyof FactColumns>(name: K): NonNullable<FactColumns[K]> => {
    const found = columns[name];
    if (found === undefined) throw new Error(`this store keeps no ${name}`);
    return found;
  };
  if (facts.ip !== undefined) parts.push(kept('ip')(next(facts.ip)));
  if (facts.userAgent !== undefined) parts.push(kept('userAgent')(next(facts.userAgent)));
  for (const name of TIME_FACTS) {
    const range = facts[name];
    if (!range) continue;
    const time = kept(name);
    if (range.since) parts.push(`${time} >= ${next(range.since)}::timestamptz`);
    if (range.before) parts.push(`${time} < ${next(range.before)}::timestamptz`);
  }
  return { conditions: parts.map((part) => ` AND ${part}`).join(''), params };
}
