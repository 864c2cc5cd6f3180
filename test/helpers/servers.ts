import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpFront } from '../../src/ops/http.ts';
import { createGraphql } from '../../src/yoga.ts';
import type { TestApp } from './app.ts';

/** A listening HTTP server over the app (the same front `npm start` serves), with Yoga options of its own. */
export async function listen(t: TestApp, options: Parameters<typeof createGraphql>[1] = {}): Promise<Server> {
  const graphql = createGraphql(t.app, options);
  const server = createServer(createHttpFront(t.app, graphql.yoga, t.app.metrics, graphql.fast).handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** The server's /graphql URL. */
export const graphqlUrl = (server: Server) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

/**
 * Twin servers over one app for differential tests: `compiled` with the compiled paths, `general` with
 * every request going through GraphQL execution.
 */
export async function twinServers(t: TestApp): Promise<{ compiled: Server; general: Server }> {
  const [compiled, general] = await Promise.all([listen(t), listen(t, { mutations: false, direct: false })]);
  return { compiled, general };
}
