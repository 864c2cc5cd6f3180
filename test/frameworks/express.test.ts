import { createHash } from 'node:crypto';
import { sign } from 'cookie-signature';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import type { UpdateSessionInput } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { userIdNamed } from '../helpers/seed.ts';
import {
  Browser,
  COOKIE_MAX_AGE_MS,
  createSessionTable,
  type ExpressApp,
  startExpressApp,
} from './express-app.ts';

/**
 * sessiongraph against the real thing: an express app with express-session and connect-pg-simple writes
 * and reads the `session` table over HTTP while sessiongraph reads and changes the same rows. Every
 * assertion about a write is checked by asking express itself (`GET /me`), not by reading our own output.
 */

const ExpressSessions = graphql(`
  query ExpressSessions($userId: ID, $status: SessionStatus) {
    sessions(store: "express", first: 100, userId: $userId, status: $status) {
      edges { node { id store status data userId expiresAt user { username } } }
    }
  }
`);

const ExpressCurrentSession = graphql(`
  query ExpressCurrentSession {
    currentSession { id store status data userId expiresAt user { username } }
  }
`);

const ExpressCreateSession = graphql(`
  mutation ExpressCreateSession($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }
      ... on Error { code message }
    }
  }
`);

const ExpressUpdateSession = graphql(`
  mutation ExpressUpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id status data userId expiresAt } }
      ... on Error { code message }
    }
  }
`);

const ExpressEndSession = graphql(`
  mutation ExpressEndSession($input: EndSessionInput!) {
    endSession(input: $input) {
      __typename
      ... on EndSessionPayload { endedSessionId }
      ... on SessionNotFoundError { code }
    }
  }
`);

const ExpressEndUserSessions = graphql(`
  mutation ExpressEndUserSessions($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) {
      __typename
      ... on EndUserSessionsPayload { userId count }
      ... on Error { code message }
    }
  }
`);

const SECRETS = ['new secret', 'old secret'];
const NEW_YORK = 'America/New_York';

/** The `Session.id` sessiongraph gives the express row with this sid. */
const sessionIdOf = (sid: string) =>
  encodeSessionId({ store: 'express', ref: createHash('sha256').update(sid).digest('hex') });

/** connect-pg-simple's `expire`: `to_timestamp(ceil(cookie.expires / 1000))`. */
const ceilSeconds = (iso: string) => Math.ceil(Date.parse(iso) / 1000) * 1000;

function withoutCookie(sess: Record<string, unknown>) {
  const { cookie: _cookie, ...rest } = sess;
  return rest;
}

function cookieOf(sess: Record<string, unknown>) {
  return sess['cookie'] as { expires: string; originalMaxAge: number; httpOnly: boolean; path: string };
}

/**
 * The whole suite runs twice: with every connection in the server's TimeZone, and with express's pool in
 * America/New_York (`-c TimeZone=...`, as a deployment whose PGTZ or role setting is not UTC has it).
 *
 * The trap: connect-pg-simple writes `expire = to_timestamp(epoch)` into a `timestamp WITHOUT time zone`
 * column, so PostgreSQL stores the wall-clock time of the instant in the *writing connection's* TimeZone
 * (11:00 in New York for 15:00 UTC) and forgets the zone. A reader whose connection is in another zone
 * reads 11:00 as 11:00 of its own zone: four or five hours off. Here (writer in New York, sessiongraph's
 * connections in UTC) every live session would look expired to sessiongraph, `currentSession` would
 * return null, and what sessiongraph writes would live hours longer for express than asked; a writer east
 * of the reader gets the opposite. sessiongraph's store setting `timeZone` names the writer's zone, and
 * every read and write of `expire` goes through `AT TIME ZONE` that zone, whatever sessiongraph's own
 * connections use. With it, `expiresAt` is the real instant and express accepts what we write (on a real
 * server, this suite fails in seven places without the setting). One hour a year stays ambiguous: wall
 * times in the hour New York repeats when DST ends cannot be told apart, for connect-pg-simple too.
 */
describe.each([
  { label: 'server TimeZone on both sides', timeZone: undefined },
  { label: `express in ${NEW_YORK}, store timeZone ${NEW_YORK}`, timeZone: NEW_YORK },
])('express-session + connect-pg-simple ($label)', ({ timeZone }) => {
  let t: TestApp;
  let express: ExpressApp;
  const users: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({
      // The table must exist before sessiongraph starts (it checks it): connect-pg-simple creates it.
      setup: (pool) => createSessionTable(pool),
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          {
            kind: 'express',
            name: 'express',
            table: 'session',
            secrets: SECRETS,
            ...(timeZone ? { timeZone } : {}),
          },
        ],
      },
    });
    express = await startExpressApp(t.database.url, { timeZone, embedded: t.database.embedded });
    for (const name of ['ada', 'grace', 'linus', 'margaret']) users[name] = await userIdNamed(t.pool, name);
  });
  afterAll(async () => {
    await express?.close();
    await t?.close();
  });

  const browser = () => new Browser(express.url);

  async function listed(sid: string, status?: 'ACTIVE' | 'EXPIRED') {
    const result = await t.graphql(ExpressSessions, status ? { status } : {});
    expect(result.errors).toBeUndefined();
    return result.data!.sessions.edges.map((edge) => edge.node).find((node) => node.id === sessionIdOf(sid));
  }

  async function current(headers: Record<string, string>) {
    const result = await t.graphql(ExpressCurrentSession, undefined, headers);
    expect(result.errors).toBeUndefined();
    return result.data!.currentSession;
  }

  async function update(input: UpdateSessionInput) {
    const result = await t.graphql(ExpressUpdateSession, { input });
    expect(result.errors).toBeUndefined();
    const payload = result.data!.updateSession;
    if (payload.__typename !== 'UpdateSessionPayload') throw new Error(JSON.stringify(payload));
    return payload.session;
  }

  /** The row has `expire` = sessiongraph's `expiresAt` = ceil(sess.cookie.expires), as connect-pg-simple writes. */
  async function expectRowCoherent(sid: string, expiresAt: string | null | undefined) {
    const row = await express.row(sid);
    expect(row).not.toBeNull();
    expect(row!.expireMs % 1000).toBe(0);
    expect(new Date(row!.expireMs).toISOString()).toBe(expiresAt);
    expect(row!.expireMs).toBe(ceilSeconds(cookieOf(row!.sess).expires));
    return row!;
  }

  it('should list what express wrote: anonymous after /set, logged in after /login', async () => {
    const anonymous = browser();
    expect(
      (await anonymous.request('POST', '/set', { theme: 'dark', cart: [{ sku: 'A-1', qty: 2 }] })).ok,
    ).toBe(true);
    expect(anonymous.cookie).toMatch(/^connect\.sid=s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%]+$/);
    // express signs with the first secret.
    expect(anonymous.signedValue).toBe(`s:${sign(anonymous.sid, 'new secret')}`);

    const ada = browser();
    await ada.request('POST', `/login/${users['ada']}`);
    await ada.request('POST', '/set', { lang: 'fr', nested: { a: [1, null, true] } });

    // Right after express saved them, before any request touches them.
    const anonymousNode = await listed(anonymous.sid);
    const adaNode = await listed(ada.sid);
    const anonymousRow = await expectRowCoherent(anonymous.sid, anonymousNode?.expiresAt);
    const adaRow = await expectRowCoherent(ada.sid, adaNode?.expiresAt);
    expect(anonymousNode).toMatchObject({
      store: 'express',
      status: 'ACTIVE',
      data: withoutCookie(anonymousRow.sess),
      userId: null,
      user: null,
    });
    expect(adaNode).toMatchObject({
      status: 'ACTIVE',
      data: { passport: { user: Number(users['ada']) }, lang: 'fr', nested: { a: [1, null, true] } },
      userId: users['ada'],
      user: { username: 'ada' },
    });
    expect(adaNode!.data).toEqual(withoutCookie(adaRow.sess));

    // And what express itself loads is the same session: data minus cookie, cookie.expires within a second.
    const adaSeen = (await ada.me())!;
    expect(withoutCookie(adaSeen)).toEqual(adaNode!.data);
    // express-session computes originalMaxAge as expires - Date.now() right after setting expires: a
    // millisecond may pass in between.
    expect(COOKIE_MAX_AGE_MS - cookieOf(adaSeen).originalMaxAge).toBeLessThanOrEqual(5);
    expect(ceilSeconds(cookieOf(adaSeen).expires)).toBe(Date.parse(adaNode!.expiresAt!));
    const remaining = Date.parse(adaNode!.expiresAt!) - Date.now();
    expect(remaining).toBeGreaterThan(COOKIE_MAX_AGE_MS - 60_000);
    expect(remaining).toBeLessThanOrEqual(COOKIE_MAX_AGE_MS + 1000);

    const filtered = await t.graphql(ExpressSessions, { userId: users['ada'] });
    expect(filtered.data!.sessions.edges.map((edge) => edge.node.id)).toContain(sessionIdOf(ada.sid));
    expect(filtered.data!.sessions.edges.map((edge) => edge.node.id)).not.toContain(
      sessionIdOf(anonymous.sid),
    );
  });

  it('should follow `expire` when express’s touch moves it past the stored cookie.expires', async () => {
    const grace = browser();
    await grace.request('POST', `/login/${users['grace']}`);
    const before = (await express.row(grace.sid))!;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // An unmodified request: express-session resets cookie.expires to now + originalMaxAge in memory and
    // calls connect-pg-simple's touch, which updates only `expire`; the stored sess keeps the old expires.
    const started = Date.now();
    expect(await grace.me()).not.toBeNull();
    const after = (await express.row(grace.sid))!;
    expect(cookieOf(after.sess).expires).toBe(cookieOf(before.sess).expires);
    expect(after.expireMs).toBeGreaterThan(before.expireMs);
    expect(after.expireMs).toBeGreaterThanOrEqual(
      Math.ceil((started + cookieOf(before.sess).originalMaxAge) / 1000) * 1000,
    );
    // sessiongraph reports `expire`, the value connect-pg-simple's get checks.
    expect((await listed(grace.sid))!.expiresAt).toBe(new Date(after.expireMs).toISOString());
  });

  it('should find the browser’s own session by its signed cookie, and refuse forged or unknown signatures', async () => {
    const ada = browser();
    await ada.request('POST', `/login/${users['ada']}`);
    const expected = {
      id: sessionIdOf(ada.sid),
      store: 'express',
      userId: users['ada'],
      user: { username: 'ada' },
    };

    // The Cookie header exactly as the browser sends it: URL-encoded, signed with the new secret.
    expect(await current({ cookie: ada.cookie! })).toMatchObject(expected);
    expect(await current({ 'x-session-key': ada.signedValue })).toMatchObject(expected);

    // A cookie signed with the old secret: express accepts it (rotation), and so does sessiongraph.
    const oldSigned = `s:${sign(ada.sid, 'old secret')}`;
    const rotated = browser();
    rotated.cookie = `connect.sid=${encodeURIComponent(oldSigned)}`;
    expect(await rotated.me()).toMatchObject({ passport: { user: Number(users['ada']) } });
    expect(await current({ cookie: rotated.cookie })).toMatchObject(expected);
    expect(await current({ 'x-session-key': oldSigned })).toMatchObject(expected);

    const signature = ada.signedValue.slice(ada.signedValue.lastIndexOf('.') + 1);
    const flipped = signature.startsWith('A') ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    const forged = [
      `s:${ada.sid}.${flipped}`,
      `s:${sign(ada.sid, 'unknown secret')}`,
      `s:${ada.sid}`,
      ada.sid,
      `s:${sign(`${ada.sid}x`, 'new secret')}`,
    ];
    for (const value of forged) {
      const cookie = `connect.sid=${encodeURIComponent(value)}`;
      expect(await current({ cookie }), value).toBeNull();
      expect(await current({ 'x-session-key': value }), value).toBeNull();
      // express agrees: the same cookie gets it no session.
      const stranger = browser();
      stranger.cookie = cookie;
      expect(await stranger.me(), value).toBeNull();
    }
  });

  it('should set and unset keys in a way express loads, keeping passport, cookie and other keys', async () => {
    const ada = browser();
    await ada.request('POST', `/login/${users['ada']}`);
    await ada.request('POST', '/set', { theme: 'dark', lang: 'fr', cart: [1, 2] });
    const seenBefore = (await ada.me())!;

    const session = await update({
      id: sessionIdOf(ada.sid),
      set: { theme: 'light', count: 2 },
      unset: ['lang'],
    });
    expect(session.data).toEqual({
      passport: { user: Number(users['ada']) },
      theme: 'light',
      cart: [1, 2],
      count: 2,
    });
    await expectRowCoherent(ada.sid, session.expiresAt);

    const seen = (await ada.me())!;
    expect(withoutCookie(seen)).toEqual(session.data);
    expect(cookieOf(seen).originalMaxAge).toBe(cookieOf(seenBefore).originalMaxAge);
    expect(cookieOf(seen).httpOnly).toBe(true);
    expect(cookieOf(seen).path).toBe('/');

    // express keeps writing it as usual afterwards, and sessiongraph reads express's write.
    await ada.request('POST', '/set', { theme: 'blue', name: 'Zoë ✓ 😀' });
    expect((await listed(ada.sid))!.data).toEqual({ ...session.data, theme: 'blue', name: 'Zoë ✓ 😀' });

    // `replace` swaps all data (here logging the user out) and keeps the cookie.
    const replaced = await update({ id: sessionIdOf(ada.sid), replace: { cart: [], note: 'ñ' } });
    expect(replaced.userId).toBeNull();
    const afterReplace = (await ada.me())!;
    expect(withoutCookie(afterReplace)).toEqual({ cart: [], note: 'ñ' });
    expect(cookieOf(afterReplace).originalMaxAge).toBe(cookieOf(seenBefore).originalMaxAge);
  });

  it('should move sess.cookie.expires and `expire` together, and express should load the new expiry', async () => {
    const grace = browser();
    await grace.request('POST', `/login/${users['grace']}`);
    const before = (await listed(grace.sid))!;

    const extended = await update({ id: sessionIdOf(grace.sid), extendBySeconds: 7200 });
    expect(Date.parse(extended.expiresAt!)).toBe(Date.parse(before.expiresAt!) + 7200_000);
    const extendedRow = await expectRowCoherent(grace.sid, extended.expiresAt);
    expect(cookieOf(extendedRow.sess).expires).toBe(extended.expiresAt);
    const started = Date.now();
    const seen = (await grace.me())!;
    expect(cookieOf(seen).expires).toBe(extended.expiresAt);
    expect(seen).toMatchObject({ passport: { user: Number(users['grace']) } });
    // A limitation, not of the encoding: that request's touch set `expire` back to now + originalMaxAge
    // (express-session slides every session by it), so an extension lasts until the browser's next request.
    // sessiongraph keeps originalMaxAge (FORMATS.md §3.5); changing it would change the window for good.
    const touched = (await express.row(grace.sid))!.expireMs;
    expect(touched).toBeLessThan(Date.parse(extended.expiresAt!));
    expect(touched).toBeGreaterThanOrEqual(
      Math.ceil((started + cookieOf(seen).originalMaxAge) / 1000) * 1000,
    );
    expect((await listed(grace.sid))!.expiresAt).toBe(new Date(touched).toISOString());

    // An absolute instant with milliseconds: cookie.expires keeps them, `expire` rounds up to the second,
    // exactly as connect-pg-simple would store that cookie.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 1800_500);
    const moved = await update({ id: sessionIdOf(grace.sid), expiresAt: at.toISOString() });
    expect(moved.expiresAt).toBe(new Date(at.getTime() + 500).toISOString());
    const movedRow = await expectRowCoherent(grace.sid, moved.expiresAt);
    expect(cookieOf(movedRow.sess).expires).toBe(at.toISOString());
    expect(cookieOf((await grace.me())!).expires).toBe(at.toISOString());
  });

  it('should agree with express on which sessions have expired', async () => {
    const ada = browser();
    await ada.request('POST', `/login/${users['ada']}`);
    expect(await listed(ada.sid, 'ACTIVE')).toBeDefined();
    expect(await listed(ada.sid, 'EXPIRED')).toBeUndefined();
    // Expire it the way connect-pg-simple writes times: to_timestamp(epoch) on express's own connection.
    await express.pool.query(
      'UPDATE "session" SET expire = to_timestamp(ceil(extract(epoch FROM now())) - 5) WHERE sid = $1',
      [ada.sid],
    );
    expect(await ada.me()).toBeNull();
    expect(await listed(ada.sid, 'ACTIVE')).toBeUndefined();
    expect(await listed(ada.sid, 'EXPIRED')).toMatchObject({ status: 'EXPIRED', userId: users['ada'] });
    expect(await current({ cookie: ada.cookie! })).toBeNull();
  });

  it('should keep a browser-session cookie (no maxAge) one when changing its data or expiry', async () => {
    // express-session's default: no maxAge, `expires: null`, a cookie that ends with the browser;
    // connect-pg-simple then gives `expire` its ttl (one day) and slides it on every request.
    const app = await startExpressApp(t.database.url, {
      embedded: t.database.embedded,
      cookieMaxAge: null,
      ...(timeZone ? { timeZone } : {}),
    });
    try {
      const ada = new Browser(app.url);
      await ada.request('POST', `/login/${users['ada']}`);
      expect(ada.setCookie).not.toMatch(/expires=/i);
      const row = (await app.row(ada.sid))!;
      expect(cookieOf(row.sess)).toMatchObject({ originalMaxAge: null, expires: null });
      const node = (await listed(ada.sid))!;
      expect(Date.parse(node.expiresAt!)).toBe(row.expireMs);

      const updated = await update({ id: node.id, set: { theme: 'dark' } });
      expect(updated.expiresAt).toBe(node.expiresAt);
      expect(cookieOf((await app.row(ada.sid))!.sess)).toMatchObject({ originalMaxAge: null, expires: null });
      const extended = await update({ id: node.id, extendBySeconds: 3600 });
      expect(Date.parse(extended.expiresAt!)).toBe(row.expireMs + 3600_000);
      const extendedRow = (await app.row(ada.sid))!;
      expect(extendedRow.expireMs).toBe(row.expireMs + 3600_000);
      expect(cookieOf(extendedRow.sess)).toMatchObject({ originalMaxAge: null, expires: null });

      const seen = (await ada.me())!;
      expect(seen).toMatchObject({ passport: { user: Number(users['ada']) }, theme: 'dark' });
      expect(cookieOf(seen)).toMatchObject({ originalMaxAge: null, expires: null });
      // express's next change must not turn it into a persistent cookie.
      ada.setCookie = null;
      expect((await ada.request('POST', '/set', { step: 2 })).ok).toBe(true);
      expect(ada.setCookie ?? '').not.toMatch(/expires=/i);
      expect(cookieOf((await app.row(ada.sid))!.sess)).toMatchObject({ originalMaxAge: null, expires: null });
    } finally {
      await app.close();
    }
  });

  it('should create sessions express accepts as its own cookie', async () => {
    const result = await t.graphql(ExpressCreateSession, {
      input: {
        store: 'express',
        userId: users['margaret'],
        data: { cart: ['SKU-1'], theme: 'dark' },
        ttlSeconds: 600,
      },
    });
    const payload = result.data!.createSession;
    if (payload.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(payload));
    expect(payload.sessionKey).toMatch(/^s:[A-Za-z0-9_-]{32}\.[A-Za-z0-9+/]{43}$/);
    const sid = payload.sessionKey.slice(2, payload.sessionKey.lastIndexOf('.'));
    expect(payload.sessionKey).toBe(`s:${sign(sid, 'new secret')}`);
    expect(payload.session).toMatchObject({
      id: sessionIdOf(sid),
      store: 'express',
      status: 'ACTIVE',
      data: { cart: ['SKU-1'], theme: 'dark', passport: { user: Number(users['margaret']) } },
      userId: users['margaret'],
      user: { username: 'margaret' },
    });
    const row = await expectRowCoherent(sid, payload.session.expiresAt);
    expect(Object.keys(row.sess)[0]).toBe('cookie');

    const margaret = browser();
    margaret.cookie = `connect.sid=${encodeURIComponent(payload.sessionKey)}`;
    const seen = (await margaret.me())!;
    expect(seen).toMatchObject({
      passport: { user: Number(users['margaret']) },
      cart: ['SKU-1'],
      theme: 'dark',
    });
    expect(ceilSeconds(cookieOf(seen).expires)).toBe(Date.parse(payload.session.expiresAt!));
    expect(cookieOf(seen)).toMatchObject({ originalMaxAge: 600_000, httpOnly: true, path: '/' });

    // express writes to it like any of its sessions; sessiongraph reads that back.
    expect((await margaret.request('POST', '/set', { theme: 'light' })).ok).toBe(true);
    expect(margaret.cookie).toBe(`connect.sid=${encodeURIComponent(payload.sessionKey)}`);
    expect((await listed(sid))!.data).toEqual({
      cart: ['SKU-1'],
      theme: 'light',
      passport: { user: Number(users['margaret']) },
    });

    // Anonymous: no passport at all.
    const anonymous = await t.graphql(ExpressCreateSession, {
      input: { store: 'express', data: { step: 1 } },
    });
    const anonymousPayload = anonymous.data!.createSession;
    if (anonymousPayload.__typename !== 'CreateSessionPayload')
      throw new Error(JSON.stringify(anonymousPayload));
    const visitor = browser();
    visitor.cookie = `connect.sid=${encodeURIComponent(anonymousPayload.sessionKey)}`;
    expect(withoutCookie((await visitor.me())!)).toEqual({ step: 1 });
  });

  it('should end a session so that express no longer has it', async () => {
    const ada = browser();
    await ada.request('POST', `/login/${users['ada']}`);
    expect(await ada.me()).not.toBeNull();
    const result = await t.graphql(ExpressEndSession, { input: { id: sessionIdOf(ada.sid) } });
    expect(result.data!.endSession).toEqual({
      __typename: 'EndSessionPayload',
      endedSessionId: sessionIdOf(ada.sid),
    });
    expect(await ada.me()).toBeNull();
    expect(await current({ cookie: ada.cookie! })).toBeNull();
    expect(await express.row(ada.sid)).toBeNull();

    // And the other way round: express's /logout removes what sessiongraph lists.
    const grace = browser();
    await grace.request('POST', `/login/${users['grace']}`);
    expect(await listed(grace.sid)).toBeDefined();
    expect((await grace.request('POST', '/logout')).status).toBe(204);
    expect(await listed(grace.sid)).toBeUndefined();
  });

  it('should end every express session of one user and only those', async () => {
    const linusA = browser();
    await linusA.request('POST', `/login/${users['linus']}`);
    const linusB = browser();
    await linusB.request('POST', `/login/${users['linus']}`);
    await linusB.request('POST', '/set', { device: 'phone' });
    const created = await t.graphql(ExpressCreateSession, {
      input: { store: 'express', userId: users['linus'] },
    });
    const createdPayload = created.data!.createSession;
    if (createdPayload.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(createdPayload));
    const linusC = browser();
    linusC.cookie = `connect.sid=${encodeURIComponent(createdPayload.sessionKey)}`;
    const margaret = browser();
    await margaret.request('POST', `/login/${users['margaret']}`);
    const anonymous = browser();
    await anonymous.request('POST', '/set', { linus: true });
    for (const b of [linusA, linusB, linusC, margaret, anonymous]) expect(await b.me()).not.toBeNull();

    const result = await t.graphql(ExpressEndUserSessions, {
      input: { userId: users['linus']!, store: 'express' },
    });
    expect(result.data!.endUserSessions).toEqual({
      __typename: 'EndUserSessionsPayload',
      userId: users['linus'],
      count: 3,
    });
    for (const b of [linusA, linusB, linusC]) expect(await b.me()).toBeNull();
    expect(await margaret.me()).toMatchObject({ passport: { user: Number(users['margaret']) } });
    expect(await anonymous.me()).toMatchObject({ linus: true });
    const left = await t.graphql(ExpressSessions, { userId: users['linus'] });
    expect(left.data!.sessions.edges).toEqual([]);
  });

  // Only the New York suite has a zone to fall into; the default suite defines no such test.
  (timeZone ? it : () => {})(
    'should report the real expiry instant although `expire` holds New York wall time',
    async () => {
      const ada = browser();
      await ada.request('POST', `/login/${users['ada']}`);
      expect((await express.pool.query('SHOW TimeZone')).rows[0]).toEqual({ TimeZone: NEW_YORK });
      const row = (await express.row(ada.sid))!;
      const realExpiry = ceilSeconds(cookieOf(row.sess).expires);

      const readings = await t.pool.query<{ naive_ms: number; zoned_ms: number }>(
        `SELECT extract(epoch FROM expire AT TIME ZONE 'UTC')::float8 * 1000 AS naive_ms,
              extract(epoch FROM expire AT TIME ZONE '${NEW_YORK}')::float8 * 1000 AS zoned_ms
         FROM "session" WHERE sid = $1`,
        [ada.sid],
      );
      const { naive_ms, zoned_ms } = readings.rows[0]!;
      // The stored wall time is New York's: read as UTC it is 4 h (EDT) or 5 h (EST) before the real expiry.
      expect(zoned_ms).toBe(realExpiry);
      expect([4 * 3600_000, 5 * 3600_000]).toContain(zoned_ms - naive_ms);
      if (!t.database.embedded) {
        // On a real server sessiongraph's own connections stay in the server's zone (here not New York), so
        // only the store's `timeZone` setting makes its reading right. (PGlite shares one backend session
        // between all connections, so there the SET in express-app.ts moved ours too.)
        const ours = (await t.pool.query<{ TimeZone: string }>('SHOW TimeZone')).rows[0]!.TimeZone;
        expect(ours).not.toBe(NEW_YORK);
      }

      const node = (await listed(ada.sid))!;
      expect(Date.parse(node.expiresAt!)).toBe(realExpiry);
      const remaining = realExpiry - Date.now();
      expect(remaining).toBeGreaterThan(COOKIE_MAX_AGE_MS - 60_000);
      expect(remaining).toBeLessThanOrEqual(COOKIE_MAX_AGE_MS + 1000);

      // Writes go through the same zone: an extension lands where connect-pg-simple reads it.
      const extended = await update({ id: node.id, extendBySeconds: 60 });
      expect(Date.parse(extended.expiresAt!)).toBe(realExpiry + 60_000);
      expect((await express.row(ada.sid))!.expireMs).toBe(realExpiry + 60_000);
      expect(cookieOf((await ada.me())!).expires).toBe(extended.expiresAt);
    },
  );
  /**
   * The default userPaths include the very common key `userId`, so an app storing e.g. `userId: "abc"`
   * hands the `User` loader an id that cannot be an integer key: it must be a null user, not a failed batch.
   */
  it('should give user null for a session whose userId is not a users key, without breaking the rest', async () => {
    const odd = browser();
    await odd.request('POST', '/set', { userId: 'not a key' });
    try {
      const result = await t.graphql(ExpressSessions, {});
      expect(result.errors).toBeUndefined();
      const nodes = result.data!.sessions.edges.map((edge) => edge.node);
      expect(nodes.find((node) => node.id === sessionIdOf(odd.sid))).toMatchObject({ user: null });
      expect(nodes.some((node) => node.user?.username === 'margaret')).toBe(true);
    } finally {
      await odd.request('POST', '/logout');
    }
  });
});
