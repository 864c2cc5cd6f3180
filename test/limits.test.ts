import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeIp } from '../src/security/limits.ts';
import { createServer, firstQuery } from '../src/yoga.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';
import { graphqlUrl, listen as listenWithCompiledPath } from './helpers/servers.ts';

/**
 * Each limit of src/security/limits.ts gets an abusive request and answers with its code and status.
 * The queries need no authorization: limits act before (or instead of) execution, and validation errors
 * come before any resolver runs.
 */
interface Body {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const codes = (body: Body) => (body.errors ?? []).map((error) => error.extensions?.code);
const limitCodes = new Set([
  'RATE_LIMITED',
  'CSRF',
  'PAYLOAD_TOO_LARGE',
  'BATCH_LIMIT',
  'TOKEN_LIMIT',
  'DEPTH_LIMIT',
  'ALIAS_LIMIT',
  'COST_LIMIT',
  'INTROSPECTION_DISABLED',
]);

async function expectRefused(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as Body;
  expect(codes(body)).toEqual([code]);
  expect(body.errors![0]!.message).not.toMatch(/Syntax Error/);
  return body;
}

const limits = {
  maxDepth: 5,
  maxAliases: 3,
  maxTokens: 100,
  maxCost: 50,
  maxBodyBytes: 2000,
  maxBatch: 2,
  perTokenPerMinute: 3,
  perIpPerMinute: 3,
  trustProxy: true,
};

/**
 * A request with no API token (`t.fetch` sends the admin token by default, which would count against the
 * per-token limit), asking for `application/graphql-response+json`, under which GraphQL over HTTP answers
 * request errors (validation included) with 400; plain `application/json` answers them with 200.
 */
const anonymous = (t: TestApp, body: unknown, headers: Record<string, string> = {}) =>
  t.fetch(body, { authorization: '', accept: 'application/graphql-response+json', ...headers });

describe('limits on abusive requests', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ config: { limits, introspection: false } });
  });
  afterAll(() => t.close());

  it('should answer a modest query under small limits', async () => {
    const response = await anonymous(t, { query: '{ __typename currentSession { id user { username } } }' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Body;
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ __typename: 'Query', currentSession: null });
  });

  it('should refuse a query nested deeper than maxDepth with DEPTH_LIMIT', async () => {
    const response = await anonymous(t, {
      query: '{ currentSession { user { sessions { edges { node { id } } } } } }',
    });
    const body = await expectRefused(response, 400, 'DEPTH_LIMIT');
    expect(body.errors![0]!.message).toBe('Query depth limit of 5 exceeded, found 6.');
    // Plain application/json answers request errors with 200 (GraphQL over HTTP); the code is the same.
    const plain = await anonymous(
      t,
      { query: '{ currentSession { user { sessions { edges { node { id } } } } } }' },
      { accept: 'application/json' },
    );
    await expectRefused(plain, 200, 'DEPTH_LIMIT');
  });

  it('should count depth through fragments', async () => {
    const response = await anonymous(t, {
      query:
        'query { currentSession { ...S } } fragment S on Session { user { sessions { edges { node { id } } } } }',
    });
    expect(response.status).toBe(400);
    expect(codes((await response.json()) as Body)).toContain('DEPTH_LIMIT');
  });

  it('should refuse more aliases than maxAliases with ALIAS_LIMIT', async () => {
    const response = await anonymous(t, {
      query:
        '{ a: currentSession { id } b: currentSession { id } c: currentSession { id } d: currentSession { id } }',
    });
    await expectRefused(response, 400, 'ALIAS_LIMIT');
    const within = await anonymous(t, {
      query: '{ a: currentSession { id } b: currentSession { id } c: currentSession { id } }',
    });
    expect(codes((await within.json()) as Body)).toEqual([]);
  });

  it('should stop parsing past maxTokens with TOKEN_LIMIT', async () => {
    const response = await anonymous(t, { query: `{ ${'__typename '.repeat(101)}}` });
    await expectRefused(response, 400, 'TOKEN_LIMIT');
  });

  it('should refuse an operation costlier than maxCost with COST_LIMIT', async () => {
    const response = await anonymous(t, {
      query: `{ sessions { edges { node { id status data createdAt expiresAt lastSeenAt version userId
        user { id rowId username email fullName isStaff dateJoined } } } } }`,
    });
    await expectRefused(response, 400, 'COST_LIMIT');
  });

  it('should refuse introspection when it is off with INTROSPECTION_DISABLED, and keep __typename', async () => {
    await expectRefused(
      await anonymous(t, { query: '{ __schema { queryType { name } } }' }),
      400,
      'INTROSPECTION_DISABLED',
    );
    await expectRefused(
      await anonymous(t, { query: '{ __type(name: "Session") { name } }' }),
      400,
      'INTROSPECTION_DISABLED',
    );
    const typename = (await (await anonymous(t, { query: '{ __typename }' })).json()) as Body;
    expect(typename).toEqual({ data: { __typename: 'Query' } });
  });

  it('should not leak field names through "Did you mean" hints when introspection is off', async () => {
    const body = (await (await anonymous(t, { query: '{ currentSesion { id } }' })).json()) as Body;
    expect(codes(body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(body.errors![0]!.message).toBe('Cannot query field "currentSesion" on type "Query".');
  });

  describe('request body size', () => {
    const bigQuery = `# ${'x'.repeat(3000)}\n{ __typename }`;

    it('should refuse a Content-Length over maxBodyBytes with 413 PAYLOAD_TOO_LARGE', async () => {
      const response = await anonymous(t, { query: bigQuery }, { 'content-length': '3100' });
      await expectRefused(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('should count a body without Content-Length while reading it', async () => {
      const yoga = createServer(t.app);
      const bytes = new TextEncoder().encode(JSON.stringify({ query: bigQuery }));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 500)
            controller.enqueue(bytes.slice(offset, offset + 500));
          controller.close();
        },
      });
      const response = await yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await expectRefused(response, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('should refuse over a real socket too, and accept a body under the limit', async () => {
      const { url, close } = await listen(t);
      try {
        const big = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: bigQuery }),
        });
        await expectRefused(big, 413, 'PAYLOAD_TOO_LARGE');
        const small = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        expect(await small.json()).toEqual({ data: { __typename: 'Query' } });
      } finally {
        await close();
      }
    });
  });

  it('should refuse a batch of more than maxBatch operations with BATCH_LIMIT', async () => {
    const response = await anonymous(t, [
      { query: '{ a: __typename }' },
      { query: '{ b: __typename }' },
      { query: '{ c: __typename }' },
    ]);
    await expectRefused(response, 413, 'BATCH_LIMIT');
    const within = await anonymous(t, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(await within.json()).toEqual([
      { data: { __typename: 'Query' } },
      { data: { __typename: 'Query' } },
    ]);
  });

  it('should refuse batches with BATCH_LIMIT when maxBatch is 0', async () => {
    const noBatching = await startTestApp({ config: { limits: { maxBatch: 0 } } });
    try {
      const response = await anonymous(noBatching, [{ query: '{ __typename }' }]);
      await expectRefused(response, 400, 'BATCH_LIMIT');
    } finally {
      await noBatching.close();
    }
  });

  describe('CSRF for cookie-carrying requests', () => {
    const query = { query: '{ __typename }' };
    const ok = async (response: Response) => {
      expect(response.status).toBe(200);
      expect(codes((await response.json()) as Body)).not.toContain('CSRF');
    };

    it('should refuse a cookie sent cross-site, even with the CSRF header', async () => {
      await expectRefused(
        await anonymous(t, query, {
          cookie: 'sg_session=abc',
          'sec-fetch-site': 'cross-site',
          'x-graphql-csrf': '1',
        }),
        403,
        'CSRF',
      );
      await expectRefused(
        await anonymous(t, query, { cookie: 'sg_session=abc', 'sec-fetch-site': 'same-site' }),
        403,
        'CSRF',
      );
    });

    it('should refuse a cookie with a foreign Origin when the browser sends no Sec-Fetch-Site', async () => {
      await expectRefused(
        await anonymous(t, query, {
          cookie: 'sg_session=abc',
          origin: 'https://evil.example',
          'x-graphql-csrf': '1',
        }),
        403,
        'CSRF',
      );
      await expectRefused(
        await anonymous(t, query, { cookie: 'sg_session=abc', origin: 'null' }),
        403,
        'CSRF',
      );
      await ok(await anonymous(t, query, { cookie: 'sg_session=abc', origin: 'http://yoga' }));
    });

    it('should refuse a cookie with neither browser header nor a CSRF header', async () => {
      await expectRefused(await anonymous(t, query, { cookie: 'sg_session=abc' }), 403, 'CSRF');
    });

    it('should accept same-origin browsers, the CSRF header, API credentials and cookie-less clients', async () => {
      await ok(await anonymous(t, query, { cookie: 'sg_session=abc', 'sec-fetch-site': 'same-origin' }));
      await ok(await anonymous(t, query, { cookie: 'sg_session=abc', 'x-graphql-csrf': '1' }));
      await ok(await anonymous(t, query, { cookie: 'sg_session=abc', 'x-session-key': 'abc' }));
      await ok(await anonymous(t, query));
      const withToken = await anonymous(t, query, {
        cookie: 'sg_session=abc',
        authorization: 'Bearer csrf-test',
      });
      expect(codes((await withToken.json()) as Body)).not.toContain('CSRF');
    });
  });

  describe('rate limits', () => {
    afterAll(() => t.setNow(null));

    it('should answer 429 RATE_LIMITED with Retry-After past perTokenPerMinute, per token', async () => {
      const start = new Date('2031-01-01T00:00:00Z');
      t.setNow(start);
      const send = (token: string) =>
        t.fetch({ query: '{ __typename }' }, { authorization: `Bearer ${token}` });
      for (let index = 0; index < 3; index += 1) expect((await send('token-a')).status).not.toBe(429);
      const limited = await send('token-a');
      await expectRefused(limited, 429, 'RATE_LIMITED');
      expect(limited.headers.get('retry-after')).toBe('60');
      expect((await send('token-b')).status).not.toBe(429);
      t.setNow(new Date(start.getTime() + 45_000));
      expect((await send('token-a')).headers.get('retry-after')).toBe('15');
      t.setNow(new Date(start.getTime() + 61_000));
      expect((await send('token-a')).status).not.toBe(429);
    });

    it('should count one token once however its Authorization header is written', async () => {
      t.setNow(new Date('2031-06-01T00:00:00Z'));
      // Each header below presents the same token and is accepted as it: they share its minute.
      const token = t.adminToken;
      const headers = [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`, ` Bearer\t${token} `];
      for (const authorization of headers.slice(0, 3)) {
        const response = await t.fetch({ query: '{ caller { name } }' }, { authorization });
        expect(response.status).toBe(200);
        expect(((await response.json()) as { data: unknown }).data).toEqual({
          caller: { name: 'test-admin' },
        });
      }
      await expectRefused(
        await t.fetch({ query: '{ __typename }' }, { authorization: headers[3]! }),
        429,
        'RATE_LIMITED',
      );
    });

    it('should limit per client address from the socket', async () => {
      const { url, close } = await listen(t);
      try {
        const send = () =>
          fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ __typename }' }),
          });
        for (let index = 0; index < 3; index += 1) expect((await send()).status).toBe(200);
        const limited = await send();
        await expectRefused(limited, 429, 'RATE_LIMITED');
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      } finally {
        await close();
      }
    });

    it('should take the last X-Forwarded-For entry behind a trusted proxy', async () => {
      t.setNow(new Date('2032-01-01T00:00:00Z'));
      // The leading entries are the client's own claims; rotating them must not escape the limit.
      const send = (claimed: string) =>
        anonymous(t, { query: '{ __typename }' }, { 'x-forwarded-for': `${claimed}, 198.51.100.7` });
      for (let index = 0; index < 3; index += 1) expect((await send(`10.0.0.${index}`)).status).toBe(200);
      await expectRefused(await send('10.0.0.99'), 429, 'RATE_LIMITED');
      const other = await anonymous(t, { query: '{ __typename }' }, { 'x-forwarded-for': '198.51.100.8' });
      expect(other.status).toBe(200);
    });

    it('should count IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
      expect(normalizeIp('::ffff:203.0.113.9')).toBe('203.0.113.9');
      expect(normalizeIp('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
      expect(normalizeIp('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
      expect(normalizeIp('2001:db8::1')).toBe('2001:db8:0:0::/64');
      expect(normalizeIp('::1')).toBe('0:0:0:0::/64');
      expect(normalizeIp('203.0.113.9')).toBe('203.0.113.9');
    });
  });
});

describe('default and demo limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ config: { introspection: true } });
  });
  afterAll(() => t.close());

  it("should let GraphiQL's introspection query through when introspection is on", async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const response = await anonymous(t, { query, operationName: 'IntrospectionQuery' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Body & { data: { __schema: { types: unknown[] } } };
    expect(body.errors).toBeUndefined();
    expect(body.data.__schema.types.length).toBeGreaterThan(10);
  });

  it('should hit no limit with ordinary requests under the defaults', async () => {
    for (const query of [firstQuery, '{ currentSession { id status data user { username email } } }']) {
      const body = (await (await t.fetch({ query })).json()) as Body;
      expect(codes(body).filter((code) => limitCodes.has(code ?? ''))).toEqual([]);
    }
    const batch = await anonymous(
      t,
      Array.from({ length: 10 }, () => ({ query: '{ __typename }' })),
    );
    expect(batch.status).toBe(200);
  });

  it('should keep introspection off by default', async () => {
    const off = await startTestApp();
    try {
      await expectRefused(
        await anonymous(off, { query: '{ __schema { queryType { name } } }' }),
        400,
        'INTROSPECTION_DISABLED',
      );
    } finally {
      await off.close();
    }
  });
});

describe('limits on documents the compiled path would answer', () => {
  let t: TestApp;
  let server: Server;

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        limits: { maxDepth: 5, maxAliases: 3, maxTokens: 60, maxCost: 40, perTokenPerMinute: 1000 },
      },
    });
    await nativeSession(t.pool, { userId: 1, data: { cart: ['SKU-1'] } });
    server = await listenWithCompiledPath(t);
  });
  afterAll(async () => {
    server?.close();
    await t?.close();
  });

  /** A plain JSON POST with the admin token: what the compiled path answers when it may. */
  const post = async (query: string) => {
    const response = await fetch(graphqlUrl(server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as Body;
  };

  it('should answer a document within the limits', async () => {
    const body = await post('{ sessions(first: 1) { edges { node { id data } } } }');
    expect(body.errors).toBeUndefined();
  });

  it('should refuse aliases, depth, cost and tokens past the limits, as Yoga does', async () => {
    const node = (fields: string) => `{ sessions(first: 1) { edges { node { ${fields} } } } }`;
    const refused: [string, string][] = [
      [node('a: data b: data c: data d: data'), 'ALIAS_LIMIT'],
      ['{ user(id: "1") { sessions(first: 1) { edges { node { user { username } } } } } }', 'DEPTH_LIMIT'],
      [node('id store status problem data userId createdAt expiresAt lastSeenAt version ip'), 'COST_LIMIT'],
      [
        `mutation { createSession(input: { data: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9,
          j: 10, k: 11, l: 12 } }) { ... on CreateSessionPayload { sessionKey session { id data } } } }`,
        'TOKEN_LIMIT',
      ],
    ];
    for (const [query, code] of refused) {
      const body = await post(query);
      expect(codes(body), query).toContain(code);
      expect(body.data ?? null, query).toBeNull();
    }
  });
});

/** `createServer(app)` behind a real `node:http` server on a free port, so requests have a socket address. */
async function listen(t: TestApp): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createHttpServer(createServer(t.app));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
