import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { createLogger } from '../src/log.ts';
import { createHttpFront } from '../src/ops/http.ts';
import { createServer as createYoga } from '../src/yoga.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { DJANGO_SESSION_TABLE, nativeSession } from './helpers/seed.ts';

/** The operational surface over real HTTP: probes, metrics, request ids in logs, idempotency keys. */

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});

describe('operations', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let metricsToken: string;
  let readOnly: string;

  beforeAll(async () => {
    t = await startTestApp({
      logger: createLogger('info', sink),
      setup: async (pool) => {
        await pool.query(DJANGO_SESSION_TABLE);
      },
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: 'ops-test-secret', passwordColumn: 'password_hash' },
        ],
        readyMaxLagSeconds: 60,
      },
    });
    await t.sync();
    const front = createHttpFront(t.app, createYoga(t.app), t.app.metrics);
    server = createServer(front.handle).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    metricsToken = (await createToken(t.pool, 'prometheus', ['metrics:read'], null)).token;
    readOnly = (await createToken(t.pool, 'reader', ['sessions:read'], null)).token;
  });
  afterAll(async () => {
    server?.close();
    await t.close();
  });

  const graphql = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}`, ...headers },
      body: JSON.stringify(body),
    });

  it('should answer /healthz while the process runs', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('should be ready with the database reachable, the schema current and the queue drained', async () => {
    const response = await fetch(`${base}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, syncLag: { ok: true } },
    });
  });

  it('should not be ready while framework changes wait longer than the lag limit, and say why', async () => {
    await t.pool.query(
      `INSERT INTO sessiongraph.changes (store, session_key, changed_at) VALUES ('django', 'k', now() - interval '5 minutes')`,
    );
    try {
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { reasons: string[] };
      expect(body.reasons).toEqual([
        expect.stringMatching(
          /^syncLag: oldest unapplied framework change is 3\d\d\.\d s old \(limit 60 s\)/,
        ),
      ]);
    } finally {
      await t.pool.query(`DELETE FROM sessiongraph.changes WHERE session_key = 'k'`);
    }
  });

  it('should not be ready on an older schema than the build needs', async () => {
    const { rows } = await t.pool.query<{ version: number; name: string }>(
      'DELETE FROM sessiongraph.migrations WHERE version = (SELECT max(version) FROM sessiongraph.migrations) RETURNING version, name',
    );
    try {
      const response = await fetch(`${base}/readyz`);
      expect(response.status).toBe(503);
      expect(((await response.json()) as { reasons: string[] }).reasons[0]).toMatch(
        /^migrations: schema at migration \d+, this build needs \d+: run `sessiongraph migrate`$/,
      );
    } finally {
      await t.pool.query('INSERT INTO sessiongraph.migrations (version, name) VALUES ($1, $2)', [
        rows[0]!.version,
        rows[0]!.name,
      ]);
    }
  });

  it('should keep /metrics behind a token with the metrics:read scope', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${readOnly}` } })).status,
    ).toBe(401);
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).status,
    ).toBe(200);
  });

  it('should serve /metrics alone, without a token, on the separate metrics port', async () => {
    const front = createHttpFront(t.app, createYoga(t.app), t.app.metrics);
    const metricsServer = createServer(front.metricsOnly).listen(0, '127.0.0.1');
    await once(metricsServer, 'listening');
    const url = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}`;
    try {
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('sessiongraph_db_pool_connections');
      expect((await fetch(`${url}/graphql`, { method: 'POST' })).status).toBe(404);
    } finally {
      metricsServer.close();
    }
  });

  it('should answer 503 with a clear error, not hang, when every pool connection is busy', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => t.pool.connect()));
    try {
      const started = Date.now();
      const response = await graphql({ query: '{ sessions(first: 1) { edges { node { id } } } }' });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]).toMatchObject({
        message: expect.stringMatching(/^No database connection became free in time/),
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      for (const client of held) client.release();
    }
    expect((await graphql({ query: '{ sessions(first: 1) { edges { node { id } } } }' })).status).toBe(200);
  }, 20_000);

  it('should count requests per operation, latency, statements, pool use and decode failures', async () => {
    await nativeSession(t.pool, {});
    // Two sessions expired hours ago and not swept: the sweeper's backlog.
    for (let i = 0; i < 2; i += 1)
      await nativeSession(t.pool, { expiresAt: new Date(Date.now() - 3 * 3600_000) });
    for (let i = 0; i < 3; i += 1) {
      const response = await graphql({
        query: 'query ListForMetrics { sessions(first: 5) { edges { node { id } } } }',
      });
      expect(response.status).toBe(200);
    }
    await graphql({ query: 'query Broken { sessions(first: 5) { edges { node { nope } } } }' });
    // A tampered Django row: counted once as a decode failure when a list meets it.
    await t.pool.query(
      `INSERT INTO django_session VALUES ('tampered0000000000000000000000x1', 'eyJhIjoxfQ:1abc:forged', now() + interval '1 day')`,
    );
    await t.sync();
    await graphql({ query: '{ sessions(store: "django", first: 5) { edges { node { status problem } } } }' });
    const text = await (
      await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).text();
    expect(text).toContain('sessiongraph_requests_total{operation="ListForMetrics",outcome="ok"} 3');
    expect(text).toContain('sessiongraph_requests_total{operation="Broken",outcome="error"} 1');
    expect(text).toMatch(/sessiongraph_request_duration_seconds_count\{operation="ListForMetrics"\} 3/);
    expect(text).toMatch(/sessiongraph_sql_statements_per_request_count \d+/);
    expect(text).toMatch(/sessiongraph_db_pool_connections\{state="waiting"\} 0/);
    expect(text).toMatch(/sessiongraph_decode_failures_total\{store="django",problem="\w+"\} [1-9]/);
    expect(text).toMatch(/sessiongraph_projection_lag_seconds \d/);
    expect(text).toContain('sessiongraph_sweeper_deleted_total');
    expect(text).toContain('sessiongraph_sweeper_backlog{store="native"} 2');
    expect(text).toMatch(/sessiongraph_last_seen_backlog \d+/);
    // Only where reads pipeline: on a server's PostgreSQL, not on the embedded one (`npm run test:embedded`).
    if (t.app.reads) expect(text).toMatch(/sessiongraph_pipelined_statements_total\{route="pool"\} \d+/);
    else expect(text).not.toContain('sessiongraph_pipelined_statements_total');
  });

  it('should put the request id on every log line of a request, keep a sane client id, redact keys', async () => {
    lines.length = 0;
    const response = await graphql(
      { query: 'query Logged { currentSession { id } }' },
      {
        'x-request-id': 'trace-abc-123',
        cookie: 'sg_session=secret-cookie-value',
        'x-session-key': 'secret-header',
      },
    );
    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const access = lines.find((line) => line['msg'] === 'request' && line['operation'] === 'Logged');
    expect(access).toMatchObject({ reqId: 'trace-abc-123', status: 200, path: '/graphql', method: 'POST' });
    expect(JSON.stringify(lines)).not.toContain('secret-cookie-value');
    expect(JSON.stringify(lines)).not.toContain('secret-header');
    // A line written from inside a resolver (an unexpected error) carries the request's id too.
    await t.pool.query('ALTER TABLE sessiongraph.sessions RENAME TO sessions_away');
    try {
      const failed = await graphql(
        { query: 'query Failing { sessions(first: 1) { edges { node { id } } } }' },
        { 'x-request-id': 'trace-fail-456' },
      );
      expect(((await failed.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe(
        'Unexpected error.',
      );
    } finally {
      await t.pool.query('ALTER TABLE sessiongraph.sessions_away RENAME TO sessions');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.find((line) => line['msg'] === 'unexpected error in a resolver')).toMatchObject({
      reqId: 'trace-fail-456',
    });
    const generated = await graphql({ query: '{ currentSession { id } }' }, { 'x-request-id': 'bad id!' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("should answer a caller's mistake as such and not log it as an unexpected error", async () => {
    lines.length = 0;
    const refused = await graphql({
      query: '{ users(first: 1, after: "garbage") { edges { node { id } } } }',
    });
    expect(await refused.json()).toMatchObject({
      errors: [{ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } }],
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((line) => line['level'] === 50)).toEqual([]);
  });

  it("should log as an error what fails before execution (the caller's token look-up), once", async () => {
    lines.length = 0;
    await t.pool.query('ALTER TABLE sessiongraph.api_tokens RENAME TO api_tokens_away');
    try {
      const failed = await graphql(
        { query: '{ __typename }' },
        { authorization: `Bearer sg_${'u'.repeat(43)}` },
      );
      expect(await failed.json()).toMatchObject({ errors: [{ message: 'Unexpected error.' }] });
    } finally {
      await t.pool.query('ALTER TABLE sessiongraph.api_tokens_away RENAME TO api_tokens');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const errors = lines.filter((line) => line['level'] === 50);
    expect(errors).toEqual([
      expect.objectContaining({
        msg: 'unexpected error',
        err: expect.objectContaining({ code: '42P01', message: expect.stringMatching(/api_tokens/) }),
      }),
    ]);
  });

  it('should say "Unexpected error." and nothing of its cause or stack, even under NODE_ENV=development', async () => {
    // Yoga's own masking adds the original message and stack when NODE_ENV is "development".
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'development';
    await t.pool.query('ALTER TABLE sessiongraph.sessions RENAME TO sessions_away');
    try {
      const failed = await graphql({ query: '{ sessions(first: 1) { edges { node { id } } } }' });
      const text = await failed.text();
      expect(JSON.parse(text)).toMatchObject({
        errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
      expect(text).not.toMatch(/sessions_away|relation|stack|node_modules|originalError/);
    } finally {
      process.env['NODE_ENV'] = nodeEnv;
      await t.pool.query('ALTER TABLE sessiongraph.sessions_away RENAME TO sessions');
    }
  });

  it('should refuse a request whose Host or target makes no URL with 400, not a 500 and a stack trace', async () => {
    const { port } = server.address() as AddressInfo;
    const send = (target: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(
          { host: '127.0.0.1', port, method: 'POST', path: target, setHost: false, headers: { host } },
          (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            response.on('end', () => resolve({ status: response.statusCode!, body }));
          },
        );
        request.on('error', reject);
        request.setHeader('content-type', 'application/json');
        request.end(JSON.stringify({ query: '{ __typename }' }));
      });
    for (const [target, host] of [
      ['/graphql', 'a b'],
      ['/graphql', '[::1'],
      ['http://elsewhere/graphql', `127.0.0.1:${port}`],
      ['*', `127.0.0.1:${port}`],
      // An empty Host: the adapter takes the socket's address and port instead.
      ['http://elsewhere/graphql', ''],
      ['*', ''],
    ] as const) {
      const { status, body } = await send(target, host);
      expect(status).toBe(400);
      expect(JSON.parse(body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
      expect(body).not.toMatch(/at |node_modules|TypeError/);
    }
    expect((await send('/graphql', `127.0.0.1:${port}`)).body).toBe('{"data":{"__typename":"Query"}}');
    expect((await send('/graphql', '')).body).toBe('{"data":{"__typename":"Query"}}');
  });

  const create = (key: string | null, userId = '1', data: Record<string, unknown> = { n: 1 }) =>
    graphql(
      {
        query: `mutation Create($input: CreateSessionInput!) {
          createSession(input: $input) { __typename ... on CreateSessionPayload { sessionKey session { id data version } } }
        }`,
        variables: { input: { userId, data } },
      },
      key ? { 'idempotency-key': key } : {},
    ).then(
      (response) =>
        response.json() as Promise<{
          data?: { createSession: { sessionKey: string; session: { id: string } } };
          errors?: { message: string; extensions: { code: string } }[];
        }>,
    );

  it('should apply a mutation once per Idempotency-Key and give a retry the first answer, key included', async () => {
    const before = Number((await t.pool.query('SELECT count(*) FROM sessiongraph.sessions')).rows[0]!.count);
    const first = await create('retry-0001-aaaa');
    const again = await create('retry-0001-aaaa');
    expect(again).toEqual(first);
    expect(first.data!.createSession.sessionKey).toMatch(/\S{20,}/);
    const after = Number((await t.pool.query('SELECT count(*) FROM sessiongraph.sessions')).rows[0]!.count);
    expect(after).toBe(before + 1);
    // Without a key, the same request is new work.
    await create(null);
    expect(Number((await t.pool.query('SELECT count(*) FROM sessiongraph.sessions')).rows[0]!.count)).toBe(
      before + 2,
    );
    // Neither the key nor the session key is stored in clear.
    const stored = await t.pool.query<{ dump: string }>(
      `SELECT encode(key_hash, 'hex') || encode(result, 'escape') AS dump FROM sessiongraph.idempotency`,
    );
    for (const row of stored.rows) {
      expect(row.dump).not.toContain('retry-0001-aaaa');
      expect(row.dump).not.toContain(first.data!.createSession.sessionKey);
    }
  });

  it('should refuse an Idempotency-Key on a batch of several operations, which would each count their steps from one, not on a batch of one', async () => {
    const count = async () =>
      Number((await t.pool.query('SELECT count(*) FROM sessiongraph.sessions')).rows[0]!.count);
    const before = await count();
    const operation = {
      query: `mutation Create($input: CreateSessionInput!) {
        createSession(input: $input) { __typename ... on CreateSessionPayload { session { id } } } }`,
      variables: { input: { userId: '1', data: { n: 1 } } },
    };
    const response = await graphql([operation, operation], { 'idempotency-key': 'batch-0001-eeee' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(await count()).toBe(before);
    // Without a key the batch is two operations, as ever.
    const plain = (await (await graphql([operation, operation])).json()) as unknown[];
    expect(plain).toHaveLength(2);
    expect(await count()).toBe(before + 2);
    // A batch of one is one operation: its key works as on a plain request, a retry getting the first answer.
    const single = async () =>
      (await (await graphql([operation], { 'idempotency-key': 'batch-0002-ffff' })).json()) as {
        data: { createSession: { __typename: string; session: { id: string } } };
      }[];
    const first = await single();
    expect(first[0]!.data.createSession.__typename).toBe('CreateSessionPayload');
    expect(await single()).toEqual(first);
    expect(await count()).toBe(before + 3);
  });

  it('should refuse an Idempotency-Key reused for a different request, and a malformed one', async () => {
    await create('reuse-0001-bbbb', '1', { n: 1 });
    const other = await create('reuse-0001-bbbb', '1', { n: 2 });
    expect(other.errors?.[0]?.extensions.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const malformed = await create('short');
    expect(malformed.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('should keep concurrent retries of one key to one session', async () => {
    const before = Number((await t.pool.query('SELECT count(*) FROM sessiongraph.sessions')).rows[0]!.count);
    const answers = await Promise.all(Array.from({ length: 8 }, () => create('race-0001-cccc')));
    const ids = new Set(answers.map((answer) => answer.data?.createSession.session.id));
    expect(ids.size).toBe(1);
    expect(Number((await t.pool.query('SELECT count(*) FROM sessiongraph.sessions')).rows[0]!.count)).toBe(
      before + 1,
    );
  });

  it('should scope keys to the caller: another token with the same key does its own work', async () => {
    const writer = await createToken(t.pool, 'writer', ['sessions:write', 'sessions:read'], null);
    const mine = await create('scoped-0001-dddd');
    const theirs = (await (
      await graphql(
        {
          query: `mutation { createSession(input: { userId: "1", data: { n: 1 } }) { ... on CreateSessionPayload { session { id } } } }`,
        },
        { authorization: `Bearer ${writer.token}`, 'idempotency-key': 'scoped-0001-dddd' },
      )
    ).json()) as { data: { createSession: { session: { id: string } } } };
    expect(theirs.data.createSession.session.id).not.toBe(mine.data!.createSession.session.id);
  });
});
