import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga';
import type { App } from './app.ts';
import { type Context, createContext } from './context.ts';
import { buildSchema } from './schema/index.ts';

/**
 * The HTTP handler: the schema, the per-request context, masked errors (anything unexpected is logged
 * and answered as "Unexpected error."). Tests call `yoga.fetch` directly, with no port.
 */
export function createServer(app: App): YogaServerInstance<Record<string, unknown>, Context> {
  return createYoga<Record<string, unknown>, Context>({
    schema: buildSchema(app),
    context: ({ request, req }: { request: Request; req?: { socket?: { remoteAddress?: string } } }) =>
      createContext(app, request, req?.socket?.remoteAddress ?? null),
    graphiql: app.config.graphiql ? { title: 'sessiongraph', defaultQuery: firstQuery } : false,
    maskedErrors: {
      maskError(error, message) {
        const original = (error as { originalError?: unknown }).originalError;
        if (original && !(original as { extensions?: unknown }).extensions) {
          app.logger.error({ err: original }, 'unexpected error in a resolver');
        }
        return maskError(error, message);
      },
    },
    logging: {
      debug: (...args) => app.logger.debug(args.map(String).join(' ')),
      info: (...args) => app.logger.info(args.map(String).join(' ')),
      warn: (...args) => app.logger.warn(args.map(String).join(' ')),
      error: (...args) => app.logger.error(args.map(String).join(' ')),
    },
  });
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
