import { InvalidInputError } from '../errors/domain.ts';

/**
 * How a mutation asks for an expiry: a time to live from now, an absolute instant, or a push of the
 * current expiry. Pure: the caller passes `now` and the current expiry.
 */
export type ExpiryChange =
  | { kind: 'ttl'; seconds: number }
  | { kind: 'at'; at: Date }
  | { kind: 'extend'; seconds: number };

export interface ExpiryInput {
  ttlSeconds?: number | null;
  expiresAt?: Date | null;
  extendBySeconds?: number | null;
}

export function parseExpiryChange(input: ExpiryInput): ExpiryChange | null {
  const given = [input.ttlSeconds, input.expiresAt, input.extendBySeconds].filter(
    (value) => value !== null && value !== undefined,
  );
  if (given.length > 1) {
    throw new InvalidInputError(
      'expiresAt',
      'give at most one of `ttlSeconds`, `expiresAt`, `extendBySeconds`',
    );
  }
  if (input.ttlSeconds !== null && input.ttlSeconds !== undefined) {
    if (input.ttlSeconds <= 0) throw new InvalidInputError('ttlSeconds', '`ttlSeconds` must be positive');
    return { kind: 'ttl', seconds: input.ttlSeconds };
  }
  if (input.expiresAt) return { kind: 'at', at: input.expiresAt };
  if (input.extendBySeconds !== null && input.extendBySeconds !== undefined) {
    if (input.extendBySeconds <= 0) {
      throw new InvalidInputError('extendBySeconds', '`extendBySeconds` must be positive');
    }
    return { kind: 'extend', seconds: input.extendBySeconds };
  }
  return null;
}

export function resolveExpiry(
  change: ExpiryChange,
  now: Date,
  current: Date | null,
  maxTtlSeconds: number,
): Date {
  const base =
    change.kind === 'extend' ? Math.max(current?.getTime() ?? now.getTime(), now.getTime()) : now.getTime();
  const at = change.kind === 'at' ? change.at : new Date(base + change.seconds * 1000);
  if (at.getTime() <= now.getTime()) {
    throw new InvalidInputError('expiresAt', '`expiresAt` must be in the future');
  }
  if (at.getTime() - now.getTime() > maxTtlSeconds * 1000) {
    throw new InvalidInputError('expiresAt', `sessions may not outlive ${maxTtlSeconds} seconds from now`);
  }
  return at;
}
