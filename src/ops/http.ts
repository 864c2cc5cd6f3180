import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../app.ts';
import { checkToken } from '../auth/tokens.ts';
import { readiness } from './health.ts';
import type { Metrics } from './metrics.ts';
import { newRequestScope, runInRequestScope } from './request-scope.ts';

/**
 * The process's HTTP front: `/healthz`, `/readyz` and `/metrics` answered here, everything else handed to
 * GraphQL inside a request scope (request id on every log line, metrics per operation). It also counts
 * requests in flight, which a graceful shutdown waits for.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpFront {
  handle: Handler;
  /** Only `/metrics`, unauthenticated: for a separate, private port. */
  metricsOnly: Handler;
  /** Requests not finished yet (event streams excluded: they end when the server closes them). */
  inFlight(): number;
  /** From now on `/readyz` answers 503 (the balancer stops sending) while requests in flight finish. */
  beginShutdown(): void;
  /** Resolves once no request is in flight, or after `timeoutMs`; true when all finished. */
  drained(timeoutMs: number): Promise<boolean>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

export function createHttpFront(app: App, graphql: Handler, metrics: Metrics): HttpFront {
  let shuttingDown = false;
  let inFlight = 0;
  let onIdle: (() => void) | null = null;

  async function serveMetrics(res: ServerResponse) {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  }

  async function authorizedForMetrics(req: IncomingMessage): Promise<boolean> {
    const header = req.headers.authorization;
    if (!header) return false;
    const check = await checkToken(app.pool, header, app.clock(), app.tokenCache);
    return check.ok && check.scopes.has('metrics:read');
  }

  const probes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    '/healthz': async (_req, res) => json(res, 200, { status: 'ok' }),
    '/readyz': async (_req, res) => {
      const state = await readiness(app, shuttingDown);
      json(res, state.ready ? 200 : 503, {
        status: state.ready ? 'ready' : 'not ready',
        ...(state.ready ? {} : { reasons: state.reasons }),
        checks: state.checks,
      });
    },
    '/metrics': async (req, res) => {
      if (!(await authorizedForMetrics(req))) {
        res.writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' });
        res.end('metrics need an API token with the metrics:read scope\n');
        return;
      }
      await serveMetrics(res);
    },
  };

  const probeFailed = (res: ServerResponse, error: unknown) => {
    app.logger.error({ err: error }, 'probe failed');
    if (!res.headersSent) json(res, 503, { status: 'error', reason: (error as Error).message });
    else res.end();
  };

  function finished() {
    inFlight -= 1;
    if (inFlight === 0) onIdle?.();
  }

  const handle: Handler = (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const probe = req.method === 'GET' ? probes[path] : undefined;
    if (probe) {
      probe(req, res).catch((error: unknown) => probeFailed(res, error));
      return;
    }
    const header = req.headers['x-request-id'];
    const scope = newRequestScope(Array.isArray(header) ? header[0] : header);
    res.setHeader('x-request-id', scope.requestId);
    const streaming = (req.headers.accept ?? '').includes('text/event-stream');
    if (!streaming) inFlight += 1;
    const started = process.hrtime.bigint();
    res.once('close', () => {
      if (!streaming) finished();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const failed = scope.failed || res.statusCode >= 400;
      metrics.requests.inc({ operation: scope.operation, outcome: failed ? 'error' : 'ok' });
      metrics.duration.observe({ operation: scope.operation }, seconds);
      metrics.statements.observe(scope.statements);
      runInRequestScope(scope, () =>
        app.logger.info(
          {
            method: req.method,
            path,
            status: res.statusCode,
            operation: scope.operation,
            ms: Math.round(seconds * 10_000) / 10,
            statements: scope.statements,
          },
          'request',
        ),
      );
    });
    runInRequestScope(scope, () => graphql(req, res));
  };

  return {
    handle,
    metricsOnly: (req, res) => {
      if (req.method === 'GET' && (req.url ?? '').split('?', 1)[0] === '/metrics') {
        serveMetrics(res).catch((error: unknown) => probeFailed(res, error));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('only /metrics here\n');
      }
    },
    inFlight: () => inFlight,
    beginShutdown() {
      shuttingDown = true;
    },
    drained(timeoutMs) {
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    },
  };
}
