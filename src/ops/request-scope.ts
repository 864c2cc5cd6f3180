import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * What the process knows about the request it is serving: the request id every log line carries, the
 * GraphQL operation (for metrics), and how many SQL statements ran. It travels on the Node request object
 * (the HTTP front sets it, the GraphQL context picks it up) rather than in AsyncLocalStorage, whose promise
 * hooks cost about a tenth of the CPU of a request on Node 20.
 */
export interface RequestScope {
  requestId: string;
  operation: string;
  statements: number;
  /** Whether the response carried GraphQL errors. */
  failed: boolean;
}

/** A client's `X-Request-Id` is kept when it looks like an id (so traces join up), else a fresh UUID. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{8,128}$/;

const SCOPE = Symbol('sessiongraph request scope');

export function newRequestScope(clientRequestId: string | undefined | null): RequestScope {
  return {
    requestId: clientRequestId && CLIENT_ID.test(clientRequestId) ? clientRequestId : randomUUID(),
    operation: 'unknown',
    statements: 0,
    failed: false,
  };
}

export function attachScope(req: IncomingMessage, scope: RequestScope): void {
  (req as IncomingMessage & { [SCOPE]?: RequestScope })[SCOPE] = scope;
}

/** The scope of the request behind a Yoga server context (`{ req, res, … }`), if the front made one. */
export function scopeOf(serverContext: unknown): RequestScope | undefined {
  const req = (serverContext as { req?: IncomingMessage & { [SCOPE]?: RequestScope } } | undefined)?.req;
  return req?.[SCOPE];
}

/** Operation names become metric labels: bounded, since clients choose them. */
const MAX_OPERATION_NAMES = 200;
const knownOperations = new Set<string>();

export function operationLabel(name: string): string {
  if (knownOperations.size < MAX_OPERATION_NAMES) knownOperations.add(name);
  return knownOperations.has(name) ? name : 'other';
}
