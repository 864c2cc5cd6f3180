import { hash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { type ASTVisitor, GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';
import type { BatchingOptions, Plugin } from 'graphql-yoga';
import type { App } from '../app.ts';
import type { ErrorCode } from '../errors/codes.ts';
import { presentedToken } from '../auth/tokens.ts';

/**
 * Limits on abusive requests. Every refusal is a GraphQL error whose `extensions.code` says which limit:
 *
 * | code | HTTP | when |
 * | --- | --- | --- |
 * | `RATE_LIMITED` | 429 + `Retry-After` | more than `limits.perIpPerMinute` requests from one client address, or `limits.perTokenPerMinute` with one API token (however its `Authorization` header is written), in a minute |
 * | `CSRF` | 403 | a request carrying cookies that a browser says (or may have) come from another origin (see `csrfRefusal`) |
 * | `PAYLOAD_TOO_LARGE` | 413 | a body over `limits.maxBodyBytes` (by `Content-Length`, or counted while reading when there is none); refused before parsing |
 * | `BATCH_LIMIT` | 413 (400 when batching is off) | a batch of more than `limits.maxBatch` operations |
 * | `TOKEN_LIMIT` | 400¹ | a document of more than `limits.maxTokens` lexical tokens (counted while parsing; parsing stops there) |
 * | `DEPTH_LIMIT` | 400¹ | an operation nested deeper than `limits.maxDepth` (fragments followed) |
 * | `ALIAS_LIMIT` | 400¹ | more than `limits.maxAliases` aliases in one operation (fragments included) |
 * | `COST_LIMIT` | 400¹ | an operation whose estimated cost exceeds `limits.maxCost` (graphql-armor's model: 2 per object field, 1 per scalar, ×1.5 per level of depth) |
 * | `INTROSPECTION_DISABLED` | 400¹ | `__schema` or `__type` while `introspection` is off (`__typename` stays allowed) |
 *
 * ¹ As GraphQL over HTTP says for request errors: 400 when the client accepts
 * `application/graphql-response+json`, 200 under plain `application/json`; the code is the same.
 *
 * The depth, alias, token and cost counts are graphql-armor's; their own errors carry no code (and say
 * "Syntax Error"), so they are re-reported here with the codes above. The page-size cap is `maxPageSize`
 * in the schema itself.
 */
export function securityPlugins(app: App, gate: RequestGate = createRequestGate(app)): Plugin[] {
  const { limits, introspection } = app.config;
  const { rules } = documentLimits(app);
  return [
    requestGate(app, gate),
    // Parsing stops at the first token past the limit: the handler throws out of the lexer.
    maxTokensPlugin({
      n: limits.maxTokens,
      onReject: [
        (_context, error) => {
          throw coded(stripPrefix(error.message), 'TOKEN_LIMIT');
        },
      ],
    }) as Plugin,
    {
      onValidate({ addValidationRule }) {
        for (const rule of rules) addValidationRule(rule);
        if (introspection) return;
        // Without introspection, "Did you mean …?" hints would still leak field and type names.
        return ({ result, setResult }) => {
          if (result.length === 0) return;
          setResult(
            result.map((error) =>
              / Did you mean /.test(error.message)
                ? new GraphQLError(error.message.replace(/ Did you mean .*$/, ''), {
                    nodes: error.nodes,
                    extensions: error.extensions,
                  })
                : error,
            ),
          );
        };
      },
    },
  ];
}

/** A document's limits: its tokens, counted while parsing, and validation rules. */
export interface DocumentLimits {
  maxTokens: number;
  rules: readonly ValidationRule[];
}

/**
 * What a document may be, beyond GraphQL's own validation: at most `maxTokens` tokens, and the depth, alias,
 * cost and introspection rules. Yoga applies them (securityPlugins), and the compiled path (src/fastpath/) checks
 * every document it would answer against the same, leaving any that fails to Yoga, which reports it.
 */
export function documentLimits(app: App): DocumentLimits {
  const { limits, introspection } = app.config;
  const rules: ValidationRule[] = [
    maxDepthRule({
      n: limits.maxDepth,
      propagateOnRejection: false,
      onReject: [report('DEPTH_LIMIT')],
    }),
    maxAliasesRule({
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [report('ALIAS_LIMIT')],
    }),
    costLimitRule({
      maxCost: limits.maxCost,
      propagateOnRejection: false,
      onReject: [report('COST_LIMIT')],
    }),
  ];
  if (!introspection) rules.push(noIntrospectionRule);
  return { maxTokens: limits.maxTokens, rules };
}

/** Yoga's `batching` option: at most `limits.maxBatch` operations per request, none when it is 0. */
export function batchingOption(app: App): BatchingOptions {
  const { maxBatch } = app.config.limits;
  return maxBatch === 0 ? false : { limit: maxBatch };
}

/** A refusal's code, from the one catalogue (src/errors/codes.ts). */
type Code = ErrorCode;

/**
 * A GraphQL error with a code; `http.status` (stripped from the body by Yoga) sets the response status.
 * Without it, Yoga follows GraphQL over HTTP: 400 under `application/graphql-response+json`, 200 under
 * `application/json`.
 */
function coded(message: string, code: Code, status?: number) {
  return new GraphQLError(message, { extensions: status ? { code, http: { status } } : { code } });
}

const stripPrefix = (message: string) => message.replace(/^Syntax Error: /, '');

/** An armor `onReject` handler that reports the refusal as a validation error with our code. */
function report(code: Code) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    context?.reportError(coded(stripPrefix(error.message), code));
  };
}

/**
 * Like graphql's `NoSchemaIntrospectionCustomRule`, with a code, and once per entry point: `__schema` and
 * `__type` are the only ways into the introspection types.
 */
const noIntrospectionRule: ValidationRule = (context): ASTVisitor => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(
        new GraphQLError(`Introspection is disabled on this server ("${node.name.value}" was asked for).`, {
          nodes: node,
          extensions: { code: 'INTROSPECTION_DISABLED' satisfies ErrorCode },
        }),
      );
    }
  },
});

/**
 * What happens before a GraphQL request is parsed, in order: the rate limits, CSRF, the body size. Each
 * refusal is answered at once with a small JSON body, so the request body is not even read.
 */
export interface Refusal {
  status: number;
  code: Code;
  message: string;
  headers: Record<string, string>;
}

type HeaderSource = { headers: { get(name: string): string | null }; url: string };

/** Marks a Node request already through `RequestGate.check` (the compiled path), so Yoga does not count it twice. */
const GATED = Symbol('sessiongraph gated');

export function markGated(req: object): void {
  (req as { [GATED]?: boolean })[GATED] = true;
}

const wasGated = (serverContext: unknown) =>
  (serverContext as { req?: { [GATED]?: boolean } } | undefined)?.req?.[GATED] === true;

/**
 * The per-request checks before anything is parsed: the rate limits, then CSRF. One per app, shared by
 * Yoga's gate and the compiled path, so both count against the same limits.
 */
export function createRequestGate(app: App) {
  const { limits } = app.config;
  const limiter = new RateLimiter();
  return {
    check(request: HeaderSource, ip: string | null): Refusal | null {
      const nowMs = app.clock().getTime();
      const authorization = request.headers.get('authorization');
      const waits: number[] = [];
      if (limits.perIpPerMinute > 0 && ip !== null) {
        waits.push(limiter.hit(`ip:${ip}`, limits.perIpPerMinute, nowMs));
      }
      if (limits.perTokenPerMinute > 0 && authorization) {
        // Counted per token, not per header text: `bearer`, extra spaces and the like present the same token and
        // must not each get a fresh minute. The token itself is never kept, only its hash.
        const id = hash('sha256', presentedToken(authorization) ?? authorization, 'base64url');
        waits.push(limiter.hit(`token:${id}`, limits.perTokenPerMinute, nowMs));
      }
      const wait = Math.max(0, ...waits);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        return {
          status: 429,
          code: 'RATE_LIMITED',
          message: `Too many requests; retry in ${seconds} s.`,
          headers: { 'retry-after': String(seconds) },
        };
      }
      const csrf = csrfRefusal(request as Request, limits.trustProxy);
      return csrf ? { status: 403, code: 'CSRF', message: csrf, headers: {} } : null;
    },
  };
}

export type RequestGate = ReturnType<typeof createRequestGate>;

export const refusalBody = (refusal: Refusal) =>
  JSON.stringify({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });

function requestGate(app: App, gate: RequestGate): Plugin {
  const { limits } = app.config;
  return {
    onRequestParse({ request, serverContext, endResponse, requestParser, setRequestParser, fetchAPI }) {
      const refuse = (status: number, code: Code, message: string, headers: Record<string, string> = {}) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
          }),
        );

      if (!wasGated(serverContext)) {
        const refusal = gate.check(request, clientIp(app, request, serverContext));
        if (refusal) return refuse(refusal.status, refusal.code, refusal.message, refusal.headers);
      }

      const max = limits.maxBodyBytes;
      const tooLarge = `The request body exceeds ${max} bytes.`;
      const length = request.headers.get('content-length');
      if (length !== null && (!/^\d+$/.test(length) || Number(length) > max)) {
        return refuse(413, 'PAYLOAD_TOO_LARGE', tooLarge);
      }
      if (requestParser && request.body) {
        // No (or a lying) Content-Length: count the bytes while reading, stop at the limit.
        const parse = requestParser;
        setRequestParser(async (original) => {
          const body = await readAtMost(original, max);
          if (body === null) {
            return new fetchAPI.Response(
              JSON.stringify({
                errors: [
                  { message: tooLarge, extensions: { code: 'PAYLOAD_TOO_LARGE' satisfies ErrorCode } },
                ],
              }),
              { status: 413, headers: { 'content-type': 'application/json; charset=utf-8' } },
            );
          }
          return parse(
            new fetchAPI.Request(original.url, {
              method: original.method,
              headers: original.headers,
              body,
              signal: original.signal,
            }),
          );
        });
      }
      return {
        // Runs before Yoga's own batching check (which has the same limit but the code BAD_REQUEST).
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          if (limits.maxBatch === 0) {
            throw coded('Batched operations are not accepted.', 'BATCH_LIMIT', 400);
          }
          if (requestParserResult.length > limits.maxBatch) {
            throw coded(
              `A batch may hold at most ${limits.maxBatch} operations; this one has ${requestParserResult.length}.`,
              'BATCH_LIMIT',
              413,
            );
          }
          // A key numbers the steps of one operation. A batch's operations run concurrently, each counting
          // from one: two equal creates would be taken for one, and a retry could number them otherwise. A
          // batch of one is one operation (Apollo's BatchHttpLink sends a mutation with its own headers so).
          if (requestParserResult.length > 1 && request.headers.has('idempotency-key')) {
            throw coded(
              'An Idempotency-Key covers one operation, not a batch of several: send each mutation with its own key.',
              'BAD_USER_INPUT',
              400,
            );
          }
        },
      };
    },
  };
}

async function readAtMost(request: Request, max: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * CSRF for cookie-carrying requests. Cookies are ambient: a browser attaches them to requests another site
 * makes, and Yoga's default CORS answers every origin's preflight with `Allow-Credentials`, so a
 * custom-header check alone (as in `@graphql-yoga/plugin-csrf-prevention`) would not stop a hostile page.
 * The rule follows Go's `http.CrossOriginProtection`, applied to every method because GraphQL reads over
 * GET too:
 *
 * 1. `Sec-Fetch-Site` (set by every current browser, unforgeable by pages): only `same-origin` and `none`
 *    (the user typed the address) pass; `same-site` and `cross-site` are refused.
 * 2. Else `Origin` (older browsers): it must name this server's host (`X-Forwarded-Host` when
 *    `limits.trustProxy`).
 * 3. Else (not a browser, or a very old one): the request must carry `X-GraphQL-CSRF` (any value), or an
 *    `Authorization` or `X-Session-Key` header; a browser sends none of them cross-site without a CORS
 *    preflight.
 *
 * Requests without cookies are never refused: `Authorization: Bearer` and `X-Session-Key` are not sent by
 * a browser on its own, so API tools (curl, server-to-server clients) work unchanged.
 */
export function csrfRefusal(request: Request, trustProxy: boolean): string | null {
  const cookie = request.headers.get('cookie');
  if (!cookie?.trim()) return null;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) {
    return site === 'same-origin' || site === 'none'
      ? null
      : `Requests with cookies are accepted from this server's own origin only (Sec-Fetch-Site: ${site}).`;
  }
  const origin = request.headers.get('origin');
  if (origin !== null) {
    return originHost(origin) === ownHost(request, trustProxy)
      ? null
      : "Requests with cookies are accepted from this server's own origin only (Origin differs).";
  }
  for (const name of ['x-graphql-csrf', 'authorization', 'x-session-key']) {
    if (request.headers.get(name)?.trim()) return null;
  }
  return 'A request with cookies must carry an X-GraphQL-CSRF header (any value).';
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null; // "null" (sandboxed frames, file:) and garbage never match
  }
}

function ownHost(request: Request, trustProxy: boolean): string {
  const forwarded = trustProxy ? lastListEntry(request.headers.get('x-forwarded-host')) : null;
  return (forwarded ?? new URL(request.url).host).toLowerCase();
}

const lastListEntry = (value: string | null) => {
  const last = value?.split(',').at(-1)?.trim();
  return last ? last : null;
};

/**
 * The client address the rate limit counts against: the socket's peer, or with `limits.trustProxy` the
 * last `X-Forwarded-For` entry (the one our proxy appended; earlier entries are the client's own claims).
 * IPv4-mapped IPv6 becomes IPv4, and other IPv6 addresses count per /64 (one host usually owns a whole
 * /64). Null when unknown (e.g. `yoga.fetch` in tests), and then no per-IP limit applies.
 */
export function clientIp(app: App, request: Request, serverContext: unknown): string | null {
  const forwarded = app.config.limits.trustProxy
    ? lastListEntry(request.headers.get('x-forwarded-for'))
    : null;
  const socketAddress = (serverContext as { req?: { socket?: { remoteAddress?: unknown } } } | undefined)?.req
    ?.socket?.remoteAddress;
  const raw = forwarded ?? (typeof socketAddress === 'string' ? socketAddress : null);
  return raw === null ? null : normalizeIp(raw);
}

export function normalizeIp(raw: string): string {
  const address = raw
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Fixed one-minute windows per key, in memory: each replica counts on its own, so N replicas let through
 * up to N× the configured rate. Acceptable for abuse control; a shared limit would need a shared store.
 * Memory is bounded: ended windows are dropped, and past `maxKeys` the oldest windows go first.
 */
class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one request; returns 0 when allowed, else the milliseconds until the key's window ends. */
  hit(key: string, limit: number, now: number): number {
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs || now < window.start) {
      this.windows.delete(key);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      this.sweep(now);
    }
    window.count += 1;
    return window.count > limit ? window.start + this.windowMs - now : 0;
  }

  private sweep(now: number) {
    // Insertion order is window-start order (a renewed window is re-inserted): ended windows sit at the
    // front, so dropping them stops at the first live one, and past `maxKeys` the oldest live ones go.
    for (const [key, window] of this.windows) {
      if (now - window.start < this.windowMs && this.windows.size <= this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
