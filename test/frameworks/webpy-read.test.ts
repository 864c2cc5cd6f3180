/**
 * sessiongraph reading what REAL web.py wrote (webpy-harness.ts): every row shows as the JSON view of the
 * dict web.py loads, with its Python types, user, expiry and typed fields; Python 2 and web.py 0.40-0.51
 * rows; unsafe and corrupt rows marked, never run; paging. Writing is in webpy-write.test.ts; the suite
 * both run (their own database each) is webpy-helpers.ts's.
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebpyPageQuery } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import type { TestApp } from '../helpers/app.ts';
import {
  alignSets,
  atimesOf,
  expectedData,
  loadWebpy,
  py,
  type TaggedObject,
  TIMEOUT_SECONDS,
  typeOf,
  writeWebpy,
} from './webpy-harness.ts';
import { newKey, nodeIdOf, webpySuite } from './webpy-helpers.ts';

// ---------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------

const WebpySession = graphql(`
  query WebpySession($id: ID!) {
    session(id: $id) { id store status problem decodeNote data userId expiresAt }
  }
`);

const WebpyTypes = graphql(`
  query WebpyTypes($id: ID!) {
    session(id: $id) { data dataTypes }
  }
`);

const WebpyPage = graphql(`
  query WebpyPage($first: Int, $after: String) {
    sessions(store: "webpy", first: $first, after: $after) {
      edges { node { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

/** WebpyUpdate of webpy-write.test.ts, named apart (codegen wants operation names unique across the tests). */
const WebpyReadUpdate = graphql(`
  mutation WebpyReadUpdate($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }
      ... on Error { code message }
      ... on InvalidInputError { field }
    }
  }
`);

// ---------------------------------------------------------------------------------------------------------

describe('web.py DBStore, against real web.py', () => {
  const suite = webpySuite();
  const { ids, marker, controlMarker, responses, created, gql, list } = suite;
  let t: TestApp;
  let ada: string;
  let grace: string;
  let appLogin = '';
  let before: Record<string, TaggedObject> = {};
  beforeAll(() => {
    // What the suite's beforeAll (registered first, so run first) started and loaded.
    ({ t, ada, grace, appLogin, before } = suite);
  });

  describe('reading what web.py wrote', () => {
    it('should decode every row to the JSON view of the dict web.py loads, without session_id', async () => {
      // web.py really wrote the Python types this test is about.
      const rich = before[ids.adaRich]!;
      expect(
        Object.fromEntries(Object.entries(rich).map(([key, value]) => [key, typeOf(value) ?? typeof value])),
      ).toMatchObject({
        uid: 'number',
        logged_in_at: 'datetime',
        seen_cet: 'datetime',
        birthday: 'date',
        opens: 'time',
        idle: 'timedelta',
        pair: 'tuple',
        tags: 'set',
        frozen: 'frozenset',
        price: 'Decimal',
        big: 'int',
        ratio: 'float',
        whole: 'float',
        raw: 'bytes',
        user: 'Storage',
        by_id: 'dict',
        history: 'OrderedDict',
      });
      expect(rich['seen_cet']).toEqual(py.datetime('2024-01-02T03:04:05+01:00', 'CET'));
      expect(before[appLogin]).toMatchObject({
        session_id: appLogin,
        uid: Number(grace),
        user_role: 'admin',
      });

      const sessions = await list();
      for (const key of Object.keys(before)) {
        const node = sessions.get(nodeIdOf(key))!;
        expect(node, key).toMatchObject({ store: 'webpy', status: 'ACTIVE', problem: null });
        expect(alignSets(node.data, before[key]), key).toEqual(expectedData(before[key]!));
        expect(node.data).not.toHaveProperty('session_id');
      }
      // A few values spelled out, so the mapping itself is pinned down too.
      expect(sessions.get(nodeIdOf(ids.adaRich))!.data).toMatchObject({
        logged_in_at: '2024-05-17T13:45:30.123456',
        seen_ist: '2024-05-17T13:45:30.000001+05:30',
        pair: [1, 'two', 3.5],
        price: '19.99',
        big: '1180591620717411303424',
        inf: 'Infinity',
        raw: 'AP8Q',
        user: { id: 7, name: 'bob', joined: '2020-02-29T12:00:00' },
        by_id: { '1': 'one', '2': 'two' },
        idle: 5400.5,
      });
      expect(sessions.get(nodeIdOf(ids.adaRich))!.decodeNote).toContain('/big');
    });

    it('should name the Python type of every value whose JSON does not tell it (dataTypes)', async () => {
      const { session } = await gql(WebpyTypes, { id: nodeIdOf(ids.adaRich) });
      const named: Record<string, string> = {
        datetime: 'datetime.datetime',
        date: 'datetime.date',
        time: 'datetime.time',
        timedelta: 'datetime.timedelta',
        tuple: 'tuple',
        set: 'set',
        frozenset: 'frozenset',
        Decimal: 'decimal.Decimal',
        bytes: 'bytes',
        Storage: 'web.utils.Storage',
        OrderedDict: 'collections.OrderedDict',
      };
      const rich = before[ids.adaRich]!;
      const expected: Record<string, string> = {};
      for (const [key, value] of Object.entries(rich)) {
        const type = typeOf(value) as string | undefined;
        if (type && named[type]) expected[`/${key}`] = named[type];
        // JSON shows an int past 2^53 and an infinite float as strings.
        if ((type === 'int' || type === 'float') && typeof session!.data[key] === 'string')
          expected[`/${key}`] = type;
      }
      expect(expected).toMatchObject({ '/big': 'int', '/inf': 'float' });
      const top = Object.fromEntries(
        Object.entries(session!.dataTypes as Record<string, string>).filter(
          ([path]) => path.lastIndexOf('/') === 0,
        ),
      );
      expect(top).toEqual(expected);
      expect(Object.keys(expected).length).toBeGreaterThan(10);
      // Nested: the Storage's datetime; and no pointer names a key that is not in `data`.
      expect(session!.dataTypes).toMatchObject({ '/user/joined': 'datetime.datetime' });
      for (const path of Object.keys(session!.dataTypes as object)) {
        expect(session!.data, path).toHaveProperty(path.slice(1).split('/')[0]!);
      }
    });

    it('should link uid to the user, take expiresAt = atime + timeout, and read the typed fields', async () => {
      const keys = [ids.adaRich, ids.graceRich, ids.anon, appLogin, ids.py2];
      const atimes = await atimesOf(keys);
      const sessions = await list();
      for (const key of keys) {
        const node = sessions.get(nodeIdOf(key))!;
        const atime = atimes[key]!;
        expect(Math.abs(new Date(node.lastSeenAt!).getTime() - atime.epochMs), key).toBeLessThanOrEqual(1);
        expect(
          Math.abs(new Date(node.expiresAt!).getTime() - (atime.epochMs + TIMEOUT_SECONDS * 1000)),
          key,
        ).toBeLessThanOrEqual(1);
        expect(node.createdAt).toBeNull();
      }
      expect(sessions.get(nodeIdOf(ids.adaRich))).toMatchObject({
        userId: ada,
        user: { username: 'ada' },
        userRole: 'admin',
        currentPage: '/cart',
        uid: Number(ada),
      });
      expect(sessions.get(nodeIdOf(appLogin))).toMatchObject({
        userId: grace,
        user: { username: 'grace' },
        userRole: 'admin',
        currentPage: '/login',
        uid: Number(grace),
      });
      expect(sessions.get(nodeIdOf(ids.anon))).toMatchObject({
        userId: null,
        user: null,
        userRole: null,
        uid: null,
      });
      expect(sessions.get(nodeIdOf(ids.py2))).toMatchObject({ userId: null, uid: null });

      const admins = await list({ where: { userRole: 'admin' } });
      expect([...admins.keys()].sort()).toEqual([nodeIdOf(ids.adaRich), nodeIdOf(appLogin)].sort());
      const graces = await list({ userId: grace });
      expect([...graces.keys()].sort()).toEqual([nodeIdOf(ids.graceRich), nodeIdOf(appLogin)].sort());
      const graceAdmins = await list({ userId: grace, where: { userRole: 'admin', currentPage: '/login' } });
      expect([...graceAdmins.keys()]).toEqual([nodeIdOf(appLogin)]);
    });

    it('should decode the Python 2 and web.py 0.40-0.51 rows, with a note where they need one', async () => {
      const sessions = await list();
      expect(sessions.get(nodeIdOf(ids.py2))).toMatchObject({
        status: 'ACTIVE',
        data: { ip: '127.0.0.1', user_id: 7, logged_in: true },
      });
      expect(sessions.get(nodeIdOf(ids.py2Storage))).toMatchObject({
        status: 'ACTIVE',
        data: { ip: '127.0.0.1', u: 'Zoë', user: { id: 7, name: 'bob' } },
      });
      expect(before[ids.py2Storage]!['user']).toEqual(py.storage({ name: 'bob', id: 7 }));
      expect(before[ids.py2]!['logged_in']).toBe(true);

      // A UTF-8 Python 2 str: Python 3 web.py fails on it; sessiongraph shows it, and says so.
      const bytesRow = sessions.get(nodeIdOf(ids.py2Bytes))!;
      expect(bytesRow).toMatchObject({ status: 'ACTIVE', data: { name: 'Zoë', uid: 3 }, uid: 3 });
      expect(bytesRow.decodeNote).toMatch(/^py2 bytes/);
      // The bug-era repr of bytes: web.py 0.62 cannot read it either; sessiongraph reads it as the py3 vector.
      const wrapped = sessions.get(nodeIdOf(ids.reprWrapped))!;
      expect(wrapped).toMatchObject({ status: 'ACTIVE', data: expectedData(before[ids.py3]!) });
      expect(wrapped.decodeNote).toMatch(/^repr-wrapped/);
      const failing = await loadWebpy([ids.py2Bytes, ids.reprWrapped]);
      expect(failing[ids.py2Bytes]).toMatchObject({
        ok: false,
        error: expect.stringMatching(/^UnicodeDecodeError/),
      });
      expect(failing[ids.reprWrapped]).toMatchObject({ ok: false });
    });

    it('should mark the os.system pickle unsafe without running it, mark garbage corrupt, and list the rest', async () => {
      const all = await list();
      const rows = (await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions')).rows[0]!.n;
      expect(all.size).toBe(rows);
      for (const key of [ids.evil, ids.evilControl]) {
        const node = all.get(nodeIdOf(key))!;
        expect(node).toMatchObject({ status: 'INVALID', data: {}, userId: null, user: null, uid: null });
        expect(node.problem).toMatch(/^unsafe/);
      }
      for (const key of [ids.garbage, ids.notPickle, ids.notDict]) {
        const node = all.get(nodeIdOf(key))!;
        expect(node, key).toMatchObject({ status: 'INVALID', data: {} });
        expect(node.problem, key).toMatch(/^corrupt/);
      }
      const one = await gql(WebpySession, { id: nodeIdOf(ids.evil) });
      expect(one.session).toMatchObject({ status: 'INVALID', problem: expect.stringMatching(/^unsafe/) });
      const refused = await gql(WebpyReadUpdate, { input: { id: nodeIdOf(ids.evil), set: { uid: 2 } } });
      expect(refused.updateSession).toMatchObject({ __typename: 'InvalidInputError', field: 'id' });
      const active = await list({ status: 'ACTIVE' });
      expect([...active.values()].every((node) => node.status === 'ACTIVE')).toBe(true);
      expect(active.size).toBe(rows - 5);
      expect(existsSync(marker)).toBe(false);

      // The control: the same kind of row, loaded by web.py itself, really runs the command.
      const control = await loadWebpy([ids.evilControl]);
      expect(control[ids.evilControl]).toMatchObject({ ok: true, value: { payload: 0 } });
      expect(existsSync(controlMarker)).toBe(true);
      expect(existsSync(marker)).toBe(false);
    });

    it('should page through rows web.py wrote within one millisecond without skipping any', async () => {
      // web.py's atime has microseconds; cursors carry milliseconds.
      const sameMillisecond = [0, 1, 2, 3, 4].map(() => newKey());
      await writeWebpy(
        sameMillisecond.map((id) => ({ id, data: { session_id: id, ip: '203.0.113.20' } })),
        Object.fromEntries(sameMillisecond.map((id, i) => [id, 100 - i * 0.0001])),
      );
      const whole = [...(await list()).keys()];
      expect(whole).toEqual(expect.arrayContaining(sameMillisecond.map(nodeIdOf)));
      const paged: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page += 1) {
        const { sessions }: WebpyPageQuery = await gql(WebpyPage, { first: 2, after });
        paged.push(...sessions.edges.map((edge) => edge.node.id));
        if (!sessions.pageInfo.hasNextPage) break;
        after = sessions.pageInfo.endCursor!;
      }
      expect(paged).toEqual(whole);
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
