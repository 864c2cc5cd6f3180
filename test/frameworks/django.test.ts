import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import { graphql } from '../gql/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { djangoEnvironment, runDjango } from './django-harness.ts';

/**
 * sessiongraph against a real Django 3.2 (Debian's python3-django) on the same PostgreSQL database: every
 * session Django writes is read back through the API and compared with what Django itself loads, and every
 * session the API writes is loaded by Django (SessionStore.load, auth.get_user). Django cannot reach the
 * embedded PGlite, so this file needs DATABASE_URL (CI always sets it).
 */

const SECRET = 'django-insecure-8v$k#2q@z!x^m0r&w9(t)e7u+y*p%b1n_c3l=a6s';
const OTHER_SECRET = 'a-different-projects-secret-key';
const BACKEND = 'django.contrib.auth.backends.ModelBackend';
const HIDDEN = ['_auth_user_hash', '_csrftoken'];

const DjangoSessions = graphql(`
  query DjangoSessions($first: Int, $status: SessionStatus) {
    sessions(store: "django", first: $first, status: $status) {
      edges {
        node { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }
      }
      pageInfo { hasNextPage }
    }
  }
`);

const DjangoSessionById = graphql(`
  query DjangoSessionById($id: ID!) {
    session(id: $id) { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }
  }
`);

const DjangoCurrentSession = graphql(`
  query DjangoCurrentSession {
    currentSession { id store status data userId user { username } }
  }
`);

const DjangoCreateSession = graphql(`
  mutation DjangoCreateSession($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload {
        sessionKey
        session { id store status data userId authHashValid expiresAt version user { username } }
      }
      ... on Error { code message }
    }
  }
`);

const DjangoUpdateSession = graphql(`
  mutation DjangoUpdateSession($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id status data userId authHashValid expiresAt version decodeNote } }
      ... on Error { code message }
    }
  }
`);

const DjangoEndSession = graphql(`
  mutation DjangoEndSession($input: EndSessionInput!) {
    endSession(input: $input) {
      __typename
      ... on EndSessionPayload { endedSessionId }
      ... on Error { code message }
    }
  }
`);

const DjangoEndUserSessions = graphql(`
  mutation DjangoEndUserSessions($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) {
      __typename
      ... on EndUserSessionsPayload { userId count }
      ... on Error { code message }
    }
  }
`);

// ------------------------------------------------------------------------------------------------ Django side

type Json = Record<string, unknown>;

/** What django_app.py `load` reports for one session key. */
interface DjangoLoad {
  exists: boolean;
  /** `SessionStore(session_key=k).load()`: {} for a missing, expired or rejected row. */
  loaded: Json;
  raw: string | null;
  /** `SessionStore().decode(row.session_data)`, ignoring expiry: {} when Django rejects the data. */
  decoded: Json | null;
  /** The row's `expire_date` (ISO, milliseconds). */
  expireDate: string | null;
  /** `get_expiry_date()` of the loaded session. */
  expiryDate: string | null;
  /** The JSON text inside session_data, and Django's own serialization of what it decoded. */
  payload: string | null;
  redumped: string | null;
  /** The user `django.contrib.auth.get_user` authenticates for a request with this session, or null. */
  userId: string | null;
}

interface WriteSpec {
  name: string;
  user?: string;
  data?: Json;
  expiry?: number;
  legacy?: boolean;
  secret?: string;
  expireInDb?: boolean;
  flip?: boolean;
}

let djangoEnv: NodeJS.ProcessEnv = {};

/** Runs one django_app.py command in this test's environment. */
const django = <T>(command: string, input: unknown, env: NodeJS.ProcessEnv = {}) =>
  runDjango<T>({ ...djangoEnv, ...env }, command, input);

const djangoLoad = (keys: string[], env: NodeJS.ProcessEnv = {}) =>
  django<Record<string, DjangoLoad>>('load', keys, env);

/** Django 3.1/3.2 still on the transitional setting: writes the pre-3.1 format and SHA-1 auth hashes. */
const SHA1_DJANGO = { DJANGO_DEFAULT_HASHING_ALGORITHM: 'sha1' };

const sessionIdOf = (key: string) =>
  encodeSessionId({ store: 'django', ref: createHash('sha256').update(key, 'utf8').digest('hex') });

function withoutHidden(data: Json): Json {
  return Object.fromEntries(Object.entries(data).filter(([key]) => !HIDDEN.includes(key)));
}

function withoutAuth(data: Json): Json {
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('_auth_user_')));
}

// ------------------------------------------------------------------------------------------------ data

const UNICODE = {
  name: 'Zoë',
  city: 'Kraków',
  greeting: 'こんにちは',
  emoji: '🎉👩‍💻',
  rtl: 'שלום',
  quoted: 'say "hi" \\ back / forth',
  controls: 'tab\tnew\nline\u0001\u007f\u0080\u2028\u00ff',
};

const NESTED = {
  cart: [
    { sku: 'SKU-1', qty: 2, price: 9.5, tags: ['a', 'ß'] },
    { sku: 'SKU-2', qty: 1, price: 0.1, tags: [] },
  ],
  prefs: {
    theme: 'dark',
    flags: { beta: true, legacy: false, none: null },
    deep: { a: { b: { c: [1, [2, [3]]] } } },
  },
  empty: {},
  emptyList: [],
  negative: -42,
};

/** Big and poorly compressible: compressed past the codec's small-row paths (JS HMAC, JS inflate). */
const BIG = {
  report: Array.from({ length: 120 }, (_, i) => ({
    row: i,
    label: `row ${i} · ${i.toString(36)}`,
    digest: createHash('sha256').update(String(i)).digest('hex'),
  })),
};

/** Compresses well: a short compressed row. */
const REPETITIVE = { text: 'lorem ipsum dolor '.repeat(30), n: 7 };

const USERNAMES = ['alice', 'bob', 'carol', 'dave', 'erin'];

const SPECS: WriteSpec[] = [
  { name: 'loggedIn', user: 'alice', data: { ...UNICODE, ...NESTED } },
  { name: 'loggedInExpiry', user: 'bob', data: { page: 'checkout' }, expiry: 3600 },
  { name: 'anonymousSmall', data: { a: 1 } },
  { name: 'anonymousUnicode', data: UNICODE },
  { name: 'compressedBig', user: 'carol', data: BIG },
  { name: 'compressedSmall', data: REPETITIVE },
  { name: 'expired', user: 'alice', data: { stale: true }, expiry: -10 },
  { name: 'expiredInDb', data: { y: 'Zoë' }, expireInDb: true },
  { name: 'legacy', user: 'carol', data: { legacy: 'Zoë', nested: { ok: [1, 2] } }, legacy: true },
  { name: 'legacyAnonymous', data: { n: 1 }, legacy: true },
  { name: 'otherSecret', user: 'alice', data: { evil: true }, secret: OTHER_SECRET },
  { name: 'flipped', user: 'bob', data: { x: 'y' }, flip: true },
  { name: 'daveDjango', user: 'dave', data: { who: 'dave' } },
  { name: 'erinDjango', user: 'erin', data: { who: 'erin' } },
];

const EXPECTED_STATUS: Record<string, 'ACTIVE' | 'EXPIRED' | 'INVALID'> = {
  loggedIn: 'ACTIVE',
  loggedInExpiry: 'ACTIVE',
  anonymousSmall: 'ACTIVE',
  anonymousUnicode: 'ACTIVE',
  compressedBig: 'ACTIVE',
  compressedSmall: 'ACTIVE',
  expired: 'EXPIRED',
  expiredInDb: 'EXPIRED',
  legacy: 'ACTIVE',
  legacyAnonymous: 'ACTIVE',
  otherSecret: 'INVALID',
  flipped: 'INVALID',
  daveDjango: 'ACTIVE',
  erinDjango: 'ACTIVE',
};

// ------------------------------------------------------------------------------------------------ the test

describe('django: sessiongraph reads and writes what Django 3.2 reads and writes', () => {
  let t: TestApp;
  let users: Record<string, string>;
  let keys: Record<string, string>;
  let written: Record<string, DjangoLoad>;

  beforeAll(async () => {
    const serverUrl = process.env['DATABASE_URL'];
    if (!serverUrl) {
      throw new Error(
        'test/frameworks/django.test.ts needs DATABASE_URL: Django (psycopg2) must reach a real PostgreSQL and ' +
          'cannot use the embedded PGlite fallback. Run it as ' +
          'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx vitest run test/frameworks/django.test.ts',
      );
    }
    t = await startTestApp({
      config: {
        users: { table: 'public.auth_user', key: 'id', columns: ['username', 'email', 'is_staff'] },
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, table: 'django_session' },
          // The same table, written the way a Django on DEFAULT_HASHING_ALGORITHM = 'sha1' writes it.
          {
            kind: 'django',
            name: 'django_sha1',
            secretKey: SECRET,
            table: 'django_session',
            writeLegacy: true,
          },
        ],
      },
      setup: async (pool) => {
        // Django's own migrations create auth_user and django_session in this test's fresh database.
        djangoEnv = djangoEnvironment(pool.options.connectionString!, SECRET);
        await django('migrate', {});
      },
    });
    expect(djangoEnv['DATABASE_URL']).toBe(t.database.url);
    users = await django<Record<string, string>>('create-users', USERNAMES);
    keys = await django<Record<string, string>>('write', SPECS);
    written = await djangoLoad(Object.values(keys));
  });
  afterAll(() => t?.close());

  async function listDjango() {
    const result = await t.graphql(DjangoSessions, { first: 50 });
    expect(result.errors).toBeUndefined();
    return new Map(result.data!.sessions.edges.map(({ node }) => [node.id, node]));
  }

  describe('reading what Django wrote', () => {
    it('should have written the shapes this test relies on (compressed, plain, legacy)', () => {
      expect(written[keys['anonymousSmall']!]!.raw).toMatch(/^eyJ[^.:]*:[0-9A-Za-z]+:[\w-]{43}$/);
      expect(written[keys['compressedSmall']!]!.raw).toMatch(/^\.[\w-]+:/);
      expect(written[keys['compressedSmall']!]!.raw!.length).toBeLessThan(700);
      expect(written[keys['compressedBig']!]!.raw).toMatch(/^\.[\w-]+:/);
      expect(written[keys['compressedBig']!]!.raw!.length).toBeGreaterThan(2048);
      expect(written[keys['legacy']!]!.raw).not.toContain(':');
      expect(written[keys['legacy']!]!.decoded!['_auth_user_hash']).toMatch(/^[0-9a-f]{40}$/); // SHA-1 era hash
      expect(written[keys['loggedIn']!]!.decoded!['_csrftoken']).toMatch(/^\w{64}$/);
      expect(written[keys['expired']!]!.loaded).toEqual({});
      expect(written[keys['otherSecret']!]!).toMatchObject({ exists: true, loaded: {}, decoded: {} });
      expect(written[keys['flipped']!]!).toMatchObject({ exists: true, loaded: {}, decoded: {} });
    });

    it('should list every Django session in one page, the INVALID ones included', async () => {
      const result = await t.graphql(DjangoSessions, { first: 50 });
      expect(result.errors).toBeUndefined();
      const ids = result.data!.sessions.edges.map(({ node }) => node.id);
      expect(new Set(ids)).toEqual(new Set(Object.values(keys).map(sessionIdOf)));
      expect(result.data!.sessions.pageInfo.hasNextPage).toBe(false);

      const active = await t.graphql(DjangoSessions, { first: 50, status: 'ACTIVE' });
      const activeNames = Object.keys(EXPECTED_STATUS).filter((name) => EXPECTED_STATUS[name] === 'ACTIVE');
      expect(new Set(active.data!.sessions.edges.map(({ node }) => node.id))).toEqual(
        new Set(activeNames.map((name) => sessionIdOf(keys[name]!))),
      );
    });

    it('should decode data, user, expiry and status exactly as Django loads them', async () => {
      const listed = await listDjango();
      for (const spec of SPECS) {
        if (EXPECTED_STATUS[spec.name] === 'INVALID') continue;
        const key = keys[spec.name]!;
        const mine = listed.get(sessionIdOf(key))!;
        const theirs = written[key]!;
        const context = `${spec.name}: ${JSON.stringify(mine)}`;
        expect(mine.status, context).toBe(EXPECTED_STATUS[spec.name]);
        expect(mine.problem, context).toBeNull();
        expect(mine.store).toBe('django');
        // Django's reading of the row, with its hidden keys taken out, is sessiongraph's data.
        expect(mine.data, context).toEqual(withoutHidden(theirs.decoded!));
        if (mine.status === 'ACTIVE') expect(theirs.loaded, context).toEqual(theirs.decoded);
        else expect(theirs.loaded, context).toEqual({});
        for (const hidden of HIDDEN) expect(mine.data, context).not.toHaveProperty(hidden);
        expect(mine.expiresAt, context).toBe(theirs.expireDate);
        expect(mine.decodeNote, context).toBe(spec.legacy ? 'legacy (pre-3.1) format' : null);

        if (spec.user) {
          expect(mine.userId, context).toBe(users[spec.user]);
          expect(mine.user, context).toEqual({ username: spec.user });
          expect(mine.authHashValid, context).toBe(true);
          // Django authenticates the live ones as that same user; an expired session is nobody's.
          expect(theirs.userId, context).toBe(mine.status === 'ACTIVE' ? users[spec.user] : null);
        } else {
          expect(mine.userId, context).toBeNull();
          expect(mine.user, context).toBeNull();
          expect(mine.authHashValid, context).toBeNull();
          expect(theirs.userId, context).toBeNull();
        }
      }
      expect(listed.get(sessionIdOf(keys['loggedIn']!))!.data).toMatchObject({
        _auth_user_id: users['alice'],
        _auth_user_backend: BACKEND,
        name: 'Zoë',
        emoji: '🎉👩‍💻',
      });
      expect(listed.get(sessionIdOf(keys['loggedInExpiry']!))!.data).toMatchObject({ _session_expiry: 3600 });
    });

    it('should mark a row signed with another secret, or with a flipped byte, INVALID with a problem', async () => {
      const listed = await listDjango();
      for (const name of ['otherSecret', 'flipped']) {
        const key = keys[name]!;
        const mine = listed.get(sessionIdOf(key))!;
        expect(mine, name).toMatchObject({ status: 'INVALID', data: {}, userId: null, user: null });
        expect(mine.problem, name).toMatch(/tampered|corrupt/);
        expect(written[key]!.userId).toBeNull(); // Django does not log anybody in with it either

        const byId = await t.graphql(DjangoSessionById, { id: mine.id });
        expect(byId.data!.session).toMatchObject({ status: 'INVALID' });
        const asCookie = await t.graphql(DjangoCurrentSession, undefined, { cookie: `sessionid=${key}` });
        expect(asCookie.data!.currentSession).toBeNull();
      }
    });

    it('should find a live Django session from its sessionid cookie or the X-Session-Key header', async () => {
      for (const name of ['loggedIn', 'anonymousUnicode', 'legacy', 'compressedBig']) {
        const key = keys[name]!;
        const viaCookie = await t.graphql(DjangoCurrentSession, undefined, {
          cookie: `csrftoken=x; sessionid=${key}`,
        });
        expect(viaCookie.errors).toBeUndefined();
        expect(viaCookie.data!.currentSession, name).toMatchObject({
          id: sessionIdOf(key),
          store: 'django',
          status: 'ACTIVE',
          data: withoutHidden(written[key]!.loaded),
          userId: written[key]!.userId,
        });
        const viaHeader = await t.graphql(DjangoCurrentSession, undefined, { 'x-session-key': key });
        expect(viaHeader.data!.currentSession?.id, name).toBe(sessionIdOf(key));
      }
      const expired = await t.graphql(DjangoCurrentSession, undefined, {
        cookie: `sessionid=${keys['expired']}`,
      });
      expect(expired.data!.currentSession).toBeNull();
    });
  });

  describe('writing what Django reads', () => {
    async function create(input: Record<string, unknown>) {
      const result = await t.graphql(DjangoCreateSession, { input: { store: 'django', ...input } });
      expect(result.errors).toBeUndefined();
      const payload = result.data!.createSession;
      if (payload.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(payload));
      return payload;
    }

    async function update(input: Record<string, unknown> & { id: string }) {
      const result = await t.graphql(DjangoUpdateSession, { input });
      expect(result.errors).toBeUndefined();
      const payload = result.data!.updateSession;
      if (payload.__typename !== 'UpdateSessionPayload') throw new Error(JSON.stringify(payload));
      return payload.session;
    }

    it('should create a logged-in session Django loads with identical data and authenticates as that user', async () => {
      const data = { ...UNICODE, ...NESTED };
      const created = await create({ userId: users['alice'], data });
      expect(created.sessionKey).toMatch(/^[a-z0-9]{32}$/);
      expect(created.session).toMatchObject({
        id: sessionIdOf(created.sessionKey),
        status: 'ACTIVE',
        data: { ...data, _auth_user_id: users['alice'], _auth_user_backend: BACKEND },
        userId: users['alice'],
        authHashValid: true,
        user: { username: 'alice' },
      });

      const theirs = (await djangoLoad([created.sessionKey]))[created.sessionKey]!;
      expect(theirs.exists).toBe(true);
      expect(withoutAuth(theirs.loaded)).toEqual(data);
      expect(theirs.loaded['name']).toBe('Zoë');
      expect(theirs.loaded['emoji']).toBe('🎉👩‍💻');
      expect(theirs.loaded).toMatchObject({ _auth_user_id: users['alice'], _auth_user_backend: BACKEND });
      expect(theirs.loaded['_auth_user_hash']).toMatch(/^[0-9a-f]{64}$/);
      expect(theirs.userId).toBe(users['alice']);
      expect(theirs.expireDate).toBe(created.session.expiresAt);
      // The JSON bytes sessiongraph wrote are the bytes Django's serializer writes for the same dict
      // (ensure_ascii escapes, lowercase hex, surrogate pairs, DEL, separators).
      expect(theirs.payload).toBe(theirs.redumped);
      expect(theirs.payload).toContain('"name":"Zo\\u00eb"');
      expect(theirs.payload).toContain('\\ud83c\\udf89');
      expect(theirs.raw).toMatch(/^\.[\w-]+:[0-9A-Za-z]+:[\w-]{43}$/); // compressed, like Django's own
      // The default lifetime is SESSION_COOKIE_AGE, as Django's get_expiry_date() computes it.
      expect(Math.abs(Date.parse(theirs.expiryDate!) - Date.parse(created.session.expiresAt!))).toBeLessThan(
        60_000,
      );

      const viaCookie = await t.graphql(DjangoCurrentSession, undefined, {
        cookie: `sessionid=${created.sessionKey}`,
      });
      expect(viaCookie.data!.currentSession).toMatchObject({
        id: created.session.id,
        user: { username: 'alice' },
      });
    });

    it('should create anonymous, explicitly timed and large sessions Django loads', async () => {
      const anonymous = await create({ data: { cart: [], note: 'Zoë' }, ttlSeconds: 600 });
      const at = new Date(Date.now() + 30 * 86_400_000 + 678).toISOString();
      const timed = await create({ userId: users['bob'], data: { t: 1 }, expiresAt: at });
      const big = await create({ userId: users['carol'], data: BIG });
      const small = await create({ data: { a: 1 } });
      const loaded = await djangoLoad([anonymous, timed, big, small].map((created) => created.sessionKey));

      const anon = loaded[anonymous.sessionKey]!;
      expect(anon.loaded).toEqual({ cart: [], note: 'Zoë' });
      expect(anon.userId).toBeNull();
      expect(anon.expireDate).toBe(anonymous.session.expiresAt);
      expect(anonymous.session.authHashValid).toBeNull();

      expect(loaded[timed.sessionKey]!).toMatchObject({ expireDate: at, userId: users['bob'] });
      expect(withoutAuth(loaded[big.sessionKey]!.loaded)).toEqual(BIG);
      expect(loaded[big.sessionKey]!.userId).toBe(users['carol']);
      expect(loaded[big.sessionKey]!.payload).toBe(loaded[big.sessionKey]!.redumped);
      expect(loaded[small.sessionKey]!.raw).toMatch(/^eyJ/); // too small to compress, as Django decides
      expect(loaded[small.sessionKey]!.loaded).toEqual({ a: 1 });
    });

    it('should update a session so Django sees the change, the other keys intact and the login still valid', async () => {
      const created = await create({
        userId: users['alice'],
        data: { ...UNICODE, keep: [1, 2] },
        ttlSeconds: 3600,
      });
      const before = (await djangoLoad([created.sessionKey]))[created.sessionKey]!;

      const updated = await update({
        id: created.session.id,
        set: { name: 'Zoë Ünïcødé', added: { deep: ['🎉', null] } },
        unset: ['city'],
        extendBySeconds: 7200,
      });
      expect(Date.parse(updated.expiresAt!) - Date.parse(created.session.expiresAt!)).toBe(7200_000);
      expect(updated.authHashValid).toBe(true);

      const after = (await djangoLoad([created.sessionKey]))[created.sessionKey]!;
      const { city: _city, ...rest } = UNICODE;
      expect(withoutAuth(after.loaded)).toEqual({
        ...rest,
        keep: [1, 2],
        name: 'Zoë Ünïcødé',
        added: { deep: ['🎉', null] },
      });
      expect(after.loaded['_auth_user_hash']).toBe(before.loaded['_auth_user_hash']);
      expect(after.userId).toBe(users['alice']);
      expect(after.expireDate).toBe(updated.expiresAt);
      expect(after.payload).toBe(after.redumped);

      const retimed = await update({ id: created.session.id, ttlSeconds: 60 });
      const again = (await djangoLoad([created.sessionKey]))[created.sessionKey]!;
      expect(again.expireDate).toBe(retimed.expiresAt);
      expect(again.loaded).toEqual(after.loaded);
    });

    it('should update Django-written sessions (current and legacy format) without breaking Django’s login', async () => {
      const loggedIn = keys['loggedIn']!;
      const legacy = keys['legacy']!;
      const fromSg = await update({
        id: sessionIdOf(loggedIn),
        set: { viaSessiongraph: 'ü' },
        unset: ['rtl'],
      });
      expect(fromSg.data).toMatchObject({ viaSessiongraph: 'ü' });
      const legacyUpdated = await update({ id: sessionIdOf(legacy), set: { bumped: 1 } });
      expect(legacyUpdated.decodeNote).toBeNull(); // rewritten in the current format
      expect(legacyUpdated.authHashValid).toBe(true);

      const loaded = await djangoLoad([loggedIn, legacy]);
      const { rtl: _rtl, ...rest } = written[loggedIn]!.loaded;
      expect(loaded[loggedIn]!.loaded).toEqual({ ...rest, viaSessiongraph: 'ü' });
      expect(loaded[loggedIn]!.loaded['_csrftoken']).toBe(written[loggedIn]!.loaded['_csrftoken']);
      expect(loaded[loggedIn]!.userId).toBe(users['alice']);
      expect(loaded[loggedIn]!.expireDate).toBe(written[loggedIn]!.expireDate);
      expect(loaded[legacy]!.loaded).toEqual({ ...written[legacy]!.loaded, bumped: 1 });
      expect(loaded[legacy]!.raw).toContain(':');
      expect(loaded[legacy]!.userId).toBe(users['carol']);
    });

    it('should write the pre-3.1 format, with a login that a Django on the sha1 setting accepts', async () => {
      const created = await create({ store: 'django_sha1', userId: users['erin'], data: { name: 'Zoë' } });
      expect(created.session).toMatchObject({ userId: users['erin'], authHashValid: true });
      const [plain, transitional] = await Promise.all([
        djangoLoad([created.sessionKey]),
        djangoLoad([created.sessionKey], SHA1_DJANGO),
      ]);
      for (const theirs of [plain[created.sessionKey]!, transitional[created.sessionKey]!]) {
        expect(theirs.raw).not.toContain(':'); // base64(sha1hex ":" json)
        expect(withoutAuth(theirs.loaded)).toEqual({ name: 'Zoë' });
        expect(theirs.payload).toBe(theirs.redumped);
        expect(theirs.loaded['_auth_user_hash']).toMatch(/^[0-9a-f]{40}$/);
        expect(theirs.userId).toBe(users['erin']);
      }
    });

    it('should read back what Django changes in a session sessiongraph created', async () => {
      const created = await create({ userId: users['bob'], data: { step: 1 } });
      await django('modify', [{ key: created.sessionKey, set: { step: 2, fromDjango: 'Zoë' } }]);
      const result = await t.graphql(DjangoSessionById, { id: created.session.id });
      expect(result.data!.session).toMatchObject({
        status: 'ACTIVE',
        data: { step: 2, fromDjango: 'Zoë', _auth_user_id: users['bob'] },
        userId: users['bob'],
        authHashValid: true,
      });
      expect(result.data!.session!.version).not.toBe(created.session.version);
    });

    it('should end a session so Django no longer finds it', async () => {
      const created = await create({ userId: users['bob'], data: { bye: true } });
      expect((await djangoLoad([created.sessionKey]))[created.sessionKey]!.userId).toBe(users['bob']);
      const ended = await t.graphql(DjangoEndSession, { input: { id: created.session.id } });
      expect(ended.data!.endSession).toMatchObject({
        __typename: 'EndSessionPayload',
        endedSessionId: created.session.id,
      });
      const theirs = (await djangoLoad([created.sessionKey]))[created.sessionKey]!;
      expect(theirs).toMatchObject({ exists: false, loaded: {}, userId: null });
    });

    it('should end all of a user’s Django sessions and nobody else’s', async () => {
      const extra = await create({ userId: users['alice'], data: { extra: true } });
      const kept = await create({ userId: users['alice'], data: { kept: true } });
      const everyKey = (
        await t.pool.query<{ k: string }>('SELECT session_key AS k FROM django_session')
      ).rows.map((row) => row.k);
      const before = await djangoLoad(everyKey);
      // Django's own decoding says whose each row is.
      const owner = (key: string) => (before[key]!.decoded?.['_auth_user_id'] as string | undefined) ?? null;
      const alices = everyKey.filter((key) => owner(key) === users['alice']);
      expect(alices).toContain(extra.sessionKey);
      expect(alices).toContain(keys['expired']);

      const result = await t.graphql(DjangoEndUserSessions, {
        input: { userId: users['alice']!, store: 'django', keepSessionId: kept.session.id },
      });
      expect(result.data!.endUserSessions).toEqual({
        __typename: 'EndUserSessionsPayload',
        userId: users['alice'],
        count: alices.length - 1,
      });

      const after = await djangoLoad(everyKey);
      for (const key of everyKey) {
        const gone = owner(key) === users['alice'] && key !== kept.sessionKey;
        expect(after[key]!.exists, `${key} (owner ${owner(key)})`).toBe(!gone);
      }
      expect(after[kept.sessionKey]!.userId).toBe(users['alice']);
      expect(after[keys['otherSecret']!]!.exists).toBe(true); // not provably alice's: left alone
      expect(after[keys['loggedInExpiry']!]!.userId).toBe(users['bob']);
    });

    it('should see a password change: authHashValid turns false and Django stops authenticating', async () => {
      const created = await create({ userId: users['dave'], data: { mine: true } });
      const daveKeys = [keys['daveDjango']!, created.sessionKey];
      const erin = keys['erinDjango']!;
      const before = await djangoLoad([...daveKeys, erin]);
      for (const key of daveKeys) expect(before[key]!.userId).toBe(users['dave']);

      await django('set-password', { username: 'dave', password: 'a new password' });

      const listed = await listDjango();
      for (const key of daveKeys) {
        expect(listed.get(sessionIdOf(key)), key).toMatchObject({
          userId: users['dave'],
          authHashValid: false,
        });
      }
      expect(listed.get(sessionIdOf(erin))!.authHashValid).toBe(true);
      const after = await djangoLoad([...daveKeys, erin]);
      for (const key of daveKeys) {
        expect(after[key]!.userId).toBeNull();
        expect(after[key]!.exists).toBe(true); // load() rolled back get_user's flush
      }
      expect(after[erin]!.userId).toBe(users['erin']);
      // Nor does sessiongraph take a browser presenting one of them for dave any more.
      for (const key of daveKeys) {
        const mine = await t.graphql(DjangoCurrentSession, undefined, { cookie: `sessionid=${key}` });
        expect(mine.data!.currentSession, key).toBeNull();
      }
      const erinsOwn = await t.graphql(DjangoCurrentSession, undefined, { cookie: `sessionid=${erin}` });
      expect(erinsOwn.data!.currentSession).toMatchObject({ userId: users['erin'] });
    });
  });
});
