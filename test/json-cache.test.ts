import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

/** The seed's home-made cache: `session_cache(sessionid, userdict, session_startutc, session_endutc)`. */
const createCacheTable = `
  CREATE TABLE session_cache (
    sessionid character varying NOT NULL PRIMARY KEY,
    userdict character varying NOT NULL,
    session_startutc timestamptz,
    session_endutc timestamptz
  )`;

const CacheSessions = graphql(`
  query CacheSessions($status: SessionStatus, $where: SessionWhere, $userId: ID) {
    sessions(store: "cache", status: $status, where: $where, userId: $userId, first: 50) {
      edges { node { id status problem data userId userRole user { username } createdAt expiresAt } }
    }
  }
`);

const CacheCurrent = graphql(`
  query CacheCurrent {
    currentSession { id store data user { username } }
  }
`);

const CacheCreate = graphql(`
  mutation CacheCreate($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { sessionKey session { id userId data expiresAt } }
      ... on Error { code message }
    }
  }
`);

const CacheUpdate = graphql(`
  mutation CacheUpdate($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { data expiresAt version } }
      ... on Error { code message }
      ... on VersionConflictError { actualVersion }
    }
  }
`);

describe('json-cache store', () => {
  let t: TestApp;
  const hour = 3600_000;
  const now = Date.now();
  const ids = {
    live: randomUUID(),
    old: randomUUID(),
    ended: randomUUID(),
    broken: randomUUID(),
    other: randomUUID(),
  };

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'json-cache', name: 'cache', windowSeconds: 3600 },
        ],
        fields: [{ name: 'userRole', path: 'role', type: 'String' }],
      },
      setup: (pool) => pool.query(createCacheTable).then(() => undefined),
    });
    const row = (id: string, dict: string, start: number, end: number | null) =>
      t.pool.query('INSERT INTO session_cache VALUES ($1, $2, $3, $4)', [
        id,
        dict,
        new Date(start),
        end === null ? null : new Date(end),
      ]);
    await row(
      ids.live,
      JSON.stringify({ user_id: 1, role: 'admin', name: 'Zoë' }),
      now - 10 * 60_000,
      now + hour,
    );
    await row(ids.other, JSON.stringify({ user_id: 2, role: 'member' }), now - 20 * 60_000, null);
    await row(ids.old, JSON.stringify({ user_id: 1, role: 'admin' }), now - 2 * hour, now + hour);
    await row(ids.ended, JSON.stringify({ user_id: 3 }), now - 30 * 60_000, now - 60_000);
    await row(ids.broken, '{"user_id": 1, ', now - 5 * 60_000, now + hour);
  });
  afterAll(() => t.close());

  it('should decode rows, expire them at the end of their window or their end column, and flag corrupt JSON', async () => {
    const result = await t.graphql(CacheSessions, {});
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.sessions.edges.map((edge) => edge.node);
    expect(nodes.map((node) => [node.status, node.userId])).toEqual([
      ['INVALID', null],
      ['ACTIVE', '1'],
      ['ACTIVE', '2'],
      ['EXPIRED', '3'],
      ['EXPIRED', '1'],
    ]);
    expect(nodes[0]!.problem).toBe('corrupt: the user dict is not valid JSON');
    expect(nodes[1]).toMatchObject({
      data: { name: 'Zoë', role: 'admin' },
      userRole: 'admin',
      user: { username: 'ada' },
    });
    expect(new Date(nodes[2]!.expiresAt!).getTime()).toBe(now - 20 * 60_000 + hour);
    expect(new Date(nodes[4]!.expiresAt!).getTime()).toBe(now - 2 * hour + hour);
  });

  it('should filter by status, user and typed field, keeping pages full', async () => {
    const active = await t.graphql(CacheSessions, { status: 'ACTIVE' });
    expect(active.data!.sessions.edges.map((edge) => edge.node.userId)).toEqual(['1', '2']);
    const invalid = await t.graphql(CacheSessions, { status: 'INVALID' });
    expect(invalid.data!.sessions.edges).toHaveLength(1);
    const admins = await t.graphql(CacheSessions, { where: { userRole: 'admin' } });
    expect(admins.data!.sessions.edges.map((edge) => edge.node.status)).toEqual(['ACTIVE', 'EXPIRED']);
    const ada = await t.graphql(CacheSessions, { userId: '1', status: 'ACTIVE' });
    expect(ada.data!.sessions.edges).toHaveLength(1);
  });

  it('should answer currentSession for a UUID key and null for malformed ones', async () => {
    const mine = await t.graphql(CacheCurrent, undefined, { cookie: `session_id=${ids.live}` });
    expect(mine.data!.currentSession).toMatchObject({ store: 'cache', user: { username: 'ada' } });
    for (const key of ['not-a-uuid', "1' OR '1'='1", ids.ended, ids.broken]) {
      const result = await t.graphql(CacheCurrent, undefined, { 'x-session-key': key });
      expect(result).toEqual({ data: { currentSession: null } });
    }
  });

  it('should create and update sessions within the window, and refuse to outlive it', async () => {
    const created = await t.graphql(CacheCreate, {
      input: { store: 'cache', userId: '2', data: { role: 'member' }, ttlSeconds: 600 },
    });
    const payload = created.data!.createSession;
    if (payload.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(payload));
    expect(payload.sessionKey).toMatch(/^[0-9a-f-]{36}$/);
    const row = await t.pool.query<{ userdict: string }>(
      'SELECT userdict FROM session_cache WHERE sessionid = $1',
      [payload.sessionKey],
    );
    expect(JSON.parse(row.rows[0]!.userdict)).toEqual({ role: 'member', user_id: 2 });
    const updated = await t.graphql(CacheUpdate, {
      input: { id: payload.session.id, set: { page: 'cart' }, extendBySeconds: 600 },
    });
    expect(updated.data!.updateSession).toMatchObject({
      session: { data: { role: 'member', user_id: 2, page: 'cart' } },
    });
    const tooLong = await t.graphql(CacheUpdate, { input: { id: payload.session.id, ttlSeconds: 7200 } });
    expect(tooLong.data!.updateSession).toMatchObject({
      __typename: 'InvalidInputError',
      code: 'INVALID_INPUT',
    });
    const stale = await t.graphql(CacheUpdate, {
      input: { id: payload.session.id, set: { a: 1 }, expectedVersion: 1 },
    });
    expect(stale.data!.updateSession).toMatchObject({ __typename: 'VersionConflictError' });
  });

  it('should refuse to change an INVALID session, but let it be ended', async () => {
    const list = await t.graphql(CacheSessions, { status: 'INVALID' });
    const broken = list.data!.sessions.edges[0]!.node.id;
    const update = await t.graphql(CacheUpdate, { input: { id: broken, set: { a: 1 } } });
    expect(update.data!.updateSession).toMatchObject({ __typename: 'InvalidInputError' });
    const response = await t.fetch({
      query: 'mutation($id: ID!) { endSession(input: { id: $id }) { __typename } }',
      variables: { id: broken },
    });
    expect(await response.json()).toEqual({ data: { endSession: { __typename: 'EndSessionPayload' } } });
  });
});
