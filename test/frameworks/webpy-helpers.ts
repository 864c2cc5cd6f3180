/**
 * The suite webpy-read.test.ts and webpy-write.test.ts both run, each on its own database: sessiongraph
 * with a webpy store told web.py's time zone (so a wrong time-zone reading shows as an hour's error in
 * `expiresAt`), the rows web.py wrote there before the tests, and the ways the tests ask sessiongraph.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { JsonObject } from '../../src/codecs/result.ts';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { userIdNamed } from '../helpers/seed.ts';
import {
  loadOk,
  prepareWebpyDatabase,
  py,
  type TaggedObject,
  TIME_ZONE,
  TIMEOUT_SECONDS,
  webpyRequests,
  writeWebpy,
} from './webpy-harness.ts';

// ---------------------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------------------

export const newKey = () => randomBytes(20).toString('hex');
const refOf = (key: string) => createHash('sha256').update(key).digest('hex');
export const nodeIdOf = (key: string) => encodeSessionId({ store: 'webpy', ref: refOf(key) });

/** A session dict as an app stores it: web.py's own keys, the app's, and many Python types. */
function richSession(id: string, uid: number, role: string, page: string): TaggedObject {
  return {
    session_id: id,
    ip: '203.0.113.7',
    uid,
    user_role: role,
    current_page: page,
    name: 'Zoë 🎉 \\ "quoted" \u2028',
    logged_in_at: py.datetime('2024-05-17T13:45:30.123456'),
    seen_utc: py.datetime('2024-05-17T08:15:30+00:00'),
    seen_ist: py.datetime('2024-05-17T13:45:30.000001+05:30'),
    seen_cet: py.datetime('2024-01-02T03:04:05+01:00', 'CET'),
    birthday: py.date('1990-01-02'),
    opens: py.time('09:30:00'),
    idle: py.timedelta(5400.5),
    pair: py.tuple(1, 'two', py.float(3.5)),
    tags: py.set('a', 'b', 'c'),
    frozen: py.frozenset(1, 2, 3),
    price: py.decimal('19.99'),
    big: py.int(2n ** 70n),
    neg_big: py.int(-(2n ** 70n)),
    ratio: py.float(0.1),
    whole: py.float(2),
    inf: py.floatRepr('inf'),
    raw: py.bytes(Buffer.from([0, 0xff, 0x10])),
    text_bytes: py.bytes(Buffer.from('hello')),
    nested: { a: { b: [1, py.tuple(2, 3)], c: null } },
    user: py.storage({
      id: 7,
      name: 'bob',
      email: 'bob@example.com',
      joined: py.datetime('2020-02-29T12:00:00'),
    }),
    by_id: py.dict([1, 'one'], [2, 'two']),
    history: py.ordered(['z', 1], ['a', 2]),
    flag: true,
    nothing: null,
    empty_list: [],
    empty_dict: {},
  };
}

/** FORMATS.md §2.2 test vectors, as the `data` column holds them. */
const VECTORS = {
  py3: 'gASVNQAAAAAAAAB9lCiMB3VzZXJfaWSUSweMCnNlc3Npb25faWSUjANhYmOUjAJpcJSMCTEyNy4w\nLjAuMZR1Lg==\n',
  py2:
    'KGRwMQpTJ2lwJwpwMgpTJzEyNy4wLjAuMScKcDMKc1MndXNlcl9pZCcKcDQKSTcKc1Mnc2Vzc2lv\n' +
    'bl9pZCcKcDUKUydhM2YxYzAnCnA2CnNTJ2xvZ2dlZF9pbicKcDcKSTAxCnMu\n',
  py2Storage:
    'KGRwMQpTJ2lwJwpwMgpTJzEyNy4wLjAuMScKcDMKc1MndScKVlpv6wpwNApzUyd1c2VyJwpwNQpj\n' +
    'Y29weV9yZWcKX3JlY29uc3RydWN0b3IKcDYKKGN3ZWIudXRpbHMKU3RvcmFnZQpwNwpjX19idWls\n' +
    'dGluX18KZGljdApwOAooZHA5ClMnbmFtZScKcDEwClMnYm9iJwpwMTEKc1MnaWQnCnAxMgpMN0wK\n' +
    'c3RScDEzCnMu\n',
  py3Storage:
    'gASVYQAAAAAAAAB9lCiMCnNlc3Npb25faWSUjANhYmOUjAJpcJSMCTEyNy4wLjAuMZSMBHVzZXKU\n' +
    'jAl3ZWIudXRpbHOUjAdTdG9yYWdllJOUKYGUKIwCaWSUSweMBG5hbWWUjANib2KUdXUu\n',
};

/** `base64.encodebytes`: lines of 76 characters, each ending in a newline. */
const encodebytes = (bytes: Buffer) =>
  `${bytes.toString('base64').replace(/.{76}/g, '$&\n')}\n`.replace(/\n\n$/, '\n');

/** Python 2 cPickle (protocol 0) of {'name': 'Zo\xc3\xab', 'uid': 3}: a UTF-8 byte string Python 3 cannot load. */
const PY2_UTF8_BYTES = encodebytes(
  Buffer.from("(dp1\nS'name'\np2\nS'Zo\\xc3\\xab'\np3\nsS'uid'\np4\nI3\ns.", 'latin1'),
);
/** web.py 0.40-0.51 on Python 3 stored `str(bytes)`: `b'...\n'` with literal backslash-n. */
const REPR_WRAPPED = `b'${VECTORS.py3.replace(/\n/g, '\\n')}'`;

// ---------------------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------------------

/** Not a typed document: `uid` is a field of this test's configuration only, not of the checked-in schema. */
const LIST = `
  query WebpyList($status: SessionStatus, $userId: ID, $where: SessionWhere, $first: Int) {
    sessions(store: "webpy", status: $status, userId: $userId, where: $where, first: $first) {
      edges { node {
        id store status problem decodeNote data userId user { username }
        createdAt expiresAt lastSeenAt version userRole currentPage uid
      } }
      pageInfo { hasNextPage }
    }
  }`;

export interface ListedSession {
  id: string;
  store: string;
  status: 'ACTIVE' | 'EXPIRED' | 'INVALID';
  problem: string | null;
  decodeNote: string | null;
  data: JsonObject;
  userId: string | null;
  user: { username: string } | null;
  createdAt: string | null;
  expiresAt: string | null;
  lastSeenAt: string | null;
  version: number;
  userRole: string | null;
  currentPage: string | null;
  uid: number | null;
}

const newIds = () => ({
  adaRich: newKey(),
  graceRich: newKey(),
  anon: newKey(),
  py3: newKey(),
  py2: newKey(),
  py2Storage: newKey(),
  py3Storage: newKey(),
  py2Bytes: newKey(),
  reprWrapped: newKey(),
  evil: newKey(),
  evilControl: newKey(),
  garbage: newKey(),
  notPickle: newKey(),
  notDict: newKey(),
});

export interface WebpySuite {
  /** Set by the suite's beforeAll, as are `ada`, `grace`, `appLogin` and `before`. */
  t: TestApp;
  ada: string;
  grace: string;
  /** The session a real web.py app created on /login (web.py chose its id). */
  appLogin: string;
  /** What web.py loaded right after writing: the reference for every later comparison. */
  before: Record<string, TaggedObject>;
  /** The keys of the rows web.py wrote before the tests. */
  ids: ReturnType<typeof newIds>;
  /** The file the os.system pickle would create if it ran; `controlMarker` that of the one web.py loads. */
  marker: string;
  controlMarker: string;
  /** Every response body sessiongraph gave, to check that no web.py key and no `session_id` ever leaked. */
  responses: string[];
  /** Keys sessiongraph handed out itself (createSession returns the key once, by design). */
  created: Set<string>;
  /** A typed operation, recorded in `responses`, that must answer without errors. */
  gql<R, V>(document: TypedDocumentNode<R, V>, variables?: V, headers?: Record<string, string>): Promise<R>;
  /** The webpy store's sessions (one page of 50, the whole store), by node id, recorded in `responses`. */
  list(variables?: Record<string, unknown>): Promise<Map<string, ListedSession>>;
  listed(key: string, variables?: Record<string, unknown>): Promise<ListedSession>;
}

/**
 * Registers, in the calling describe, the beforeAll that starts sessiongraph on a fresh database (through
 * test/helpers/app.ts) with web.py's table, where web.py writes the `ids` rows and a web.py app logs grace
 * in, and the afterAll that stops it.
 */
export function webpySuite(): WebpySuite {
  const marker = join(tmpdir(), `sessiongraph-webpy-pwned-${randomBytes(6).toString('hex')}`);
  const suite: WebpySuite = {
    t: undefined as unknown as TestApp,
    ada: '',
    grace: '',
    appLogin: '',
    before: {},
    ids: newIds(),
    marker,
    controlMarker: `${marker}-control`,
    responses: [],
    created: new Set<string>(),

    async gql<R, V>(document: TypedDocumentNode<R, V>, variables?: V, headers?: Record<string, string>) {
      const result = await suite.t.graphql(document, variables, headers);
      suite.responses.push(JSON.stringify(result));
      expect(result.errors).toBeUndefined();
      return result.data!;
    },

    async list(variables: Record<string, unknown> = {}): Promise<Map<string, ListedSession>> {
      const response = await suite.t.fetch({ query: LIST, variables: { first: 50, ...variables } });
      const text = await response.text();
      suite.responses.push(text);
      const body = JSON.parse(text) as {
        data?: { sessions: { edges: { node: ListedSession }[]; pageInfo: { hasNextPage: boolean } } };
        errors?: unknown[];
      };
      expect(body.errors).toBeUndefined();
      expect(body.data!.sessions.pageInfo.hasNextPage).toBe(false);
      return new Map(body.data!.sessions.edges.map(({ node }) => [node.id, node]));
    },

    async listed(key: string, variables: Record<string, unknown> = {}) {
      const node = (await suite.list(variables)).get(nodeIdOf(key));
      if (!node) throw new Error(`session ${key} is not listed`);
      return node;
    },
  };
  const { ids, controlMarker } = suite;

  beforeAll(async () => {
    const t = await startTestApp({
      config: {
        stores: [
          {
            kind: 'webpy',
            name: 'webpy',
            table: 'sessions',
            timeoutSeconds: TIMEOUT_SECONDS,
            timeZone: TIME_ZONE,
          },
        ],
        fields: [
          { name: 'userRole', path: 'user_role', type: 'String' },
          { name: 'currentPage', path: 'current_page', type: 'String' },
          { name: 'uid', path: 'uid', type: 'Int' },
        ],
      },
      setup: prepareWebpyDatabase,
    });
    suite.t = t;
    const ada = await userIdNamed(t.pool, 'ada');
    const grace = await userIdNamed(t.pool, 'grace');
    suite.ada = ada;
    suite.grace = grace;
    rmSync(marker, { force: true });
    rmSync(controlMarker, { force: true });

    await writeWebpy([
      { id: ids.adaRich, data: richSession(ids.adaRich, Number(ada), 'admin', '/cart') },
      { id: ids.graceRich, data: richSession(ids.graceRich, Number(grace), 'member', '/home') },
      { id: ids.anon, data: { session_id: ids.anon, ip: '198.51.100.1' } },
      { id: ids.py3, raw: VECTORS.py3 },
      { id: ids.py2, raw: VECTORS.py2 },
      { id: ids.py2Storage, raw: VECTORS.py2Storage },
      { id: ids.py3Storage, raw: VECTORS.py3Storage },
      { id: ids.py2Bytes, raw: PY2_UTF8_BYTES },
      { id: ids.reprWrapped, raw: REPR_WRAPPED },
      { id: ids.evil, evil: marker },
      { id: ids.evilControl, evil: controlMarker },
      { id: ids.garbage, raw: 'this is not base64 at all!!' },
      { id: ids.notPickle, raw: encodebytes(Buffer.from('hello world, not a pickle')) },
      { id: ids.notDict, data: [1, 2, 3] },
    ]);
    // A session made the way a web.py app makes one: web.session.Session on a request, id chosen by web.py.
    const [login] = await webpyRequests([{ path: `/login?uid=${grace}&role=admin` }]);
    const appLogin = /webpy_session_id=([0-9a-f]+);/.exec(login!.setCookie.join('\n'))![1]!;
    suite.appLogin = appLogin;
    suite.before = await loadOk([
      ids.adaRich,
      ids.graceRich,
      ids.anon,
      appLogin,
      ids.py3,
      ids.py2,
      ids.py2Storage,
      ids.py3Storage,
    ]);
  });

  afterAll(async () => {
    rmSync(marker, { force: true });
    rmSync(controlMarker, { force: true });
    await suite.t?.close();
  });

  return suite;
}
