/**
 * sessiongraph writing what REAL web.py loads (webpy-harness.ts): created, updated and replaced sessions
 * keep web.py's session_id and every Python type that still fits; Python 2 rows rewritten; expiry changes
 * move web.py's atime; currentSession for web.py's cookie; ending sessions; EXPIRED exactly where web.py's
 * own cleanup deletes. Reading is in webpy-read.test.ts; the suite both run (their own database each) is
 * webpy-helpers.ts's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/codecs/result.ts';
import { graphql } from '../gql/index.ts';
import type { TestApp } from '../helpers/app.ts';
import {
  alignSets,
  atimesOf,
  expectedData,
  loadOk,
  loadWebpy,
  py,
  type Tagged,
  type TaggedObject,
  TIME_ZONE,
  TIMEOUT_SECONDS,
  view,
  webpyRequests,
  writeWebpy,
} from './webpy-harness.ts';
import { newKey, nodeIdOf, webpySuite } from './webpy-helpers.ts';

// ---------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------

const WebpyCreate = graphql(`
  mutation WebpyCreate($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt lastSeenAt user { username } } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

const WebpyUpdate = graphql(`
  mutation WebpyUpdate($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

const WebpyEnd = graphql(`
  mutation WebpyEnd($input: EndSessionInput!) {
    endSession(input: $input) {
      __typename
      ... on EndSessionPayload { endedSessionId }
      ... on SessionNotFoundError { code }
    }
  }
`);

const WebpyEndUser = graphql(`
  mutation WebpyEndUser($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) {
      __typename
      ... on EndUserSessionsPayload { userId count }
      ... on Error { code message }
    }
  }
`);

const WebpyCurrent = graphql(`
  query WebpyCurrent {
    currentSession { id store status data userId userRole currentPage user { username } }
  }
`);

// ---------------------------------------------------------------------------------------------------------

describe('web.py DBStore, against real web.py', () => {
  const suite = webpySuite();
  const { ids, responses, created, gql, list, listed } = suite;
  let t: TestApp;
  let ada: string;
  let grace: string;
  let appLogin = '';
  let before: Record<string, TaggedObject> = {};
  beforeAll(() => {
    // What the suite's beforeAll (registered first, so run first) started and loaded.
    ({ t, ada, grace, appLogin, before } = suite);
  });

  async function update(key: string, input: Record<string, unknown>) {
    const data = await gql(WebpyUpdate, { input: { id: nodeIdOf(key), ...input } });
    const payload = data.updateSession;
    if (payload.__typename !== 'UpdateSessionPayload') throw new Error(JSON.stringify(payload));
    return payload.session;
  }

  describe('writing what web.py reads', () => {
    it('should create a session web.py loads, with its id as session_id and uid an int', async () => {
      const result = await gql(WebpyCreate, {
        input: {
          store: 'webpy',
          userId: ada,
          data: {
            user_role: 'admin',
            current_page: '/',
            cart: [{ sku: 'A-1', qty: 2 }],
            score: 1.5,
            note: 'Zoë',
          },
        },
      });
      const payload = result.createSession;
      if (payload.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(payload));
      const key = payload.sessionKey;
      created.add(key);
      expect(key).toMatch(/^[0-9a-f]{40}$/);
      expect(payload.session).toMatchObject({
        id: nodeIdOf(key),
        store: 'webpy',
        status: 'ACTIVE',
        userId: ada,
      });
      expect(payload.session.user).toEqual({ username: 'ada' });
      const expiresIn = new Date(payload.session.expiresAt!).getTime() - Date.now();
      expect(expiresIn).toBeGreaterThan((TIMEOUT_SECONDS - 60) * 1000);
      expect(expiresIn).toBeLessThanOrEqual(TIMEOUT_SECONDS * 1000);

      // Stored the way web.py stores it: char(128) blank-padded id, encodebytes layout.
      const row = (
        await t.pool.query<{ session_id: string; data: string }>(
          'SELECT session_id, data FROM sessions WHERE session_id = $1',
          [key],
        )
      ).rows[0]!;
      expect(row.session_id).toHaveLength(128);
      expect(row.session_id.trimEnd()).toBe(key);
      expect(row.data).toMatch(/^([A-Za-z0-9+/]{76}\n)*[A-Za-z0-9+/]{0,75}={0,2}\n$/);

      // (before web.py loads it: DBStore.__getitem__ moves atime to now)
      const atime = (await atimesOf([key]))[key]!;
      expect(Math.abs(new Date(payload.session.lastSeenAt!).getTime() - atime.epochMs)).toBeLessThanOrEqual(
        1,
      );
      const loaded = (await loadOk([key]))[key]!;
      expect(loaded).toEqual({
        user_role: 'admin',
        current_page: '/',
        cart: [{ sku: 'A-1', qty: 2 }],
        score: { $type: 'float', v: 1.5, repr: '1.5' },
        note: 'Zoë',
        session_id: key,
        ip: null,
        uid: Number(ada),
      });

      // A web.py app presented with the cookie takes the session as its own.
      const [whoami] = await webpyRequests([{ path: '/whoami', cookie: key }]);
      expect(whoami!.status).toBe('200 OK');
      expect(whoami!.body).toMatchObject({ session_id: key, uid: Number(ada), user_role: 'admin' });
      expect(whoami!.setCookie.join()).toContain(`webpy_session_id=${key};`);

      const refused = await gql(WebpyCreate, { input: { store: 'webpy', data: { session_id: 'abc' } } });
      expect(refused.createSession).toMatchObject({ __typename: 'InvalidInputError', field: 'data' });
    });

    it('should give every other value back to web.py as it was when an update sets one key', async () => {
      const session = await update(ids.adaRich, { set: { current_page: '/checkout' } });
      expect(session).toMatchObject({ status: 'ACTIVE', userId: ada });
      const after = (await loadOk([ids.adaRich]))[ids.adaRich]!;
      expect(after).toEqual({ ...before[ids.adaRich], current_page: '/checkout' });
      expect(Object.keys(after)).toEqual(Object.keys(before[ids.adaRich]!));

      // The full loop: web.py reads sessiongraph's row in a request, changes it, saves it with its own pickle.
      const [visit] = await webpyRequests([{ path: '/visit?page=/paid', cookie: ids.adaRich }]);
      expect(visit!.body).toEqual({
        ...before[ids.adaRich],
        ip: '198.51.100.9',
        current_page: '/paid',
        visits: 1,
      });
      const node = await listed(ids.adaRich);
      expect(node).toMatchObject({ status: 'ACTIVE', currentPage: '/paid', userId: ada });
      expect(alignSets(node.data, visit!.body!)).toEqual(expectedData(visit!.body!));
    });

    it('should keep the Python type of a changed value where it still fits, and unset keys', async () => {
      const old = before[ids.graceRich]!;
      const user = view(old['user']!) as JsonObject;
      await update(ids.graceRich, {
        set: {
          logged_in_at: '2025-01-02T03:04:05',
          seen_ist: '2025-06-01T10:00:00+05:30',
          price: '21.50',
          pair: [1, 'two', 4.5],
          tags: ['a', 'd'],
          user: { ...user, name: 'robert' },
          whole: 3,
          count: 3,
          ratio: 0.25,
          cart: [{ sku: 'B-2', qty: 1 }],
        },
        unset: ['current_page', 'nothing'],
      });
      const after = (await loadOk([ids.graceRich]))[ids.graceRich]!;
      const { current_page: _page, nothing: _nothing, ...kept } = old;
      expect(after).toEqual({
        ...kept,
        logged_in_at: py.datetime('2025-01-02T03:04:05'),
        seen_ist: py.datetime('2025-06-01T10:00:00+05:30', 'UTC+05:30'),
        price: py.decimal('21.50'),
        pair: py.tuple(1, 'two', { $type: 'float', v: 4.5, repr: '4.5' }),
        tags: py.set('a', 'd'),
        user: py.storage({ ...(old['user'] as { items: TaggedObject }).items, name: 'robert' }),
        whole: { $type: 'float', v: 3, repr: '3.0' },
        count: 3,
        ratio: { $type: 'float', v: 0.25, repr: '0.25' },
        cart: [{ sku: 'B-2', qty: 1 }],
      });
      const node = await listed(ids.graceRich);
      expect(node).toMatchObject({ currentPage: null, userRole: 'member', uid: Number(grace) });
      expect(node.data).not.toHaveProperty('nothing');

      const refused = await gql(WebpyUpdate, {
        input: { id: nodeIdOf(ids.graceRich), set: { session_id: 'x' } },
      });
      expect(refused.updateSession).toMatchObject({ __typename: 'InvalidInputError' });
    });

    it('should replace the data, keeping web.py’s session_id', async () => {
      // web.py's Session._load takes session_id from the dict, so it must never come from a client.
      const forged = await gql(WebpyUpdate, {
        input: { id: nodeIdOf(ids.anon), replace: { session_id: 'deadbeef', uid: Number(grace) } },
      });
      expect(forged.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'replace' });
      const session = await update(ids.anon, {
        replace: { uid: Number(ada), user_role: 'member', theme: 'dark' },
      });
      expect(session).toMatchObject({
        userId: ada,
        data: { uid: Number(ada), user_role: 'member', theme: 'dark' },
      });
      const after = (await loadOk([ids.anon]))[ids.anon]!;
      expect(after).toEqual({ session_id: ids.anon, uid: Number(ada), user_role: 'member', theme: 'dark' });
    });

    it('should rewrite Python 2 rows so web.py loads the same values', async () => {
      await update(ids.py2, { set: { current_page: '/py2' } });
      await update(ids.py2Bytes, { set: { seen: 1 } });
      const after = await loadOk([ids.py2, ids.py2Bytes]);
      expect(after[ids.py2]).toEqual({ ...before[ids.py2], current_page: '/py2' });
      expect(after[ids.py2]!['session_id']).toBe('a3f1c0');
      // The UTF-8 Python 2 str is written as text: Python 3 web.py, which failed on the row, now loads it.
      expect(after[ids.py2Bytes]).toEqual({ name: 'Zoë', uid: 3, seen: 1 });
    });

    // Two top-level keys can share a JSON name (the str '1' and the int 1): the view shows one, and an
    // update of another key must still give web.py both.
    it('should keep both of two keys that share a JSON name when an update sets another key', async () => {
      const id = newKey();
      await writeWebpy([
        { id, data: py.dict(['session_id', id], ['1', 'str-one'], [1, 'int-one'], ['current_page', '/']) },
      ]);
      const original = (await loadOk([id]))[id]!;
      await update(id, { set: { current_page: '/next' } });
      const after = (await loadOk([id]))[id]!;
      expect(after).toEqual({
        ...original,
        items: [...(original['items'] as Tagged[]).slice(0, 3), ['current_page', '/next']],
      });
    });

    it('should move atime when the expiry changes: extendBySeconds, expiresAt, ttlSeconds', async () => {
      const start = await listed(ids.py3Storage);
      const extended = await update(ids.py3Storage, { extendBySeconds: 600 });
      expect(new Date(extended.expiresAt!).getTime()).toBe(new Date(start.expiresAt!).getTime() + 600_000);
      let atime = (await atimesOf([ids.py3Storage]))[ids.py3Storage]!;
      expect(
        Math.abs(atime.epochMs - (new Date(extended.expiresAt!).getTime() - TIMEOUT_SECONDS * 1000)),
      ).toBeLessThanOrEqual(1);

      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2 * 3600_000);
      const moved = await update(ids.py3Storage, { expiresAt: at.toISOString() });
      expect(moved.expiresAt).toBe(at.toISOString());
      atime = (await atimesOf([ids.py3Storage]))[ids.py3Storage]!;
      expect(atime.epochMs).toBe(at.getTime() - TIMEOUT_SECONDS * 1000);
      // Python's local (Berlin) wall-clock time of that instant.
      const berlin = new Intl.DateTimeFormat('sv-SE', {
        timeZone: TIME_ZONE,
        dateStyle: 'short',
        timeStyle: 'medium',
      }).format(new Date(atime.epochMs));
      expect(atime.local.replace('T', ' ')).toBe(berlin);

      const ttl = await update(ids.py3Storage, { ttlSeconds: 1800 });
      atime = (await atimesOf([ids.py3Storage]))[ids.py3Storage]!;
      expect(
        Math.abs(atime.epochMs - (new Date(ttl.expiresAt!).getTime() - TIMEOUT_SECONDS * 1000)),
      ).toBeLessThanOrEqual(1);
      // Data untouched by expiry changes.
      expect((await loadOk([ids.py3Storage]))[ids.py3Storage]).toEqual(before[ids.py3Storage]);
    });

    it('should answer currentSession for the webpy_session_id cookie and the X-Session-Key header', async () => {
      for (const key of [ids.adaRich, appLogin]) {
        const byCookie = await gql(WebpyCurrent, undefined, {
          cookie: `theme=dark; webpy_session_id=${key}`,
        });
        expect(byCookie.currentSession).toMatchObject({
          id: nodeIdOf(key),
          store: 'webpy',
          status: 'ACTIVE',
        });
        const byHeader = await gql(WebpyCurrent, undefined, { 'x-session-key': key });
        expect(byHeader.currentSession?.id).toBe(nodeIdOf(key));
      }
      const mine = await gql(WebpyCurrent, undefined, { cookie: `webpy_session_id=${appLogin}` });
      expect(mine.currentSession).toMatchObject({
        userId: grace,
        userRole: 'admin',
        user: { username: 'grace' },
      });
      for (const bad of [
        `${appLogin}   `,
        'zz-not-hex',
        newKey(),
        `${appLogin}' OR '1'='1`,
        ids.evil,
        ids.garbage,
      ]) {
        const none = await gql(WebpyCurrent, undefined, {
          cookie: `webpy_session_id=${encodeURIComponent(bad)}`,
        });
        expect(none.currentSession, bad).toBeNull();
      }
    });

    it('should end one session, and every session of a user by uid', async () => {
      const ended = await gql(WebpyEnd, { input: { id: nodeIdOf(ids.py2Storage) } });
      expect(ended.endSession).toEqual({
        __typename: 'EndSessionPayload',
        endedSessionId: nodeIdOf(ids.py2Storage),
      });
      const again = await gql(WebpyEnd, { input: { id: nodeIdOf(ids.py2Storage) } });
      expect(again.endSession).toMatchObject({ __typename: 'SessionNotFoundError' });

      // grace: graceRich and the app's /login session.
      const byUser = await gql(WebpyEndUser, { input: { userId: grace, store: 'webpy' } });
      expect(byUser.endUserSessions).toEqual({
        __typename: 'EndUserSessionsPayload',
        userId: grace,
        count: 2,
      });
      const results = await loadWebpy([ids.py2Storage, ids.graceRich, appLogin, ids.adaRich, ids.anon]);
      expect(results[ids.py2Storage]).toMatchObject({ ok: false, error: expect.stringMatching(/^KeyError/) });
      expect(results[ids.graceRich]).toMatchObject({ ok: false, error: expect.stringMatching(/^KeyError/) });
      expect(results[appLogin]).toMatchObject({ ok: false, error: expect.stringMatching(/^KeyError/) });
      expect(results[ids.adaRich]).toMatchObject({ ok: true });
      expect(results[ids.anon]).toMatchObject({ ok: true });
      const gone = await gql(WebpyCurrent, undefined, { cookie: `webpy_session_id=${appLogin}` });
      expect(gone.currentSession).toBeNull();
    });
  });

  describe('expiry', () => {
    it('should call EXPIRED exactly the sessions web.py’s own cleanup deletes', async () => {
      const stale = newKey();
      const fresh = newKey();
      await writeWebpy(
        [
          { id: stale, data: { session_id: stale, ip: '203.0.113.9', uid: Number(ada) } },
          { id: fresh, data: { session_id: fresh, ip: '203.0.113.9', uid: Number(ada) } },
        ],
        { [stale]: TIMEOUT_SECONDS + 300, [fresh]: TIMEOUT_SECONDS - 300 },
      );
      const sessions = await list();
      expect(sessions.get(nodeIdOf(stale))!.status).toBe('EXPIRED');
      expect(sessions.get(nodeIdOf(fresh))!.status).toBe('ACTIVE');
      const expired = await list({ status: 'EXPIRED' });
      expect([...expired.keys()]).toEqual([nodeIdOf(stale)]);
      const staleCurrent = await gql(WebpyCurrent, undefined, { cookie: `webpy_session_id=${stale}` });
      expect(staleCurrent.currentSession).toBeNull();
      const freshCurrent = await gql(WebpyCurrent, undefined, { cookie: `webpy_session_id=${fresh}` });
      expect(freshCurrent.currentSession?.id).toBe(nodeIdOf(fresh));

      // A request to a web.py app runs Session._cleanup: DELETE ... WHERE atime < now - timeout.
      const keys = async () =>
        new Set(
          (await t.pool.query<{ k: string }>('SELECT session_id::text AS k FROM sessions')).rows.map(
            (r) => r.k,
          ),
        );
      const present = await keys();
      const [response] = await webpyRequests([{ path: '/whoami', cookie: fresh }]);
      expect(response!.body).toMatchObject({ session_id: fresh, uid: Number(ada) });
      const remaining = await keys();
      expect([...present].filter((key) => !remaining.has(key))).toEqual([stale]);
      expect((await list()).has(nodeIdOf(fresh))).toBe(true);
    });
  });

  it('should never put session_id or a key web.py wrote into a response', () => {
    expect(responses.length).toBeGreaterThan(20);
    const webpyKeys = [...Object.values(ids), appLogin].filter((key) => !created.has(key));
    for (const text of responses) {
      // (error messages may name the key "session_id"; no object may carry it)
      expect(text).not.toContain('"session_id":');
      for (const key of webpyKeys) expect(text).not.toContain(key);
    }
  });
});
