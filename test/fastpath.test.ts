import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { globalId } from '../src/fastpath/json-sql.ts';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { createHttpFront } from '../src/ops/http.ts';
import { createGraphql } from '../src/yoga.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { DJANGO_SESSION_TABLE, nativeSession } from './helpers/seed.ts';

/**
 * The compiled path answers exactly what GraphQL execution answers: every document below goes to a server
 * with the compiled path and to one without, as several callers, and the two responses must be equal —
 * whether the compiled path answered or passed the request on.
 */

const SECRET = 'fastpath-test-secret';
const WEBPY_FIXTURES = JSON.parse(
  readFileSync(new URL('../src/codecs/fixtures/webpy/fixtures.json', import.meta.url), 'utf8'),
) as { cases: { name: string; stored: string }[] };
/** Newest first; the rich one holds NUL characters, which jsonb cannot, so its pages go the general way. */
const WEBPY_CASES = [
  'formats: python 2.7 protocol 0 with Storage and unicode',
  'py2 hand: datetime, date, time, timedelta, Decimal, set',
  'python3 protocol 4: small',
  'unsafe protocol 2: os.system via REDUCE',
  'web.py DBStore on sqlite: rich',
];
const SESSION_FIELDS =
  'id store status problem data userId createdAt expiresAt lastSeenAt version ip userAgent decodeNote';

describe('compiled reads', () => {
  let t: TestApp;
  let compiled: Server;
  let compiledWithoutSql: Server;
  let general: Server;
  const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const tokens: Record<string, string> = {};
  let cookie = '';
  let key = '';
  let cursor = '';
  let djangoCursor = '';
  let sessionIds: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      setup: async (pool) => {
        await pool.query(DJANGO_SESSION_TABLE);
        await pool.query(
          'CREATE TABLE sessions (session_id char(128) UNIQUE NOT NULL, atime timestamp NOT NULL, data text)',
        );
      },
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, passwordColumn: 'password_hash' },
          { kind: 'webpy', name: 'webpy', timeoutSeconds: 3600 },
        ],
        limits: { perTokenPerMinute: 100_000, perIpPerMinute: 100_000 },
      },
    });
    const now = Date.now();
    for (let i = 0; i < 12; i += 1) {
      const seeded = await nativeSession(t.pool, {
        userId: i % 4 === 3 ? null : 1 + (i % 3),
        data: { i, nested: { list: [i, 'x'] }, text: 'é"\\' },
        createdAt: new Date(now - i * 60_000),
        expiresAt: new Date(now + (i % 5 === 4 ? -1 : 1) * 3_600_000),
      });
      sessionIds.push(seeded.id);
      if (i === 0) {
        cookie = `sg_session=${seeded.key}`;
        key = seeded.key;
      }
    }
    const codec = createDjangoCodec({ secretKey: SECRET });
    const legacy = createDjangoCodec({ secretKey: SECRET, writeLegacy: true });
    // Django pages: keys in Django's order (not jsonb's), a user id "02" that names user 2, one that names
    // nobody, expired and anonymous sessions, a tampered row, a legacy-format row (a decode note), data
    // jsonb cannot hold (a lone surrogate) and a large compressed payload.
    const django: [string, string, number][] = [
      ['d01', codec.encode({ _auth_user_id: '2', cart: [1] }, new Date()), 1],
      ['d02', 'tampered:1x:y', 2],
      [
        'd03',
        codec.encode({ zeta: 1, alpha: { b: 2, a: [1.5, 'é"\\'] }, _auth_user_id: '02' }, new Date()),
        3,
      ],
      ['d04', codec.encode({ _auth_user_id: 'abc', n: null }, new Date()), -4],
      ['d05', codec.encode({ anonymous: true, s: '\u00e9\ud83d\ude00<>&\u2028' }, new Date()), 5],
      ['d06', legacy.encode({ _auth_user_id: '1', old: 'yes' }, new Date()), 6],
      ['d07', codec.encode({ _auth_user_id: '3', bad: 'x\ud800y' }, new Date()), -7],
      ['d08', codec.encode({ _auth_user_id: '1', big: 'lorem ipsum '.repeat(400) }, new Date()), -8],
      ['d09', codec.encode({ _auth_user_id: '999' }, new Date()), 9],
    ];
    await t.pool.query(
      `INSERT INTO django_session
         SELECT 'd' || lpad(substr(k, 2), 31, '0'), v, now() + make_interval(hours => h)
           FROM unnest($1::text[], $2::text[], $3::int[]) AS r(k, v, h)`,
      [django.map(([k]) => k), django.map(([, v]) => v), django.map(([, , h]) => h)],
    );
    // web.py rows pickled by Python and web.py themselves: datetimes, sets, Storage, Python 2, an unsafe one.
    const webpy = WEBPY_CASES.map((name) => WEBPY_FIXTURES.cases.find((fixture) => fixture.name === name)!);
    await t.pool.query(
      `INSERT INTO sessions
         SELECT 'w' || lpad(i::text, 39, '0'), localtimestamp - make_interval(mins => i::int), d
           FROM unnest($1::text[]) WITH ORDINALITY AS r(d, i)`,
      [webpy.map((fixture) => fixture.stored)],
    );
    await t.sync();
    const { rows: projected } = await t.pool.query<{ sort_at: Date; ref: string }>(
      `SELECT sort_at, ref FROM sessiongraph.projection WHERE store = 'django' ORDER BY sort_at DESC, ref DESC`,
    );
    djangoCursor = Buffer.from(
      JSON.stringify(['django', projected[2]!.sort_at.toISOString(), projected[2]!.ref]),
    ).toString('base64url');
    const { rows } = await t.pool.query<{ id: string; created_at: Date }>(
      'SELECT id::text, created_at FROM sessiongraph.sessions ORDER BY created_at DESC',
    );
    sessionIds = rows.map((row) => Buffer.from(`Session:native:${row.id}`).toString('base64'));
    cursor = Buffer.from(JSON.stringify(['native', rows[2]!.created_at.toISOString(), rows[2]!.id])).toString(
      'base64url',
    );
    // Values whose printing differs between JSON.stringify and PostgreSQL, and a timestamp JavaScript cannot print.
    await t.pool.query(
      `UPDATE sessiongraph.sessions SET data = data || '{"big": 12345678901234567890, "f": 1.50, "e": 1e-7, "s": "\u00e9\ud83d\ude00<>&\u2028"}'
        WHERE id = $1`,
      [rows[5]!.id],
    );
    await t.pool.query(`UPDATE sessiongraph.sessions SET last_seen_at = '10000-01-01' WHERE id = $1`, [
      rows[6]!.id,
    ]);
    tokens['admin'] = t.adminToken;
    tokens['sessionsOnly'] = (await createToken(t.pool, 'sessions-only', ['sessions:read'], null)).token;
    tokens['usersOnly'] = (await createToken(t.pool, 'users-only', ['users:read'], null)).token;

    const withCompiled = createGraphql(t.app);
    compiled = createServer(
      createHttpFront(t.app, withCompiled.yoga, t.app.metrics, withCompiled.fast).handle,
    );
    const withoutSql = createGraphql(t.app, { direct: false });
    compiledWithoutSql = createServer(
      createHttpFront(t.app, withoutSql.yoga, t.app.metrics, withoutSql.fast).handle,
    );
    general = createServer(createHttpFront(t.app, createGraphql(t.app).yoga, t.app.metrics).handle);
    for (const server of [compiled, compiledWithoutSql, general]) server.listen(0, '127.0.0.1');
    await Promise.all([compiled, compiledWithoutSql, general].map((server) => once(server, 'listening')));
  });
  afterAll(async () => {
    compiled?.close();
    compiledWithoutSql?.close();
    general?.close();
    await t.close();
  });

  const post = async (server: Server, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(url(server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as unknown,
    };
  };

  const documents = (): [string, unknown][] => [
    [
      'by id, W2',
      {
        query: `query W2($id: ID!) { session(id: $id) { id createdAt expiresAt data user { id username email } } }`,
        variables: { id: sessionIds[1] },
      },
    ],
    [
      'every field, aliases, typename',
      {
        query: `query All($id: ID!) { s: session(id: $id) { __typename ${SESSION_FIELDS} owner: user { __typename id rowId username email fullName isStaff } } }`,
        variables: { id: sessionIds[2] },
      },
    ],
    ['anonymous session', { query: `{ session(id: "${sessionIds[3]}") { id userId user { username } } }` }],
    ['expired session', { query: `{ session(id: "${sessionIds[4]}") { status expiresAt } }` }],
    ['numbers and unicode in data', { query: `{ session(id: "${sessionIds[5]}") { data } }` }],
    [
      'a year JavaScript prints differently',
      { query: `{ session(id: "${sessionIds[6]}") { id lastSeenAt } }` },
    ],
    [
      'a user timestamp',
      { query: `{ session(id: "${sessionIds[1]}") { user { dateJoined fullName isStaff rowId } } }` },
    ],
    [
      'page after a cursor, every field',
      {
        query: `query ($after: String) { sessions(first: 3, after: $after) { pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { ${SESSION_FIELDS} user { id dateJoined } } } } }`,
        variables: { after: cursor },
      },
    ],
    [
      'expired page, pageInfo first',
      {
        query:
          '{ sessions(store: "native", status: EXPIRED, first: 10) { pageInfo { endCursor } edges { node { status expiresAt } } } }',
      },
    ],
    ['page too large', { query: '{ sessions(first: 100000) { edges { node { id } } } }' }],
    [
      'page of invalid sessions',
      { query: '{ sessions(status: INVALID, first: 3) { edges { node { id } } } }' },
    ],
    ['page of an unknown user', { query: '{ sessions(userId: "abc", first: 3) { edges { node { id } } } }' }],
    [
      'unknown id',
      {
        query: `{ session(id: "${Buffer.from('Session:native:00000000-0000-0000-0000-000000000000').toString('base64')}") { id } }`,
      },
    ],
    ['garbage id', { query: '{ session(id: "nope") { id } }' }],
    [
      'page, W1',
      {
        query:
          '{ sessions(status: ACTIVE, first: 5) { edges { node { id createdAt expiresAt data user { id username email } } } } }',
      },
    ],
    // The edges are written around the rest of the response; these have none, or print them twice.
    ['page, pageInfo only', { query: '{ sessions(first: 3) { pageInfo { hasNextPage endCursor } } }' }],
    // Neither edges nor pageInfo: the general way reads no page, and the compiled path passes these on.
    ['page, typename only', { query: '{ sessions(first: 3) { __typename } }' }],
    ['page, typename only, too large', { query: '{ sessions(first: 100000) { __typename } }' }],
    [
      'page, edges twice',
      {
        query:
          '{ sessions(first: 3) { a: edges { node { id } } pageInfo { hasNextPage } b: edges { node { id } } } }',
      },
    ],
    [
      'page with cursors',
      {
        query:
          '{ sessions(first: 4) { __typename edges { __typename cursor node { id } } pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } } }',
      },
    ],
    [
      'page of a user',
      {
        query: 'query ($u: ID) { sessions(userId: $u, first: 50) { edges { node { id userId } } } }',
        variables: { u: '2' },
      },
    ],
    [
      'page, empty',
      { query: '{ sessions(first: 0) { edges { node { id } } pageInfo { hasNextPage endCursor } } }' },
    ],
    ['page, bad cursor', { query: '{ sessions(first: 2, after: "garbage") { edges { node { id } } } }' }],
    ['page, unknown store', { query: '{ sessions(store: "nope", first: 2) { edges { node { id } } } }' }],
    [
      'django page with users',
      {
        query:
          '{ sessions(store: "django", first: 5) { edges { node { id status problem data userId user { username } } } } }',
      },
    ],
    [
      'django page, W5',
      {
        query:
          '{ sessions(store: "django", status: ACTIVE, first: 50) { edges { node { id createdAt expiresAt data user { id username email } } } } }',
      },
    ],
    [
      'django page after a cursor, every field',
      {
        query: `query ($after: String) { sessions(store: "django", first: 3, after: $after) { pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { ${SESSION_FIELDS} user { id dateJoined } } } } }`,
        variables: { after: djangoCursor },
      },
    ],
    [
      'django pages by status',
      {
        query:
          '{ a: sessions(store: "django", status: EXPIRED, first: 5) { edges { node { id status data } } } }',
      },
    ],
    [
      'django invalid page',
      {
        query: `{ sessions(store: "django", status: INVALID, first: 5) { edges { cursor node { ${SESSION_FIELDS} } } } }`,
      },
    ],
    [
      'django page of a user, cursors',
      {
        query:
          'query ($u: ID) { sessions(store: "django", userId: $u, first: 1) { edges { cursor node { id userId data } } pageInfo { hasNextPage endCursor } } }',
        variables: { u: '2' },
      },
    ],
    [
      'django page, every field',
      {
        query: `{ sessions(store: "django", first: 20) { edges { node { ${SESSION_FIELDS} user { username } } } } }`,
      },
    ],
    [
      'django page, a bad cursor',
      { query: `{ sessions(store: "django", first: 2, after: "${cursor}") { edges { node { id } } } }` },
    ],
    [
      'web.py page, every field',
      { query: `{ sessions(store: "webpy", first: 10) { edges { cursor node { ${SESSION_FIELDS} } } } }` },
    ],
    [
      'web.py live page',
      {
        query: '{ sessions(store: "webpy", status: ACTIVE, first: 3) { edges { node { id data userId } } } }',
      },
    ],
    ['current session', { query: '{ currentSession { id data user { id username email } } }' }],
    [
      "a user's sessions, W6",
      {
        query:
          'query W6($id: ID!, $store: String!) { user(id: $id) { id username sessions(store: $store, first: 100) { edges { node { id createdAt expiresAt data } } } } }',
        variables: { id: '2', store: 'native' },
      },
    ],
    [
      "a user's django sessions by node id, every field, pageInfo",
      {
        query: `query ($id: ID!) { u: user(id: $id) { __typename rowId s: sessions(store: "django", first: 1) { __typename pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${SESSION_FIELDS} user { username } } } } email isStaff dateJoined } }`,
        variables: { id: Buffer.from('User:2').toString('base64') },
      },
    ],
    [
      "a user's live sessions after a cursor",
      {
        query:
          'query ($after: String) { user(id: "1") { sessions(status: ACTIVE, first: 2, after: $after) { edges { cursor node { id status } } pageInfo { hasNextPage } } } }',
        variables: { after: cursor },
      },
    ],
    [
      "a user's sessions, none",
      { query: '{ user(id: "3") { username sessions(store: "webpy") { edges { node { id } } } } }' },
    ],
    ['a missing user', { query: '{ user(id: "999999") { username sessions { edges { node { id } } } } }' }],
    ["a user's sessions, typename only", { query: '{ user(id: "1") { username sessions { __typename } } }' }],
    ['a user, no sessions field', { query: '{ user(id: "1") { username } }' }],
    [
      'a user, two pages (not covered)',
      {
        query:
          '{ user(id: "1") { a: sessions(first: 1) { edges { node { id } } } b: sessions { edges { node { id } } } } }',
      },
    ],
    [
      'fragment (not covered)',
      { query: '{ sessions(first: 2) { edges { node { ...F } } } } fragment F on Session { id }' },
    ],
    ['count (not covered)', { query: '{ sessions(first: 2) { totalCount edges { node { id } } } }' }],
    ['invalid document', { query: '{ session(id: 1) { nope } }' }],
    ['syntax error', { query: '{ session(' }],
    ['missing variable', { query: 'query ($id: ID!) { session(id: $id) { id } }' }],
    ['wrong operation name', { query: 'query A { currentSession { id } }', operationName: 'B' }],
  ];

  const callers = (): [string, Record<string, string>][] => [
    ['admin token', { authorization: `Bearer ${tokens['admin']}` }],
    ['sessions:read only', { authorization: `Bearer ${tokens['sessionsOnly']}` }],
    ['users:read only', { authorization: `Bearer ${tokens['usersOnly']}` }],
    ['browser cookie', { cookie, 'x-graphql-csrf': '1' }],
    ['browser key header', { 'x-session-key': key, 'x-graphql-csrf': '1' }],
    [
      'browser with a stale cookie',
      { cookie: 'sg_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x-graphql-csrf': '1' },
    ],
    ['nobody', {}],
    ['bad token', { authorization: 'Bearer sg_nope' }],
    ['a browser page (Origin)', { authorization: `Bearer ${tokens['admin']}`, origin: 'http://127.0.0.1' }],
    [
      'graphql-response+json',
      { authorization: `Bearer ${tokens['admin']}`, accept: 'application/graphql-response+json' },
    ],
  ];

  const outcomes = async () =>
    Object.fromEntries(
      (await t.app.metrics.compiled.get()).values.map((v) => [String(v.labels.outcome), v.value]),
    );

  it('should answer every document, for every caller, exactly as GraphQL execution does', async () => {
    const before = await outcomes();
    for (const [name, body] of documents()) {
      for (const [who, headers] of callers()) {
        const viaGeneral = await post(general, body, headers);
        expect(await post(compiled, body, headers), `${name} as ${who}`).toEqual(viaGeneral);
        expect(await post(compiledWithoutSql, body, headers), `${name} as ${who}, no SQL JSON`).toEqual(
          viaGeneral,
        );
      }
    }
    const after = await outcomes();
    const delta = (outcome: string) => (after[outcome] ?? 0) - (before[outcome] ?? 0);
    // The covered documents were answered on the compiled path, not all passed on; native reads by SQL.
    expect(delta('answered')).toBeGreaterThanOrEqual(10);
    expect(delta('sql')).toBeGreaterThanOrEqual(10);
    expect(delta('sql_error')).toBe(0);
  });

  it('should refuse, as GraphQL over HTTP does, the requests around a covered document that Yoga refuses', async () => {
    const raw = async (server: Server, body: string, type: string) => {
      const response = await fetch(url(server), {
        method: 'POST',
        headers: { 'content-type': type, authorization: `Bearer ${tokens['admin']}` },
        body,
      });
      return { status: response.status, body: await response.text() };
    };
    const document = '{ currentSession { id } }';
    const requests: [string, string, string][] = [
      ['an unknown body parameter', JSON.stringify({ query: document, extra: 1 }), 'application/json'],
      ['extensions not an object', JSON.stringify({ query: document, extensions: 'x' }), 'application/json'],
      ['extensions an array', JSON.stringify({ query: document, extensions: [] }), 'application/json'],
      ['an empty operation name', JSON.stringify({ query: document, operationName: '' }), 'application/json'],
      ['a content type that only starts so', JSON.stringify({ query: document }), 'application/jsonx'],
    ];
    for (const [name, body, type] of requests) {
      const viaGeneral = await raw(general, body, type);
      expect(viaGeneral.status, name).toBeGreaterThanOrEqual(400);
      expect(await raw(compiled, body, type), name).toEqual(viaGeneral);
    }
    // Answered alike once the plan for the anonymous operation is cached, under any operation name.
    const plain = JSON.stringify({ query: document });
    expect(await raw(compiled, plain, 'application/json')).toEqual(
      await raw(general, plain, 'application/json'),
    );
    const named = JSON.stringify({ query: document, operationName: '' });
    expect(await raw(compiled, named, 'application/json')).toEqual(
      await raw(general, named, 'application/json'),
    );
    // Still answered: parameters Yoga takes (null ones, an extensions object), a charset, a list of types.
    for (const [body, type] of [
      [JSON.stringify({ query: document, variables: null, extensions: {}, other: null }), 'application/json'],
      [plain, 'application/json; charset=utf-8'],
      [plain, 'application/json, text/plain'],
    ] as const) {
      expect(await raw(compiled, body, type)).toEqual(await raw(general, body, type));
    }
  });

  it('should answer the plain reads in one statement, with no GraphQL execution in between', async () => {
    t.statements.length = 0;
    const result = await post(
      compiled,
      {
        query: `query W2($id: ID!) { session(id: $id) { id user { username } } }`,
        variables: { id: sessionIds[0] },
      },
      { authorization: `Bearer ${tokens['admin']}` },
    );
    expect(result.status).toBe(200);
    expect(
      t.statements
        .filter((text) => !text.includes('findTokenByHash'))
        .map((text) => /\/\* ([a-z]+)_?\w* \*\//i.exec(text)?.[1]),
    ).toEqual(['compiled']);
  });

  it("should answer a user's page and the user in one statement, native or projected", async () => {
    for (const store of ['native', 'django']) {
      t.statements.length = 0;
      const result = await post(
        compiled,
        {
          query: `{ user(id: "2") { username sessions(store: "${store}", first: 5) { edges { node { id data } } } } }`,
        },
        { authorization: `Bearer ${tokens['admin']}` },
      );
      expect(result.body).toMatchObject({
        data: {
          user: {
            username: expect.any(String),
            sessions: { edges: expect.arrayContaining([expect.anything()]) },
          },
        },
      });
      expect(
        t.statements
          .filter((text) => !text.includes('findTokenByHash'))
          .map((text) => /\/\* ([a-z]+)_?\w* \*\//i.exec(text)?.[1]),
        store,
      ).toEqual(['compiled']);
    }
  });

  it('should print framework pages from the projection, and read the blobs while a change is queued', async () => {
    const admin = { authorization: `Bearer ${tokens['admin']}` };
    const w5 = {
      query:
        '{ sessions(store: "django", status: ACTIVE, first: 50) { edges { node { id status data userId user { username } } } } }',
    };
    const answer = async () => {
      t.statements.length = 0;
      const compiledAnswer = await post(compiled, w5, admin);
      const routes = t.statements
        .filter((text) => !text.includes('findTokenByHash'))
        .map((text) => /\/\* ([a-z]+)\w* \*\//i.exec(text)?.[1]);
      expect(compiledAnswer).toEqual(await post(general, w5, admin));
      return { body: compiledAnswer.body, routes };
    };
    const dataOf = (body: unknown, userId: string) =>
      (
        body as { data: { sessions: { edges: { node: { userId: string; data: unknown } }[] } } }
      ).data.sessions.edges.find((edge) => edge.node.userId === userId)?.node.data;

    // Projected and current: one statement, and Django's key order kept.
    const first = await answer();
    expect(first.routes).toEqual(['compiled']);
    expect(JSON.stringify(dataOf(first.body, '02'))).toBe(
      '{"zeta":1,"alpha":{"b":2,"a":[1.5,"é\\"\\\\"]},"_auth_user_id":"02"}',
    );

    // web.py's pickles (datetimes, sets, Storage, Python 2 bytes) print from the projection too; the
    // look-ahead row, which jsonb could not hold, is not printed and does not stand in the way.
    const webpyPage = {
      query: '{ sessions(store: "webpy", status: ACTIVE, first: 3) { edges { node { id data } } } }',
    };
    t.statements.length = 0;
    const webpyAnswer = await post(compiled, webpyPage, admin);
    expect(t.statements.filter((text) => !text.includes('findTokenByHash'))).toHaveLength(1);
    expect(webpyAnswer).toEqual(await post(general, webpyPage, admin));

    // Django writes a row itself: until the sync worker applies the change, pages with that row read the
    // blobs; pages without it are still printed from the projection.
    const codec = createDjangoCodec({ secretKey: SECRET });
    await t.pool.query(`UPDATE django_session SET session_data = $1 WHERE session_key = $2`, [
      codec.encode({ _auth_user_id: 'abc', n: 2 }, new Date()),
      'd0000000000000000000000000000004',
    ]);
    expect((await answer()).routes).toEqual(['compiled']);
    await t.pool.query(`UPDATE django_session SET session_data = $1 WHERE session_key = $2`, [
      codec.encode({ _auth_user_id: '02', changed: true }, new Date()),
      'd0000000000000000000000000000003',
    ]);
    const queued = await answer();
    expect(queued.routes[0]).toBe('compiled');
    expect(queued.routes.length).toBeGreaterThan(1);
    expect(dataOf(queued.body, '02')).toEqual({ _auth_user_id: '02', changed: true });
    await t.sync();
    const synced = await answer();
    expect(synced.routes).toEqual(['compiled']);
    expect(dataOf(synced.body, '02')).toEqual({ _auth_user_id: '02', changed: true });

    // A TRUNCATE not yet applied: no page of the store is printed from the projection.
    await t.pool.query(`INSERT INTO sessiongraph.changes (store, session_key) VALUES ('django', '')`);
    expect((await answer()).routes.length).toBeGreaterThan(1);
    await t.sync();
    expect((await answer()).routes).toEqual(['compiled']);

    // A row projected before the printed columns existed: the general way until verify brings it up to date.
    await t.pool.query(
      `UPDATE sessiongraph.projection SET data_json = NULL, user_text = NULL WHERE store = 'django' AND session_key = $1`,
      ['d0000000000000000000000000000001'],
    );
    expect((await answer()).routes.length).toBeGreaterThan(1);
    const report = await t.app.projector.verify(t.pool, t.app.frameworkStores.get('django')!);
    expect(report).toMatchObject({ stale: 1, missing: 0, orphaned: 0 });
    expect((await answer()).routes).toEqual(['compiled']);
  });

  it('should send a store’s pages the general way for a second after a run of declines', async () => {
    const admin = { authorization: `Bearer ${tokens['admin']}` };
    const page = {
      query: '{ sessions(store: "django", status: ACTIVE, first: 50) { edges { node { id data } } } }',
    };
    const compiledStatements = async () => {
      t.statements.length = 0;
      const answer = await post(compiled, page, admin);
      expect(answer).toEqual(await post(general, page, admin));
      return t.statements.filter((text) => text.includes('/* compiled_')).length;
    };
    // A row of the page waits in the change queue: every attempt declines.
    await t.pool.query(`UPDATE django_session SET session_data = session_data WHERE session_key = $1`, [
      'd0000000000000000000000000000001',
    ]);
    const start = Date.now();
    t.setNow(new Date(start));
    try {
      for (let attempt = 0; attempt < 8; attempt += 1) expect(await compiledStatements()).toBe(1);
      // Resting: no statement spent on this route.
      expect(await compiledStatements()).toBe(0);
      await t.sync();
      expect(await compiledStatements()).toBe(0);
      // A second later it tries again, and prints the page.
      t.setNow(new Date(start + 1001));
      t.statements.length = 0;
      await post(compiled, page, admin);
      expect(t.statements.filter((text) => !text.includes('findTokenByHash')).length).toBe(1);
    } finally {
      t.setNow(null);
    }
  });

  it('should print global ids in SQL as Pothos does, for every prefix length and key type', async () => {
    const keys: Array<[string, string]> = [
      ['uuid', '0b7f4c8e-1d2a-4c3b-9e8f-7a6b5c4d3e2f'],
      ['integer', '-2147483648'],
      ['bigint', '9223372036854775807'],
      ['text', `a long text key with a quote ' and a backslash \\ and ünïcödé ${'x'.repeat(80)}`],
    ];
    for (const prefix of ['User:', 'Session:a:', 'Session:ab:', 'Session:native:', 'Sessión:ü:']) {
      for (const [type, key] of keys) {
        const { rows } = await t.pool.query<{ id: string }>(
          `SELECT ${globalId(prefix, '$1::text', type)} AS id`,
          [key],
        );
        const [typename, ...rest] = prefix.split(':');
        expect(rows[0]!.id, `${prefix} ${type}`).toBe(encodeGlobalID(typename!, rest.join(':') + key));
      }
    }
  });
});
