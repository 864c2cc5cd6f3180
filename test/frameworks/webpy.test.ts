import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/codecs/result.ts';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import type { WebpyPageQuery } from '../gql/graphql.ts';
import { graphql } from '../gql/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { userIdNamed } from '../helpers/seed.ts';

/**
 * sessiongraph against REAL web.py (Debian's python3-webpy 0.62, `web.session.DBStore` over psycopg2):
 * web.py writes rows with its own pickle + base64 and loads what sessiongraph writes, and the two must
 * agree on every value and its Python type (webpy_app.py passes values as "tagged" JSON that keeps types).
 * web.py runs in Europe/Berlin (its `atime` is naive local time) and the store is told so, so a wrong
 * time-zone reading shows as an hour's error in `expiresAt`.
 */

const SERVER_URL = process.env['DATABASE_URL'];
if (!SERVER_URL) {
  throw new Error(
    'test/frameworks/webpy.test.ts needs a real PostgreSQL that web.py (psycopg2) can reach: run it with ' +
      'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI sets it). It is not skipped on purpose.',
  );
}

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./webpy_app.py', import.meta.url));
const TIME_ZONE = 'Europe/Berlin';
const TIMEOUT_SECONDS = 3600;

// ---------------------------------------------------------------------------------------------------------
// Tagged values (see webpy_app.py): Python values with their types, as JSON
// ---------------------------------------------------------------------------------------------------------

type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };
type TaggedObject = { [key: string]: Tagged };
type Loaded = { ok: true; value: TaggedObject } | { ok: false; error: string };

const py = {
  int: (value: bigint): Tagged => ({ $type: 'int', v: value.toString() }),
  float: (value: number): Tagged => ({ $type: 'float', v: value }),
  floatRepr: (repr: string): Tagged => ({ $type: 'float', repr }),
  bytes: (value: Buffer): Tagged => ({ $type: 'bytes', b64: value.toString('base64') }),
  tuple: (...items: Tagged[]): Tagged => ({ $type: 'tuple', items }),
  set: (...items: Tagged[]): Tagged => ({ $type: 'set', items }),
  frozenset: (...items: Tagged[]): Tagged => ({ $type: 'frozenset', items }),
  dict: (...items: [Tagged, Tagged][]): Tagged => ({ $type: 'dict', items }),
  ordered: (...items: [Tagged, Tagged][]): Tagged => ({ $type: 'OrderedDict', items }),
  storage: (items: TaggedObject): Tagged => ({ $type: 'Storage', items }),
  datetime: (iso: string, tzname?: string): Tagged =>
    tzname === undefined ? { $type: 'datetime', iso } : { $type: 'datetime', iso, tzname },
  date: (iso: string): Tagged => ({ $type: 'date', iso }),
  time: (iso: string): Tagged => ({ $type: 'time', iso }),
  timedelta: (seconds: number): Tagged => ({ $type: 'timedelta', seconds }),
  decimal: (value: string): Tagged => ({ $type: 'Decimal', v: value }),
};

const isTaggedObject = (value: Tagged | undefined): value is TaggedObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const typeOf = (value: Tagged | undefined) => (isTaggedObject(value) ? value['$type'] : undefined);
const itemsOf = (value: TaggedObject) => value['items'] as Tagged[];
const byJson = (a: JsonValue, b: JsonValue) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

function keyView(key: Tagged): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') return String(key);
  throw new Error(`test data: no JSON key for ${JSON.stringify(key)}`);
}

/** sessiongraph's documented JSON view (`pyToJson`) of a tagged value; sets sorted (their order is hash order). */
function view(value: Tagged): JsonValue {
  if (!isTaggedObject(value)) return Array.isArray(value) ? value.map(view) : value;
  switch (typeOf(value)) {
    case undefined:
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, view(item)]));
    case 'int':
    case 'Decimal':
      return value['v'] as string;
    case 'float': {
      if (typeof value['v'] === 'number') return value['v'];
      const repr = value['repr'];
      return repr === 'nan' ? 'NaN' : repr === 'inf' ? 'Infinity' : '-Infinity';
    }
    case 'bytes': {
      const bytes = Buffer.from(value['b64'] as string, 'base64');
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        return bytes.toString('base64');
      }
    }
    case 'tuple':
      return itemsOf(value).map(view);
    case 'set':
    case 'frozenset':
      return itemsOf(value).map(view).sort(byJson);
    case 'Storage':
      return view(value['items']!);
    case 'dict':
    case 'OrderedDict':
      return Object.fromEntries(
        (value['items'] as [Tagged, Tagged][]).map(([key, item]) => [keyView(key), view(item)]),
      );
    case 'datetime':
    case 'date':
    case 'time':
      return value['iso'] as string;
    case 'timedelta':
      return value['seconds'] as number;
    default:
      throw new Error(`test data: unexpected ${JSON.stringify(value)}`);
  }
}

/** `actual` with the arrays that stand for Python sets sorted like `view` sorts them. */
function alignSets(actual: JsonValue | undefined, tagged: Tagged | undefined): JsonValue | undefined {
  if (actual === undefined || tagged === undefined || !isTaggedObject(tagged)) {
    if (Array.isArray(actual) && Array.isArray(tagged))
      return actual.map((item, i) => alignSets(item, tagged[i])!);
    return actual;
  }
  const type = typeOf(tagged);
  const object = (entries: [string, Tagged][]) => {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return actual;
    const out: JsonObject = { ...actual };
    for (const [key, item] of entries) if (Object.hasOwn(out, key)) out[key] = alignSets(out[key], item)!;
    return out;
  };
  if (type === undefined) return object(Object.entries(tagged));
  if (type === 'Storage') return object(Object.entries(tagged['items'] as TaggedObject));
  if (type === 'dict' || type === 'OrderedDict') {
    return object((tagged['items'] as [Tagged, Tagged][]).map(([key, item]) => [keyView(key), item]));
  }
  if (!Array.isArray(actual)) return actual;
  if (type === 'tuple') return actual.map((item, i) => alignSets(item, itemsOf(tagged)[i])!);
  if (type === 'set' || type === 'frozenset') return [...actual].sort(byJson);
  return actual;
}

/** What sessiongraph must show for a dict web.py loaded: its JSON view without web.py's `session_id`. */
function expectedData(loaded: TaggedObject): JsonValue {
  const { session_id: _hidden, ...rest } = loaded;
  return view(rest);
}

// ---------------------------------------------------------------------------------------------------------
// Running web.py
// ---------------------------------------------------------------------------------------------------------

let databaseUrl = '';

function webpy<T>(command: string, input: unknown = {}): Promise<T> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, TZ: TIME_ZONE };
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      reject(
        new Error(`cannot run ${PYTHON} (install python3-webpy and python3-psycopg2): ${error.message}`),
      ),
    );
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`webpy_app.py ${command} exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

type WriteSpec = { id: string } & ({ data: Tagged } | { raw: string } | { evil: string });

const writeWebpy = (sessions: WriteSpec[], ageSeconds: Record<string, number> = {}) =>
  webpy<{ written: number }>('write', { sessions, ageSeconds });

async function loadWebpy(ids: string[]): Promise<Record<string, Loaded>> {
  return (await webpy<{ results: Record<string, Loaded> }>('load', { ids })).results;
}

/** DBStore.__getitem__'s dict for a session that must load. */
async function loadOk(ids: string[]): Promise<Record<string, TaggedObject>> {
  const results = await loadWebpy(ids);
  return Object.fromEntries(
    ids.map((id) => {
      const result = results[id]!;
      if (!result.ok) throw new Error(`web.py cannot load ${id}: ${result.error}`);
      return [id, result.value];
    }),
  );
}

/** `atime` as web.py's local time, and as an instant (Python converts with TZ=Europe/Berlin). */
async function atimesOf(ids: string[]): Promise<Record<string, { local: string; epochMs: number } | null>> {
  return (
    await webpy<{ atimes: Record<string, { local: string; epochMs: number } | null> }>('atimes', { ids })
  ).atimes;
}

interface WebpyResponse {
  status: string;
  body: TaggedObject | null;
  text: string | null;
  setCookie: string[];
}

/** Requests to a real web.application with web.session.Session over DBStore (cookie webpy_session_id). */
async function webpyRequests(requests: { path: string; cookie?: string }[]): Promise<WebpyResponse[]> {
  return (await webpy<{ responses: WebpyResponse[] }>('requests', { timeout: TIMEOUT_SECONDS, requests }))
    .responses;
}

// ---------------------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------------------

const newKey = () => randomBytes(20).toString('hex');
const refOf = (key: string) => createHash('sha256').update(key).digest('hex');
const nodeIdOf = (key: string) => encodeSessionId({ store: 'webpy', ref: refOf(key) });

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

const WebpySession = graphql(`
  query WebpySession($id: ID!) {
    session(id: $id) { id store status problem decodeNote data userId expiresAt }
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

interface ListedSession {
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

// ---------------------------------------------------------------------------------------------------------

describe('web.py DBStore, against real web.py', () => {
  let t: TestApp;
  let ada: string;
  let grace: string;
  /** Every response body sessiongraph gave, to check that no web.py key and no `session_id` ever leaked. */
  const responses: string[] = [];
  /** Keys sessiongraph handed out itself (createSession returns the key once, by design). */
  const created = new Set<string>();

  const ids = {
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
  };
  /** The session a real web.py app created on /login (web.py chose its id). */
  let appLogin = '';
  const marker = join(tmpdir(), `sessiongraph-webpy-pwned-${randomBytes(6).toString('hex')}`);
  const controlMarker = `${marker}-control`;
  /** What web.py loaded right after writing: the reference for every later comparison. */
  let before: Record<string, TaggedObject> = {};

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

  async function list(variables: Record<string, unknown> = {}): Promise<Map<string, ListedSession>> {
    const response = await t.fetch({ query: LIST, variables: { first: 50, ...variables } });
    const text = await response.text();
    responses.push(text);
    const body = JSON.parse(text) as {
      data?: { sessions: { edges: { node: ListedSession }[]; pageInfo: { hasNextPage: boolean } } };
      errors?: unknown[];
    };
    expect(body.errors).toBeUndefined();
    expect(body.data!.sessions.pageInfo.hasNextPage).toBe(false);
    return new Map(body.data!.sessions.edges.map(({ node }) => [node.id, node]));
  }

  const listed = async (key: string, variables: Record<string, unknown> = {}) => {
    const node = (await list(variables)).get(nodeIdOf(key));
    if (!node) throw new Error(`session ${key} is not listed`);
    return node;
  };

  async function update(key: string, input: Record<string, unknown>) {
    const data = await gql(WebpyUpdate, { input: { id: nodeIdOf(key), ...input } });
    const payload = data.updateSession;
    if (payload.__typename !== 'UpdateSessionPayload') throw new Error(JSON.stringify(payload));
    return payload.session;
  }

  beforeAll(async () => {
    t = await startTestApp({
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
      setup: async (pool) => {
        const name = (await pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
        const url = new URL(SERVER_URL);
        url.pathname = `/${name}`;
        databaseUrl = url.toString();
        await webpy('create-table');
      },
    });
    ada = await userIdNamed(t.pool, 'ada');
    grace = await userIdNamed(t.pool, 'grace');
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
    appLogin = /webpy_session_id=([0-9a-f]+);/.exec(login!.setCookie.join('\n'))![1]!;
    before = await loadOk([
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
    await t?.close();
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
      const refused = await gql(WebpyUpdate, { input: { id: nodeIdOf(ids.evil), set: { uid: 2 } } });
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
