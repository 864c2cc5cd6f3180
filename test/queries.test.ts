import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSessionId } from '../src/sessions/ids.ts';
import { graphql } from './gql/index.ts';
import type { SessionsPageQuery, SessionsPageQueryVariables } from './gql/graphql.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession, type SeededSession, userIdNamed } from './helpers/seed.ts';

const SessionsPage = graphql(`
  query SessionsPage($userId: ID, $status: SessionStatus, $first: Int, $after: String) {
    sessions(userId: $userId, status: $status, first: $first, after: $after) {
      edges { cursor node { id store status data userId createdAt expiresAt version user { rowId username } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
`);

const SessionById = graphql(`
  query SessionById($id: ID!) {
    session(id: $id) { id status data dataTypes user { username email } }
  }
`);

const NodeById = graphql(`
  query NodeById($id: ID!) {
    node(id: $id) { __typename id ... on Session { store data } ... on User { username } }
  }
`);

const CurrentSession = graphql(`
  query CurrentSession {
    currentSession { id status data lastSeenAt user { username } }
  }
`);

const UserById = graphql(`
  query UserById($id: ID!) {
    user(id: $id) { id rowId username email fullName isStaff dateJoined sessions(status: ACTIVE) { edges { node { id } } } }
  }
`);

describe('queries', () => {
  let t: TestApp;
  let ada: string;
  let grace: string;
  const seeded: SeededSession[] = [];
  let expired: SeededSession;
  const base = Date.now();

  beforeAll(async () => {
    t = await startTestApp();
    ada = await userIdNamed(t.pool, 'ada');
    grace = await userIdNamed(t.pool, 'grace');
    for (let index = 0; index < 7; index += 1) {
      seeded.push(
        await nativeSession(t.pool, {
          userId: index % 2 === 0 ? Number(ada) : Number(grace),
          data: { n: index, name: 'Zoë' },
          createdAt: new Date(base - (7 - index) * 60_000),
        }),
      );
    }
    expired = await nativeSession(t.pool, {
      userId: Number(ada),
      data: { old: true },
      createdAt: new Date(base - 3600_000),
      expiresAt: new Date(base - 1000),
    });
  });
  afterAll(() => t.close());

  it('should list sessions newest first, each with its user', async () => {
    const result = await t.graphql(SessionsPage, { first: 3 });
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.sessions.edges.map((edge) => edge.node);
    expect(nodes.map((node) => node.data['n'])).toEqual([6, 5, 4]);
    expect(nodes[0]).toMatchObject({ store: 'native', status: 'ACTIVE', userId: ada, version: 1 });
    expect(nodes[0]!.user).toEqual({ rowId: ada, username: 'ada' });
    expect(nodes[1]!.user).toEqual({ rowId: grace, username: 'grace' });
    expect(result.data!.sessions.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
  });

  it('should page with keyset cursors until the end without repeats or gaps', async () => {
    const seen: unknown[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard += 1) {
      const variables: SessionsPageQueryVariables = { first: 3, after };
      const result: { data?: SessionsPageQuery } = await t.graphql(SessionsPage, variables);
      const page = result.data!.sessions;
      seen.push(...page.edges.map((edge) => edge.node.data['n'] ?? 'old'));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0, 'old']);
  });

  it('should filter by status and by user', async () => {
    const active = await t.graphql(SessionsPage, { status: 'ACTIVE', first: 50 });
    expect(active.data!.sessions.edges).toHaveLength(7);
    const expiredOnly = await t.graphql(SessionsPage, { status: 'EXPIRED' });
    expect(expiredOnly.data!.sessions.edges.map((edge) => edge.node.id)).toEqual([expired.id]);
    expect(expiredOnly.data!.sessions.edges[0]!.node.status).toBe('EXPIRED');
    const graces = await t.graphql(SessionsPage, { userId: grace });
    expect(graces.data!.sessions.edges.map((edge) => edge.node.data['n'])).toEqual([5, 3, 1]);
    const invalid = await t.graphql(SessionsPage, { status: 'INVALID' });
    expect(invalid.data!.sessions.edges).toEqual([]);
    const nobody = await t.graphql(SessionsPage, { userId: 'not-a-number' });
    expect(nobody.data!.sessions.edges).toEqual([]);
  });

  it('should refuse a page larger than the cap and a cursor it did not make, with BAD_USER_INPUT', async () => {
    const tooBig = await t.graphql(SessionsPage, { first: 101 });
    expect(tooBig.errors?.[0]).toMatchObject({
      message: '`first` must be at most 100',
      extensions: { code: 'BAD_USER_INPUT', argument: 'first' },
    });
    const forged = await t.graphql(SessionsPage, { after: 'bm90IGEgY3Vyc29y' });
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('should fetch one session by id, and through node(id)', async () => {
    const byId = await t.graphql(SessionById, { id: seeded[0]!.id });
    expect(byId.data!.session).toEqual({
      id: seeded[0]!.id,
      status: 'ACTIVE',
      data: { n: 0, name: 'Zoë' },
      // JSON stores: data says every type itself.
      dataTypes: null,
      user: { username: 'ada', email: 'ada@example.com' },
    });
    const node = await t.graphql(NodeById, { id: seeded[1]!.id });
    expect(node.data!.node).toMatchObject({
      __typename: 'Session',
      store: 'native',
      data: { n: 1, name: 'Zoë' },
    });
  });

  it('should answer null, not an error, for unknown, forged and foreign ids', async () => {
    for (const id of [
      encodeSessionId({ store: 'native', ref: '00000000-0000-0000-0000-000000000000' }),
      encodeSessionId({ store: 'native', ref: "'; DROP TABLE users; --" }),
      encodeSessionId({ store: 'nowhere', ref: seeded[0]!.rowId }),
      'garbage',
      Buffer.from('User:1').toString('base64'),
    ]) {
      const result = await t.graphql(SessionById, { id });
      expect(result).toEqual({ data: { session: null } });
    }
  });

  it('should not derive the session key from the session id', async () => {
    const session = seeded[0]!;
    const decodedId = Buffer.from(session.id, 'base64').toString('utf8');
    expect(decodedId).not.toContain(session.key);
    const page = await t.graphql(SessionsPage, { first: 50 });
    expect(JSON.stringify(page)).not.toContain(session.key);
  });

  it('should find the caller’s own session by cookie or X-Session-Key header', async () => {
    const mine = seeded[2]!;
    const byCookie = await t.graphql(CurrentSession, undefined, {
      cookie: `other=1; sg_session=${mine.key}`,
    });
    expect(byCookie.data!.currentSession).toMatchObject({
      id: mine.id,
      status: 'ACTIVE',
      user: { username: 'ada' },
    });
    expect(byCookie.data!.currentSession!.lastSeenAt).not.toBeNull();
    const byHeader = await t.graphql(CurrentSession, undefined, { 'x-session-key': mine.key });
    expect(byHeader.data!.currentSession!.id).toBe(mine.id);
  });

  it('should give null for unknown, expired and malformed keys alike', async () => {
    for (const headers of [
      {},
      { 'x-session-key': 'A'.repeat(43) },
      { 'x-session-key': expired.key },
      { 'x-session-key': 'short' },
      { 'x-session-key': 'x'.repeat(5000) },
      { cookie: 'sg_session=%zz' },
    ]) {
      const result = await t.graphql(CurrentSession, undefined, headers as Record<string, string>);
      expect(result).toEqual({ data: { currentSession: null } });
    }
  });

  it('should expose the configured user columns, never the password hash', async () => {
    const result = await t.graphql(UserById, { id: ada });
    const user = result.data!.user!;
    expect(user).toMatchObject({
      rowId: ada,
      username: 'ada',
      email: 'ada@example.com',
      fullName: 'Ada',
      isStaff: true,
    });
    expect(new Date(user.dateJoined!).getTime()).toBeGreaterThan(0);
    expect(user.sessions.edges).toHaveLength(4);
    const viaNodeId = await t.graphql(UserById, { id: user.id });
    expect(viaNodeId.data!.user!.rowId).toBe(ada);
    const missing = await t.graphql(UserById, { id: '999999' });
    expect(missing).toEqual({ data: { user: null } });
    const malformed = await t.graphql(UserById, { id: 'abc' });
    expect(malformed).toEqual({ data: { user: null } });
    const raw = await t.fetch({ query: `{ user(id: "${ada}") { passwordHash } }` });
    const body = (await raw.json()) as { errors: { message: string }[] };
    expect(body.errors[0]!.message).toBe('Cannot query field "passwordHash" on type "User".');
  });
});
