import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What the process knows about the request it is serving, wherever it is in the call stack: the request id
 * every log line carries, the GraphQL operation (for metrics), and how many SQL statements ran.
 */
export interface RequestScope {
  requestId: string;
  operation: string;
  statements: number;
  /** Whether the response carried GraphQL errors. */
  failed: boolean;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** A client's `X-Request-Id` is kept when it looks like an id (so traces join up), else a fresh UUID. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function newRequestScope(clientRequestId: string | undefined | null): RequestScope {
  return {
    requestId: clientRequestId && CLIENT_ID.test(clientRequestId) ? clientRequestId : randomUUID(),
    operation: 'unknown',
    statements: 0,
    failed: false,
  };
}

export const runInRequestScope = <T>(scope: RequestScope, work: () => T): T => storage.run(scope, work);

export const currentRequestScope = (): RequestScope | undefined => storage.getStore();
