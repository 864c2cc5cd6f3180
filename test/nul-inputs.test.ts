import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';
import { graphqlUrl, listen } from './helpers/servers.ts';

/**
 * NUL characters, which PostgreSQL text and jsonb cannot hold, in whatever a client sends that reaches a
 * statement: each is answered as the client's mistake (a typed error, an empty page, no session), never as
 * "Unexpected error" from a failed statement.
 */

type Body = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; argument?: string } }[];
};

describe('NUL characters in requests', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      setup: async (pool) => {
        // connect-pg-simple's table and Flask-Session's, both read without a signing secret.
        await pool.query(
          'CREATE TABLE "session" (sid varchar NOT NULL PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)',
        );
        await pool.query(
          'CREATE TABLE sessions (id serial PRIMARY KEY, session_id varchar(255) UNIQUE, data bytea, expiry timestamp)',
        );
      },
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'express', name: 'express', table: 'session' },
          { kind: 'flask', name: 'flask' },
        ],
        fields: [{ name: 'role', path: 'role', type: 'String' }],
      },
    });
  });
  afterAll(() => t.close());

  const ask = async (query: string, variables: Record<string, unknown> = {}, headers = {}) =>
    (await (await t.fetch({ query, variables }, headers)).json()) as Body;

  it('should refuse NUL in filters and search with BAD_USER_INPUT naming the argument', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['query ($v: String) { sessions(first: 1, userAgent: $v) { edges { cursor } } }', {}, 'userAgent'],
      ['query ($v: String) { sessions(first: 1, where: { role: $v }) { edges { cursor } } }', {}, 'where'],
      ['query ($v: String) { users(first: 1, search: $v) { edges { cursor } } }', {}, 'search'],
    ];
    for (const [query, , argument] of cases) {
      const body = await ask(query, { v: 'a\u0000b' });
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      expect(body.errors![0]!.message).toMatch(/NUL/);
    }
  });

  it('should find no audit entries for an id holding NUL', async () => {
    for (const argument of ['sessionId', 'userId']) {
      const body = await ask(
        `query ($v: ID) { auditEvents(first: 1, ${argument}: $v) { edges { cursor } } }`,
        {
          v: 'a\u0000b',
        },
      );
      expect(body).toEqual({ data: { auditEvents: { edges: [] } } });
    }
  });

  it('should refuse a user agent holding NUL in createSession as InvalidInputError, and create nothing', async () => {
    const before = await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.sessions');
    const body = await ask(
      `mutation ($input: CreateSessionInput!) { createSession(input: $input) {
        __typename ... on InvalidInputError { field message } } }`,
      { input: { userAgent: 'curl\u0000' } },
    );
    expect(body).toEqual({
      data: {
        createSession: {
          __typename: 'InvalidInputError',
          field: 'userAgent',
          message: '`userAgent` must not contain NUL characters',
        },
      },
    });
    // The compiled path (which would write it in one statement) leaves it to the general way, which words it.
    const server = await listen(t);
    try {
      const response = await fetch(graphqlUrl(server), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
        body: JSON.stringify({
          query: `mutation ($input: CreateSessionInput!) { createSession(input: $input) {
            __typename ... on InvalidInputError { field message } } }`,
          variables: { input: { userAgent: 'curl\u0000' } },
        }),
      });
      expect(await response.json()).toEqual(body);
    } finally {
      server.close();
    }
    const after = await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.sessions');
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('should answer currentSession with null for a cookie whose value decodes to NUL, on every store', async () => {
    const own = await nativeSession(t.pool, { userId: 1, data: { mine: true } });
    for (const cookie of ['connect.sid=%00abc', 'session=ab%00c', 'sg_session=%00']) {
      const body = await ask(
        '{ currentSession { data } }',
        {},
        {
          authorization: '',
          cookie,
          'x-graphql-csrf': '1',
        },
      );
      expect(body).toEqual({ data: { currentSession: null } });
    }
    // A NUL-holding cookie of one store does not hide the session another store's cookie opens.
    const body = await ask(
      '{ currentSession { data } }',
      {},
      {
        authorization: '',
        cookie: `connect.sid=%00; sg_session=${own.key}`,
        'x-graphql-csrf': '1',
      },
    );
    expect(body).toEqual({ data: { currentSession: { data: { mine: true } } } });
  });
});
