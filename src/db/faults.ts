import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../errors/codes.ts';

/**
 * Database faults a client can do nothing about but retry: the server is down or restarting, the network
 * dropped, the pool had no connection to give in time, a statement ran past its timeout. They are answered
 * as SERVICE_UNAVAILABLE (HTTP 503), never as an unexpected error, and never crash the process.
 */

// SQLSTATE classes and codes: 08 connection exception, 57P01-03 admin/crash shutdown and "cannot connect
// now" (starting up), 53300 too many connections, 57014 statement timeout / cancel.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
const MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'Query read timeout',
  'connection is insecure',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end',
];

export type FaultKind = 'unavailable' | 'timeout' | 'exhausted';

/** What kind of database fault `error` is, or null for anything else (a bug, a constraint, bad input). */
export function databaseFault(error: unknown): FaultKind | null {
  if (!error || typeof error !== 'object') return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === '57014') return 'timeout';
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))
  ) {
    return 'unavailable';
  }
  if (typeof message === 'string') {
    if (message === 'Query read timeout') return 'timeout';
    // pg-pool's wording for "no connection within connectionTimeoutMillis": every connection is busy, or
    // the server is slow to accept a new one.
    if (message.includes('timeout exceeded when trying to connect')) return 'exhausted';
    if (MESSAGES.some((known) => message.includes(known))) return 'unavailable';
  }
  const cause = (error as { cause?: unknown }).cause;
  return cause && cause !== error ? databaseFault(cause) : null;
}

export function unavailableError(kind: FaultKind): GraphQLError {
  return new GraphQLError(
    kind === 'timeout'
      ? 'The database did not answer in time. Retry shortly.'
      : kind === 'exhausted'
        ? 'No database connection became free in time (all are busy, or the database is slow to accept). Retry shortly.'
        : 'The database is temporarily unavailable. Retry shortly.',
    {
      extensions: {
        code: 'SERVICE_UNAVAILABLE' satisfies ErrorCode,
        http: { status: 503, headers: { 'retry-after': '1' } },
      },
    },
  );
}

/**
 * Whether PostgreSQL refused a statement for the data it was given (SQLSTATE class 22 data exception, 23
 * integrity constraint, 54 program limit such as nesting too deep for jsonb): not a fault of the database,
 * and another statement on the same transaction (after a rollback to a savepoint) may still succeed.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

/** Whether PostgreSQL rolled the transaction back to end a deadlock (SQLSTATE 40P01): it may run again. */
export function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40P01';
}
