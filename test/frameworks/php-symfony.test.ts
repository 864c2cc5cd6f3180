import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/codecs/result.ts';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import { graphql } from '../gql/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { userIdNamed } from '../helpers/seed.ts';
import { databaseUrlOf, harness, holdSession, requireServer, SYMFONY_AUTOLOAD } from './php-harness.ts';

/**
 * sessiongraph against REAL Symfony 5.4 (Debian's php-symfony-http-foundation and -security-*): Symfony's own
 * PdoSessionHandler writes sessions, logged in through the firewall's token (an App\Entity\User entity, an
 * InMemoryUser) or anonymous, under both serialize handlers and in the layout before 4.4 (`sess_lifetime` a
 * duration); NativeSessionStorage and the firewall's ContextListener load what sessiongraph writes. Two
 * stores: `symfony` (table `sessions`, handler `php`, user id in the entity's `id`) and `memory` (table
 * `memory.sessions`, handler `php_serialize`, user id in InMemoryUser's `username`).
 */

const SERVER_URL = requireServer('test/frameworks/php-symfony.test.ts');
const LIFETIME = 1440;
const MAX_LIFETIME = 315_576_000;
const DATETIME =
  'O:17:"DateTimeImmutable":3:{s:4:"date";s:26:"2024-05-17 13:45:30.000000";s:13:"timezone_type";i:3;s:8:"timezone";s:3:"UTC";}';

type Store = 'symfony' | 'memory';
interface Loaded {
  served: boolean;
  problem: string | null;
  attributes: JsonObject;
  meta: { c: number; u: number; l: number } | null;
  user: string | null;
  token: { class?: string; userId?: number | null; problem?: string } | null;
}
interface WriteSpec {
  data?: JsonObject;
  user?: string;
  userClass?: 'InMemoryUser' | 'App\\Entity\\User';
  userId?: number;
  token?: 'UsernamePasswordToken' | 'PostAuthenticationToken';
  firewall?: string;
  legacy?: boolean;
  ageSeconds?: number;
}

/** A browser: no token, and the header that cookie-authenticated requests need. */
const BROWSER = { authorization: '', 'x-graphql-csrf': '1' };
const refOf = (key: string) => createHash('sha256').update(key).digest('hex');
const nodeIdOf = (store: Store, key: string) => encodeSessionId({ store, ref: refOf(key) });
/** What sessiongraph shows of the attributes Symfony loads: all but those Symfony's security manages. */
const visible = (attributes: JsonObject) =>
  Object.fromEntries(Object.entries(attributes).filter(([key]) => !/^(_security|_csrf\/)/.test(key)));
const serialized = (text: string) => ({ $serialized: Buffer.from(text, 'latin1').toString('base64') });

const SymfonyCreate = graphql(`
  mutation SymfonyCreate($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

const SymfonyUpdate = graphql(`
  mutation SymfonyUpdate($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id status data userId expiresAt } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

const SymfonyEnd = graphql(`
  mutation SymfonyEnd($input: EndSessionInput!) {
    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }
  }
`);

const SymfonyEndUser = graphql(`
  mutation SymfonyEndUser($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }
  }
`);

const SymfonyRotate = graphql(`
  mutation SymfonyRotate($input: EndSessionInput!) {
    rotateSessionKey(input: $input) {
      __typename
      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id status data userId } }
      ... on Error { code message }
    }
  }
`);

const SymfonySessions = graphql(`
  query SymfonySessions($store: String!, $status: SessionStatus, $userId: ID) {
    sessions(store: $store, status: $status, userId: $userId, first: 100) {
      edges { node { id status problem decodeNote data userId expiresAt lastSeenAt user { username } } }
      pageInfo { hasNextPage }
    }
  }
`);

const SymfonyCurrent = graphql(`
  query SymfonyCurrent { currentSession { id store status data userId user { username } } }
`);

const SymfonyUserSessions = graphql(`
  query SymfonyUserSessions($id: ID!, $store: String!) {
    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }
  }
`);

describe('Symfony PdoSessionHandler, against real Symfony 5.4', () => {
  let t: TestApp;
  let databaseUrl = '';
  const users: Record<string, string> = {};
  const responses: string[] = [];
  const ids: Record<string, string> = {};
  const named = (names: string[], keys: string[]) => {
    names.forEach((name, index) => {
      ids[name] = keys[index]!;
    });
  };
  /** Ids Symfony chose (never handed out by sessiongraph). */
  const symfonyIds: string[] = [];
  /** What Symfony loaded right after writing, by name. */
  const before: Record<string, Loaded> = {};

  const envOf = (store: Store) => ({
    DATABASE_URL: store === 'memory' ? `${databaseUrl}?db_table=memory.sessions` : databaseUrl,
  });
  const tableOf = (store: Store) => (store === 'memory' ? 'memory.sessions' : 'sessions');
  const handlerOf = (store: Store) => (store === 'memory' ? 'php_serialize' : 'php');

  async function write(store: Store, sessions: WriteSpec[]): Promise<string[]> {
    const input = {
      table: tableOf(store),
      sessions: sessions.map((s) => ({ ...s, handler: handlerOf(store), lifetime: LIFETIME })),
    };
    return (await harness<{ ids: string[] }>('symfony-write', input, envOf(store))).ids;
  }
  async function load(store: Store, keys: string[]): Promise<Record<string, Loaded>> {
    const input = { ids: keys, table: tableOf(store), handler: handlerOf(store) };
    return (await harness<{ results: Record<string, Loaded> }>('symfony-load', input, envOf(store))).results;
  }
  async function loadOne(store: Store, key: string): Promise<Loaded> {
    return (await load(store, [key]))[key]!;
  }
  const gql = async <R, V>(
    document: TypedDocumentNode<R, V>,
    variables?: V,
    headers?: Record<string, string>,
  ) => {
    const result = await t.graphql(document, variables, headers);
    responses.push(JSON.stringify(result));
    expect(result.errors).toBeUndefined();
    return result.data!;
  };
  async function list(
    store: Store,
    variables: { status?: 'ACTIVE' | 'EXPIRED' | 'INVALID'; userId?: string } = {},
  ) {
    const { sessions } = await gql(SymfonySessions, { store, ...variables });
    expect(sessions.pageInfo.hasNextPage).toBe(false);
    return new Map(sessions.edges.map(({ node }) => [node.id, node]));
  }
  const listed = async (store: Store, key: string) => (await list(store)).get(nodeIdOf(store, key))!;
  async function update(store: Store, key: string, input: Record<string, unknown>) {
    const result = await gql(SymfonyUpdate, { input: { id: nodeIdOf(store, key), ...input } });
    if (result.updateSession.__typename !== 'UpdateSessionPayload')
      throw new Error(JSON.stringify(result.updateSession));
    return result.updateSession.session;
  }
  const storedBytes = async (store: Store, key: string) =>
    (
      await t.pool.query<{ data: Buffer }>(
        `SELECT sess_data AS data FROM ${tableOf(store)} WHERE sess_id = $1`,
        [key],
      )
    ).rows[0]?.data.toString('latin1');
  const storedTimes = async (store: Store, key: string) =>
    (
      await t.pool.query<{ l: number; t: number }>(
        `SELECT sess_lifetime AS l, sess_time AS t FROM ${tableOf(store)} WHERE sess_id = $1`,
        [key],
      )
    ).rows[0]!;

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'php', name: 'symfony', layout: 'symfony', maxLifetimeSeconds: LIFETIME },
          {
            kind: 'php',
            name: 'memory',
            layout: 'symfony',
            table: 'memory.sessions',
            serializeHandler: 'php_serialize',
            userProperty: 'username',
          },
        ],
        budgets: { maxOutputBytes: 256 * 1024 },
      },
      setup: async (pool) => {
        databaseUrl = await databaseUrlOf(pool, SERVER_URL);
        await pool.query('CREATE SCHEMA memory');
        await harness('symfony-create-table', {}, envOf('symfony'));
        await harness('symfony-create-table', { table: 'memory.sessions' }, envOf('memory'));
      },
    });
    for (const name of ['ada', 'grace', 'linus']) users[name] = await userIdNamed(t.pool, name);
    const adaEntity = {
      user: 'ada@example.com',
      userClass: 'App\\Entity\\User',
      userId: Number(users['ada']),
    } as const;
    named(
      ['entity', 'post', 'anon', 'admin', 'legacy', 'legacyOld', 'stale'],
      await write('symfony', [
        {
          ...adaEntity,
          data: {
            cart: [{ sku: 'A-1', qty: 2 }],
            theme: 'dark',
            name: 'Zoë 🎉 "quoted"',
            price: 19.5,
            since: serialized(DATETIME),
            '_csrf/authenticate': 'csrf-secret-token',
          },
        },
        {
          user: 'grace@example.com',
          userClass: 'App\\Entity\\User',
          userId: Number(users['grace']),
          token: 'PostAuthenticationToken',
          data: { theme: 'light' },
        },
        { data: { theme: 'light', visits: 3 } },
        { ...adaEntity, firewall: 'admin', data: { theme: 'admin' } },
        { ...adaEntity, data: { theme: 'sepia' }, legacy: true, ageSeconds: 100 },
        { data: { theme: 'old' }, legacy: true, ageSeconds: LIFETIME + 100 },
        { data: { theme: 'stale' }, ageSeconds: LIFETIME + 100 },
      ]),
    );
    named(
      ['mem', 'memAnon'],
      await write('memory', [
        { user: users['grace']!, data: { theme: 'dark', list: [1, 2.5, null, true] } },
        { data: { '5': 'five', theme: 'none' } },
      ]),
    );
    symfonyIds.push(...Object.values(ids));
    Object.assign(
      before,
      await load(
        'symfony',
        ['entity', 'post', 'anon', 'admin', 'legacy'].map((n) => ids[n]!),
      ),
    );
    Object.assign(before, await load('memory', [ids['mem']!, ids['memAnon']!]));
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('reading what Symfony wrote', () => {
    it('should show the attributes Symfony loads, without the security ones, and the firewall token’s user', async () => {
      // Symfony really wrote what this test is about.
      expect(before[ids['entity']!]).toMatchObject({
        served: true,
        user: 'ada@example.com',
        token: { userClass: 'App\\Entity\\User', userId: Number(users['ada']) },
      });
      expect(before[ids['mem']!]).toMatchObject({ served: true, user: users['grace'] });
      expect(before[ids['entity']!]!.attributes['since']).toMatchObject({ __class: 'DateTimeImmutable' });

      const expectedUsers: Record<string, [Store, string | null]> = {
        entity: ['symfony', 'ada'],
        post: ['symfony', 'grace'],
        anon: ['symfony', null],
        admin: ['symfony', null], // a token of another firewall than the store's
        legacy: ['symfony', 'ada'],
        mem: ['memory', 'grace'],
        memAnon: ['memory', null],
      };
      for (const [name, [store, user]] of Object.entries(expectedUsers)) {
        const node = await listed(store, ids[name]!);
        const loaded = before[ids[name]!]!;
        expect(node, name).toMatchObject({ status: 'ACTIVE', problem: null });
        expect(node.data, name).toEqual(visible(loaded.attributes));
        expect(node.userId, name).toBe(user === null ? null : users[user]);
        expect(node.user, name).toEqual(user === null ? null : { username: user });
      }
      expect((await listed('symfony', ids['entity']!)).data).toEqual({
        cart: [{ sku: 'A-1', qty: 2 }],
        theme: 'dark',
        name: 'Zoë 🎉 "quoted"',
        price: 19.5,
        since: {
          __class: 'DateTimeImmutable',
          date: '2024-05-17 13:45:30.000000',
          timezone_type: 3,
          timezone: 'UTC',
        },
      });
      expect((await listed('memory', ids['memAnon']!)).data).toEqual({ '5': 'five', theme: 'none' });
    });

    it('should take expiresAt from sess_lifetime (a timestamp, or before 4.4 a duration after sess_time) as Symfony does', async () => {
      const symfony = await list('symfony');
      for (const name of ['entity', 'post', 'anon', 'legacy', 'legacyOld', 'stale']) {
        const { l, t: time } = await storedTimes('symfony', ids[name]!);
        const expiry = l <= MAX_LIFETIME ? l + time : l;
        const node = symfony.get(nodeIdOf('symfony', ids[name]!))!;
        // Symfony serves the row while `expiry >= time()`: it stops one second after sess_lifetime.
        expect(new Date(node.expiresAt!).getTime(), name).toBe((expiry + 1) * 1000);
        expect(new Date(node.lastSeenAt!).getTime(), name).toBe(time * 1000);
      }
      expect((await storedTimes('symfony', ids['legacy']!)).l).toBe(LIFETIME);
      const loaded = await load('symfony', [ids['legacyOld']!, ids['stale']!, ids['legacy']!]);
      for (const name of ['legacyOld', 'stale']) {
        expect(symfony.get(nodeIdOf('symfony', ids[name]!))!.status, name).toBe('EXPIRED');
        expect(loaded[ids[name]!], name).toMatchObject({ served: false, problem: 'expired' });
      }
      expect(loaded[ids['legacy']!]).toMatchObject({ served: true });
      const expired = await list('symfony', { status: 'EXPIRED' });
      expect([...expired.keys()].sort()).toEqual(
        [nodeIdOf('symfony', ids['legacyOld']!), nodeIdOf('symfony', ids['stale']!)].sort(),
      );

      // The last second Symfony serves (expiry = time()) is ACTIVE; the next one is not.
      const { l } = await storedTimes('symfony', ids['anon']!);
      t.setNow(new Date(l * 1000 + 999));
      expect((await listed('symfony', ids['anon']!)).status).toBe('ACTIVE');
      t.setNow(new Date((l + 1) * 1000));
      expect((await listed('symfony', ids['anon']!)).status).toBe('EXPIRED');
      expect((await list('symfony', { status: 'ACTIVE' })).has(nodeIdOf('symfony', ids['anon']!))).toBe(
        false,
      );
      t.setNow(null);
    });
  });

  describe('writing what Symfony loads', () => {
    it('should create a session Symfony serves with the same attributes, and refuse a forged login', async () => {
      const data = { cart: [{ sku: 'B-2', qty: 1 }], theme: 'dark', score: 1.5, note: 'Zoë', '5': 'five' };
      const result = await gql(SymfonyCreate, { input: { store: 'symfony', data } });
      if (result.createSession.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(result));
      const { sessionKey: key, session } = result.createSession;
      ids['created'] = key;
      expect(key).toMatch(/^[0-9a-v]{32}$/);
      expect(session).toMatchObject({ id: nodeIdOf('symfony', key), status: 'ACTIVE', userId: null, data });
      const expiresIn = new Date(session.expiresAt!).getTime() - Date.now();
      expect(expiresIn).toBeGreaterThan((LIFETIME - 60) * 1000);
      expect(expiresIn).toBeLessThanOrEqual((LIFETIME + 1) * 1000);
      expect((await storedTimes('symfony', key)).l).toBe(new Date(session.expiresAt!).getTime() / 1000 - 1);
      const loaded = await loadOne('symfony', key);
      expect(loaded).toMatchObject({ served: true, user: null, attributes: data, meta: { l: 0 } });
      expect(Math.abs(loaded.meta!.c * 1000 - Date.now())).toBeLessThan(60_000);

      const memory = await gql(SymfonyCreate, { input: { store: 'memory', data: { theme: 'light' } } });
      if (memory.createSession.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(memory));
      expect(await loadOne('memory', memory.createSession.sessionKey)).toMatchObject({
        served: true,
        attributes: { theme: 'light' },
      });

      const forged = await gql(SymfonyCreate, {
        input: { store: 'symfony', userId: users['ada']!, data: {} },
      });
      expect(forged.createSession).toMatchObject({ __typename: 'InvalidInputError', field: 'userId' });
      for (const key of ['_security_main', '_csrf/authenticate']) {
        const refused = await gql(SymfonyCreate, { input: { store: 'symfony', data: { [key]: 'x' } } });
        expect(refused.createSession, key).toMatchObject({ __typename: 'InvalidInputError', field: 'data' });
      }
    });

    it('should change one attribute and leave every other byte as PHP wrote it, the login included', async () => {
      const key = ids['entity']!;
      const stored = (await storedBytes('symfony', key))!;
      await update('symfony', key, { set: { theme: 'light' } });
      expect(await storedBytes('symfony', key)).toBe(
        stored.replace('s:5:"theme";s:4:"dark";', 's:5:"theme";s:5:"light";'),
      );
      const loaded = await loadOne('symfony', key);
      expect(loaded).toMatchObject({
        served: true,
        user: 'ada@example.com',
        token: { userId: Number(users['ada']) },
        attributes: { ...before[key]!.attributes, theme: 'light' },
      });

      await update('symfony', key, { unset: ['cart'], set: { coupon: 'X-1' } });
      const { cart: _cart, ...rest } = before[key]!.attributes;
      expect((await loadOne('symfony', key)).attributes).toEqual({ ...rest, theme: 'light', coupon: 'X-1' });

      // replace: the data goes, what Symfony's security keeps stays, in its place.
      const replaced = await update('symfony', key, { replace: { only: 1 } });
      expect(replaced).toMatchObject({ data: { only: 1 }, userId: users['ada'] });
      const after = await loadOne('symfony', key);
      expect(Object.keys(after.attributes)).toEqual(['_csrf/authenticate', '_security_main', 'only']);
      expect(after).toMatchObject({
        user: 'ada@example.com',
        attributes: { '_csrf/authenticate': 'csrf-secret-token' },
      });
      expect(after.attributes['_security_main']).toBe(before[key]!.attributes['_security_main']);

      for (const name of ['_security_main', '_security_admin', '_csrf/delete']) {
        const refused = await gql(SymfonyUpdate, {
          input: { id: nodeIdOf('symfony', key), set: { [name]: 'x' } },
        });
        expect(refused.updateSession, name).toMatchObject({ __typename: 'InvalidInputError' });
      }
    });

    it('should write php_serialize sessions and rows of the old layout so Symfony loads them', async () => {
      await update('memory', ids['mem']!, { set: { theme: 'light' } });
      expect(await loadOne('memory', ids['mem']!)).toMatchObject({
        served: true,
        user: users['grace'],
        attributes: { ...before[ids['mem']!]!.attributes, theme: 'light' },
      });
      expect((await listed('memory', ids['mem']!)).userId).toBe(users['grace']);

      const key = ids['legacy']!;
      const start = await listed('symfony', key);
      await update('symfony', key, { set: { theme: 'light' } });
      // Rewritten in 5.4's layout (an expiry timestamp), with the same expiry.
      expect((await storedTimes('symfony', key)).l).toBe(new Date(start.expiresAt!).getTime() / 1000 - 1);
      expect((await listed('symfony', key)).expiresAt).toBe(start.expiresAt);
      expect(await loadOne('symfony', key)).toMatchObject({
        served: true,
        user: 'ada@example.com',
        attributes: { theme: 'light' },
      });
    });

    it('should move sess_lifetime with the expiry, and refuse one past what int4 holds', async () => {
      const key = ids['anon']!;
      const start = await listed('symfony', key);
      const extended = await update('symfony', key, { extendBySeconds: 600 });
      expect(new Date(extended.expiresAt!).getTime()).toBe(new Date(start.expiresAt!).getTime() + 600_000);
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 7200_000);
      expect((await update('symfony', key, { expiresAt: at.toISOString() })).expiresAt).toBe(
        at.toISOString(),
      );
      expect((await storedTimes('symfony', key)).l).toBe(at.getTime() / 1000 - 1);
      const refused = await gql(SymfonyUpdate, {
        input: { id: nodeIdOf('symfony', key), expiresAt: '2040-01-01T00:00:00.000Z' },
      });
      expect(refused.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'expiresAt' });
      await update('symfony', key, { ttlSeconds: 3600 });
      expect(await loadOne('symfony', key)).toMatchObject({
        served: true,
        attributes: before[key]!.attributes,
      });
    });

    it('should answer currentSession for the PHPSESSID cookie and X-Session-Key', async () => {
      for (const [store, name] of [
        ['symfony', 'post'],
        ['memory', 'mem'],
      ] as const) {
        const key = ids[name]!;
        const byCookie = await gql(SymfonyCurrent, undefined, {
          ...BROWSER,
          cookie: `theme=x; PHPSESSID=${key}`,
        });
        expect(byCookie.currentSession).toMatchObject({
          id: nodeIdOf(store, key),
          status: 'ACTIVE',
          user: { username: 'grace' },
        });
        const byHeader = await gql(SymfonyCurrent, undefined, { ...BROWSER, 'x-session-key': key });
        expect(byHeader.currentSession?.id).toBe(nodeIdOf(store, key));
      }
      for (const bad of [ids['stale']!, `${ids['post']} `, `${ids['post']}'`, 'unknown0123456789', '']) {
        const none = await gql(SymfonyCurrent, undefined, {
          ...BROWSER,
          cookie: `PHPSESSID=${encodeURIComponent(bad)}`,
        });
        expect(none.currentSession, bad).toBeNull();
      }
    });
  });

  describe('ending sessions', () => {
    it('should list a user’s sessions through the projection, and end them all for Symfony', async () => {
      await t.sync();
      const grace = await gql(SymfonyUserSessions, { id: users['grace']!, store: 'symfony' });
      expect(grace.user!.sessions.edges.map((edge) => edge.node.id)).toEqual([
        nodeIdOf('symfony', ids['post']!),
      ]);
      const memory = await gql(SymfonyUserSessions, { id: users['grace']!, store: 'memory' });
      expect(memory.user!.sessions.totalCount).toBe(1);
      const adas = await list('symfony', { userId: users['ada']! });
      expect([...adas.keys()].sort()).toEqual(
        [nodeIdOf('symfony', ids['entity']!), nodeIdOf('symfony', ids['legacy']!)].sort(),
      );

      const ended = await gql(SymfonyEndUser, { input: { userId: users['ada']!, store: 'symfony' } });
      expect(ended.endUserSessions).toMatchObject({ count: 2 });
      const loaded = await load('symfony', [ids['entity']!, ids['legacy']!, ids['admin']!]);
      expect(loaded[ids['entity']!]).toMatchObject({ served: false, problem: 'missing' });
      expect(loaded[ids['legacy']!]).toMatchObject({ served: false, problem: 'missing' });
      // The admin firewall's token is not the store's: that session stays.
      expect(loaded[ids['admin']!]).toMatchObject({ served: true });
    });

    it('should rotate a key: Symfony serves the new one with the same login and data, and not the old one', async () => {
      const old = ids['post']!;
      const result = await gql(SymfonyRotate, { input: { id: nodeIdOf('symfony', old) } });
      if (result.rotateSessionKey.__typename !== 'RotateSessionKeyPayload')
        throw new Error(JSON.stringify(result));
      const key = result.rotateSessionKey.sessionKey;
      expect(key).toMatch(/^[0-9a-v]{32}$/);
      const loaded = await load('symfony', [key, old]);
      expect(loaded[key]).toMatchObject({
        served: true,
        user: 'grace@example.com',
        attributes: before[old]!.attributes,
      });
      expect(loaded[old]).toMatchObject({ served: false, problem: 'missing' });
      expect(result.rotateSessionKey.session).toMatchObject({
        userId: users['grace'],
        data: { theme: 'light' },
      });
      ids['post'] = key;
    });

    // Symfony saves with INSERT ... ON CONFLICT: whether an ended session comes back depends on its lock mode.
    const holdScript = (lockMode: number) => `<?php
${SYMFONY_AUTOLOAD}
use Symfony\\Component\\HttpFoundation\\Session\\Session;
use Symfony\\Component\\HttpFoundation\\Session\\Storage\\Handler\\PdoSessionHandler;
use Symfony\\Component\\HttpFoundation\\Session\\Storage\\NativeSessionStorage;
$handler = new PdoSessionHandler(getenv('DATABASE_URL'), ['lock_mode' => ${lockMode}]);
$session = new Session(new NativeSessionStorage(['gc_probability' => 0], $handler));
$session->setId(getenv('SESSION_ID'));
$session->start();
echo "read\\n";
fgets(STDIN);
$session->set('visits', $session->get('visits', 0) + 1);
$session->save();
echo "saved\\n", json_encode(['id' => $session->getId()]), "\\n";
`;
    const rowExists = async (key: string) =>
      ((await t.pool.query('SELECT 1 FROM sessions WHERE sess_id = $1', [key])).rowCount ?? 0) > 0;

    it('should end a session a request holds (LOCK_TRANSACTIONAL): the delete waits for the request’s save', async () => {
      const [key] = await write('symfony', [{ data: { theme: 'held' } }]);
      const hold = holdSession(holdScript(2), { ...envOf('symfony'), SESSION_ID: key! });
      await hold.read();
      let done = false;
      const ending = gql(SymfonyEnd, { input: { id: nodeIdOf('symfony', key!) } }).then((result) => {
        done = true;
        return result;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(done).toBe(false); // Symfony holds the row FOR UPDATE until close()
      await hold.save();
      expect((await ending).endSession).toMatchObject({ __typename: 'EndSessionPayload' });
      expect(await rowExists(key!)).toBe(false);
    });

    it('should keep an ended session ended under LOCK_ADVISORY, where Symfony’s save would bring it back', async () => {
      const [ended, control] = await write('symfony', [
        {
          user: 'linus@example.com',
          userClass: 'App\\Entity\\User',
          userId: Number(users['linus']),
          data: { theme: 'a' },
        },
        {
          user: 'linus@example.com',
          userClass: 'App\\Entity\\User',
          userId: Number(users['linus']),
          data: { theme: 'b' },
        },
      ]);
      const holds = [ended!, control!].map((key) =>
        holdSession(holdScript(1), { ...envOf('symfony'), SESSION_ID: key }),
      );
      await Promise.all(holds.map((hold) => hold.read()));
      expect(
        (await gql(SymfonyEnd, { input: { id: nodeIdOf('symfony', ended!) } })).endSession,
      ).toMatchObject({
        __typename: 'EndSessionPayload',
      });
      // The control is deleted without a tombstone: Symfony's save writes it back, logged in.
      await t.pool.query('DELETE FROM sessions WHERE sess_id = $1', [control]);
      await Promise.all(holds.map((hold) => hold.save()));
      expect(await rowExists(control!)).toBe(true);
      expect(await loadOne('symfony', control!)).toMatchObject({ served: true, user: 'linus@example.com' });
      expect(await rowExists(ended!)).toBe(false);
      expect(await loadOne('symfony', ended!)).toMatchObject({ served: false, problem: 'missing' });
    });
  });

  describe('hostile rows', () => {
    it('should call INVALID what Symfony would never serve, and keep listing the rest', async () => {
      const rows: [string, Buffer, string][] = [
        ['emptyRow', Buffer.alloc(0), 'unloadable: sess_data is empty'],
        ['garbage', Buffer.from('this is not a session\u0000'), 'corrupt'],
        [
          'huge',
          Buffer.from(`_sf2_attributes|a:1:{s:1:"x";s:300000:"${'x'.repeat(300_000)}";}`),
          'over-budget',
        ],
        ['badToken', Buffer.from('_sf2_attributes|a:1:{s:14:"_security_main";s:7:"garbage";}'), ''],
        ['badId', Buffer.from('_sf2_attributes|a:1:{s:1:"x";i:1;}'), 'unloadable: PHP drops'],
      ];
      const expiry = Math.floor(Date.now() / 1000) + 600;
      for (const [name, data] of rows) {
        ids[name] = name === 'badId' ? 'bad id with spaces' : `hostile${name}0123456789`;
        await t.pool.query('INSERT INTO sessions VALUES ($1, $2, $3, $4)', [
          ids[name],
          data,
          expiry,
          expiry - 600,
        ]);
      }
      await t.pool.query('INSERT INTO memory.sessions VALUES ($1, $2, $3, $4)', [
        'hostilenotarray01234',
        Buffer.from('i:5;'),
        expiry,
        0,
      ]);
      await t.sync();
      const symfony = await list('symfony');
      for (const [name, , problem] of rows) {
        const node = symfony.get(nodeIdOf('symfony', ids[name]!))!;
        if (name === 'badToken') {
          // Symfony's firewall drops a token it cannot unserialize: the session is served, anonymous.
          expect(node).toMatchObject({ status: 'ACTIVE', userId: null, data: {} });
          continue;
        }
        expect(node, name).toMatchObject({ status: 'INVALID', data: {}, userId: null });
        expect(node.problem, name).toMatch(new RegExp(`^${problem}`));
      }
      expect((await listed('memory', 'hostilenotarray01234')).problem).toMatch(
        /^corrupt: the session is a serialized int/,
      );
      const loaded = await load('symfony', [
        ids['emptyRow']!,
        ids['badToken']!,
        ids['badId']!,
        ids['garbage']!,
      ]);
      expect(loaded[ids['emptyRow']!]).toMatchObject({ served: false });
      expect(loaded[ids['badToken']!]).toMatchObject({ served: true, user: null });
      expect(loaded[ids['badId']!]).toMatchObject({ served: false });
      expect(loaded[ids['garbage']!]).toMatchObject({
        served: false,
        problem: expect.stringMatching(/^undecodable/),
      });
      const refused = await gql(SymfonyUpdate, {
        input: { id: nodeIdOf('symfony', ids['huge']!), set: { x: 1 } },
      });
      expect(refused.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'id' });
    });
  });

  describe('tokens unserialize() warns on', () => {
    it('should find no user in a token with an int beyond int64, which the firewall drops', async () => {
      // unserialize() saturates it with the warning "Numerical result out of range", and ContextListener's
      // error handler drops the token on any warning: the session is served anonymous. The same token with
      // an int in range logs Grace in.
      const [written] = await write('symfony', [
        {
          user: 'grace@example.com',
          userClass: 'App\\Entity\\User',
          userId: Number(users['grace']),
          data: { theme: 'warned' },
        },
      ]);
      symfonyIds.push(written!);
      const session = (await storedBytes('symfony', written!))!;
      const found = /s:(\d+):"(O:\d+:"Symfony)/.exec(session)!;
      const start = found.index + found[0].length - found[2]!.length;
      const token = session.slice(start, start + Number(found[1]));
      const withInt = (int: string) => {
        const changed = token.replace('i:2;N;i:3;a:0:{}', `i:2;N;i:3;a:1:{s:1:"n";i:${int};}`);
        expect(changed).not.toBe(token);
        const rest = session.slice(start + token.length);
        return Buffer.from(
          `${session.slice(0, found.index)}s:${changed.length}:"${changed}${rest}`,
          'latin1',
        );
      };
      const expiry = Math.floor(Date.now() / 1000) + 600;
      const rows = {
        tokenInRange: withInt('9223372036854775807'),
        tokenOutOfRange: withInt('9223372036854775808'),
      };
      for (const [name, data] of Object.entries(rows)) {
        ids[name] = `${name}0123456789abcdef`;
        await t.pool.query('INSERT INTO sessions VALUES ($1, $2, $3, $4)', [
          ids[name],
          data,
          expiry,
          expiry - 600,
        ]);
      }
      await t.sync();
      const loaded = await load('symfony', [ids['tokenInRange']!, ids['tokenOutOfRange']!]);
      expect(loaded[ids['tokenInRange']!]).toMatchObject({ served: true, user: 'grace@example.com' });
      expect(loaded[ids['tokenOutOfRange']!]).toMatchObject({ served: true, user: null });
      expect(await listed('symfony', ids['tokenInRange']!)).toMatchObject({
        status: 'ACTIVE',
        userId: users['grace'],
        data: { theme: 'warned' },
      });
      // Was Grace's: the token was read with the int saturated, as PHP reads it without the error handler.
      expect(await listed('symfony', ids['tokenOutOfRange']!)).toMatchObject({
        status: 'ACTIVE',
        userId: null,
        data: { theme: 'warned' },
      });
    });
  });

  it('should never put a token, a password hash, a CSRF secret or a Symfony session id into a response', () => {
    expect(responses.length).toBeGreaterThan(20);
    for (const text of responses) {
      expect(text).not.toContain('$2y$13$');
      expect(text).not.toContain('csrf-secret-token');
      expect(text).not.toContain('UsernamePasswordToken');
      for (const key of symfonyIds) expect(text).not.toContain(key);
    }
  });
});

/**
 * Symfony logs a user out when the user changed since its token was serialized: on every request the
 * firewall's ContextListener::refreshUser reloads the token's user through the user provider (Doctrine's
 * EntityUserProvider: by the entity's id) and hasUserChanged() compares the serialized user's password hash
 * with the reloaded one's; a user the provider no longer finds (UserNotFoundException) is logged out too. A
 * stolen session cookie stops being its user once the password changes: here too.
 */
describe('a changed or deleted user, against real Symfony 5.4’s firewall', () => {
  let t: TestApp;
  let databaseUrl = '';
  /** Symfony's SessionHandlerFactory takes the table from the DSN only (`?db_table=`). */
  const env = (table = 'sessions') => ({
    DATABASE_URL: table === 'sessions' ? databaseUrl : `${databaseUrl}?db_table=${table}`,
  });
  const usersTable = { table: 'public.users', password: 'password_hash' };

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'php', name: 'symfony', layout: 'symfony', passwordColumn: 'password_hash' },
          // Stores that cannot judge: a user object without `passwordProperty`, and the check turned off.
          {
            kind: 'php',
            name: 'unjudged',
            layout: 'symfony',
            table: 'unjudged.sessions',
            passwordColumn: 'password_hash',
            passwordProperty: 'passwordHash',
          },
          {
            kind: 'php',
            name: 'unchecked',
            layout: 'symfony',
            table: 'unchecked.sessions',
            passwordColumn: null,
          },
        ],
      },
      setup: async (pool) => {
        databaseUrl = await databaseUrlOf(pool, SERVER_URL);
        // One schema each: PdoSessionHandler::createTable() names its index `expiry` in every table.
        await pool.query('CREATE SCHEMA unjudged; CREATE SCHEMA unchecked');
        for (const table of ['sessions', 'unjudged.sessions', 'unchecked.sessions']) {
          await harness('symfony-create-table', { table }, env(table));
        }
        await pool.query(
          `INSERT INTO public.users (username, email, password_hash) VALUES ('zed', 'zed@example.com', '$2y$13$zed')`,
        );
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** What form_login stores for a user of the users table: App\Entity\User with its current password hash. */
  async function logIn(name: string, table = 'sessions'): Promise<string> {
    const { rows } = await t.pool.query<{ id: number; email: string; password_hash: string }>(
      'SELECT id, email, password_hash FROM public.users WHERE username = $1',
      [name],
    );
    const user = rows[0]!;
    const sessions = [
      {
        user: user.email,
        userClass: 'App\\Entity\\User',
        userId: user.id,
        password: user.password_hash,
        data: { theme: name },
      },
    ];
    const { ids } = await harness<{ ids: string[] }>('symfony-write', { table, sessions }, env(table));
    return ids[0]!;
  }
  async function load(keys: string[], table = 'sessions'): Promise<Record<string, Loaded>> {
    const input = { ids: keys, table, usersTable };
    return (await harness<{ results: Record<string, Loaded> }>('symfony-load', input, env(table))).results;
  }
  const asBrowser = async (key: string, query: string) => {
    const response = await t.fetch({ query }, { ...BROWSER, cookie: `PHPSESSID=${key}` });
    return ((await response.json()) as { data: Record<string, unknown> }).data;
  };
  const mine = '{ currentSession { data user { username } } }';
  const setPassword = (name: string, hash: string) =>
    t.pool.query('UPDATE public.users SET password_hash = $2 WHERE username = $1', [name, hash]);
  const DROPPED = {
    served: true,
    user: null,
    token: { problem: 'the user provider found the user changed or gone' },
  };

  it('should not take a session as its user once the password changed, as the firewall does, and keep the others', async () => {
    const stolen = await logIn('ada');
    const grace = await logIn('grace');
    expect(await load([stolen, grace])).toMatchObject({
      [stolen]: { served: true, user: 'ada@example.com' },
      [grace]: { served: true, user: 'grace@example.com' },
    });
    expect(await asBrowser(stolen, mine)).toEqual({
      currentSession: { data: { theme: 'ada' }, user: { username: 'ada' } },
    });

    await setPassword('ada', '$2y$13$anewhashanewhashanewhu');
    const fresh = await logIn('ada');
    const loaded = await load([stolen, fresh, grace]);
    // Symfony: the session stays, its token is gone (anonymous); the new login and Grace's are untouched.
    expect(loaded[stolen]).toMatchObject(DROPPED);
    expect(loaded[fresh]).toMatchObject({ served: true, user: 'ada@example.com' });
    expect(loaded[grace]).toMatchObject({ served: true, user: 'grace@example.com' });

    expect(await asBrowser(stolen, mine)).toEqual({ currentSession: null });
    expect(
      await asBrowser(
        stolen,
        'mutation { endOtherSessions { __typename ... on EndOtherSessionsPayload { count } } }',
      ),
    ).toEqual({ endOtherSessions: { __typename: 'ForbiddenError' } });
    expect(await asBrowser(fresh, mine)).toEqual({
      currentSession: { data: { theme: 'ada' }, user: { username: 'ada' } },
    });
    expect(await asBrowser(grace, mine)).toEqual({
      currentSession: { data: { theme: 'grace' }, user: { username: 'grace' } },
    });
    // A token still reads the old session and its user: only the browser holding it is no longer Ada.
    await t.sync();
    const read = await t.graphql(SymfonySessions, {
      store: 'symfony',
      userId: await userIdNamed(t.pool, 'ada'),
    });
    expect(read.data!.sessions.edges.map((edge) => edge.node.status)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(await load([fresh])).toMatchObject({ [fresh]: { served: true, user: 'ada@example.com' } });
  });

  it('should not take a session as its user once the user is gone (UserNotFoundException), unlike Django', async () => {
    const zed = await logIn('zed');
    expect(await asBrowser(zed, mine)).toEqual({
      currentSession: { data: { theme: 'zed' }, user: { username: 'zed' } },
    });
    await t.pool.query(`DELETE FROM public.users WHERE username = 'zed'`);
    expect((await load([zed]))[zed]).toMatchObject(DROPPED);
    expect(await asBrowser(zed, mine)).toEqual({ currentSession: null });
  });

  it('should serve as before a session it cannot judge: no such property on the user, or the check off', async () => {
    const unjudged = await logIn('linus', 'unjudged.sessions');
    const unchecked = await logIn('linus', 'unchecked.sessions');
    await setPassword('linus', '$2y$13$linusnewlinusnewlinusu');
    // Symfony drops both (App\Entity\User has `password`, not `passwordHash`: a misconfigured store)...
    expect((await load([unjudged], 'unjudged.sessions'))[unjudged]).toMatchObject(DROPPED);
    // ...and sessiongraph, told nothing it can check, serves them as it always did.
    for (const key of [unjudged, unchecked]) {
      expect(await asBrowser(key, mine), key).toEqual({
        currentSession: { data: { theme: 'linus' }, user: { username: 'linus' } },
      });
    }
  });

  it('should refuse to start on a password column that does not exist or that the API would expose', async () => {
    const sessionsTable = `CREATE TABLE sessions (sess_id varchar(128) PRIMARY KEY, sess_data bytea NOT NULL,
      sess_lifetime integer NOT NULL, sess_time integer NOT NULL)`;
    const start = (store: Record<string, unknown>, users?: Record<string, unknown>) =>
      startTestApp({
        config: {
          stores: [{ kind: 'php', name: 'symfony', layout: 'symfony', ...store }],
          ...(users && { users }),
        },
        setup: async (pool) => {
          await pool.query(sessionsTable);
          await pool.query('ALTER TABLE public.users ADD COLUMN pw text');
        },
      }).then(
        async (app) => {
          await app.close();
          return null;
        },
        (error: Error) => error.message,
      );
    expect(await start({ passwordColumn: 'password' })).toBe(
      'stores.symfony.passwordColumn: the users table "public"."users" has no column "password" ' +
        '(make:user’s User entity keeps its password hash in "password"; null: no check)',
    );
    expect(await start({ passwordColumn: 'pw' })).toMatch(
      /^stores\.symfony\.passwordColumn: "pw" holds password hashes, .* and User exposes it: list/,
    );
    expect(await start({ passwordColumn: 'pw' }, { columns: ['username', 'email'] })).toBeNull();
    // Unset, on a users table without `password`: no check, as before.
    expect(await start({})).toBeNull();
  });
});
