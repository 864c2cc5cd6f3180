import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/codecs/result.ts';
import { recordTombstones } from '../../src/security/tombstones.sql.ts';
import { dropTombstoneTrigger, tombstoneStatements } from '../../src/security/tombstones.ts';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import { sweepExpired } from '../../src/sessions/sweep.ts';
import { graphql } from '../gql/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { userIdNamed } from '../helpers/seed.ts';

/**
 * sessiongraph against REAL Flask (Debian's Flask 2.2, Flask-Session 0.3.2 over Flask-SQLAlchemy 3.0 and
 * psycopg2, Flask-Login 0.6): Flask writes sessions through its own request path and loads what sessiongraph
 * writes the same way (flask_app.py), and the two must agree on every value and its Python type, on expiry
 * and on which sessions Flask serves at all. Two apps share the database: `sessions` (unsigned cookies, key
 * prefix `session:`) and `signed_sessions` (SESSION_USE_SIGNER, prefix `app:`). sessiongraph's connections
 * run in Asia/Tokyo and its store says `timeZone: Asia/Kolkata`: neither may change how `expiry` reads.
 */

const SERVER_URL = process.env['DATABASE_URL'];
if (!SERVER_URL) {
  throw new Error(
    'test/frameworks/flask.test.ts needs a real PostgreSQL that Flask (psycopg2) can reach: run it with ' +
      'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI sets it). It is not skipped on purpose.',
  );
}

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./flask_app.py', import.meta.url));
const SECRET = 'flask-test-secret-key';
const LIFETIME = 31 * 86_400;
const OUR_TIME_ZONE = 'Asia/Tokyo';
const NEW_YORK = 'America/New_York';
const HIDDEN = ['_permanent', '_id'];

// ---------------------------------------------------------------------------------------------------------
// Tagged values (flask_app.py): Python values with their types, as JSON
// ---------------------------------------------------------------------------------------------------------

type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };
type TaggedObject = { [key: string]: Tagged };

const py = {
  int: (value: bigint): Tagged => ({ $type: 'int', v: value.toString() }),
  float: (v: number): Tagged => ({ $type: 'float', v, repr: Number.isInteger(v) ? `${v}.0` : `${v}` }),
  bytes: (value: Buffer): Tagged => ({ $type: 'bytes', b64: value.toString('base64') }),
  tuple: (...items: Tagged[]): Tagged => ({ $type: 'tuple', items }),
  set: (...items: Tagged[]): Tagged => ({ $type: 'set', items }),
  dict: (...items: [Tagged, Tagged][]): Tagged => ({ $type: 'dict', items }),
  ordered: (...items: [Tagged, Tagged][]): Tagged => ({ $type: 'OrderedDict', items }),
  datetime: (iso: string, tzname?: string): Tagged =>
    tzname === undefined ? { $type: 'datetime', iso } : { $type: 'datetime', iso, tzname },
  date: (iso: string): Tagged => ({ $type: 'date', iso }),
  timedelta: (seconds: number): Tagged => ({ $type: 'timedelta', seconds }),
  decimal: (value: string): Tagged => ({ $type: 'Decimal', v: value }),
};

const isTaggedObject = (value: Tagged | undefined): value is TaggedObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const typeOf = (value: Tagged | undefined) => (isTaggedObject(value) ? value['$type'] : undefined);

/** sessiongraph's documented JSON view (`pyToJson`) of a tagged value (sets here hold small ints: ordered). */
function view(value: Tagged): JsonValue {
  if (Array.isArray(value)) return value.map(view);
  if (!isTaggedObject(value)) return value;
  const items = value['items'] as Tagged[];
  switch (typeOf(value)) {
    case undefined:
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, view(item)]));
    case 'int':
    case 'Decimal':
      return value['v'] as string;
    case 'float':
      return value['v'] as number;
    case 'bytes': {
      // Text when the bytes are UTF-8, else base64.
      const bytes = Buffer.from(value['b64'] as string, 'base64');
      return Buffer.from(bytes.toString('utf8')).equals(bytes)
        ? bytes.toString('utf8')
        : bytes.toString('base64');
    }
    case 'tuple':
    case 'set':
      return items.map(view);
    case 'dict':
    case 'OrderedDict':
      return Object.fromEntries(
        (items as [Tagged, Tagged][]).map(([key, item]) => [String(key), view(item)]),
      );
    case 'datetime':
    case 'date':
      return value['iso'] as string;
    case 'timedelta':
      return value['seconds'] as number;
    default:
      throw new Error(`test data: unexpected ${JSON.stringify(value)}`);
  }
}

/** What sessiongraph must show of a dict Flask loaded: its JSON view without the keys Flask manages. */
const expectedData = (loaded: TaggedObject) =>
  view(Object.fromEntries(Object.entries(loaded).filter(([key]) => !HIDDEN.includes(key))));

/** A session as an app fills it: many Python types. */
const RICH: TaggedObject = {
  user_role: 'admin',
  current_page: '/cart',
  name: 'Zoë 🎉 \\ "quoted" \u2028',
  logged_in_at: py.datetime('2024-05-17T13:45:30.123456'),
  seen_ist: py.datetime('2024-05-17T13:45:30.000001+05:30'),
  birthday: py.date('1990-01-02'),
  idle: py.timedelta(5400.5),
  pair: py.tuple(1, 'two', py.float(3.5)),
  tags: py.set(1, 2, 3),
  price: py.decimal('19.99'),
  big: py.int(2n ** 70n),
  ratio: py.float(0.1),
  whole: py.float(2),
  raw: py.bytes(Buffer.from([0, 0xff, 0x10])),
  by_id: py.dict([1, 'one'], [2, 'two']),
  history: py.ordered(['z', 1], ['a', 2]),
  cart: [{ sku: 'A-1', qty: 2 }],
  nested: { a: { b: [1, py.tuple(2, 3)], c: null } },
  flag: true,
  nothing: null,
};

// ---------------------------------------------------------------------------------------------------------
// Running Flask
// ---------------------------------------------------------------------------------------------------------

let databaseUrl = '';

/** The two apps: table and key prefix of each (flask_app.py reads them from the environment). */
const APPS = {
  plain: { table: 'sessions', prefix: 'session:', signer: false, store: 'flask' },
  signed: { table: 'signed_sessions', prefix: 'app:', signer: true, store: 'signed' },
} as const;
type AppName = keyof typeof APPS;
const BOTH: AppName[] = ['plain', 'signed'];

const appEnv = (app: AppName, timeZone = 'UTC') => ({
  PGTZ: timeZone,
  FLASK_SECRET_KEY: SECRET,
  FLASK_SESSION_TABLE: APPS[app].table,
  FLASK_SESSION_KEY_PREFIX: APPS[app].prefix,
});

function spawnPython(args: string[], env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, PGTZ: 'UTC', ...env };
  delete childEnv['PYTHONPATH'];
  delete childEnv['PYTHONHOME'];
  const child = spawn(PYTHON, args, { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stderr: '' };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  return { child, output };
}

function python<T>(args: string[], input: unknown, env: Record<string, string> = {}): Promise<T> {
  const { child, output } = spawnPython(args, env);
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stdin.end(JSON.stringify(input));
  return new Promise((resolve, reject) => {
    child.on('error', (error) => reject(new Error(`cannot run ${PYTHON}: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`python ${args[0]} exited with ${code}:\n${output.stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

type Written = { cookie: string; sid: string; sessionId: string };
type WriteSpec = {
  data?: TaggedObject;
  userId?: string;
  permanent?: boolean;
  lifetimeSeconds?: number;
  evil?: string;
};
type Loaded = {
  served: boolean;
  status: number;
  newSession: boolean;
  data: TaggedObject | null;
  user: string | null;
  error: string | null;
  row: { change: string };
};

async function writeFlask(app: AppName, sessions: WriteSpec[], timeZone?: string): Promise<Written[]> {
  const items = sessions.map((item) => ({ ...item, signer: APPS[app].signer }));
  const env = appEnv(app, timeZone);
  return (await python<{ sessions: Written[] }>([SCRIPT, 'write'], { sessions: items }, env)).sessions;
}

/** One GET per cookie through Flask's request path (which re-saves every session it serves). */
async function loadFlask(app: AppName, cookies: string[]): Promise<Record<string, Loaded>> {
  const request = { cookies, signer: APPS[app].signer, flaskLogin: true };
  return (await python<{ results: Record<string, Loaded> }>([SCRIPT, 'load'], request, appEnv(app))).results;
}

const verdict = async (app: AppName, cookie: string) => (await loadFlask(app, [cookie]))[cookie]!;

async function loadOk(app: AppName, cookies: string[]): Promise<Record<string, TaggedObject>> {
  const results = await loadFlask(app, cookies);
  for (const cookie of cookies) {
    if (!results[cookie]!.served)
      throw new Error(`Flask does not serve ${cookie}: ${results[cookie]!.error}`);
  }
  return Object.fromEntries(cookies.map((cookie) => [cookie, results[cookie]!.data!]));
}

/** `expiry` as Flask-Session reads it: naive, compared with utcnow(). */
async function expiryOf(app: AppName, key: string): Promise<string | null> {
  type Rows = { rows: Record<string, { expiry: string | null } | null> };
  return (await python<Rows>([SCRIPT, 'rows'], { ids: [key] }, appEnv(app))).rows[key]?.expiry ?? null;
}

/** Pickles Python builds (`result = …` in each source), as hex. */
const PICKLES = `import json, sys, pickle
out = {}
for name, source in json.load(sys.stdin).items():
    scope = {'pickle': pickle}
    exec(source, scope)
    out[name] = scope['result'].hex()
print(json.dumps(out))`;
const pickles = (sources: Record<string, string>) => python<Record<string, string>>(['-c', PICKLES], sources);

/**
 * A Flask request that stops in its view after Flask-Session loaded the session; `finish()` lets it return,
 * and Flask-Session saves what it holds (UPDATE when its SELECT finds the row, else INSERT).
 */
const HOLD = `import json, sys
sys.path.insert(0, sys.argv[1])
import flask, flask_app
app, _db = flask_app.make_app(login=True)
@app.route('/hold')
def hold():
    print(json.dumps({'holding': dict(flask.session).get('_user_id')}), flush=True)
    sys.stdin.readline()
    flask.session['late'] = True
    return 'ok'
response = app.test_client(use_cookies=False).get('/hold', headers={'Cookie': 'session=' + sys.argv[2]},
                                                  environ_base=flask_app.CLIENT)
error = app.seen.get('exception')
print(json.dumps({'status': response.status_code, 'error': error and type(error).__name__ + ': ' + str(error)}))`;

function holdFlask(cookie: string) {
  const { child, output } = spawnPython(['-c', HOLD, dirname(SCRIPT), cookie], appEnv('plain'));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async <T>() => {
    const line = await lines.next();
    if (line.done) throw new Error(`the held Flask request ended:\n${output.stderr}`);
    return JSON.parse(line.value) as T;
  };
  return {
    holding: next<{ holding: string | null }>(),
    finish() {
      child.stdin.end('\n');
      return next<{ status: number; error: string | null }>();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------

const FlaskSessions = graphql(`
  query FlaskSessions($store: String!, $userId: ID) {
    sessions(store: $store, first: 100, userId: $userId) {
      edges { node { id store status problem data userId user { username } expiresAt userRole } }
      pageInfo { hasNextPage }
    }
  }
`);
const FlaskCurrent = graphql(`
  query FlaskCurrent { currentSession { id store status data userId userRole user { username } } }
`);
const FlaskCreate = graphql(`
  mutation FlaskCreate($input: CreateSessionInput!) { createSession(input: $input) { __typename
    ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }
    ... on Error { code message } ... on InvalidInputError { field } } }
`);
const FlaskUpdate = graphql(`
  mutation FlaskUpdate($input: UpdateSessionInput!) { updateSession(input: $input) { __typename
    ... on UpdateSessionPayload { session { id status data userId expiresAt } }
    ... on Error { code message } ... on InvalidInputError { field } } }
`);
const FlaskEnd = graphql(`
  mutation FlaskEnd($input: EndSessionInput!) { endSession(input: $input) { __typename
    ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } } }
`);
const FlaskEndUser = graphql(`
  mutation FlaskEndUser($input: EndUserSessionsInput!) { endUserSessions(input: $input) { __typename
    ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }
`);
const FlaskRotate = graphql(`
  mutation FlaskRotate($input: EndSessionInput!) { rotateSessionKey(input: $input) { __typename
    ... on RotateSessionKeyPayload { sessionKey session { id status data userId } } ... on Error { code message } } }
`);
const FlaskUserSessions = graphql(`
  query FlaskUserSessions($id: ID!, $store: String!) {
    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }
  }
`);

// ---------------------------------------------------------------------------------------------------------

const refOf = (key: string) => createHash('sha256').update(key).digest('hex');
const nodeIdOf = (app: AppName, key: string) => encodeSessionId({ store: APPS[app].store, ref: refOf(key) });

describe('Flask-Session (SQLAlchemy), against real Flask', () => {
  let t: TestApp;
  const users: Record<string, string> = {};
  /** Every response body sessiongraph gave, to check that no Flask sid and no `_id` ever leaked. */
  const responses: string[] = [];
  /** Sessions Flask wrote in beforeAll, by app and name. */
  const flask: Record<AppName, Record<string, Written>> = { plain: {}, signed: {} };
  const plain = flask.plain;
  const signed = flask.signed;
  /** What Flask keeps of them (by cookie), once Flask has loaded them. */
  const before: Record<string, TaggedObject> = {};
  const marker = join(tmpdir(), `sessiongraph-flask-pwned-${randomBytes(6).toString('hex')}`);

  const gql = async <R, V>(doc: TypedDocumentNode<R, V>, variables?: V, headers?: Record<string, string>) => {
    const result = await t.graphql(doc, variables, headers);
    responses.push(JSON.stringify(result));
    expect(result.errors).toBeUndefined();
    return result.data!;
  };

  async function list(app: AppName, userId?: string) {
    const { sessions } = await gql(FlaskSessions, { store: APPS[app].store, userId });
    expect(sessions.pageInfo.hasNextPage).toBe(false);
    return new Map(sessions.edges.map(({ node }) => [node.id, node]));
  }

  const listed = async (app: AppName, key: string) => {
    const node = (await list(app)).get(nodeIdOf(app, key));
    if (!node) throw new Error(`session ${key} is not listed`);
    return node;
  };

  async function update(app: AppName, key: string, input: Record<string, unknown>) {
    const payload = (await gql(FlaskUpdate, { input: { id: nodeIdOf(app, key), ...input } })).updateSession;
    if (payload.__typename !== 'UpdateSessionPayload') throw new Error(JSON.stringify(payload));
    return payload.session;
  }

  const current = async (cookie: string) =>
    (await gql(FlaskCurrent, undefined, { cookie: `theme=dark; session=${cookie}` })).currentSession;

  beforeAll(async () => {
    const signedStore = { table: 'signed_sessions', keyPrefix: 'app:', useSigner: true, secretKey: SECRET };
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'flask', name: 'flask', timeZone: 'Asia/Kolkata' },
          { kind: 'flask', name: 'signed', ...signedStore },
        ],
        fields: [
          { name: 'userRole', path: 'user_role', type: 'String' },
          { name: 'currentPage', path: 'current_page', type: 'String' },
        ],
      },
      setup: async (pool) => {
        const name = (await pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
        const url = new URL(SERVER_URL);
        url.pathname = `/${name}`;
        databaseUrl = url.toString();
        for (const app of BOTH) await python([SCRIPT, 'create-table'], {}, appEnv(app));
        // sessiongraph's own connections in a zone that is not UTC (Flask's get PGTZ=UTC unless a test says).
        await pool.query(`ALTER DATABASE ${name} SET TimeZone = '${OUR_TIME_ZONE}'`);
        const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
        for (const client of clients) {
          await client.query(`SET TimeZone = '${OUR_TIME_ZONE}'`);
          client.release();
        }
      },
    });
    for (const name of ['ada', 'grace', 'linus', 'margaret', 'ken'])
      users[name] = await userIdNamed(t.pool, name);
    rmSync(marker, { force: true });

    const specs: Record<AppName, Record<string, WriteSpec>> = {
      plain: {
        rich: { data: RICH },
        ada: { userId: users['ada']!, data: { user_role: 'admin', current_page: '/cart' } },
        grace: { userId: users['grace']!, data: { user_role: 'member' } },
        linus: { userId: users['linus']!, data: { current_page: '/rotate' } },
        margaret: { userId: users['margaret']!, data: { theme: 'light' } },
        ken: { userId: users['ken']!, data: { current_page: '/end' } },
      },
      signed: { grace: { userId: users['grace']!, data: RICH }, anon: { data: { theme: 'dark', cart: [] } } },
    };
    for (const app of BOTH) {
      const written = await writeFlask(app, Object.values(specs[app]));
      for (const [index, name] of Object.keys(specs[app]).entries()) flask[app][name] = written[index]!;
      // Flask-Login's session protection marks a session without `_id` (an anonymous one) `_fresh: False`
      // on its first request, after the view: the second load shows what Flask then keeps.
      const cookies = Object.values(flask[app]).map((session) => session.cookie);
      await loadOk(app, cookies);
      Object.assign(before, await loadOk(app, cookies));
    }
  });

  afterAll(async () => {
    rmSync(marker, { force: true });
    await t?.close();
  });

  describe('reading what Flask wrote', () => {
    it('should decode every session to the JSON view of the dict Flask loads, without _permanent and _id', async () => {
      const rich = before[plain['rich']!.cookie]!;
      // Flask really wrote the Python types this test is about, and its own keys.
      const types =
        '_permanent:boolean logged_in_at:datetime pair:tuple tags:set price:Decimal big:int raw:bytes';
      for (const [key, type] of `${types} by_id:dict history:OrderedDict`
        .split(' ')
        .map((t) => t.split(':'))) {
        expect(typeOf(rich[key!]) ?? typeof rich[key!], key).toBe(type);
      }
      const login = before[plain['ada']!.cookie]!;
      expect(login).toMatchObject({ _permanent: true, _user_id: users['ada'], _fresh: true });
      expect(login['_id']).toMatch(/^[0-9a-f]{128}$/);

      for (const app of BOTH) {
        const all = await list(app);
        for (const { sessionId, cookie } of Object.values(flask[app])) {
          const node = all.get(nodeIdOf(app, sessionId))!;
          expect(node, sessionId).toMatchObject({ store: APPS[app].store, status: 'ACTIVE', problem: null });
          expect(node.data, sessionId).toEqual(expectedData(before[cookie]!));
          for (const key of HIDDEN) expect(node.data).not.toHaveProperty(key);
        }
      }
      expect((await listed('plain', plain['rich']!.sessionId)).data).toMatchObject({
        logged_in_at: '2024-05-17T13:45:30.123456',
        seen_ist: '2024-05-17T13:45:30.000001+05:30',
        pair: [1, 'two', 3.5],
        price: '19.99',
        big: '1180591620717411303424',
        raw: 'AP8Q',
        by_id: { '1': 'one', '2': 'two' },
        idle: 5400.5,
      });
    });

    it('should take the user from Flask-Login’s _user_id, and read the typed fields', async () => {
      const all = await list('plain');
      expect(all.get(nodeIdOf('plain', plain['ada']!.sessionId))).toMatchObject({
        userId: users['ada'],
        user: { username: 'ada' },
        userRole: 'admin',
        data: { _user_id: users['ada'], _fresh: true, user_role: 'admin', current_page: '/cart' },
      });
      const anonymous = all.get(nodeIdOf('plain', plain['rich']!.sessionId))!;
      expect([anonymous.userId, anonymous.user]).toEqual([null, null]);
      const graces = await list('signed', users['grace']!);
      expect([...graces.keys()]).toEqual([nodeIdOf('signed', signed['grace']!.sessionId)]);
    });

    it('should read expiry as the UTC time Flask compares with utcnow(), whatever our TimeZone and timeZone say', async () => {
      const zone = () =>
        t.pool.query<{ z: string }>("SELECT current_setting('TimeZone') AS z, pg_sleep(0.05)");
      const zones = await Promise.all([zone(), zone(), zone(), zone()]);
      expect(zones.map((result) => result.rows[0]!.z)).toEqual(Array(4).fill(OUR_TIME_ZONE));
      for (const app of BOTH) {
        const { sessionId } = Object.values(flask[app])[1]!;
        const expiry = (await expiryOf(app, sessionId))!;
        const expiresAt = new Date((await listed(app, sessionId)).expiresAt!).getTime();
        expect(Math.abs(expiresAt - new Date(`${expiry.slice(0, 23)}Z`).getTime())).toBeLessThanOrEqual(1);
        // Flask's connection is in UTC here, so that is now + PERMANENT_SESSION_LIFETIME.
        expect(Math.abs(expiresAt - (Date.now() + LIFETIME * 1000))).toBeLessThan(120_000);
      }
    });

    it('should agree with a Flask whose connection is not in UTC, and sweep what Flask would delete', async () => {
      // Flask writes now(UTC) + 1 h as its connection's wall time, then reads it as UTC: in New York the
      // session is born expired, in Kolkata it lives 6.5 hours.
      const hour = { lifetimeSeconds: 3600 };
      const [newYork, swept] = await writeFlask('plain', [{ ...hour, data: { a: 1 } }, hour], NEW_YORK);
      const [kolkata] = await writeFlask('plain', [{ ...hour, data: { a: 2 } }], 'Asia/Kolkata');
      const all = await list('plain');
      expect(all.get(nodeIdOf('plain', newYork!.sessionId))!.status).toBe('EXPIRED');
      expect(all.get(nodeIdOf('plain', swept!.sessionId))!.status).toBe('EXPIRED');
      const living = all.get(nodeIdOf('plain', kolkata!.sessionId))!;
      expect(living.status).toBe('ACTIVE');
      const lives = new Date(living.expiresAt!).getTime() - Date.now();
      expect(Math.abs(lives - 6.5 * 3600_000)).toBeLessThan(120_000);
      expect(await current(newYork!.cookie)).toBeNull();
      expect((await current(kolkata!.cookie))?.id).toBe(nodeIdOf('plain', kolkata!.sessionId));

      const verdicts = await loadFlask('plain', [newYork!.cookie, kolkata!.cookie]);
      expect(verdicts[newYork!.cookie]!.error).toMatch(/^expired .* Flask-Session deleted the row/);
      expect(verdicts[kolkata!.cookie]).toMatchObject({ served: true, data: { a: 2 } });
      // The sweeper deletes what Flask would have deleted on load, and nothing else.
      expect(await sweepExpired(t.app, t.pool)).toMatchObject({ flask: 1, signed: 0 });
      expect((await verdict('plain', swept!.cookie)).error).toMatch(/^no row for this key/);
    });
  });

  describe('currentSession', () => {
    it('should find a session by the `session` cookie Flask set, signed or not', async () => {
      for (const app of BOTH) {
        const { sessionId, cookie } = flask[app]['grace']!;
        const found = await current(cookie);
        expect(found).toMatchObject({
          id: nodeIdOf(app, sessionId),
          store: APPS[app].store,
          status: 'ACTIVE',
        });
        expect(found).toMatchObject({ userId: users['grace'], user: { username: 'grace' } });
        const byHeader = await gql(FlaskCurrent, undefined, { 'x-session-key': cookie });
        expect(byHeader.currentSession?.id).toBe(nodeIdOf(app, sessionId));
      }
      const { cookie } = signed['grace']!;
      expect(cookie).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{27}$/);
      const [sid, signature] = cookie.split('.') as [string, string];
      // The first character, not the last: the last one's low bits are base64 padding, which itsdangerous
      // ignores, so changing only those would still be Flask's valid signature.
      const forged = `${sid}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      for (const bad of [sid, forged, `${randomUUID()}.${signature}`, `${cookie}=`, randomUUID(), '']) {
        expect(await current(bad), bad).toBeNull();
      }
      // Flask itself refuses the forged signature (and starts a new session).
      expect((await verdict('signed', forged)).error).toMatch(/^bad signature/);
    });
  });

  describe('writing what Flask reads', () => {
    it('should create sessions Flask loads as logged in, with _permanent, on both apps', async () => {
      const data = { user_role: 'admin', cart: [{ sku: 'A-1', qty: 2 }], score: 1.5 };
      for (const app of BOTH) {
        const input = { store: APPS[app].store, userId: users['ada']!, data };
        const payload = (await gql(FlaskCreate, { input })).createSession;
        if (payload.__typename !== 'CreateSessionPayload') throw new Error(JSON.stringify(payload));
        const cookie = payload.sessionKey;
        expect(cookie).toMatch(app === 'signed' ? /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{27}$/ : /^[0-9a-f-]{36}$/);
        const key = `${APPS[app].prefix}${cookie.split('.')[0]}`;
        expect(payload.session).toMatchObject({
          id: nodeIdOf(app, key),
          status: 'ACTIVE',
          user: { username: 'ada' },
        });
        const lives = new Date(payload.session.expiresAt!).getTime() - Date.now();
        expect(lives).toBeGreaterThan((LIFETIME - 60) * 1000);
        const loaded = await verdict(app, cookie);
        expect(loaded).toMatchObject({ served: true, user: users['ada'] });
        const flaskHas = { ...data, score: py.float(1.5), _permanent: true, _user_id: users['ada'] };
        expect(loaded.data).toEqual(flaskHas);
      }
      const refused = await gql(FlaskCreate, { input: { store: 'flask', data: { _permanent: false } } });
      expect(refused.createSession).toMatchObject({ __typename: 'InvalidInputError', field: 'data' });
    });

    it('should give every other value back to Flask with its Python type when an update sets one key', async () => {
      const { cookie, sessionId } = plain['rich']!;
      await update('plain', sessionId, { set: { current_page: '/checkout' } });
      const after = (await loadOk('plain', [cookie]))[cookie]!;
      expect(after).toEqual({ ...before[cookie], current_page: '/checkout' });
      expect(Object.keys(after)).toEqual(Object.keys(before[cookie]!));
    });

    it('should keep the Python type of a changed value where it still fits, and unset keys', async () => {
      const { cookie, sessionId } = signed['grace']!;
      const set = { logged_in_at: '2025-01-02T03:04:05', price: '21.50', pair: [1, 'two', 4.5] };
      const more = { tags: [4, 5], big: '123456789012345678901234567890', whole: 3, raw: 'AAEC', count: 3 };
      await update('signed', sessionId, { set: { ...set, ...more }, unset: ['current_page', 'nothing'] });
      const { current_page: _page, nothing: _nothing, ...kept } = before[cookie]!;
      expect((await loadOk('signed', [cookie]))[cookie]).toEqual({
        ...kept,
        logged_in_at: py.datetime('2025-01-02T03:04:05'),
        price: py.decimal('21.50'),
        pair: py.tuple(1, 'two', py.float(4.5)),
        tags: py.set(4, 5),
        big: py.int(123456789012345678901234567890n),
        whole: py.float(3),
        raw: py.bytes(Buffer.from([0, 1, 2])),
        count: 3,
      });
      const input = { id: nodeIdOf('signed', sessionId), set: { _id: 'x' } };
      expect((await gql(FlaskUpdate, { input })).updateSession).toMatchObject({
        __typename: 'InvalidInputError',
      });
    });

    it('should replace the data, keeping _permanent and _id (a replace without _user_id logs out)', async () => {
      const { cookie, sessionId } = plain['margaret']!;
      const session = await update('plain', sessionId, { replace: { theme: 'dark' } });
      expect(session).toMatchObject({ data: { theme: 'dark' }, userId: null });
      const loaded = await verdict('plain', cookie);
      expect(loaded).toMatchObject({ served: true, user: null });
      expect(loaded.data).toEqual({ _permanent: true, _id: before[cookie]!['_id'], theme: 'dark' });
    });

    it('should write expiry as the UTC wall time Flask reads, and expire when Flask does', async () => {
      const { cookie, sessionId } = plain['ada']!;
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2 * 3600_000).toISOString();
      expect((await update('plain', sessionId, { expiresAt: at })).expiresAt).toBe(at);
      expect(await expiryOf('plain', sessionId)).toBe(at.slice(0, 19));
      // An expiry already past by Flask's clock (our clock set back an hour to allow it).
      t.setNow(new Date(Date.now() - 3600_000));
      try {
        await update('plain', sessionId, { expiresAt: new Date(Date.now() - 1800_000).toISOString() });
      } finally {
        t.setNow(null);
      }
      expect((await listed('plain', sessionId)).status).toBe('EXPIRED');
      expect((await verdict('plain', cookie)).error).toMatch(/^expired/);
    });

    it('should make a session Flask wrote without _permanent (NULL expiry) loadable again on update', async () => {
      const [broken] = await writeFlask('plain', [{ permanent: false, data: { theme: 'dark' } }]);
      const { cookie, sessionId } = broken!;
      expect(await expiryOf('plain', sessionId)).toBeNull();
      const problem = expect.stringMatching(/^unloadable: expiry is NULL/);
      expect(await listed('plain', sessionId)).toMatchObject({ status: 'INVALID', problem });
      expect((await verdict('plain', cookie)).error).toMatch(/TypeError/);
      const repaired = await update('plain', sessionId, { set: { theme: 'light' }, ttlSeconds: 3600 });
      expect(repaired.status).toBe('ACTIVE');
      expect((await loadOk('plain', [cookie]))[cookie]).toEqual({ _permanent: true, theme: 'light' });
    });
  });

  describe('through the projection', () => {
    it('should list each user’s Flask sessions and put them in sessiongraph.all_sessions', async () => {
      await t.sync();
      expect(t.app.projector.isReady('flask') && t.app.projector.isReady('signed')).toBe(true);
      const { user } = await gql(FlaskUserSessions, { id: users['grace']!, store: 'signed' });
      expect(user).toMatchObject({ username: 'grace', sessions: { totalCount: 1 } });
      const ids = user!.sessions.edges.map((edge) => edge.node.id);
      expect(ids).toEqual([nodeIdOf('signed', signed['grace']!.sessionId)]);
      const { cookie, sessionId } = plain['ken']!;
      const rows = await t.pool.query(
        `SELECT store, user_id::text AS user_id, status, data FROM sessiongraph.all_sessions
          WHERE store = 'flask' AND ref = $1`,
        [refOf(sessionId)],
      );
      const data = expectedData(before[cookie]!);
      expect(rows.rows).toEqual([{ store: 'flask', user_id: users['ken'], status: 'ACTIVE', data }]);
    });
  });

  describe('ending sessions', () => {
    it('should end one session: Flask starts a new, empty one under the same sid', async () => {
      const { cookie, sessionId } = plain['ken']!;
      const id = nodeIdOf('plain', sessionId);
      const ended = await gql(FlaskEnd, { input: { id } });
      expect(ended.endSession).toEqual({ __typename: 'EndSessionPayload', endedSessionId: id });
      const loaded = await verdict('plain', cookie);
      expect(loaded).toMatchObject({ served: false, status: 200, user: null, data: { _permanent: true } });
      expect(loaded.row.change).toBe('inserted');
      // (Flask's re-insert is a new, anonymous session, which sessiongraph lists as such.)
      expect(await current(cookie)).toMatchObject({ status: 'ACTIVE', data: {}, userId: null });
    });

    it('should end every session of a user in both stores, and only those', async () => {
      const result = await gql(FlaskEndUser, { input: { userId: users['grace']! } });
      expect(result.endUserSessions).toMatchObject({ userId: users['grace'], count: 2 });
      for (const app of BOTH) {
        expect(await verdict(app, flask[app]['grace']!.cookie)).toMatchObject({ served: false, user: null });
      }
      const linus = await verdict('plain', plain['linus']!.cookie);
      expect(linus).toMatchObject({ served: true, user: users['linus'] });
    });

    it('should rotate the key: Flask serves the session under the new cookie, not the old one', async () => {
      const rotated = { plain: 'linus', signed: 'anon' } as const;
      for (const app of BOTH) {
        const { sessionId, cookie } = flask[app][rotated[app]]!;
        const input = { id: nodeIdOf(app, sessionId) };
        const payload = (await gql(FlaskRotate, { input })).rotateSessionKey;
        if (payload.__typename !== 'RotateSessionKeyPayload') throw new Error(JSON.stringify(payload));
        expect(payload.sessionKey).not.toBe(cookie);
        const verdicts = await loadFlask(app, [payload.sessionKey, cookie]);
        expect(verdicts[payload.sessionKey]).toMatchObject({ served: true, data: before[cookie] });
        expect(verdicts[cookie]).toMatchObject({ served: false, newSession: true });
        expect((await current(payload.sessionKey))?.id).toBe(payload.session.id);
      }
    });
  });

  describe('hostile rows', () => {
    it('should call INVALID every row Flask would not serve, and never run an unsafe pickle', async () => {
      const [evil, control] = await writeFlask('plain', [{ evil: marker }, { evil: `${marker}-control` }]);
      const bytes = await pickles({
        notDict: 'result = pickle.dumps([1, 2, 3], 4)',
        // 1 KB of pickle, 16 MB of JSON (no more, so that flask_app.py can still print what Flask got).
        memoBomb: "a = ['x' * 1000]\nfor _ in range(14): a = [a, a]\nresult = pickle.dumps({'a': a}, 4)",
        valid: "result = pickle.dumps({'_permanent': True, 'ok': 1}, 4)",
        // dict(data) of a list of pairs: Flask serves it, logged in (the later _user_id wins).
        pairs: `result = pickle.dumps([('_permanent', True), ('_user_id', 'x'), ('ok', 1), ['_user_id', '${users['ada']}']], 4)`,
        strPairs: "result = pickle.dumps([('_permanent', True), 'ab'], 4)",
      });
      const py2 = Buffer.from("(dp0\nS'_permanent'\nI01\nsS'name'\nS'Zo\\xc3\\xab'\ns.", 'latin1');
      const valid = bytes['valid']!;
      // name: data, expiry ('+1 day' from now), the status and problem sessiongraph must give, the key prefix.
      const rows: Record<string, [string | null, string, string, RegExp | null, string?]> = {
        notDict: [bytes['notDict']!, '+1 day', 'INVALID', /^corrupt: the session is a pickled list/],
        pairs: [bytes['pairs']!, '+1 day', 'ACTIVE', null],
        strPairs: [bytes['strPairs']!, '+1 day', 'INVALID', /^unsupported: the session is a pickled list/],
        memoBomb: [bytes['memoBomb']!, '+1 day', 'INVALID', /^over-budget/],
        garbage: [Buffer.from('not a pickle').toString('hex'), '+1 day', 'INVALID', /^corrupt/],
        nullData: [null, '+1 day', 'INVALID', /^corrupt: no session data/],
        py2: [py2.toString('hex'), '+1 day', 'INVALID', /^unloadable: Python 2 byte strings/],
        farExpiry: [valid, '10000-01-01', 'INVALID', /^unloadable: expiry is outside years 1-9999/],
        otherPrefix: [valid, '+1 day', 'INVALID', /^unloadable: the key does not start with/, 'other:'],
        neverExpires: [valid, 'infinity', 'ACTIVE', null],
        longExpired: [valid, '-infinity', 'EXPIRED', null],
      };
      const sids = Object.fromEntries(Object.keys(rows).map((name) => [name, randomUUID()]));
      const keyOf = (name: string) => `${rows[name]![4] ?? 'session:'}${sids[name]}`;
      for (const [name, [data, expiry]] of Object.entries(rows)) {
        await t.pool.query(
          `INSERT INTO sessions (session_id, data, expiry) VALUES ($1, decode($2, 'hex'),
             CASE WHEN $3 = '+1 day' THEN (now() AT TIME ZONE 'UTC') + interval '1 day' ELSE $3::timestamp END)`,
          [keyOf(name), data, expiry],
        );
      }
      await t.sync();
      const all = await list('plain');
      for (const [name, [, , status, problem]] of Object.entries(rows)) {
        const node = all.get(nodeIdOf('plain', keyOf(name)))!;
        expect(node.status, name).toBe(status);
        if (problem) expect(node.problem, name).toMatch(problem);
      }
      const unsafe = all.get(nodeIdOf('plain', evil!.sessionId))!;
      expect(unsafe).toMatchObject({ status: 'INVALID', data: {}, userId: null });
      expect(unsafe.problem).toMatch(/^unsafe/);
      expect(existsSync(marker)).toBe(false);

      // Flask's own verdicts: it serves exactly the ACTIVE ones, except the memo bomb (Python shares the list
      // it expands to: our output budget refuses it, not Flask).
      const loadable = Object.keys(rows).filter((name) => name !== 'farExpiry');
      const verdicts = await loadFlask('plain', [...loadable.map((name) => sids[name]!), control!.cookie]);
      for (const name of loadable) {
        // Nor the pairs of strs, which sessiongraph does not read (it does not guess dict()'s order).
        const served = rows[name]![2] === 'ACTIVE' || name === 'memoBomb' || name === 'strPairs';
        expect(verdicts[sids[name]!]!.served, name).toBe(served);
      }
      // Was INVALID with no user: a login Flask serves, out of reach of endUserSessions.
      expect(all.get(nodeIdOf('plain', keyOf('pairs')))).toMatchObject({
        userId: users['ada'],
        data: { ok: 1 },
      });
      // psycopg2 cannot build the datetime: flask_app.py's own read of the row fails as Flask's query does.
      const unreadable = /ValueError: year 10000 is out of range/;
      await expect(verdict('plain', sids['farExpiry']!)).rejects.toThrow(unreadable);
      // The control: the same kind of row, loaded by Flask itself, really runs the command.
      expect(existsSync(`${marker}-control`)).toBe(true);
      expect(existsSync(marker)).toBe(false);
      rmSync(`${marker}-control`, { force: true });
    });
  });

  describe('tombstones: why the flask kind has none', () => {
    it('a request that held an ended session writes it back, and succeeds', async () => {
      const [session] = await writeFlask('plain', [{ userId: users['ada']!, data: { held: 1 } }]);
      const held = holdFlask(session!.cookie);
      expect(await held.holding).toEqual({ holding: users['ada'] });
      await gql(FlaskEnd, { input: { id: nodeIdOf('plain', session!.sessionId) } });
      expect(await held.finish()).toEqual({ status: 200, error: null });
      // The race no policy closes yet (see src/stores/flask/index.ts): Flask INSERTs what it held.
      expect(await verdict('plain', session!.cookie)).toMatchObject({ served: true, user: users['ada'] });
    });

    it('a tombstone that discarded the INSERT would make the request, and every later one, a 500', async () => {
      const [session] = await writeFlask('plain', [{ userId: users['ada']!, data: { held: 2 } }]);
      // What `tombstones: 'discard'` installs (the web.py kind has it), on the Flask table.
      const config = { kind: 'webpy', name: 'flask', table: 'sessions', columns: { key: 'session_id' } };
      const statements = tombstoneStatements(config as never, 'public.sessions');
      for (const statement of statements) await t.pool.query(statement);
      try {
        const held = holdFlask(session!.cookie);
        await held.holding;
        await gql(FlaskEnd, { input: { id: nodeIdOf('plain', session!.sessionId) } });
        await recordTombstones(t.pool, 'flask', [refOf(session!.sessionId)], 600);
        const finished = await held.finish();
        expect(finished.status).toBe(500);
        expect(finished.error).toMatch(/^FlushError: .*did not produce a new primary key/);
        // Flask-Session keeps the browser's sid when the row is gone: the next request INSERTs it again.
        expect(await verdict('plain', session!.cookie)).toMatchObject({ served: false, status: 500 });
      } finally {
        await t.pool.query(dropTombstoneTrigger('public.sessions'));
        await t.pool.query('DROP FUNCTION IF EXISTS sessiongraph.tombstone_flask()');
        await t.pool.query('DELETE FROM sessiongraph.revoked_keys');
      }
    });
  });

  it('should never put a Flask sid or Flask-Login’s _id into a response', () => {
    expect(responses.length).toBeGreaterThan(20);
    const sids = [...Object.values(plain), ...Object.values(signed)].map((session) => session.sid);
    for (const text of responses) {
      expect(text).not.toContain('"_id":');
      for (const sid of sids) expect(text).not.toContain(sid);
    }
  });
});
