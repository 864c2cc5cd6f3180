import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/codecs/result.ts';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import { graphql } from '../gql/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { userIdNamed } from '../helpers/seed.ts';
import { databaseUrlOf, harness, holdSession, ILLUMINATE_AUTOLOAD, requireServer } from './php-harness.ts';

/**
 * sessiongraph against Laravel's database session driver. Laravel writes and loads sessions through the
 * harness (php/sessions.php), which does what Illuminate 8.83's Store, DatabaseSessionHandler, Encrypter and
 * EncryptCookies do with PHP's own serialize()/unserialize(), json_encode()/json_decode() and openssl; the
 * tombstone cases run Debian's real Illuminate\Session against the table. Three stores: `laravel` (plain
 * payloads; APP_KEY for the encrypted session cookie), `laravel_enc` (`session.encrypt`) and `laravel_json`
 * (Laravel 9+'s `session.serialization = json`, no APP_KEY: the cookie is the id).
 */

const SERVER_URL = requireServer('test/frameworks/php-laravel.test.ts');
const APP_KEY = `base64:${randomBytes(32).toString('base64')}`;
const LIFETIME = 120 * 60;
const LOGIN = 'login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d';
const DATETIME =
  'O:17:"DateTimeImmutable":3:{s:4:"date";s:26:"2024-05-17 13:45:30.000000";s:13:"timezone_type";i:3;s:8:"timezone";s:3:"UTC";}';
const BROWSER = { authorization: '', 'x-graphql-csrf': '1' };

type Store = 'laravel' | 'laravel_enc' | 'laravel_json';
const TABLES: Record<Store, string> = {
  laravel: 'sessions',
  laravel_enc: 'enc_sessions',
  laravel_json: 'json_sessions',
};
const OPTIONS: Record<Store, { encrypt?: boolean; serialization?: 'json' }> = {
  laravel: {},
  laravel_enc: { encrypt: true },
  laravel_json: { serialization: 'json' },
};
interface Loaded {
  served: boolean;
  problem: string | null;
  attributes: JsonObject | null;
  userId: number | string | null;
  lastActivity: number | null;
}

const refOf = (key: string) => createHash('sha256').update(key).digest('hex');
const nodeIdOf = (store: Store, key: string) => encodeSessionId({ store, ref: refOf(key) });
/** What sessiongraph shows of what Laravel loads: all but `_token`, `_flash`, logins and password hashes. */
const visible = (attributes: JsonObject) =>
  Object.fromEntries(
    Object.entries(attributes).filter(
      ([key]) => !/^(_token|_flash|login_.*_[0-9a-f]{40}|password_hash_.*)$/.test(key),
    ),
  );
const serialized = (text: string) => ({ $serialized: Buffer.from(text, 'latin1').toString('base64') });
const payloadText = (payload: string) => Buffer.from(payload, 'base64').toString('latin1');

const LaravelByClient = graphql(`
  query LaravelByClient($ip: String, $userAgent: String) {
    sessions(store: "laravel", ip: $ip, userAgent: $userAgent, first: 100) {
      edges { node { id ip userAgent } }
    }
  }
`);

const LaravelCreate = graphql(`
  mutation LaravelCreate($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

const LaravelUpdate = graphql(`
  mutation LaravelUpdate($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id status data userId expiresAt } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

const LaravelEnd = graphql(`
  mutation LaravelEnd($input: EndSessionInput!) {
    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }
  }
`);

const LaravelEndUser = graphql(`
  mutation LaravelEndUser($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }
  }
`);

const LaravelRotate = graphql(`
  mutation LaravelRotate($input: EndSessionInput!) {
    rotateSessionKey(input: $input) {
      __typename
      ... on RotateSessionKeyPayload { sessionKey session { id status data userId } }
      ... on Error { code message }
    }
  }
`);

const LaravelSessions = graphql(`
  query LaravelSessions($store: String!, $status: SessionStatus, $userId: ID) {
    sessions(store: $store, status: $status, userId: $userId, first: 100) {
      edges { node { id status problem data userId expiresAt lastSeenAt user { username } } }
      pageInfo { hasNextPage }
    }
  }
`);

const LaravelCurrent = graphql(`
  query LaravelCurrent { currentSession { id store status data userId user { username } } }
`);

const LaravelUserSessions = graphql(`
  query LaravelUserSessions($id: ID!, $store: String!) {
    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id userId } } } }
  }
`);

describe('Laravel database sessions, against PHP doing what Illuminate 8.83 does', () => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv = {};
  const users: Record<string, string> = {};
  const responses: string[] = [];
  const ids: Record<string, string> = {};
  const named = (names: string[], keys: string[]) => {
    names.forEach((name, index) => {
      ids[name] = keys[index]!;
    });
  };
  /** Ids and CSRF tokens Laravel chose: never to be seen in a response. */
  const secrets: string[] = [];
  const before: Record<string, Loaded> = {};

  async function write(store: Store, sessions: Record<string, unknown>[]): Promise<string[]> {
    const input = { table: TABLES[store], sessions: sessions.map((s) => ({ ...OPTIONS[store], ...s })) };
    return (await harness<{ ids: string[] }>('laravel-write', input, env)).ids;
  }
  async function load(store: Store, keys: string[]): Promise<Record<string, Loaded>> {
    const input = { ids: keys, table: TABLES[store], ...OPTIONS[store] };
    return (await harness<{ results: Record<string, Loaded> }>('laravel-load', input, env)).results;
  }
  const loadOne = async (store: Store, key: string) => (await load(store, [key]))[key]!;
  const cookieOf = async (id: string) =>
    (await harness<{ cookies: Record<string, string> }>('laravel-cookie', { ids: [id] }, env)).cookies[id]!;
  const idOfCookie = async (value: string) =>
    (await harness<{ ids: Record<string, string | null> }>('laravel-cookie', { cookies: [value] }, env)).ids[
      value
    ];
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
    const { sessions } = await gql(LaravelSessions, { store, ...variables });
    expect(sessions.pageInfo.hasNextPage).toBe(false);
    return new Map(sessions.edges.map(({ node }) => [node.id, node]));
  }
  const listed = async (store: Store, key: string) => (await list(store)).get(nodeIdOf(store, key))!;
  async function update(store: Store, key: string, input: Record<string, unknown>) {
    const result = await gql(LaravelUpdate, { input: { id: nodeIdOf(store, key), ...input } });
    if (result.updateSession.__typename !== 'UpdateSessionPayload')
      throw new Error(JSON.stringify(result.updateSession));
    return result.updateSession.session;
  }
  async function row(store: Store, key: string) {
    const result = await t.pool.query<{
      payload: string;
      last_activity: number;
      user_id: string | null;
      ip_address: string | null;
    }>(`SELECT payload, last_activity, user_id::text, ip_address FROM ${TABLES[store]} WHERE id = $1`, [key]);
    return result.rows[0];
  }

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'php', name: 'laravel', layout: 'laravel', appKey: APP_KEY },
          {
            kind: 'php',
            name: 'laravel_enc',
            layout: 'laravel',
            table: 'enc_sessions',
            appKey: APP_KEY,
            encrypt: true,
          },
          {
            kind: 'php',
            name: 'laravel_json',
            layout: 'laravel',
            table: 'json_sessions',
            laravelSerialization: 'json',
          },
        ],
        budgets: { maxOutputBytes: 256 * 1024 },
      },
      setup: async (pool) => {
        env = { DATABASE_URL: await databaseUrlOf(pool, SERVER_URL), APP_KEY };
        for (const table of Object.values(TABLES)) await harness('laravel-create-table', { table }, env);
      },
    });
    for (const name of ['ada', 'grace', 'linus']) users[name] = await userIdNamed(t.pool, name);
    const rich = {
      cart: [{ sku: 'A-1', qty: 2 }],
      theme: 'dark',
      name: 'Zoë 🎉 "quoted" a/b',
      price: 19.5,
      'url.intended': 'http://localhost/home',
    };
    named(
      ['ada', 'anon', 'stale'],
      await write('laravel', [
        { user: Number(users['ada']), data: { ...rich, since: serialized(DATETIME) } },
        { data: { theme: 'light' } },
        { data: { theme: 'stale' }, ageSeconds: LIFETIME + 100 },
      ]),
    );
    named(
      ['encAda', 'encAnon'],
      await write('laravel_enc', [{ user: Number(users['ada']), data: rich }, { data: { theme: 'light' } }]),
    );
    named(
      ['jsonGrace', 'jsonAnon'],
      await write('laravel_json', [
        { user: Number(users['grace']), data: { ...rich, keyed: { b: 1, '2': 'two' }, whole: 2.5 } },
        { data: { theme: 'light' } },
      ]),
    );
    Object.assign(before, await load('laravel', [ids['ada']!, ids['anon']!]));
    Object.assign(before, await load('laravel_enc', [ids['encAda']!, ids['encAnon']!]));
    Object.assign(before, await load('laravel_json', [ids['jsonGrace']!, ids['jsonAnon']!]));
    secrets.push(
      ...Object.values(ids),
      ...Object.values(before).map((loaded) => String(loaded.attributes!['_token'])),
    );
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('reading what Laravel wrote', () => {
    it('should show the attributes Laravel loads, without its managed keys, and the guard’s user', async () => {
      expect(before[ids['ada']!]).toMatchObject({ served: true, userId: Number(users['ada']) });
      expect(before[ids['encAda']!]).toMatchObject({ served: true, userId: Number(users['ada']) });
      expect(before[ids['ada']!]!.attributes).toMatchObject({
        _previous: { url: 'http://localhost' },
        since: { __class: 'DateTimeImmutable' },
      });
      const cases: [Store, string, string | null][] = [
        ['laravel', 'ada', 'ada'],
        ['laravel', 'anon', null],
        ['laravel_enc', 'encAda', 'ada'],
        ['laravel_enc', 'encAnon', null],
        ['laravel_json', 'jsonGrace', 'grace'],
        ['laravel_json', 'jsonAnon', null],
      ];
      for (const [store, name, user] of cases) {
        const node = await listed(store, ids[name]!);
        expect(node, name).toMatchObject({
          status: 'ACTIVE',
          problem: null,
          userId: user === null ? null : users[user],
        });
        expect(node.user, name).toEqual(user === null ? null : { username: user });
        expect(node.data, name).toEqual(visible(before[ids[name]!]!.attributes!));
        expect(Object.keys(node.data), name).not.toContain('_token');
      }
      expect((await listed('laravel', ids['ada']!)).data).toMatchObject({
        theme: 'dark',
        'url.intended': 'http://localhost/home',
        since: { __class: 'DateTimeImmutable', date: '2024-05-17 13:45:30.000000' },
      });
    });

    it('should show and filter by the IP and user agent Laravel keeps beside the payload', async () => {
      const byClient = async (variables: { ip?: string; userAgent?: string }) => {
        const result = await t.graphql(LaravelByClient, variables);
        expect(result.errors).toBeUndefined();
        return result.data!.sessions.edges.map((edge) => edge.node);
      };
      // The harness writes what Laravel's DatabaseSessionHandler does for a request from 127.0.0.1 by Symfony's client.
      const written = ['ada', 'anon', 'stale'].map((name) => nodeIdOf('laravel', ids[name]!));
      const found = await byClient({ ip: '127.0.0.1', userAgent: 'symfony' });
      expect(found.map((node) => node.id)).toEqual(expect.arrayContaining(written));
      for (const node of found) expect(node).toMatchObject({ ip: '127.0.0.1', userAgent: 'Symfony' });
      expect(await byClient({ ip: '192.0.2.1' })).toEqual([]);
    });

    it('should take expiresAt = last_activity + lifetime, as DatabaseSessionHandler expires rows', async () => {
      const laravel = await list('laravel');
      for (const name of ['ada', 'anon', 'stale']) {
        const { last_activity: activity } = (await row('laravel', ids[name]!))!;
        const node = laravel.get(nodeIdOf('laravel', ids[name]!))!;
        // Laravel serves while last_activity >= time() - lifetime: it stops a second after that.
        expect(new Date(node.expiresAt!).getTime(), name).toBe((activity + LIFETIME + 1) * 1000);
        expect(new Date(node.lastSeenAt!).getTime(), name).toBe(activity * 1000);
      }
      expect(laravel.get(nodeIdOf('laravel', ids['stale']!))!.status).toBe('EXPIRED');
      expect(await loadOne('laravel', ids['stale']!)).toMatchObject({ served: false, problem: 'expired' });
      const { last_activity: activity } = (await row('laravel', ids['anon']!))!;
      t.setNow(new Date((activity + LIFETIME) * 1000 + 999));
      expect((await listed('laravel', ids['anon']!)).status).toBe('ACTIVE');
      t.setNow(new Date((activity + LIFETIME + 1) * 1000));
      expect((await listed('laravel', ids['anon']!)).status).toBe('EXPIRED');
      t.setNow(null);
    });
  });

  describe('writing what Laravel loads', () => {
    it('should create logged-in sessions Laravel serves, and hand out the cookie Laravel would set', async () => {
      const data = { cart: [{ sku: 'B-2', qty: 1 }], theme: 'dark', score: 1.5, note: 'Zoë', '5': 'five' };
      for (const store of ['laravel', 'laravel_enc', 'laravel_json'] as const) {
        const result = await gql(LaravelCreate, { input: { store, userId: users['linus']!, data } });
        if (result.createSession.__typename !== 'CreateSessionPayload')
          throw new Error(JSON.stringify(result));
        const { sessionKey, session } = result.createSession;
        // With APP_KEY, the browser's cookie is encrypted; Laravel's EncryptCookies reads it as the id.
        const id = store === 'laravel_json' ? sessionKey : (await idOfCookie(sessionKey))!;
        ids[`created_${store}`] = id;
        expect(id, store).toMatch(/^[A-Za-z0-9]{40}$/);
        expect(session, store).toMatchObject({
          id: nodeIdOf(store, id),
          status: 'ACTIVE',
          userId: users['linus'],
          data,
        });
        const loaded = await loadOne(store, id);
        expect(loaded, store).toMatchObject({
          served: true,
          userId: Number(users['linus']),
          attributes: { ...data, _flash: { old: [], new: [] } },
        });
        expect(String(loaded.attributes!['_token']), store).toMatch(/^[A-Za-z0-9]{40}$/);
        const stored = (await row(store, id))!;
        expect(stored.user_id, store).toBe(users['linus']);
        expect((stored.last_activity + LIFETIME + 1) * 1000).toBe(new Date(session.expiresAt!).getTime());
      }
      for (const name of ['_token', LOGIN, 'password_hash_web', '_flash']) {
        const refused = await gql(LaravelCreate, { input: { store: 'laravel', data: { [name]: 'x' } } });
        expect(refused.createSession, name).toMatchObject({ __typename: 'InvalidInputError', field: 'data' });
      }
    });

    it('should change one key and leave every other byte of the payload as PHP wrote it', async () => {
      const plain = payloadText((await row('laravel', ids['ada']!))!.payload);
      await update('laravel', ids['ada']!, { set: { theme: 'light' } });
      expect(payloadText((await row('laravel', ids['ada']!))!.payload)).toBe(
        plain.replace('s:5:"theme";s:4:"dark";', 's:5:"theme";s:5:"light";'),
      );
      const json = payloadText((await row('laravel_json', ids['jsonGrace']!))!.payload);
      await update('laravel_json', ids['jsonGrace']!, { set: { theme: 'light' } });
      expect(payloadText((await row('laravel_json', ids['jsonGrace']!))!.payload)).toBe(
        json.replace('"theme":"dark"', '"theme":"light"'),
      );
      await update('laravel_enc', ids['encAda']!, { set: { theme: 'light' }, unset: ['cart'] });
      for (const [store, name] of [
        ['laravel', 'ada'],
        ['laravel_json', 'jsonGrace'],
        ['laravel_enc', 'encAda'],
      ] as const) {
        const { cart, ...rest } = before[ids[name]!]!.attributes!;
        const expected = { ...rest, ...(store === 'laravel_enc' ? {} : { cart }), theme: 'light' };
        expect(await loadOne(store, ids[name]!), name).toMatchObject({ served: true, attributes: expected });
      }
      const replaced = await update('laravel', ids['ada']!, { replace: { only: 1 } });
      expect(replaced).toMatchObject({ data: { only: 1 }, userId: users['ada'] });
      const after = await loadOne('laravel', ids['ada']!);
      expect(Object.keys(after.attributes!)).toEqual(['_token', LOGIN, '_flash', 'only']);
      expect(after).toMatchObject({ served: true, userId: Number(users['ada']) });
      for (const name of [
        '_token',
        LOGIN,
        'login_admin_59ba36addc2b2f9401580f014c7f58ea4e30989d',
        '_flash',
      ]) {
        const refused = await gql(LaravelUpdate, {
          input: { id: nodeIdOf('laravel', ids['ada']!), set: { [name]: 1 } },
        });
        expect(refused.updateSession, name).toMatchObject({ __typename: 'InvalidInputError' });
      }
      const moved = await update('laravel', ids['anon']!, { extendBySeconds: 600 });
      expect((await row('laravel', ids['anon']!))!.last_activity).toBe(
        new Date(moved.expiresAt!).getTime() / 1000 - 1 - LIFETIME,
      );
      const refused = await gql(LaravelUpdate, {
        input: { id: nodeIdOf('laravel', ids['anon']!), expiresAt: '2040-01-01T00:00:00Z' },
      });
      expect(refused.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'expiresAt' });
    });

    it('should answer currentSession for the encrypted laravel_session cookie Laravel sets, and only for it', async () => {
      const cookie = await cookieOf(ids['anon']!);
      const byCookie = await gql(LaravelCurrent, undefined, {
        ...BROWSER,
        cookie: `laravel_session=${encodeURIComponent(cookie)}`,
      });
      expect(byCookie.currentSession).toMatchObject({
        id: nodeIdOf('laravel', ids['anon']!),
        status: 'ACTIVE',
      });
      const byHeader = await gql(LaravelCurrent, undefined, { ...BROWSER, 'x-session-key': cookie });
      expect(byHeader.currentSession?.id).toBe(nodeIdOf('laravel', ids['anon']!));
      const enc = await cookieOf(ids['encAda']!);
      const mine = await gql(LaravelCurrent, undefined, {
        ...BROWSER,
        cookie: `laravel_session=${encodeURIComponent(enc)}`,
      });
      expect(mine.currentSession).toMatchObject({ userId: users['ada'], user: { username: 'ada' } });
      const json = await gql(LaravelCurrent, undefined, {
        ...BROWSER,
        cookie: `laravel_session=${ids['jsonAnon']}`,
      });
      expect(json.currentSession?.id).toBe(nodeIdOf('laravel_json', ids['jsonAnon']!));

      const fields = JSON.parse(Buffer.from(cookie, 'base64').toString('utf8')) as Record<string, string>;
      const tampered = Buffer.from(
        JSON.stringify({ ...fields, mac: fields['mac']!.replace(/^./, (c) => (c === '0' ? '1' : '0')) }),
      ).toString('base64');
      const stale = await cookieOf(ids['stale']!);
      // The raw id of a store with APP_KEY (EncryptCookies would not decrypt it), a forged MAC, an expired one.
      for (const bad of [ids['anon']!, tampered, stale, 'garbage']) {
        const none = await gql(LaravelCurrent, undefined, {
          ...BROWSER,
          cookie: `laravel_session=${encodeURIComponent(bad)}`,
        });
        expect(none.currentSession, bad).toBeNull();
      }
    });
  });

  describe('ending sessions', () => {
    it('should list a user’s sessions through the projection and end them all for Laravel', async () => {
      await t.sync();
      const linus = await gql(LaravelUserSessions, { id: users['linus']!, store: 'laravel_enc' });
      expect(linus.user!.sessions.edges.map((edge) => edge.node.id)).toEqual([
        nodeIdOf('laravel_enc', ids['created_laravel_enc']!),
      ]);
      const adas = await list('laravel', { userId: users['ada']! });
      expect([...adas.keys()]).toEqual([nodeIdOf('laravel', ids['ada']!)]);
      const ended = await gql(LaravelEndUser, { input: { userId: users['linus']! } });
      expect(ended.endUserSessions).toMatchObject({ count: 3 });
      for (const store of ['laravel', 'laravel_enc', 'laravel_json'] as const) {
        expect(await loadOne(store, ids[`created_${store}`]!), store).toMatchObject({
          served: false,
          problem: 'missing',
        });
      }
    });

    it('should rotate a key: the new cookie opens the same login and data in Laravel, the old id nothing', async () => {
      const old = ids['encAda']!;
      const wanted = await loadOne('laravel_enc', old);
      const result = await gql(LaravelRotate, { input: { id: nodeIdOf('laravel_enc', old) } });
      if (result.rotateSessionKey.__typename !== 'RotateSessionKeyPayload')
        throw new Error(JSON.stringify(result));
      const id = (await idOfCookie(result.rotateSessionKey.sessionKey))!;
      expect(id).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(await loadOne('laravel_enc', id)).toMatchObject({
        served: true,
        userId: Number(users['ada']),
        attributes: wanted.attributes,
      });
      expect(await loadOne('laravel_enc', old)).toMatchObject({ served: false, problem: 'missing' });
      ids['encAda'] = id;
    });

    // Real Illuminate\Session (Debian's php-illuminate-session 8.83) over the `sessions` table.
    const holdScript = `<?php
${ILLUMINATE_AUTOLOAD}
$url = parse_url(getenv('DATABASE_URL'));
$capsule = new Illuminate\\Database\\Capsule\\Manager();
$capsule->addConnection(['driver' => 'pgsql', 'host' => $url['host'], 'port' => $url['port'] ?? 5432,
  'database' => ltrim($url['path'], '/'), 'username' => $url['user'] ?? 'postgres', 'password' => $url['pass'] ?? '',
  'charset' => 'utf8', 'prefix' => '', 'schema' => 'public']);
$handler = new Illuminate\\Session\\DatabaseSessionHandler($capsule->getConnection(), 'sessions', 120);
$store = new Illuminate\\Session\\Store('laravel_session', $handler, getenv('SESSION_ID'));
$store->start();
echo "read\\n";
fgets(STDIN);
$store->put('visits', $store->get('visits', 0) + 1);
$store->save();
echo "saved\\n", json_encode(['id' => $store->getId(), 'user' => $store->get('${LOGIN}')]), "\\n";
`;
    const stored = async (key: string) => (await row('laravel', key)) ?? null;

    it('should keep an ended session ended: Laravel’s save of a session it read is an UPDATE that finds nothing', async () => {
      const [key] = await write('laravel', [{ user: Number(users['grace']), data: { theme: 'held' } }]);
      const hold = holdSession(holdScript, { ...env, SESSION_ID: key! });
      await hold.read();
      expect((await gql(LaravelEnd, { input: { id: nodeIdOf('laravel', key!) } })).endSession).toMatchObject({
        __typename: 'EndSessionPayload',
      });
      expect(await hold.save()).toMatchObject({ id: key, user: Number(users['grace']) });
      expect(await stored(key!)).toBeNull();

      // The browser comes back with the ended id: Laravel starts a new, empty session under it. No tombstone
      // may refuse that insert (the browser would get no working session), and nothing of the old one is in it.
      const again = holdSession(holdScript, { ...env, SESSION_ID: key! });
      await again.read();
      expect(await again.save()).toMatchObject({ id: key, user: null });
      expect(await loadOne('laravel', key!)).toMatchObject({
        served: true,
        userId: null,
        attributes: { visits: 1 },
      });
      const tombstones = await t.pool.query(
        "SELECT 1 FROM sessiongraph.revoked_keys WHERE store LIKE 'laravel%'",
      );
      expect(tombstones.rowCount).toBe(0);
    });
  });

  describe('hostile rows', () => {
    it('should call INVALID what Laravel gives an empty session for, and keep listing the rest', async () => {
      const base64 = (text: string) => Buffer.from(text, 'latin1').toString('base64');
      const good = base64('a:1:{s:1:"x";i:1;}');
      const now = Math.floor(Date.now() / 1000);
      // Around a valid MAC, which covers only iv and value: an envelope json_decode refuses, and a MAC forged
      // with a character that Latin-1 cuts to a hex digit. Both were opened, with Grace logged in.
      const [sealedKey] = await write('laravel_enc', [{ user: Number(users['grace']), data: { x: 1 } }]);
      const envelope = Buffer.from(payloadText((await row('laravel_enc', sealedKey!))!.payload), 'base64');
      const fields = JSON.parse(envelope.toString()) as Record<string, string>;
      const reseal = (json: Buffer) => base64(json.toString('base64'));
      const at = fields['mac']!.search(/[a-f]/);
      const forged = `${fields['mac']!.slice(0, at)}${String.fromCharCode(0x100 + fields['mac']!.charCodeAt(at))}${fields['mac']!.slice(at + 1)}`;
      const rows: [Store, string, string, string][] = [
        [
          'laravel_enc',
          'envelopeNotUtf8',
          reseal(Buffer.concat([envelope.subarray(0, -1), Buffer.from(',"x":"\xff"}', 'latin1')])),
          'tampered',
        ],
        [
          'laravel_enc',
          'forgedMac',
          reseal(Buffer.from(JSON.stringify({ ...fields, mac: forged }))),
          'tampered',
        ],
        ['laravel', 'emptyPayload', '', 'corrupt: the payload is empty'],
        ['laravel', 'notBase64', '!!! not base64 !!!', 'corrupt'],
        ['laravel', 'notArray', base64('i:5;'), 'corrupt'],
        ['laravel', 'garbage', base64('a:1:{s:1:"x";'), 'corrupt'],
        ['laravel', 'huge', base64(`a:1:{s:1:"x";s:300000:"${'x'.repeat(300_000)}";}`), 'over-budget'],
        ['laravel', 'shortId', good, 'unloadable: Laravel only loads ids'],
        ['laravel_enc', 'plainInEnc', good, 'tampered'],
        ['laravel_json', 'notJson', base64('{"x":'), 'corrupt'],
      ];
      for (const [store, name, payload] of rows) {
        ids[name] = name === 'shortId' ? 'short' : `${name}${'0'.repeat(40)}`.slice(0, 40);
        await t.pool.query(`INSERT INTO ${TABLES[store]} (id, payload, last_activity) VALUES ($1, $2, $3)`, [
          ids[name],
          payload,
          now,
        ]);
      }
      await t.sync();
      for (const [store, name, , problem] of rows) {
        const node = await listed(store, ids[name]!);
        expect(node, name).toMatchObject({ status: 'INVALID', data: {}, userId: null });
        expect(node.problem, name).toMatch(new RegExp(`^${problem}`));
        if (name !== 'huge') expect(await loadOne(store, ids[name]!), name).toMatchObject({ served: false });
      }
      const refused = await gql(LaravelUpdate, {
        input: { id: nodeIdOf('laravel', ids['garbage']!), set: { x: 2 } },
      });
      expect(refused.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'id' });
    });
  });

  it('should never put a Laravel session id or CSRF token into a response', () => {
    expect(responses.length).toBeGreaterThan(20);
    for (const text of responses) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

/**
 * Laravel's AuthenticateSession middleware (`auth.session`) logs a session out once the user's password hash
 * is not the one it kept in the session (`password_hash_web`): a stolen session cookie stops being its user
 * after a password change. Here Debian's real Illuminate 8.83 (AuthManager, SessionGuard, EloquentUserProvider
 * over App\Models\User, AuthenticateSession) serves requests on the same table as sessiongraph, whose
 * `currentSession` must agree. The users table gets Laravel's `password` column: the store's default.
 */
describe('a password change, against real Laravel 8.83’s AuthenticateSession', () => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv = {};
  interface Served {
    reached: boolean;
    user: number | null;
    loggedOut: boolean;
    events: string[];
    attributes: JsonObject;
  }

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          // passwordColumn left to its default: `password`, which the users table has here.
          { kind: 'php', name: 'laravel', layout: 'laravel', appKey: APP_KEY },
          // The check turned off: served as before.
          {
            kind: 'php',
            name: 'unchecked',
            layout: 'laravel',
            table: 'unchecked_sessions',
            appKey: APP_KEY,
            passwordColumn: null,
          },
        ],
      },
      setup: async (pool) => {
        env = { DATABASE_URL: await databaseUrlOf(pool, SERVER_URL), APP_KEY };
        for (const table of ['sessions', 'unchecked_sessions'])
          await harness('laravel-create-table', { table }, env);
        // Laravel's users migration: `password` varchar(255), bcrypt hashes.
        await pool.query(`ALTER TABLE public.users ADD COLUMN password varchar(255);
          UPDATE public.users SET password = '$2y$10$' || md5(username)`);
        await pool.query(`INSERT INTO public.users (username, email, password_hash, password)
          VALUES ('zed', 'zed@example.com', 'unused', '$2y$10$zedzedzedzedzedzedzedz')`);
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const idOf = async (name: string) => Number(await userIdNamed(t.pool, name));
  const passwordOf = async (name: string) =>
    (
      await t.pool.query<{ password: string }>('SELECT password FROM public.users WHERE username = $1', [
        name,
      ])
    ).rows[0]!.password;
  /** A session right after Laravel's login (LoginController: `login_web_…`; no password hash yet). */
  async function logIn(name: string, table = 'sessions', extra: Record<string, unknown> = {}) {
    const sessions = [{ user: await idOf(name), data: { theme: name }, ...extra }];
    return (await harness<{ ids: string[] }>('laravel-write', { table, sessions }, env)).ids[0]!;
  }
  /** One request of the application through `auth.session`, for each session. */
  async function request(ids: string[], save: boolean, table = 'sessions') {
    return (
      await harness<{ results: Record<string, Served> }>('laravel-authenticate', { ids, table, save }, env)
    ).results;
  }
  const cookieOf = async (id: string) =>
    (await harness<{ cookies: Record<string, string> }>('laravel-cookie', { ids: [id] }, env)).cookies[id]!;
  const asBrowser = async (id: string, query: string) => {
    const cookie = `laravel_session=${encodeURIComponent(await cookieOf(id))}`;
    const response = await t.fetch({ query }, { ...BROWSER, cookie });
    return ((await response.json()) as { data: Record<string, unknown> }).data;
  };
  const mine = '{ currentSession { data user { username } } }';
  const as = (name: string) => ({ currentSession: { data: { theme: name }, user: { username: name } } });
  const setPassword = (name: string, hash: string) =>
    t.pool.query('UPDATE public.users SET password = $2 WHERE username = $1', [name, hash]);

  it('should stop taking a session as its user when Laravel logs it out after a password change, and agree on the rest', async () => {
    const stolen = await logIn('ada');
    const grace = await logIn('grace');
    // Before the middleware has seen them they hold no hash: Laravel stores the current one, logs nobody out.
    expect(await asBrowser(stolen, mine)).toMatchObject(as('ada'));
    const first = await request([stolen, grace], true);
    for (const [id, name] of [
      [stolen, 'ada'],
      [grace, 'grace'],
    ] as const) {
      expect(first[id], name).toMatchObject({ reached: true, user: await idOf(name), loggedOut: false });
      expect(first[id]!.attributes['password_hash_web'], name).toBe(await passwordOf(name));
    }
    // The hash Laravel stored is the user's: both sides serve the session as its user.
    expect(await asBrowser(stolen, mine)).toMatchObject(as('ada'));
    expect(await request([stolen], false)).toMatchObject({ [stolen]: { reached: true, loggedOut: false } });

    await setPassword('ada', '$2y$10$anewhashanewhashanewhu');
    const fresh = await logIn('ada');
    await request([fresh], true);
    // Laravel: logoutCurrentDevice() and flush(), AuthenticationException. sessiongraph: not Ada's any more.
    const judged = await request([stolen, fresh, grace], false);
    expect(judged[stolen]).toMatchObject({ reached: false, loggedOut: true });
    expect(judged[stolen]!.events).toContain('CurrentDeviceLogout');
    expect(judged[fresh]).toMatchObject({ reached: true, user: await idOf('ada'), loggedOut: false });
    expect(judged[grace]).toMatchObject({ reached: true, user: await idOf('grace'), loggedOut: false });
    expect(await asBrowser(stolen, mine)).toEqual({ currentSession: null });
    expect(
      await asBrowser(
        stolen,
        'mutation { endOtherSessions { __typename ... on EndOtherSessionsPayload { count } } }',
      ),
    ).toEqual({ endOtherSessions: { __typename: 'ForbiddenError' } });
    expect(await asBrowser(fresh, mine)).toMatchObject(as('ada'));
    expect(await asBrowser(grace, mine)).toMatchObject(as('grace'));
    // A token still lists the old session with its user: only the browser holding it is no longer Ada.
    await t.sync();
    const listed = await t.graphql(LaravelSessions, { store: 'laravel', userId: String(await idOf('ada')) });
    expect(listed.data!.sessions.edges.map(({ node }) => node.status)).toEqual(['ACTIVE', 'ACTIVE']);

    // Once Laravel has saved what it logged out, the row holds an empty session: both see it anonymous.
    const saved = await request([stolen], true);
    expect(saved[stolen]!.attributes).not.toHaveProperty(LOGIN);
    expect(saved[stolen]!.attributes).not.toHaveProperty('password_hash_web');
    expect(await asBrowser(stolen, mine)).toEqual({ currentSession: { data: {}, user: null } });

    // A user that is gone: SessionGuard::user() finds nobody, the middleware passes the request on,
    // anonymous, and keeps the session (no logout). sessiongraph serves it too, its user null, as for Django.
    const zed = await logIn('zed');
    await request([zed], true);
    await t.pool.query(`DELETE FROM public.users WHERE username = 'zed'`);
    const gone = await request([zed], false);
    expect(gone[zed]).toMatchObject({ reached: true, user: null, loggedOut: false });
    expect(gone[zed]!.attributes).toHaveProperty(LOGIN);
    expect(await asBrowser(zed, mine)).toMatchObject({
      currentSession: { data: { theme: 'zed' }, user: null },
    });
  });

  it('should serve as before where it is told not to check, and take Laravel 12.45+’s HMAC of the hash with appKey', async () => {
    const unchecked = await logIn('linus', 'unchecked_sessions');
    await request([unchecked], true, 'unchecked_sessions');
    // Laravel 12.45+ keeps hash_hmac('sha256', $hash, app.key) (SessionGuard::hashPasswordForCookie) and takes
    // either form. Illuminate 8.83 cannot say so: PHP's hash_hmac writes the value, sessiongraph judges it.
    const hmac = await logIn('linus', 'sessions', {
      passwordHash: await passwordOf('linus'),
      passwordHashHmac: true,
    });
    const raw = await logIn('linus', 'sessions', { passwordHash: await passwordOf('linus') });
    for (const id of [unchecked, hmac, raw]) expect(await asBrowser(id, mine), id).toMatchObject(as('linus'));

    await setPassword('linus', '$2y$10$linusnewlinusnewlinusu');
    // Laravel logs the unchecked store's session out; that store was told not to check (passwordColumn: null).
    expect((await request([unchecked], false, 'unchecked_sessions'))[unchecked]).toMatchObject({
      loggedOut: true,
    });
    expect(await asBrowser(unchecked, mine)).toMatchObject(as('linus'));
    expect(await asBrowser(hmac, mine)).toEqual({ currentSession: null });
    expect(await asBrowser(raw, mine)).toEqual({ currentSession: null });
    const again = await logIn('linus', 'sessions', {
      passwordHash: await passwordOf('linus'),
      passwordHashHmac: true,
    });
    expect(await asBrowser(again, mine)).toMatchObject(as('linus'));
  });

  it('should refuse to start on a password column that does not exist, and not check without one', async () => {
    const start = (store: Record<string, unknown>) =>
      startTestApp({
        config: { stores: [{ kind: 'php', name: 'laravel', layout: 'laravel', ...store }] },
        setup: async (pool) => {
          await pool.query(`CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id bigint,
            ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL)`);
        },
      }).then(
        async (app) => {
          await app.close();
          return null;
        },
        (error: Error) => error.message,
      );
    expect(await start({ passwordColumn: 'password' })).toBe(
      'stores.laravel.passwordColumn: the users table "public"."users" has no column "password" ' +
        '(Laravel’s users migration keeps the password hash in "password"; null: no check)',
    );
    // Unset, on a users table without `password` (the demo users have `password_hash`): no check, as before.
    expect(await start({})).toBeNull();
  });
});
