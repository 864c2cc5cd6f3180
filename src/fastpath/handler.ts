import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { App } from '../app.ts';
import { createContext, requestDb, requestReads } from '../context.ts';
import { operationLabel, type RequestScope } from '../ops/request-scope.ts';
import { clientIp, documentLimits, markGated, type RequestGate, refusalBody } from '../security/limits.ts';
import { compilePlan, type Plan } from './compile.ts';
import { compileMutationPlan, type MutationPlan } from './mutation-plan.ts';
import { createMutationPath } from './mutations.ts';
import { createDirectPath, type ResponseBody } from './direct.ts';
import { planArguments, runPlan } from './run.ts';

/**
 * The compiled path for plain reads: a JSON POST whose document compiles (src/fastpath/compile.ts) is
 * answered without Yoga or GraphQL execution — same gate (rate limits, CSRF), same context (token cache,
 * viewer), same services and SQL. Anything else, and any request it would answer with an error, goes on to
 * Yoga with the body it has read.
 */

const MAX_PLANS = 500;

/** The parameters of a GraphQL request body Yoga accepts; any other (not null) it refuses. */
const YOGA_PARAMETERS = new Set(['query', 'variables', 'operationName', 'extensions']);
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

export interface FastPath {
  /** Answers the request, or returns false having answered nothing (the caller hands it to Yoga). */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer, scope: RequestScope): Promise<boolean>;
}

/** The Fetch-style header view the gate and the context read, over Node's headers. */
class NodeHeaders {
  constructor(private readonly req: IncomingMessage) {}

  get(name: string): string | null {
    const value = this.req.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
}

function reply(
  app: App,
  res: ServerResponse,
  scope: RequestScope,
  plan: Plan | MutationPlan,
  body: ResponseBody,
  outcome: 'answered' | 'sql',
): true {
  app.metrics.compiled.inc({ outcome });
  scope.operation = operationLabel(plan.operationName ?? 'anonymous');
  // With its length known, the body goes out in one piece instead of as a chunked stream.
  const length =
    typeof body === 'string'
      ? Buffer.byteLength(body)
      : Buffer.byteLength(body[0]) + Buffer.byteLength(body[1]) + Buffer.byteLength(body[2]);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': length });
  if (typeof body === 'string') {
    res.end(body);
  } else {
    // One write of the three parts (corked), none of them joined into a new string first.
    res.cork();
    res.write(body[0]);
    res.write(body[1]);
    res.end(body[2]);
    res.uncork();
  }
  return true;
}
const declined = (app: App) => {
  app.metrics.compiled.inc({ outcome: 'declined' });
  return false;
};

export interface FastPathOptions {
  /** Whether native-store plans are answered by SQL that builds the JSON (default true; tests turn it off). */
  direct?: boolean;
  /** Whether native-store mutations are answered by one statement each (default true; tests turn it off). */
  mutations?: boolean;
}

const isMutation = (plan: Plan | MutationPlan): plan is MutationPlan =>
  plan.operation.operation === 'mutation';

export function createFastPath(
  app: App,
  schema: GraphQLSchema,
  gate: RequestGate,
  options: FastPathOptions = {},
): FastPath {
  const plans = new Map<string, Plan | MutationPlan | null>();
  const userFields = new Set(
    app.catalog.columns.filter((column) => !column.list).map((column) => column.field),
  );
  const userColumns = new Map(app.catalog.columns.map((column) => [column.field, column.column]));
  const direct = options.direct === false ? null : createDirectPath(app);

  const mutations = options.mutations === false ? null : createMutationPath(app);
  // Yoga's limits on documents (depth, aliases, cost, tokens, introspection) hold here too.
  const limits = documentLimits(app);
  const planFor = (query: string, operationName: string | null) => {
    // A name is a GraphQL name (checked before), so it holds neither ':' nor NUL: no two requests share a key.
    const cacheKey = `${operationName === null ? '' : `${operationName}:`}\u0000${query}`;
    let plan = plans.get(cacheKey);
    if (plan === undefined) {
      plan =
        compilePlan(schema, userFields, query, operationName, limits) ??
        (mutations ? compileMutationPlan(schema, userFields, query, operationName, limits) : null);
      if (plans.size >= MAX_PLANS) plans.clear();
      plans.set(cacheKey, plan);
    }
    return plan;
  };

  return {
    async handle(req, res, body, scope) {
      let params: { query?: unknown; variables?: unknown; operationName?: unknown };
      try {
        params = JSON.parse(body.toString('utf8'));
      } catch {
        return false;
      }
      if (
        !params ||
        typeof params !== 'object' ||
        Array.isArray(params) ||
        typeof params.query !== 'string'
      ) {
        return false;
      }
      // What Yoga refuses before it parses (GraphQL over HTTP's rules), it refuses here too: it goes there.
      for (const name in params) {
        const value = (params as Record<string, unknown>)[name];
        if (value !== null && value !== undefined && !YOGA_PARAMETERS.has(name)) return false;
      }
      const { extensions } = params as { extensions?: unknown };
      if (extensions !== undefined && extensions !== null) {
        if (typeof extensions !== 'object' || Array.isArray(extensions)) return false;
      }
      const operationName = typeof params.operationName === 'string' ? params.operationName : null;
      if (params.operationName !== undefined && params.operationName !== null && operationName === null)
        return false;
      // No operation is named "" (or anything but a GraphQL name): Yoga says it cannot tell which to run.
      if (operationName !== null && !GRAPHQL_NAME.test(operationName)) return false;
      const variables = params.variables ?? {};
      if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return false;
      const plan = planFor(params.query, operationName);
      if (!plan) return declined(app);

      const request = {
        headers: new NodeHeaders(req),
        url: `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`,
      };
      const ip = clientIp(app, request as unknown as Request, { req });
      // From here on the request is counted; Yoga must not count it again if it ends up there.
      markGated(req);
      const refusal = gate.check(request, ip);
      if (refusal) {
        res.writeHead(refusal.status, {
          'content-type': 'application/json; charset=utf-8',
          ...refusal.headers,
        });
        res.end(refusalBody(refusal));
        scope.failed = true;
        return true;
      }
      try {
        const args = planArguments(plan, schema, variables as Record<string, unknown>);
        if (!args) return declined(app);
        if (isMutation(plan)) {
          // Nothing was written when it declines; once it wrote, it answers.
          const body = await mutations!.answer(
            plan,
            args,
            request.headers,
            requestDb(app, scope),
            app.clock(),
          );
          if (body === null) return declined(app);
          app.relay?.kick();
          return reply(app, res, scope, plan, body, 'sql');
        }
        if (direct) {
          let body: ResponseBody | null = null;
          try {
            const inner = plan.sessions
              ? planArguments(plan.sessions, schema, variables as Record<string, unknown>)
              : undefined;
            if (inner !== null) {
              body = await direct.answer(
                plan,
                args,
                request.headers,
                requestReads(app, scope),
                app.clock(),
                inner,
              );
            }
          } catch (error) {
            // The general path runs the request again and says whatever went wrong properly.
            app.metrics.compiled.inc({ outcome: 'sql_error' });
            app.logger.debug({ err: error }, 'compiled SQL failed; answering the general way');
          }
          if (body !== null) return reply(app, res, scope, plan, body, 'sql');
        }
        const ctx = await createContext(app, request as unknown as Request, ip, {
          withUsers: plan.readsUser,
          scope,
        });
        const result = await runPlan(plan, ctx, args, userColumns);
        if (!result) return declined(app);
        return reply(app, res, scope, plan, result, 'answered');
      } catch {
        // Whatever went wrong (a bad cursor, the database), Yoga says it properly.
        return declined(app);
      }
    },
  };
}
