import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession, userIdNamed } from './helpers/seed.ts';

const CreateSession = graphql(`
  mutation CreateSession($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { sessionKey session { id status data userId expiresAt version user { username } } }
      ... on Error { message code }
      ... on UserNotFoundError { userId }
      ... on InvalidInputError { field }
      ... on InvalidSessionDataError { path }
      ... on StoreNotFoundError { store }
    }
  }
`);

const UpdateSession = graphql(`
  mutation UpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id data expiresAt version } }
      ... on Error { message code }
      ... on VersionConflictError { expectedVersion actualVersion sessionId }
      ... on SessionNotFoundError { sessionId }
      ... on InvalidInputError { field }
      ... on InvalidSessionDataError { path }
    }
  }
`);

const EndSession = graphql(`
  mutation EndSession($input: EndSessionInput!) {
    endSession(input: $input) {
      __typename
      ... on EndSessionPayload { endedSessionId }
      ... on SessionNotFoundError { sessionId code }
    }
  }
`);

const EndUserSessions = graphql(`
  mutation EndUserSessions($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) {
      __typename
      ... on EndUserSessionsPayload { userId count }
      ... on Error { message code }
    }
  }
`);

const WhoAmI = graphql(`
  query WhoAmI {
    currentSession { id data user { username } }
  }
`);

describe('mutations', () => {
  let t: TestApp;
  let ada: string;
  let grace: string;

  beforeAll(async () => {
    t = await startTestApp();
    ada = await userIdNamed(t.pool, 'ada');
    grace = await userIdNamed(t.pool, 'grace');
  });
  afterAll(() => t.close());

  describe('createSession', () => {
    it('should create a session for a user, return its key once, and store only the key’s hash', async () => {
      const result = await t.graphql(CreateSession, {
        input: { userId: ada, data: { cart: [1, 2], name: 'Zoë' }, ttlSeconds: 600 },
      });
      const payload = result.data!.createSession;
      if (payload.__typename !== 'CreateSessionPayload') throw new Error(`unexpected ${payload.__typename}`);
      expect(payload.sessionKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(payload.session).toMatchObject({
        status: 'ACTIVE',
        data: { cart: [1, 2], name: 'Zoë' },
        userId: ada,
        version: 1,
        user: { username: 'ada' },
      });
      const ttl = new Date(payload.session.expiresAt!).getTime() - Date.now();
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);

      const rows = await t.pool.query<{ key_hash: Buffer; user_id: number }>(
        'SELECT key_hash, user_id FROM sessiongraph.sessions',
      );
      const stored = rows.rows.find((row) => row.user_id === Number(ada))!;
      expect(stored.key_hash.equals(createHash('sha256').update(payload.sessionKey).digest())).toBe(true);
      const everything = JSON.stringify((await t.pool.query('SELECT * FROM sessiongraph.sessions')).rows);
      expect(everything).not.toContain(payload.sessionKey);

      const mine = await t.graphql(WhoAmI, undefined, { 'x-session-key': payload.sessionKey });
      expect(mine.data!.currentSession).toMatchObject({ id: payload.session.id, user: { username: 'ada' } });
    });

    it('should create an anonymous session with the store’s default lifetime', async () => {
      const result = await t.graphql(CreateSession, { input: {} });
      const payload = result.data!.createSession;
      if (payload.__typename !== 'CreateSessionPayload') throw new Error(payload.__typename);
      expect(payload.session.userId).toBeNull();
      expect(payload.session.user).toBeNull();
      const days = (new Date(payload.session.expiresAt!).getTime() - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(13.9);
    });

    it('should return typed errors for bad input, and write nothing', async () => {
      const before = (await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.sessions')).rows[0]!.n;
      const cases = [
        [{ userId: '999999' }, { __typename: 'UserNotFoundError', userId: '999999', code: 'USER_NOT_FOUND' }],
        [{ userId: 'abc' }, { __typename: 'UserNotFoundError', code: 'USER_NOT_FOUND' }],
        [{ ttlSeconds: -5 }, { __typename: 'InvalidInputError', field: 'ttlSeconds', code: 'INVALID_INPUT' }],
        [{ expiresAt: '2001-01-01T00:00:00Z' }, { __typename: 'InvalidInputError', field: 'expiresAt' }],
        [{ ttlSeconds: 60, expiresAt: '2099-01-01T00:00:00Z' }, { __typename: 'InvalidInputError' }],
        [{ ttlSeconds: 10 ** 9 }, { __typename: 'InvalidInputError', field: 'expiresAt' }],
        [{ data: { bad: 'nul\u0000' } }, { __typename: 'InvalidSessionDataError', path: 'data.bad' }],
        [{ data: { big: 'x'.repeat(70_000) } }, { __typename: 'InvalidSessionDataError', path: 'data' }],
        [{ store: 'nope' }, { __typename: 'StoreNotFoundError', store: 'nope', code: 'STORE_NOT_FOUND' }],
        [{ ip: 'not-an-ip' }, { __typename: 'InvalidInputError', field: 'ip' }],
      ] as const;
      for (const [input, expected] of cases) {
        const result = await t.graphql(CreateSession, { input: input as never });
        expect(result.errors, JSON.stringify(input)).toBeUndefined();
        expect(result.data!.createSession, JSON.stringify(input)).toMatchObject(expected);
      }
      let deep: Record<string, unknown> = {};
      const root = deep;
      for (let index = 0; index < 40; index += 1) {
        deep['d'] = {};
        deep = deep['d'] as Record<string, unknown>;
      }
      const tooDeep = await t.graphql(CreateSession, { input: { data: root } });
      expect(tooDeep.data!.createSession).toMatchObject({ __typename: 'InvalidSessionDataError' });
      const after = (await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.sessions')).rows[0]!.n;
      expect(after).toBe(before);
    });

    it('should reject data that is not an object at the GraphQL layer', async () => {
      const response = await t.fetch({
        query: 'mutation($d: JSONObject) { createSession(input: { data: $d }) { __typename } }',
        variables: { d: [1, 2] },
      });
      const body = (await response.json()) as { errors: { message: string }[] };
      expect(body.errors[0]!.message).toContain('JSONObject');
    });
  });

  describe('updateSession', () => {
    it('should set and unset keys, bump the version and keep other keys', async () => {
      const seeded = await nativeSession(t.pool, { userId: Number(ada), data: { a: 1, b: 2, c: 3 } });
      const result = await t.graphql(UpdateSession, {
        input: { id: seeded.id, set: { a: 10, d: { nested: true } }, unset: ['b'] },
      });
      expect(result.data!.updateSession).toMatchObject({
        __typename: 'UpdateSessionPayload',
        session: { id: seeded.id, data: { a: 10, c: 3, d: { nested: true } }, version: 2 },
      });
      const row = await t.pool.query('SELECT data, version FROM sessiongraph.sessions WHERE id = $1', [
        seeded.rowId,
      ]);
      expect(row.rows[0]).toEqual({ data: { a: 10, c: 3, d: { nested: true } }, version: 2 });
    });

    it('should replace data, and change expiry by ttl, absolute time or extension', async () => {
      const expiresAt = new Date(Date.now() + 3600_000);
      const seeded = await nativeSession(t.pool, { data: { a: 1 }, expiresAt });
      const replaced = await t.graphql(UpdateSession, { input: { id: seeded.id, replace: { z: 'new' } } });
      expect(replaced.data!.updateSession).toMatchObject({ session: { data: { z: 'new' } } });
      const extended = await t.graphql(UpdateSession, { input: { id: seeded.id, extendBySeconds: 60 } });
      if (extended.data!.updateSession.__typename !== 'UpdateSessionPayload') throw new Error('not updated');
      expect(new Date(extended.data!.updateSession.session.expiresAt!).getTime()).toBe(
        expiresAt.getTime() + 60_000,
      );
      const at = '2099-06-01T00:00:00.000Z';
      const absolute = await t.graphql(UpdateSession, { input: { id: seeded.id, expiresAt: at } });
      expect(absolute.data!.updateSession).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'expiresAt',
      });
      const soon = new Date(Date.now() + 86_400_000).toISOString();
      const set = await t.graphql(UpdateSession, { input: { id: seeded.id, expiresAt: soon } });
      expect(set.data!.updateSession).toMatchObject({ session: { expiresAt: soon, version: 4 } });
    });

    it('should return typed errors: not found, conflicting patch, bad data', async () => {
      const seeded = await nativeSession(t.pool, { data: { keep: 1 } });
      const missing = await t.graphql(UpdateSession, { input: { id: 'bm9wZQ', set: { a: 1 } } });
      expect(missing.data!.updateSession).toMatchObject({
        __typename: 'SessionNotFoundError',
        sessionId: 'bm9wZQ',
        code: 'SESSION_NOT_FOUND',
      });
      const both = await t.graphql(UpdateSession, { input: { id: seeded.id, replace: {}, set: { a: 1 } } });
      expect(both.data!.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'replace' });
      const nul = await t.graphql(UpdateSession, { input: { id: seeded.id, set: { 'k\u0000': 1 } } });
      expect(nul.data!.updateSession).toMatchObject({ __typename: 'InvalidSessionDataError' });
      const row = await t.pool.query('SELECT data, version FROM sessiongraph.sessions WHERE id = $1', [
        seeded.rowId,
      ]);
      expect(row.rows[0]).toEqual({ data: { keep: 1 }, version: 1 });
    });

    it('should refuse a stale expectedVersion with a VersionConflictError', async () => {
      const seeded = await nativeSession(t.pool, { data: {} });
      const first = await t.graphql(UpdateSession, {
        input: { id: seeded.id, set: { a: 1 }, expectedVersion: 1 },
      });
      expect(first.data!.updateSession).toMatchObject({ session: { version: 2 } });
      const stale = await t.graphql(UpdateSession, {
        input: { id: seeded.id, set: { a: 2 }, expectedVersion: 1 },
      });
      expect(stale.data!.updateSession).toEqual({
        __typename: 'VersionConflictError',
        message: 'The session is at version 2, not 1.',
        code: 'VERSION_CONFLICT',
        expectedVersion: 1,
        actualVersion: 2,
        sessionId: seeded.id,
      });
    });
  });

  describe('endSession and endUserSessions', () => {
    it('should end one session; ending it again is SessionNotFoundError', async () => {
      const seeded = await nativeSession(t.pool, { userId: Number(grace) });
      const ended = await t.graphql(EndSession, { input: { id: seeded.id } });
      expect(ended.data!.endSession).toEqual({ __typename: 'EndSessionPayload', endedSessionId: seeded.id });
      const gone = await t.pool.query('SELECT 1 FROM sessiongraph.sessions WHERE id = $1', [seeded.rowId]);
      expect(gone.rowCount).toBe(0);
      const again = await t.graphql(EndSession, { input: { id: seeded.id } });
      expect(again.data!.endSession).toMatchObject({
        __typename: 'SessionNotFoundError',
        code: 'SESSION_NOT_FOUND',
      });
      const mine = await t.graphql(WhoAmI, undefined, { 'x-session-key': seeded.key });
      expect(mine.data!.currentSession).toBeNull();
    });

    it('should end every session of a user, optionally keeping one, and no one else’s', async () => {
      const linus = await userIdNamed(t.pool, 'linus');
      const ken = await userIdNamed(t.pool, 'ken');
      const mine = await Promise.all(
        [1, 2, 3, 4].map(() => nativeSession(t.pool, { userId: Number(linus) })),
      );
      const other = await nativeSession(t.pool, { userId: Number(ken) });
      const kept = await t.graphql(EndUserSessions, { input: { userId: linus, keepSessionId: mine[0]!.id } });
      expect(kept.data!.endUserSessions).toEqual({
        __typename: 'EndUserSessionsPayload',
        userId: linus,
        count: 3,
      });
      const left = await t.pool.query<{ id: string }>(
        'SELECT id FROM sessiongraph.sessions WHERE user_id = $1',
        [linus],
      );
      expect(left.rows.map((row) => row.id)).toEqual([mine[0]!.rowId]);
      const all = await t.graphql(EndUserSessions, { input: { userId: linus } });
      expect(all.data!.endUserSessions).toMatchObject({ count: 1 });
      const kens = await t.pool.query('SELECT id FROM sessiongraph.sessions WHERE id = $1', [other.rowId]);
      expect(kens.rowCount).toBe(1);
      const unknownUser = await t.graphql(EndUserSessions, { input: { userId: 'x' } });
      expect(unknownUser.data!.endUserSessions).toMatchObject({ __typename: 'UserNotFoundError' });
      const badKeep = await t.graphql(EndUserSessions, { input: { userId: ken, keepSessionId: 'zzz' } });
      expect(badKeep.data!.endUserSessions).toMatchObject({ __typename: 'InvalidInputError' });
    });
  });

  it('should mask unexpected failures and keep serving', async () => {
    await t.pool.query('ALTER TABLE sessiongraph.sessions RENAME TO sessions_moved');
    try {
      const response = await t.fetch({ query: '{ sessions(first: 1) { edges { node { id } } } }' });
      const body = (await response.json()) as { errors: { message: string }[] };
      expect(body.errors[0]!.message).toBe('Unexpected error.');
      expect(JSON.stringify(body)).not.toContain('sessions_moved');
    } finally {
      await t.pool.query('ALTER TABLE sessiongraph.sessions_moved RENAME TO sessions');
    }
    const response = await t.fetch({ query: '{ sessions(first: 1) { edges { node { id } } } }' });
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});
