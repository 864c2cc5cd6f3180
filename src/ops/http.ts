import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { App } from '../app.ts';
import { authenticate, mayReadMetrics } from '../auth/rules.ts';
import { createConsoleHandler } from '../console/http.ts';
import { readiness } from './health.ts';
import type { FastPath } from '../fastpath/handler.ts';
import type { Metrics } from './metrics.ts';
import { attachScope, newRequestScope } from './request-scope.ts';

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
  /** Requests not finished yet (event streams excluded), for the shutdown log. */
  inFlight(): number;
  /** From now on `/readyz` answers 503 (the balancer stops sending) while requests in flight finish. */
  beginShutdown(): void;
  /**
   * Graceful close of `server` (whose connections `track` followed): stop accepting, let every connection
   * finish the request it carries, end idle keep-alive and event-stream connections, and resolve once none
   * is left, or after `timeoutMs` (then the rest are cut). True when nothing was cut.
   */
  close(server: Server, timeoutMs: number): Promise<boolean>;
  /** Follows `server`'s connections, for `close`. */
  track(server: Server): void;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * A JSON POST the compiled path may answer: read whole first (within the body limit, which needs a
 * Content-Length; anything else streams to Yoga untouched).
 */
function compiledCandidate(req: IncomingMessage, path: string, maxBody: number): boolean {
  if (req.method !== 'POST' || path !== '/graphql') return false;
  // JSON as Yoga tells it (its first listed type, `application/json` alone or with parameters): anything else,
  // `application/jsonx` say, Yoga refuses with 415, and the compiled path must not answer it instead.
  const type = (req.headers['content-type'] ?? '').split(',', 1)[0]!;
  if (type !== 'application/json' && !type.startsWith('application/json;')) return false;
  // Event streams, the graphql-response+json media type and CORS (any Origin) are Yoga's to negotiate.
  const accept = req.headers.accept ?? '';
  if (accept.includes('text/event-stream') || accept.includes('graphql-response+json')) return false;
  if (req.headers.origin !== undefined) return false;
  const length = req.headers['content-length'];
  return length !== undefined && /^\d+$/.test(length) && Number(length) <= maxBody;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

export function createHttpFront(
  app: App,
  graphql: Handler,
  metrics: Metrics,
  compiled?: FastPath,
): HttpFront {
  let shuttingDown = false;
  let inFlight = 0;
  // Each connection: 'fresh' (no request read yet), 'busy', 'idle' (answered, kept alive), 'stream'.
  const connections = new Map<Socket, 'fresh' | 'busy' | 'idle' | 'stream'>();

  async function serveMetrics(res: ServerResponse) {
    const text = await metrics.registry.metrics();
    res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
    res.end(text);
  }

  async function authorizedForMetrics(req: IncomingMessage): Promise<boolean> {
    const caller = await authenticate(
      app.pool,
      req.headers.authorization ?? null,
      app.clock(),
      app.tokenCache,
    );
    return mayReadMetrics(caller);
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
    // The error can name the database's host, user or socket, and /metrics answers it to a caller whose
    // token could not be checked: the reason stays in the log.
    if (!res.headersSent) json(res, 503, { status: 'error', reason: 'the probe failed: see the server log' });
    else res.end();
  };

  const consolePages = createConsoleHandler(app.config.console);

  const handle: Handler = (req, res) => {
    // Yoga's server adapter makes a URL of the Host header and the request target; where that fails (`Host: a b`,
    // a target of `*` or `http://…`) it answers 500 with the exception's stack trace as the body. Without a Host
    // (HTTP/1.0, or an empty one) it takes the socket's address and port: a stand-in with a port fails as that does.
    if (!URL.canParse(`http://${req.headers.host || 'localhost:80'}${req.url ?? '/'}`)) {
      json(res, 400, {
        errors: [
          { message: 'The Host header and request target make no URL.', extensions: { code: 'BAD_REQUEST' } },
        ],
      });
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const probe = req.method === 'GET' ? probes[path] : undefined;
    if (probe) {
      probe(req, res).catch((error: unknown) => probeFailed(res, error));
      return;
    }
    if (consolePages(req, res, path)) return;
    if (path === '/graphql' && req.method === 'GET' && !app.config.graphiql && wantsHtml(req)) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(GRAPHIQL_OFF_PAGE);
      return;
    }
    // Shutting down: each connection closes after its answer, so keep-alive clients reconnect elsewhere.
    if (shuttingDown) res.setHeader('connection', 'close');
    const header = req.headers['x-request-id'];
    const scope = newRequestScope(Array.isArray(header) ? header[0] : header);
    res.setHeader('x-request-id', scope.requestId);
    const streaming = (req.headers.accept ?? '').includes('text/event-stream');
    if (!streaming) inFlight += 1;
    const socket = req.socket;
    if (connections.has(socket)) connections.set(socket, streaming ? 'stream' : 'busy');
    const started = process.hrtime.bigint();
    res.once('close', () => {
      if (!streaming) inFlight -= 1;
      if (connections.has(socket) && !socket.destroyed) connections.set(socket, 'idle');
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const failed = scope.failed || res.statusCode >= 400;
      metrics.requests.inc({ operation: scope.operation, outcome: failed ? 'error' : 'ok' });
      metrics.duration.observe({ operation: scope.operation }, seconds);
      metrics.statements.observe(scope.statements);
      app.logger.info(
        {
          reqId: scope.requestId,
          method: req.method,
          path,
          status: res.statusCode,
          operation: scope.operation,
          ms: Math.round(seconds * 10_000) / 10,
          statements: scope.statements,
          // False when the connection went away before the whole answer was written.
          completed: res.writableFinished,
        },
        'request',
      );
    });
    attachScope(req, scope);
    if (!compiled || !compiledCandidate(req, path, app.config.limits.maxBodyBytes)) {
      graphql(req, res);
      return;
    }
    readBody(req)
      .then(async (body) => {
        if (await compiled.handle(req, res, body, scope)) return;
        // Yoga takes a body already read from the request (as behind a body-parsing framework).
        (req as IncomingMessage & { body?: Buffer }).body = body;
        graphql(req, res);
      })
      .catch(() => res.destroy());
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
    track(server) {
      server.on('connection', (socket: Socket) => {
        connections.set(socket, 'fresh');
        socket.once('close', () => connections.delete(socket));
      });
    },
    async close(server, timeoutMs) {
      // In the check phase, just after a poll phase accepted whatever the kernel held: next to nothing is
      // left in its queue to be reset. net's close, not http's, which would also cut connections accepted
      // but whose request is not read yet.
      await new Promise((resolve) => setImmediate(resolve));
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      app.logger.info({ inFlight, connections: connections.size }, 'stopped accepting connections');
      const deadline = Date.now() + timeoutMs;
      const sweep = setInterval(() => {
        // end(), not destroy(): an answer may still sit in the socket's buffer, and it must reach the client.
        for (const [socket, state] of connections) if (state === 'idle' || state === 'stream') socket.end();
        if (Date.now() > deadline) for (const socket of connections.keys()) socket.destroy();
      }, 20);
      await closed;
      clearInterval(sweep);
      return Date.now() <= deadline;
    },
    beginShutdown() {
      shuttingDown = true;
    },
  };
}

const wantsHtml = (req: IncomingMessage) => (req.headers.accept ?? '').includes('text/html');

/** What a browser on /graphql gets while GraphiQL is off: how to turn it on, not an empty 406. */
const GRAPHIQL_OFF_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sessiongraph</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#111}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>sessiongraph: GraphiQL is off</h1>
<p>This is sessiongraph's GraphQL endpoint: send GraphQL requests to it with <code>POST</code>.</p>
<p>GraphiQL, the in-browser query editor, is off on this server. To turn it on, start the server with
<code>GRAPHIQL=true</code> or set <code>"graphiql": true</code> in the configuration file
(<code>SESSIONGRAPH_CONFIG</code>), then reload this page.</p>
</body></html>
`;
