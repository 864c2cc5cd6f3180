import type { FactFilter, TimeFact } from '../sessions/facts.ts';

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
  const column = <T>(name: keyof FactColumns, value: T | undefined) => {
    if (value === undefined) return undefined;
    const found = columns[name];
    if (found === undefined) throw new Error(`this store keeps no ${name}`);
    return found;
  };
  const ip = column('ip', facts.ip) as FactColumns['ip'];
  if (ip) parts.push(ip(next(facts.ip)));
  const userAgent = column('userAgent', facts.userAgent) as FactColumns['userAgent'];
  if (userAgent) parts.push(userAgent(next(facts.userAgent)));
  for (const name of ['createdAt', 'lastSeenAt', 'expiresAt'] as TimeFact[]) {
    const range = facts[name];
    const time = column(name, range) as string | undefined;
    if (!range || !time) continue;
    if (range.since) parts.push(`${time} >= ${next(range.since)}::timestamptz`);
    if (range.before) parts.push(`${time} < ${next(range.before)}::timestamptz`);
  }
  return { conditions: parts.map((part) => ` AND ${part}`).join(''), params };
}
