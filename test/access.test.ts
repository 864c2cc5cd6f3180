import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { encodeSessionId } from '../src/sessions/ids.ts';
import { crc32cHex } from '../src/stores/php/crc32c.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import {
  DJANGO_SESSION_TABLE,
  LARAVEL_SESSION_TABLE,
  laravelSession,
  nativeSession,
  type SeededSession,
  SYMFONY_SESSION_TABLE,
  symfonySession,
  userIdNamed,
} from './helpers/seed.ts';

/** Who may see and change which session: a test for every refusal. @see issue 5 */

const ListSessions = graphql(`
  query AccessList {
    sessions(first: 5) { edges { node { id } } }
  }
`);

const OneSession = graphql(`
  query AccessOne($id: ID!) {
    session(id: $id) { id data user { username } }
  }
`);

const AnyNode = graphql(`
  query AccessNode($id: ID!) {
    node(id: $id) { id }
  }
`);

const Mine = graphql(`
  query AccessMine {
    currentSession { id data user { username email } }
  }
`);

const SomeUser = graphql(`
  query AccessUser($id: ID!) {
    user(id: $id) { username }
  }
`);

const EndMine = graphql(`
  mutation AccessEndMine {
    endCurrentSession { __typename ... on EndSessionPayload { endedSessionId } ... on ForbiddenError { code operation } }
  }
`);

const EndOthers = graphql(`
  mutation AccessEndOthers {
    endOtherSessions { __typename ... on EndOtherSessionsPayload { count } ... on ForbiddenError { code } }
  }
`);

const WriteMine = graphql(`
  mutation AccessWriteMine($input: UpdateCurrentSessionInput!) {
    updateCurrentSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { data } }
      ... on InvalidInputError { field message }
      ... on ForbiddenError { code }
    }
  }
`);

const EndAny = graphql(`
  mutation AccessEndAny($id: ID!) {
    endSession(input: { id: $id }) { __typename ... on ForbiddenError { code operation } }
  }
`);

const Rotate = graphql(`
  mutation AccessRotate($id: ID!) {
    rotateSessionKey(input: { id: $id }) {
      __typename
      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }
    }
  }
`);

const Audit = graphql(`
  query AccessAudit($sessionId: ID, $userId: ID, $since: DateTime) {
    auditEvents(sessionId: $sessionId, userId: $userId, since: $since, first: 50) {
      edges { node { actor action sessionId userId outcome at } }
    }
  }
`);

const none = { authorization: '' };
const codeOf = (result: { errors?: { extensions?: Record<string, unknown> }[] }) =>
  result.errors?.[0]?.extensions?.['code'];

describe('access control', () => {
  let t: TestApp;
  let ada: string;
  let grace: string;
  let adaSession: SeededSession;
  let adaOther: SeededSession;
  let graceSession: SeededSession;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await startTestApp({ config: { clientWritableKeys: ['theme', 'cart'] } });
    ada = await userIdNamed(t.pool, 'ada');
    grace = await userIdNamed(t.pool, 'grace');
    adaSession = await nativeSession(t.pool, { userId: Number(ada), data: { theme: 'dark', role: 'admin' } });
    adaOther = await nativeSession(t.pool, { userId: Number(ada), data: { device: 'phone' } });
    graceSession = await nativeSession(t.pool, { userId: Number(grace), data: { secret: 'grace only' } });
  });
  afterAll(() => t.close());

  describe('API tokens', () => {
    it('should refuse a request without a token: UNAUTHENTICATED, and answer currentSession with null', async () => {
      expect(codeOf(await t.graphql(ListSessions, undefined, none))).toBe('UNAUTHENTICATED');
      expect(await t.graphql(Mine, undefined, none)).toEqual({ data: { currentSession: null } });
    });

    it('should refuse a malformed, unknown, expired or revoked token as UNAUTHENTICATED', async () => {
      const expired = await createToken(t.pool, 'expired', ['sessions:read'], new Date(Date.now() - 1000));
      const revoked = await createToken(t.pool, 'revoked', ['sessions:read'], null);
      await t.pool.query(`UPDATE sessiongraph.api_tokens SET revoked_at = now() WHERE name = 'revoked'`);
      for (const [token, message] of [
        ['nonsense', 'The API token is malformed.'],
        [`sg_${'A'.repeat(43)}`, 'The API token is not known.'],
        [expired.token, 'The API token is expired.'],
        [revoked.token, 'The API token is revoked.'],
      ]) {
        const result = await t.graphql(ListSessions, undefined, bearer(token!));
        expect(result.errors?.[0]).toMatchObject({ message, extensions: { code: 'UNAUTHENTICATED' } });
        expect(result.data).toBeNull();
      }
    });

    it('should refuse a token without the scope a field or mutation needs: FORBIDDEN', async () => {
      const usersOnly = await createToken(t.pool, 'users-only', ['users:read'], null);
      expect(codeOf(await t.graphql(ListSessions, undefined, bearer(usersOnly.token)))).toBe('FORBIDDEN');
      expect((await t.graphql(SomeUser, { id: ada }, bearer(usersOnly.token))).data).toEqual({
        user: { username: 'ada' },
      });
      const readOnly = await createToken(t.pool, 'read-only', ['sessions:read'], null);
      const refused = await t.graphql(EndAny, { id: graceSession.id }, bearer(readOnly.token));
      expect(refused.data!.endSession).toEqual({
        __typename: 'ForbiddenError',
        code: 'FORBIDDEN',
        operation: 'endSession',
      });
      const stillThere = await t.pool.query('SELECT 1 FROM sessiongraph.sessions WHERE id = $1', [
        graceSession.rowId,
      ]);
      expect(stillThere.rowCount).toBe(1);
      const noAudit = await createToken(
        t.pool,
        'no-audit',
        ['sessions:read', 'sessions:write', 'users:read'],
        null,
      );
      expect(codeOf(await t.graphql(Audit, {}, bearer(noAudit.token)))).toBe('FORBIDDEN');
    });
  });

  describe('browsers', () => {
    const as = (session: SeededSession) => ({ ...none, 'x-session-key': session.key });

    it('should show a browser its own session and user, and nothing else', async () => {
      const mine = await t.graphql(Mine, undefined, as(adaSession));
      expect(mine.errors).toBeUndefined();
      expect(mine.data!.currentSession).toMatchObject({
        id: adaSession.id,
        data: { theme: 'dark' },
        user: { username: 'ada', email: 'ada@example.com' },
      });
      const others = await t.fetch(
        { query: '{ currentSession { user { sessions { edges { node { id } } } } } }' },
        as(adaSession),
      );
      expect(
        ((await others.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe('FORBIDDEN');
      const byCookie = await t.graphql(Mine, undefined, {
        ...none,
        cookie: `sg_session=${adaSession.key}`,
        'x-graphql-csrf': '1',
      });
      expect(byCookie.data!.currentSession!.id).toBe(adaSession.id);
    });

    it('should refuse a browser reaching for another session, by id or through node', async () => {
      const byId = await t.graphql(OneSession, { id: graceSession.id }, as(adaSession));
      expect(codeOf(byId)).toBe('FORBIDDEN');
      expect(JSON.stringify(byId)).not.toContain('grace only');
      const byNode = await t.graphql(AnyNode, { id: graceSession.id }, as(adaSession));
      expect(codeOf(byNode)).toBe('FORBIDDEN');
      expect(codeOf(await t.graphql(ListSessions, undefined, as(adaSession)))).toBe('FORBIDDEN');
      expect(codeOf(await t.graphql(SomeUser, { id: grace }, as(adaSession)))).toBe('FORBIDDEN');
      const ownById = await t.graphql(OneSession, { id: adaSession.id }, as(adaSession));
      expect(ownById.data!.session!.id).toBe(adaSession.id);
    });

    it('should answer null for a forged node id', async () => {
      const forged = encodeSessionId({ store: 'native', ref: '11111111-1111-1111-1111-111111111111' });
      expect(await t.graphql(AnyNode, { id: forged })).toEqual({ data: { node: null } });
      const garbled = await t.graphql(AnyNode, { id: 'U2Vzc2lvbjo=' });
      expect(garbled.data).toEqual({ node: null });
      expect(codeOf(garbled)).toBe('BAD_USER_INPUT');
    });

    it('should let a browser change only client-writable keys of its own session', async () => {
      const allowed = await t.graphql(WriteMine, { input: { set: { theme: 'light' } } }, as(adaSession));
      expect(allowed.data!.updateCurrentSession).toMatchObject({
        session: { data: { theme: 'light', role: 'admin' } },
      });
      const refused = await t.graphql(WriteMine, { input: { set: { role: 'superuser' } } }, as(adaSession));
      expect(refused.data!.updateCurrentSession).toMatchObject({
        __typename: 'InvalidInputError',
        field: 'set',
      });
      const nobody = await t.graphql(WriteMine, { input: { set: { theme: 'x' } } }, none);
      expect(nobody.data!.updateCurrentSession).toMatchObject({ __typename: 'ForbiddenError' });
    });

    it('should let a browser end its other sessions, then its own', async () => {
      const others = await t.graphql(EndOthers, undefined, as(adaSession));
      expect(others.data!.endOtherSessions).toEqual({ __typename: 'EndOtherSessionsPayload', count: 1 });
      const ended = await t.graphql(EndMine, undefined, as(adaSession));
      expect(ended.data!.endCurrentSession).toEqual({
        __typename: 'EndSessionPayload',
        endedSessionId: adaSession.id,
      });
      expect(await t.graphql(Mine, undefined, as(adaSession))).toEqual({ data: { currentSession: null } });
      const graceLeft = await t.pool.query('SELECT 1 FROM sessiongraph.sessions WHERE id = $1', [
        graceSession.rowId,
      ]);
      expect(graceLeft.rowCount).toBe(1);
      const nobody = await t.graphql(EndMine, undefined, none);
      expect(nobody.data!.endCurrentSession).toMatchObject({
        __typename: 'ForbiddenError',
        code: 'FORBIDDEN',
      });
    });
  });

  describe('keys', () => {
    it('should rotate a key: the new one works, the old one stops at once, the data stays', async () => {
      const session = await nativeSession(t.pool, { userId: Number(grace), data: { cart: [1] } });
      const rotated = await t.graphql(Rotate, { id: session.id });
      const payload = rotated.data!.rotateSessionKey;
      if (payload.__typename !== 'RotateSessionKeyPayload') throw new Error(payload.__typename);
      expect(payload.sessionKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(payload.sessionKey).not.toBe(session.key);
      expect(payload.session.data).toEqual({ cart: [1] });
      const withOld = await t.graphql(Mine, undefined, { ...none, 'x-session-key': session.key });
      expect(withOld.data!.currentSession).toBeNull();
      const withNew = await t.graphql(Mine, undefined, { ...none, 'x-session-key': payload.sessionKey });
      expect(withNew.data!.currentSession!.data).toEqual({ cart: [1] });
    });

    it('should never put a key in a response outside createSession and rotateSessionKey', async () => {
      const listed = await t.fetch({ query: '{ sessions(first: 50) { edges { node { id data } } } }' });
      const text = await listed.text();
      for (const session of [adaSession, adaOther, graceSession]) expect(text).not.toContain(session.key);
    });
  });

  describe('audit', () => {
    it('should record every mutation and refusal, filterable by session, user and time, append-only', async () => {
      const since = new Date(Date.now() - 60_000).toISOString();
      const bySession = await t.graphql(Audit, { sessionId: adaSession.id });
      expect(
        bySession.data!.auditEvents.edges.map((edge) => [edge.node.action, edge.node.outcome]),
      ).toContainEqual(['endCurrentSession', 'ok']);
      const all = await t.graphql(Audit, { since });
      const events = all.data!.auditEvents.edges.map((edge) => edge.node);
      expect(events).toContainEqual(
        expect.objectContaining({
          actor: 'token:read-only',
          action: 'endSession',
          outcome: 'refused:forbidden',
        }),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ actor: 'anonymous', action: 'authenticate', outcome: 'refused:revoked' }),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ action: 'updateCurrentSession', outcome: 'error:INVALID_INPUT' }),
      );
      expect(events.find((event) => event.action === 'endOtherSessions')).toMatchObject({
        userId: ada,
        outcome: 'ok',
      });
      expect(JSON.stringify(events)).not.toContain(adaSession.key);
      const byUser = await t.graphql(Audit, { userId: ada });
      expect(byUser.data!.auditEvents.edges.length).toBeGreaterThan(0);
      await expect(t.pool.query('DELETE FROM sessiongraph.audit_log')).rejects.toThrow(/append-only/);
      await expect(t.pool.query(`UPDATE sessiongraph.audit_log SET outcome = 'ok'`)).rejects.toThrow(
        /append-only/,
      );
    });
  });
});

/**
 * A Django session whose `_auth_user_hash` no longer matches its user's password (the password changed since,
 * maybe because the session was stolen) is logged out for Django, which flushes it on its next request: the
 * browser holding it is not that user here either.
 */
describe('browsers of a Django session after a password change', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      setup: async (pool) => {
        await pool.query(DJANGO_SESSION_TABLE);
      },
      config: {
        stores: [
          {
            kind: 'django',
            name: 'django',
            secretKey: 'access-test-secret',
            passwordColumn: 'password_hash',
          },
        ],
      },
    });
  });
  afterAll(() => t.close());

  const create = async (userId: string) => {
    const response = await t.fetch({
      query: `mutation ($input: CreateSessionInput!) { createSession(input: $input) {
        ... on CreateSessionPayload { sessionKey session { id } } } }`,
      variables: { input: { store: 'django', userId, data: { theme: 'dark' } } },
    });
    const body = (await response.json()) as {
      data: { createSession: { sessionKey: string; session: { id: string } } };
    };
    return body.data.createSession;
  };
  const asBrowser = async (key: string, query: string) =>
    (await (
      await t.fetch({ query }, { authorization: '', cookie: `sessionid=${key}`, 'x-graphql-csrf': '1' })
    ).json()) as { data: Record<string, unknown> };

  it('should not take the old session as its user: no user, no ending the sessions made since', async () => {
    const ada = await userIdNamed(t.pool, 'ada');
    const stolen = await create(ada);
    expect((await asBrowser(stolen.sessionKey, '{ currentSession { user { username } } }')).data).toEqual({
      currentSession: { user: { username: 'ada' } },
    });
    await t.pool.query(`UPDATE public.users SET password_hash = 'pbkdf2_sha256$new' WHERE id = $1`, [ada]);
    const fresh = await create(ada);
    const mine = '{ currentSession { id user { username email } } }';
    expect((await asBrowser(stolen.sessionKey, mine)).data).toEqual({ currentSession: null });
    const ended = await asBrowser(
      stolen.sessionKey,
      'mutation { endOtherSessions { __typename ... on EndOtherSessionsPayload { count } } }',
    );
    expect(ended.data).toEqual({ endOtherSessions: { __typename: 'ForbiddenError' } });
    // The session made with the new password is untouched, and its browser is ada.
    expect((await asBrowser(fresh.sessionKey, mine)).data).toEqual({
      currentSession: { id: fresh.session.id, user: { username: 'ada', email: 'ada@example.com' } },
    });
    // A token still reads the old session, saying why Django no longer serves it.
    const read = await t.fetch({
      query: `query ($id: ID!) { session(id: $id) { status authHashValid } }`,
      variables: { id: stolen.session.id },
    });
    expect(await read.json()).toEqual({ data: { session: { status: 'ACTIVE', authHashValid: false } } });
  });

  it('should serve a session whose user id can name no user (the row\'s "abc"), not fail the request', async () => {
    const codec = createDjangoCodec({ secretKey: 'access-test-secret' });
    const expires = new Date(Date.now() + 3_600_000);
    for (const [key, userId] of [
      ['abcabcabcabcabcabcabcabcabcabc01', 'abc'],
      ['abcabcabcabcabcabcabcabcabcabc02', '99999999999'],
    ] as const) {
      await t.pool.query('INSERT INTO django_session VALUES ($1, $2, $3)', [
        key,
        codec.encode({ _auth_user_id: userId, _auth_user_hash: 'x', theme: 'dark' }, new Date()),
        expires,
      ]);
      const mine = await asBrowser(key, '{ currentSession { userId user { username } } }');
      expect(mine, userId).toEqual({ data: { currentSession: { userId, user: null } } });
    }
    // Nor does it fail the other sessions' authHashValid on a page read in one batch.
    const valid = await create(await userIdNamed(t.pool, 'ada'));
    const page = await t.fetch({
      query: '{ sessions(store: "django", first: 20) { edges { node { id userId authHashValid } } } }',
    });
    const body = (await page.json()) as {
      errors?: unknown;
      data: { sessions: { edges: { node: { id: string; userId: string; authHashValid: boolean } }[] } };
    };
    expect(body.errors).toBeUndefined();
    const nodes = body.data.sessions.edges.map((edge) => edge.node);
    expect(nodes.find((node) => node.id === valid.session.id)?.authHashValid).toBe(true);
    expect(
      nodes
        .filter((node) => ['abc', '99999999999'].includes(node.userId))
        .map((node) => [node.userId, node.authHashValid])
        .sort(),
    ).toEqual([
      ['99999999999', false],
      ['abc', false],
    ]);
  });
});

/**
 * Symfony's firewall (ContextListener::refreshUser) reloads the token's user on every request and logs the
 * session out when the password hash it was serialized with is no longer the user's, or the user is gone: the
 * browser holding such a session is not that user here either.
 */
describe('browsers of a Symfony session after a password change', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      setup: async (pool) => {
        await pool.query(SYMFONY_SESSION_TABLE);
      },
      config: {
        stores: [{ kind: 'php', name: 'symfony', layout: 'symfony', passwordColumn: 'password_hash' }],
      },
    });
  });
  afterAll(() => t.close());

  const logIn = async (key: string, username: string) => {
    const { rows } = await t.pool.query<{ id: number; email: string; password_hash: string }>(
      'SELECT id, email, password_hash FROM public.users WHERE username = $1',
      [username],
    );
    const user = rows[0]!;
    await symfonySession(t.pool, {
      key,
      userId: user.id,
      email: user.email,
      password: user.password_hash,
      data: { theme: username },
    });
  };
  const asBrowser = async (key: string, query: string) =>
    (await (
      await t.fetch({ query }, { authorization: '', cookie: `PHPSESSID=${key}`, 'x-graphql-csrf': '1' })
    ).json()) as { data: Record<string, unknown> };
  const mine = '{ currentSession { data user { username } } }';

  it('should not take the old session as its user: no user, no ending the sessions made since', async () => {
    await logIn('stolensymfonysession0001', 'ada');
    await logIn('gracesymfonysession00001', 'grace');
    expect((await asBrowser('stolensymfonysession0001', mine)).data).toEqual({
      currentSession: { data: { theme: 'ada' }, user: { username: 'ada' } },
    });
    await t.pool.query(`UPDATE public.users SET password_hash = '$2y$13$new' WHERE username = 'ada'`);
    await logIn('freshsymfonysession00001', 'ada');
    expect((await asBrowser('stolensymfonysession0001', mine)).data).toEqual({ currentSession: null });
    const ended = await asBrowser(
      'stolensymfonysession0001',
      'mutation { endOtherSessions { __typename ... on EndOtherSessionsPayload { count } } }',
    );
    expect(ended.data).toEqual({ endOtherSessions: { __typename: 'ForbiddenError' } });
    // The session logged in with the new password, and Grace's, are untouched.
    expect((await asBrowser('freshsymfonysession00001', mine)).data).toEqual({
      currentSession: { data: { theme: 'ada' }, user: { username: 'ada' } },
    });
    expect((await asBrowser('gracesymfonysession00001', mine)).data).toEqual({
      currentSession: { data: { theme: 'grace' }, user: { username: 'grace' } },
    });
    const rows = await t.pool.query('SELECT count(*)::int AS n FROM sessions');
    expect(rows.rows[0]).toEqual({ n: 3 });
  });

  it('should take a Symfony 7.3+ session as its user: the crc32c of its hash, or none, as make:user keeps', async () => {
    // Symfony 7.3's hasUserChanged() takes an 8-character password for hash('crc32c', $hash) and never judges
    // a null one; make:user's __serialize() stores the former, so that no hash sits in the session.
    const { rows } = await t.pool.query<{ id: number; email: string; password_hash: string }>(
      `INSERT INTO public.users (username, email, password_hash) VALUES ('lin', 'lin@example.com', '$2y$13$lin')
       RETURNING id, email, password_hash`,
    );
    const lin = rows[0]!;
    const session = (key: string, password: string | null) =>
      symfonySession(t.pool, { key, userId: lin.id, email: lin.email, password, data: { theme: 'lin' } });
    await session('crcsymfonysession0000001', crc32cHex(lin.password_hash));
    await session('nullsymfonysession000001', null);
    await session('badcrcsymfonysession0001', '00000000');
    const served = { currentSession: { data: { theme: 'lin' }, user: { username: 'lin' } } };
    expect((await asBrowser('crcsymfonysession0000001', mine)).data).toEqual(served);
    expect((await asBrowser('nullsymfonysession000001', mine)).data).toEqual(served);
    expect((await asBrowser('badcrcsymfonysession0001', mine)).data).toEqual({ currentSession: null });
    await t.pool.query(`UPDATE public.users SET password_hash = '$2y$13$lin2' WHERE username = 'lin'`);
    expect((await asBrowser('crcsymfonysession0000001', mine)).data).toEqual({ currentSession: null });
    expect((await asBrowser('nullsymfonysession000001', mine)).data).toEqual(served);
  });

  it('should not take a session as its user once the user is gone, as the firewall does', async () => {
    await t.pool.query(
      `INSERT INTO public.users (username, email, password_hash) VALUES ('zed', 'zed@example.com', '$2y$13$zed')`,
    );
    await logIn('zedsymfonysession0000001', 'zed');
    expect((await asBrowser('zedsymfonysession0000001', mine)).data).toEqual({
      currentSession: { data: { theme: 'zed' }, user: { username: 'zed' } },
    });
    await t.pool.query(`DELETE FROM public.users WHERE username = 'zed'`);
    expect((await asBrowser('zedsymfonysession0000001', mine)).data).toEqual({ currentSession: null });
  });
});

/**
 * Laravel's AuthenticateSession middleware keeps the user's password hash in the session
 * (`password_hash_<guard>`) and logs the session out once it is no longer the user's: the browser holding
 * such a session is not that user here either. Without the key the middleware judges nothing (it stores it);
 * with the user gone SessionGuard::user() is null and the session is kept, anonymous, as Django keeps it.
 */
describe('browsers of a Laravel session after a password change', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      setup: async (pool) => {
        await pool.query(LARAVEL_SESSION_TABLE);
      },
      config: {
        stores: [{ kind: 'php', name: 'laravel', layout: 'laravel', passwordColumn: 'password_hash' }],
      },
    });
  });
  afterAll(() => t.close());

  const logIn = async (key: string, username: string, withHash = true) => {
    const { rows } = await t.pool.query<{ id: number; password_hash: string }>(
      'SELECT id, password_hash FROM public.users WHERE username = $1',
      [username],
    );
    const user = rows[0]!;
    await laravelSession(t.pool, {
      key,
      userId: user.id,
      ...(withHash && { passwordHash: user.password_hash }),
      data: { theme: username },
    });
  };
  const asBrowser = async (key: string, query: string) =>
    (await (
      await t.fetch({ query }, { authorization: '', cookie: `laravel_session=${key}`, 'x-graphql-csrf': '1' })
    ).json()) as { data: Record<string, unknown> };
  const mine = '{ currentSession { data user { username } } }';
  const key = (name: string) => name.padEnd(40, '0');

  it('should not take the old session as its user, nor end the sessions made since; keep one whose user is gone', async () => {
    await logIn(key('stolen'), 'ada');
    await logIn(key('grace'), 'grace');
    await logIn(key('unhashed'), 'ada', false);
    expect((await asBrowser(key('stolen'), mine)).data).toEqual({
      currentSession: { data: { theme: 'ada' }, user: { username: 'ada' } },
    });
    await t.pool.query(`UPDATE public.users SET password_hash = '$2y$10$new' WHERE username = 'ada'`);
    await logIn(key('fresh'), 'ada');
    expect((await asBrowser(key('stolen'), mine)).data).toEqual({ currentSession: null });
    const ended = await asBrowser(
      key('stolen'),
      'mutation { endOtherSessions { __typename ... on EndOtherSessionsPayload { count } } }',
    );
    expect(ended.data).toEqual({ endOtherSessions: { __typename: 'ForbiddenError' } });
    // The session logged in with the new password, Grace's, and one the middleware has not seen yet (it
    // would store the current hash, not log out) are served as their users.
    for (const [name, user] of [
      ['fresh', 'ada'],
      ['grace', 'grace'],
      ['unhashed', 'ada'],
    ] as const) {
      expect((await asBrowser(key(name), mine)).data, name).toEqual({
        currentSession: { data: { theme: user }, user: { username: user } },
      });
    }
    const rows = await t.pool.query('SELECT count(*)::int AS n FROM sessions');
    expect(rows.rows[0]).toEqual({ n: 4 });

    // A user that is gone: SessionGuard::user() finds nobody and the middleware judges nothing; the session
    // is kept, anonymous, as Django keeps it: served, its user null.
    await t.pool.query(
      `INSERT INTO public.users (username, email, password_hash) VALUES ('zed', 'zed@example.com', '$2y$10$zed')`,
    );
    await logIn(key('zed'), 'zed');
    expect((await asBrowser(key('zed'), mine)).data).toEqual({
      currentSession: { data: { theme: 'zed' }, user: { username: 'zed' } },
    });
    await t.pool.query(`DELETE FROM public.users WHERE username = 'zed'`);
    expect((await asBrowser(key('zed'), mine)).data).toEqual({
      currentSession: { data: { theme: 'zed' }, user: null },
    });
  });
});
