import { type DocumentNode, GraphQLError, type GraphQLSchema, getOperationAST } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { BadArgumentError, DomainError, IdempotencyInProgressError } from './errors/domain.ts';
import { databaseFault, unavailableError } from './db/faults.ts';
import { operationLabel, scopeOf } from './ops/request-scope.ts';
import type { App } from './app.ts';
import { type Context, createContext } from './context.ts';
import { buildSchema } from './schema/index.ts';
import { createLookahead } from './schema/lookahead.ts';
import { createFastPath, type FastPathOptions } from './fastpath/handler.ts';
import {
  batchingOption,
  clientIp,
  createRequestGate,
  type RequestGate,
  securityPlugins,
} from './security/limits.ts';

/**
 * The HTTP handler: the schema, the per-request context, masked errors (anything unexpected is logged
 * and answered as "Unexpected error."). Tests call `yoga.fetch` directly, with no port.
 */
export function createServer(
  app: App,
  /** Headers GraphiQL starts with, e.g. the embedded demo's `Authorization: Bearer sg_…`. */
  options: { graphiqlHeaders?: Record<string, string> } = {},
): YogaServerInstance<Record<string, unknown>, Context> {
  return createGraphql(app, options).yoga;
}

/** Yoga, and the compiled path for plain reads (src/fastpath) that shares its schema and request gate. */
export function createGraphql(
  app: App,
  options: { graphiqlHeaders?: Record<string, string> } & FastPathOptions = {},
) {
  const schema = buildSchema(app);
  const gate = createRequestGate(app);
  return {
    yoga: createYogaServer(app, schema, gate, options),
    fast: createFastPath(app, schema, gate, options),
  };
}

function createYogaServer(
  app: App,
  schema: GraphQLSchema,
  gate: RequestGate,
  options: { graphiqlHeaders?: Record<string, string> },
): YogaServerInstance<Record<string, unknown>, Context> {
  const lookahead = createLookahead(schema);
  return createYoga<Record<string, unknown>, Context>({
    schema,
    context: (initial: { request: Request; params?: { query?: string } }) =>
      createContext(app, initial.request, clientIp(app, initial.request, initial), {
        withUsers: lookahead.selectsSessionUser(initial.params?.query),
        scope: scopeOf(initial),
      }),
    // Cross-origin browsers are refused unless their origins are listed: a cookie-carrying API must not
    // answer any page that asks (Yoga's default echoes every origin with credentials).
    cors:
      app.config.corsOrigins.length > 0
        ? {
            origin: app.config.corsOrigins,
            credentials: true,
            allowedHeaders: [
              'content-type',
              'x-graphql-csrf',
              'x-session-key',
              'authorization',
              'idempotency-key',
              'x-request-id',
            ],
          }
        : false,
    multipart: false,
    // The request gate in src/security/limits.ts already caps the body; Yoga's own limiter would pipe
    // every body through a second stream (a measured 12% of a by-id request's CPU).
    maxRequestBodySize: false,
    // GraphiQL's scripts and styles inlined from the package: nothing a person is shown loads from a CDN. The
    // package holds them as one 9 MB text (45 MB of the process once loaded): loaded at the first page asked.
    renderGraphiQL: async (options) =>
      (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    graphiql: app.config.graphiql
      ? (request: Request) => ({
          title: 'sessiongraph',
          defaultQuery: firstQuery,
          // The headers (the demo's token) only for a page loaded by a loopback name. A hostile site whose name
          // is made to resolve to 127.0.0.1 (DNS rebinding) reads this page as its own, under its own name.
          ...(options.graphiqlHeaders && LOOPBACK_HOSTS.has(new URL(request.url).hostname)
            ? { headers: JSON.stringify(options.graphiqlHeaders, null, 2) }
            : {}),
        })
      : false,
    // Limits on abusive requests (src/security/limits.ts), then what metrics and logs need to know.
    plugins: [...securityPlugins(app, gate), observeOperations(app)],
    batching: batchingOption(app),
    maskedErrors: {
      maskError(error, message) {
        const original = (error as { originalError?: unknown }).originalError;
        // The database being down or slow is not a bug: say so, with a status a client knows to retry.
        const fault = databaseFault(original ?? error);
        if (fault) {
          app.metrics.databaseFaults.inc({ kind: fault });
          app.logger.warn({ err: original ?? error, kind: fault }, 'database unavailable to a request');
          return unavailableError(fault);
        }
        // A domain error outside a typed payload (a bad page argument): the client's mistake, said as such.
        if (original instanceof DomainError) {
          return new GraphQLError(original.message, {
            nodes: error instanceof GraphQLError ? error.nodes : undefined,
            path: error instanceof GraphQLError ? error.path : undefined,
            extensions: {
              code: original.code,
              ...(original instanceof BadArgumentError ? { argument: original.argument } : {}),
              ...(original instanceof IdempotencyInProgressError ? { http: { status: 409 } } : {}),
            },
          });
        }
        // Resolver errors were logged with their request id (observeOperations); this catches the rest, among
        // them what fails before execution (the context's token look-up, a plugin), which comes unwrapped.
        const cause = original ?? error;
        if (!(cause as { extensions?: unknown }).extensions && !loggedErrors.has(cause as object)) {
          app.logger.error({ err: cause }, 'unexpected error');
        }
        // Never in development mode (NODE_ENV=development), which would add the cause's message and stack: a
        // database error's text names tables and columns, and a deployment may well run with that setting.
        return maskError(error, message, false);
      },
      isDev: false,
    },
    logging: {
      debug: (...args) => app.logger.debug(args.map(String).join(' ')),
      info: (...args) => app.logger.info(args.map(String).join(' ')),
      warn: (...args) => app.logger.warn(args.map(String).join(' ')),
      // Yoga reports here every error it masks, as a string: a caller's mistake as much as a bug. maskError
      // and observeOperations log the ones worth an operator's time, structured and with keys redacted.
      error: (...args) => app.logger.debug(args.map(String).join(' ')),
    },
  });
}

/** The names a browser on this machine reaches a loopback listener by (as URL parsing writes them). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Errors already logged with their request's id, so maskError does not log them again. */
const loggedErrors = new WeakSet<object>();

function observeOperations(app: App): Plugin {
  return {
    onParse({ context }) {
      const scope = scopeOf(context);
      if (!scope) return;
      return ({ result }) => {
        if (result instanceof Error) {
          scope.failed = true;
          return;
        }
        const document = result as DocumentNode;
        const wanted = (context as { params?: { operationName?: string | null } }).params?.operationName;
        const name = getOperationAST(document, wanted ?? undefined)?.name?.value;
        scope.operation = operationLabel(name ?? 'anonymous');
      };
    },
    onValidate({ context }) {
      const scope = scopeOf(context);
      return ({ valid }) => {
        if (scope && !valid) scope.failed = true;
      };
    },
    onExecute({ args }) {
      const ctx = args.contextValue as unknown as Context;
      const mutation =
        getOperationAST(args.document, args.operationName ?? undefined)?.operation === 'mutation';
      return {
        onExecuteDone({ result }) {
          // Its events are in the outbox: relay them now rather than at the next poll.
          if (mutation) app.relay?.kick();
          if (!('errors' in result) || !result.errors?.length) return;
          if (ctx.scope) ctx.scope.failed = true;
          for (const error of result.errors) {
            const original = error.originalError;
            // A domain error is the caller's mistake or a refusal, answered as such: nothing unexpected.
            if (
              original &&
              !(original instanceof DomainError) &&
              !(original as { extensions?: unknown }).extensions &&
              !databaseFault(original)
            ) {
              loggedErrors.add(original);
              (ctx.log ?? app.logger).error(
                { err: original, path: error.path },
                'unexpected error in a resolver',
              );
            }
          }
        },
      };
    },
  };
}

export const firstQuery = `# Sessions, newest first, each with its user (one SQL statement for the users, whatever the page size).
query FirstLook {
  sessions(first: 5, status: ACTIVE) {
    edges {
      node {
        id
        status
        data
        expiresAt
        user { rowId username email }
      }
    }
  }
}
`;
