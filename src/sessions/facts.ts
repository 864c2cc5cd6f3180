import { isIP } from 'node:net';
import { BadArgumentError } from '../errors/domain.ts';

/**
 * `sessions(ip:, userAgent:, createdAt:, lastSeenAt:, expiresAt:)`: conditions on what a store knows of a
 * session beside its data. Each store says which of them it keeps (`SessionStore.facts`): the native store
 * all, Laravel its IP and user-agent columns, web.py the IP its dict carries, every store the expiry.
 */

export const FACTS = ['ip', 'userAgent', 'createdAt', 'lastSeenAt', 'expiresAt'] as const;
export type FactName = (typeof FACTS)[number];
export const TIME_FACTS = ['createdAt', 'lastSeenAt', 'expiresAt'] as const;

/** `since` holds from its instant on; `before` up to (not including) its instant. */
export interface TimeRange {
  since: Date | null;
  before: Date | null;
}

export interface FactFilter {
  /** An address, compared as an address (`::1` is `0:0::1`) where the store keeps it typed. */
  ip?: string;
  /** Found anywhere in the user agent, letter case aside. */
  userAgent?: string;
  createdAt?: TimeRange;
  lastSeenAt?: TimeRange;
  expiresAt?: TimeRange;
}

/** One address, as PostgreSQL's `inet` takes it: Node's parser decides, less a zone (`%eth0`) inet refuses. */
export const isIpAddress = (text: string) => !text.includes('%') && isIP(text) !== 0;

export const givenFacts = (facts: FactFilter | undefined): FactName[] =>
  facts ? FACTS.filter((name) => facts[name] !== undefined) : [];

/**
 * The filter a request asked for, checked: an address that is one, a user agent of sensible length, ranges
 * that are not empty by construction, and only facts the store keeps (an argument it cannot answer is an
 * error, not an empty page that looks like "no such session").
 */
export function checkFacts(
  facts: FactFilter | undefined,
  store: { name: string; facts: ReadonlySet<FactName> },
): FactFilter | undefined {
  const given = givenFacts(facts);
  if (!facts || given.length === 0) return undefined;
  for (const name of given) {
    if (!store.facts.has(name)) {
      throw new BadArgumentError(
        name,
        `the store "${store.name}" keeps no ${FACT_WORDS[name]}; \`Store.filters\` lists what each store can filter by`,
      );
    }
  }
  if (facts.ip !== undefined && !isIpAddress(facts.ip)) {
    throw new BadArgumentError('ip', '`ip` must be an IPv4 or IPv6 address');
  }
  if (facts.userAgent !== undefined && (facts.userAgent.length === 0 || facts.userAgent.length > 1024)) {
    throw new BadArgumentError('userAgent', '`userAgent` must be 1 to 1024 characters');
  }
  // PostgreSQL text cannot hold NUL: the statement would fail, and the client would hear "Unexpected error".
  if (facts.userAgent?.includes('\u0000')) {
    throw new BadArgumentError('userAgent', '`userAgent` must not contain NUL characters');
  }
  for (const name of TIME_FACTS) {
    const range = facts[name];
    if (!range) continue;
    if (range.since === null && range.before === null) {
      throw new BadArgumentError(name, `\`${name}\` needs \`since\`, \`before\` or both`);
    }
    if (range.since && range.before && range.since.getTime() >= range.before.getTime()) {
      throw new BadArgumentError(name, `\`${name}.since\` must be before \`${name}.before\``);
    }
  }
  return facts;
}

const FACT_WORDS: Record<FactName, string> = {
  ip: 'IP address',
  userAgent: 'user agent',
  createdAt: 'creation time',
  lastSeenAt: 'last-seen time',
  expiresAt: 'expiry time',
};

const inRange = (time: Date | null, range: TimeRange | undefined) =>
  !range ||
  (time !== null &&
    (range.since === null || time.getTime() >= range.since.getTime()) &&
    (range.before === null || time.getTime() < range.before.getTime()));

/** What of a session the facts describe (a SessionRecord has them). */
export interface SessionFacts {
  ip: string | null;
  userAgent: string | null;
  createdAt: Date | null;
  lastSeenAt: Date | null;
  expiresAt: Date | null;
}

/** Whether a decoded session meets the filter: what stores that cannot filter in SQL apply after decoding. */
export function matchesFacts(record: SessionFacts, facts: FactFilter | undefined): boolean {
  if (!facts) return true;
  if (facts.ip !== undefined && record.ip?.toLowerCase() !== facts.ip.toLowerCase()) return false;
  if (
    facts.userAgent !== undefined &&
    !record.userAgent?.toLowerCase().includes(facts.userAgent.toLowerCase())
  ) {
    return false;
  }
  return (
    inRange(record.createdAt, facts.createdAt) &&
    inRange(record.lastSeenAt, facts.lastSeenAt) &&
    inRange(record.expiresAt, facts.expiresAt)
  );
}
