import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDjangoCodec, djangoSessionAuthHash } from '../src/codecs/django.ts';
import { decodeWebpySession, encodeWebpySession } from '../src/codecs/webpy.ts';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { missingProjection } from '../src/projection/schema.ts';
import { SyncWorker } from '../src/projection/worker.ts';
import { encodeSessionId } from '../src/sessions/ids.ts';
import { createLogger } from '../src/log.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

/**
 * The projection: framework rows decoded into `sessiongraph.projection` by backfill, kept fresh by the
 * capture triggers and the sync worker, and used by reads, counts, stats and the SQL view.
 * Rows are written straight into the framework tables, in the frameworks' own formats, as the
 * frameworks would (the trigger cannot tell the difference).
 */

const SECRET = 'projection-test-secret';
const django = createDjangoCodec({ secretKey: SECRET });

const createFrameworkTables = `
  CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL,
    expire_date timestamp with time zone NOT NULL);
  CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date);
  CREATE TABLE sessions (session_id char(128) UNIQUE NOT NULL, atime timestamp NOT NULL DEFAULT current_timestamp,
    data text);`;

const ByStore = graphql(`
  query ProjectedSessions($store: String, $userId: ID, $status: SessionStatus, $where: SessionWhere, $first: Int, $after: String) {
    sessions(store: $store, userId: $userId, status: $status, where: $where, first: $first, after: $after) {
      totalCount
      estimatedCount
      edges { node { id status problem userId userRole data user { username } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const UsersWithDjangoSessions = graphql(`
  query UsersWithDjangoSessions {
    users(first: 10) {
      edges { node { username sessions(store: "django", first: 3) { edges { node { userId user { username } } } } } }
    }
  }
`);

const RotateProjected = graphql(`
  mutation ProjectedRotate($id: ID!) {
    rotateSessionKey(input: { id: $id }) { __typename ... on RotateSessionKeyPayload { sessionKey session { id userRole } } }
  }
`);

const ProjectedMine = graphql(`
  query ProjectedMine {
    currentSession { id store userRole }
  }
`);

const Stats = graphql(`
  query Stats($store: String, $groupBy: SessionField) {
    sessionStats(store: $store, groupBy: $groupBy) { store status value count }
  }
`);

const EndAll = graphql(`
  mutation ProjectedEndAll($input: EndUserSessionsInput!) {
    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { count } }
  }
`);

const Create = graphql(`
  mutation ProjectedCreate($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { session { id userRole } }
      ... on ReferenceNotFoundError { field value references code }
    }
  }
`);

const Update = graphql(`
  mutation ProjectedUpdate($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { userRole data } }
      ... on ReferenceNotFoundError { field value }
    }
  }
`);

/** Statement names, less the API-token check every authenticated request makes first. */
const names = (statements: string[]) =>
  statements
    .map((text) => /\/\* (\w+) \*\//.exec(text)?.[1] ?? text.slice(0, 30))
    .filter((name) => name !== 'findTokenByHash');

let sequence = 0;
/** Users' password hashes by id: a Django session's auth hash is made from its user's, as Django makes it. */
const passwords = new Map<number, string>();
function djangoRow(userId: number | null, data: Record<string, unknown> = {}, expiresIn = 3600_000) {
  sequence += 1;
  const key = `k${String(sequence).padStart(31, '0')}`;
  const auth =
    userId === null
      ? {}
      : {
          _auth_user_id: String(userId),
          _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
          _auth_user_hash: djangoSessionAuthHash(passwords.get(userId) ?? 'x', SECRET),
        };
  const now = new Date();
  return {
    key,
    text: django.encode({ ...auth, ...data } as never, now),
    expires: new Date(now.getTime() + expiresIn),
  };
}

const CONFIG_FIELDS = [
  { name: 'userRole', path: 'user_role', type: 'String', indexed: true },
  { name: 'currentPage', path: 'current_page', type: 'String' },
  { name: 'uid', path: 'uid', type: 'Int', references: { table: 'public.users', column: 'id' } },
];

describe('projection', () => {
  let t: TestApp;
  const users: Record<string, number> = {};

  const insertDjango = async (rows: ReturnType<typeof djangoRow>[]) => {
    await t.pool.query(
      'INSERT INTO django_session SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])',
      [rows.map((row) => row.key), rows.map((row) => row.text), rows.map((row) => row.expires)],
    );
  };
  const changes = async () =>
    Number((await t.pool.query<{ n: string }>('SELECT count(*) AS n FROM sessiongraph.changes')).rows[0]!.n);

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, passwordColumn: 'password_hash' },
          { kind: 'webpy', name: 'webpy', timeoutSeconds: 3600, userPath: 'uid' },
        ],
        fields: CONFIG_FIELDS,
      },
      setup: async (pool) => {
        await pool.query(createFrameworkTables);
      },
    });
    const rows = await t.pool.query<{ id: number; username: string; password_hash: string }>(
      'SELECT id, username, password_hash FROM users',
    );
    for (const row of rows.rows) {
      users[row.username] = row.id;
      passwords.set(row.id, row.password_hash);
    }
  });
  afterAll(() => t.close());

  it('should backfill existing rows in batches, resuming where an interrupted run stopped', async () => {
    const rows = Array.from({ length: 1200 }, (_, index) =>
      djangoRow(index % 3 === 0 ? null : (index % 10) + 1, {
        user_role: index % 2 === 0 ? 'admin' : 'member',
      }),
    );
    rows[5] = { ...rows[5]!, text: rows[5]!.text.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) };
    await insertDjango(rows);
    await t.pool.query('DELETE FROM sessiongraph.changes');
    // Before the backfill, counts decode every row (a chunk at a time) and give what the projection gives.
    expect(t.app.projector.isReady('django')).toBe(false);
    const count = async (variables: Record<string, unknown>) =>
      (await t.graphql(ByStore, { store: 'django', first: 1, ...variables })).data!.sessions.totalCount;
    expect(await count({})).toBe(1200);
    expect(await count({ userId: String(users['ada']) })).toBe(80);
    expect(await count({ where: { userRole: 'admin' } })).toBe(600);
    expect(await count({ status: 'INVALID' })).toBe(1);
    const store = t.app.frameworkStores.get('django')!;
    const interrupted = await t.app.projector
      .backfill(t.pool, store, {
        batchSize: 500,
        onProgress: (progress) => {
          if (!progress.done) throw new Error('interrupted');
        },
      })
      .catch((error: Error) => error.message);
    expect(interrupted).toBe('interrupted');
    const partial = await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.projection');
    expect(partial.rows[0]).toEqual({ n: 500 });
    expect(t.app.projector.isReady('django')).toBe(false);
    const seen: number[] = [];
    const final = await t.app.projector.backfill(t.pool, store, {
      batchSize: 500,
      onProgress: (progress) => seen.push(progress.rows),
    });
    expect(final).toMatchObject({ rows: 700, total: 1200, done: true });
    expect(seen).toEqual([500, 700]);
    const counts = await t.pool.query(
      `SELECT valid, count(*)::int AS n FROM sessiongraph.projection WHERE store = 'django' GROUP BY valid ORDER BY valid`,
    );
    expect(counts.rows).toEqual([
      { valid: false, n: 1 },
      { valid: true, n: 1199 },
    ]);
    expect(t.app.projector.isReady('django')).toBe(true);
  });

  it('should serve one user’s sessions, typed filters and counts from the projection’s indexes', async () => {
    t.statements.length = 0;
    const result = await t.graphql(ByStore, { store: 'django', userId: String(users['ada']), first: 5 });
    expect(result.errors).toBeUndefined();
    const page = result.data!.sessions;
    expect(page.edges).toHaveLength(5);
    for (const edge of page.edges)
      expect(edge.node).toMatchObject({ userId: String(users['ada']), user: { username: 'ada' } });
    expect(page.totalCount).toBe(80);
    expect(page.estimatedCount).toBeGreaterThan(0);
    expect(names(t.statements)).toEqual(
      expect.arrayContaining([
        'findProjectedSessionsPageWithUsers',
        'countProjectedSessions',
        'estimateRows',
      ]),
    );
    // The owners come joined to the page, where the projection and the blob agree on them.
    expect(names(t.statements)).not.toContain('usersByIds');
    expect(names(t.statements)).not.toContain('findFrameworkSessionsPage');
    const admins = await t.graphql(ByStore, { store: 'django', where: { userRole: 'admin' }, first: 100 });
    expect(admins.data!.sessions.totalCount).toBe(600);
    expect(admins.data!.sessions.edges.every((edge) => edge.node.userRole === 'admin')).toBe(true);
    const invalid = await t.graphql(ByStore, { store: 'django', status: 'INVALID' });
    expect(invalid.data!.sessions.edges.map((edge) => edge.node.problem)).toEqual([
      expect.stringMatching(/^tampered/),
    ]);
  });

  it('should print the owner the blob names when the projection still names another', async () => {
    // An owned session on the first page of active ones.
    const { rows } = await t.pool.query<{ ref: string; user_id: number }>(
      `SELECT ref, user_id FROM (SELECT ref, user_id FROM sessiongraph.projection
                                  WHERE store = 'django' AND valid AND expires_at > now()
                                  ORDER BY sort_at DESC, ref DESC LIMIT 100) AS page
        WHERE user_id IS NOT NULL LIMIT 1`,
    );
    const { ref, user_id: owner } = rows[0]!;
    const ownerName = Object.entries(users).find(([, id]) => id === owner)![0];
    const stranger = Object.values(users).find((id) => id !== owner)!;
    await t.pool.query(
      `UPDATE sessiongraph.projection SET user_id = $2 WHERE store = 'django' AND ref = $1`,
      [ref, stranger],
    );
    try {
      t.statements.length = 0;
      const result = await t.graphql(ByStore, { store: 'django', status: 'ACTIVE', first: 100 });
      const id = encodeSessionId({ store: 'django', ref });
      expect(result.data!.sessions.edges.find((edge) => edge.node.id === id)?.node).toMatchObject({
        userId: String(owner),
        user: { username: ownerName },
      });
      expect(names(t.statements)).toContain('usersByIds');
    } finally {
      await t.pool.query(
        `UPDATE sessiongraph.projection SET user_id = $2 WHERE store = 'django' AND ref = $1`,
        [ref, owner],
      );
    }
  });

  it('should load users → Django sessions → user with one statement per level', async () => {
    t.statements.length = 0;
    const result = await t.graphql(UsersWithDjangoSessions);
    expect(result.errors).toBeUndefined();
    const users = result.data!.users.edges.map((edge) => edge.node);
    expect(users).toHaveLength(10);
    for (const user of users) {
      expect(user.sessions.edges).toHaveLength(3);
      for (const edge of user.sessions.edges) expect(edge.node.user!.username).toBe(user.username);
    }
    expect(names(t.statements)).toEqual(['usersPage', 'findProjectedSessionsOfUsers', 'usersByIds']);
  });

  it('should page through every projected session exactly once', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages += 1) {
      const result: {
        data?: {
          sessions: {
            edges: { node: { id: string } }[];
            pageInfo: { hasNextPage: boolean; endCursor?: string | null };
          };
        };
      } = await t.graphql(ByStore, { store: 'django', first: 100, after });
      for (const edge of result.data!.sessions.edges) seen.add(edge.node.id);
      if (!result.data!.sessions.pageInfo.hasNextPage) break;
      after = result.data!.sessions.pageInfo.endCursor ?? null;
    }
    expect(seen.size).toBe(1200);
  });

  it('should follow framework inserts, updates and deletes through the trigger and the change queue', async () => {
    const [row] = [djangoRow(users['grace']!, { user_role: 'auditor' })];
    await insertDjango([row!]);
    expect(await changes()).toBe(1);
    await t.sync();
    expect(await changes()).toBe(0);
    const projected = await t.pool.query(
      `SELECT user_id, f_user_role FROM sessiongraph.projection WHERE store = 'django' AND session_key = $1`,
      [row!.key],
    );
    expect(projected.rows).toEqual([{ user_id: users['grace'], f_user_role: 'auditor' }]);
    const moved = djangoRow(users['linus']!, { user_role: 'auditor' });
    await t.pool.query('UPDATE django_session SET session_data = $2 WHERE session_key = $1', [
      row!.key,
      moved.text,
    ]);
    await t.sync();
    const after = await t.pool.query(`SELECT user_id FROM sessiongraph.projection WHERE session_key = $1`, [
      row!.key,
    ]);
    expect(after.rows).toEqual([{ user_id: users['linus'] }]);
    await t.pool.query('DELETE FROM django_session WHERE session_key = $1', [row!.key]);
    await t.sync();
    const gone = await t.pool.query(`SELECT 1 FROM sessiongraph.projection WHERE session_key = $1`, [
      row!.key,
    ]);
    expect(gone.rowCount).toBe(0);
  });

  it('should project a key that ends in spaces as it is, and keep it', async () => {
    const row = { ...djangoRow(users['grace']!, { user_role: 'auditor' }), key: 'ends-in-a-space ' };
    await insertDjango([row]);
    await t.sync();
    const projected = await t.pool.query(
      `SELECT session_key FROM sessiongraph.projection WHERE store = 'django' AND session_key LIKE 'ends-in-a-space%'`,
    );
    expect(projected.rows).toEqual([{ session_key: 'ends-in-a-space ' }]);
    await t.pool.query('DELETE FROM django_session WHERE session_key = $1', [row.key]);
    await t.sync();
  });

  it('should update the projection in the API’s own transaction, without queueing a change', async () => {
    const created = await t.graphql(Create, {
      input: { store: 'django', userId: String(users['ken']), data: { user_role: 'support' } },
    });
    expect(created.data!.createSession).toMatchObject({
      __typename: 'CreateSessionPayload',
      session: { userRole: 'support' },
    });
    expect(await changes()).toBe(0);
    const projected = await t.pool.query(
      `SELECT user_id, f_user_role FROM sessiongraph.projection WHERE store = 'django' AND user_id = $1`,
      [users['ken']],
    );
    expect(projected.rows).toContainEqual({ user_id: users['ken'], f_user_role: 'support' });
  });

  it('should end every Django session of a user in one statement, with no cap', async () => {
    const before = await t.graphql(ByStore, { store: 'django', userId: String(users['margaret']) });
    expect(before.data!.sessions.totalCount).toBe(80);
    t.statements.length = 0;
    const ended = await t.graphql(EndAll, { input: { userId: String(users['margaret']), store: 'django' } });
    expect(ended.data!.endUserSessions).toEqual({ __typename: 'EndUserSessionsPayload', count: 80 });
    expect(names(t.statements).filter((name) => name.startsWith('delete'))).toEqual([
      'deleteProjectedUserSessions',
    ]);
    const left = await t.pool.query(
      `SELECT count(*)::int AS n FROM django_session WHERE session_data = ANY(
         SELECT session_data FROM django_session) AND session_key IN (
         SELECT session_key FROM sessiongraph.projection WHERE user_id = $1)`,
      [users['margaret']],
    );
    expect(left.rows[0]).toEqual({ n: 0 });
    expect(await changes()).toBe(0);
  });

  it('should count by store, status and declared field, and join in SQL through the view', async () => {
    const stats = await t.graphql(Stats, { store: 'django', groupBy: 'USER_ROLE' });
    const groups = stats.data!.sessionStats;
    expect(groups).toContainEqual({ store: 'django', status: 'INVALID', value: null, count: 1 });
    expect(
      groups.find((group) => group.status === 'ACTIVE' && group.value === 'admin')?.count,
    ).toBeGreaterThan(500);
    const joined = await t.pool.query<{ username: string; n: number }>(
      `SELECT u.username, count(*)::int AS n FROM sessiongraph.all_sessions s JOIN public.users u ON u.id = s.user_id
        WHERE s.store = 'django' AND s.status = 'ACTIVE' GROUP BY u.username ORDER BY u.username`,
    );
    expect(joined.rows.find((row) => row.username === 'ada')).toEqual({ username: 'ada', n: 80 });
    expect(joined.rows.find((row) => row.username === 'margaret')).toBeUndefined();
  });

  it('should refuse, like a foreign key, a referencing field set to a row that does not exist', async () => {
    const bad = await t.graphql(Create, { input: { store: 'django', data: { uid: 999_999 } } });
    expect(bad.data!.createSession).toEqual({
      __typename: 'ReferenceNotFoundError',
      field: 'uid',
      value: '999999',
      references: 'public.users.id',
      code: 'REFERENCE_NOT_FOUND',
    });
    const wrongType = await t.graphql(Create, { input: { store: 'native', data: { uid: 'abc' } } });
    expect(wrongType.data!.createSession).toMatchObject({
      __typename: 'ReferenceNotFoundError',
      value: '"abc"',
    });
    const good = await t.graphql(Create, { input: { store: 'native', data: { uid: users['ada'] } } });
    expect(good.data!.createSession.__typename).toBe('CreateSessionPayload');
    if (good.data!.createSession.__typename !== 'CreateSessionPayload') return;
    const update = await t.graphql(Update, {
      input: { id: good.data!.createSession.session.id, set: { uid: 123_456 } },
    });
    expect(update.data!.updateSession).toMatchObject({ __typename: 'ReferenceNotFoundError', field: 'uid' });
  });

  it('should let two workers drain one queue without losing or repeating a change', async () => {
    const rows = Array.from({ length: 600 }, () => djangoRow(users['radia']!, { user_role: 'busy' }));
    await insertDjango(rows);
    expect(await changes()).toBe(600);
    const [left, right] = await Promise.all([
      (async () => {
        let total = 0;
        for (;;) {
          const n = await t.app.projector.syncBatch(t.pool, t.app.frameworkStores, 50);
          total += n;
          if (n === 0) return total;
        }
      })(),
      (async () => {
        let total = 0;
        for (;;) {
          const n = await t.app.projector.syncBatch(t.pool, t.app.frameworkStores, 50);
          total += n;
          if (n === 0) return total;
        }
      })(),
    ]);
    expect(left + right).toBe(600);
    const projected = await t.pool.query(
      `SELECT count(*)::int AS n FROM sessiongraph.projection WHERE user_id = $1`,
      [users['radia']],
    );
    expect(projected.rows[0]!.n).toBe(600 + 80);
  });

  it('should reflect a framework write within a second through the running worker (NOTIFY)', async () => {
    // On PostgreSQL the poll is far longer than the deadline, so only NOTIFY can meet it. The embedded
    // PGlite multiplexes every connection onto one backend and delivers no notifications: it polls.
    const worker = new SyncWorker(
      t.pool,
      t.database.url,
      t.app.projector,
      t.app.frameworkStores,
      createLogger('silent'),
      {
        pollMilliseconds: t.database.embedded ? 200 : 5000,
      },
    );
    worker.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const webpyKey = 'ab'.repeat(20);
      const started = Date.now();
      await t.pool.query('INSERT INTO sessions (session_id, atime, data) VALUES ($1, now(), $2)', [
        webpyKey,
        encodeWebpySession({ session_id: webpyKey, ip: '127.0.0.1', uid: users['ada']!, user_role: 'fresh' }),
      ]);
      let lag = Number.POSITIVE_INFINITY;
      while (Date.now() - started < 3000) {
        const found = await t.pool.query(
          `SELECT f_user_role FROM sessiongraph.projection WHERE store = 'webpy'`,
        );
        if (found.rows.some((row) => row.f_user_role === 'fresh')) {
          lag = Date.now() - started;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(lag).toBeLessThan(1000);
    } finally {
      await worker.stop();
    }
  });

  it('should rotate Django and web.py keys: the old key dead at once, the projection following', async () => {
    const webpyKey = 'cd'.repeat(20);
    await t.pool.query('INSERT INTO sessions (session_id, atime, data) VALUES ($1, now(), $2)', [
      webpyKey,
      encodeWebpySession({
        session_id: webpyKey,
        ip: '127.0.0.1',
        uid: users['ken']!,
        user_role: 'rotating',
      }),
    ]);
    const django = djangoRow(users['ken']!, { user_role: 'rotating' });
    await insertDjango([django]);
    await t.sync();
    const none = { authorization: '' };
    const newKeys: string[] = [];
    for (const [key, cookie] of [
      [webpyKey, 'webpy_session_id'],
      [django.key, 'sessionid'],
    ] as const) {
      const before = await t.graphql(ProjectedMine, undefined, { ...none, 'x-session-key': key });
      const id = before.data!.currentSession!.id;
      const rotated = await t.graphql(RotateProjected, { id });
      const payload = rotated.data!.rotateSessionKey;
      if (payload.__typename !== 'RotateSessionKeyPayload') throw new Error(payload.__typename);
      expect(payload.session.userRole).toBe('rotating');
      newKeys.push(payload.sessionKey);
      const old = await t.graphql(ProjectedMine, undefined, {
        ...none,
        cookie: `${cookie}=${key}`,
        'x-graphql-csrf': '1',
      });
      expect(old.data!.currentSession).toBeNull();
      const renewed = await t.graphql(ProjectedMine, undefined, {
        ...none,
        'x-session-key': payload.sessionKey,
      });
      expect(renewed.data!.currentSession!.id).toBe(payload.session.id);
      const projected = await t.pool.query(`SELECT session_key FROM sessiongraph.projection WHERE ref = $1`, [
        Buffer.from(payload.session.id, 'base64').toString().split(':').at(-1),
      ]);
      expect(projected.rows).toEqual([{ session_key: payload.sessionKey }]);
    }
    // web.py keeps the key inside the pickle too: the rotated row carries the new one there as well.
    const stored = await t.pool.query<{ data: string }>('SELECT data FROM sessions WHERE session_id = $1', [
      newKeys[0],
    ]);
    const decodedRow = decodeWebpySession(stored.rows[0]!.data);
    expect(decodedRow.ok && decodedRow.value.data['session_id']).toBe(newKeys[0]);
  });

  it('should repair drift with verify and report what it fixed', async () => {
    const some = await t.pool.query<{ session_key: string }>(
      `SELECT session_key FROM sessiongraph.projection WHERE store = 'django' ORDER BY session_key LIMIT 3`,
    );
    const [a, b] = some.rows.map((row) => row.session_key);
    await t.pool.query(`DELETE FROM sessiongraph.projection WHERE store = 'django' AND session_key = $1`, [
      a,
    ]);
    await t.pool.query(
      `UPDATE sessiongraph.projection SET user_id = NULL, version = 1 WHERE session_key = $1`,
      [b],
    );
    await t.pool.query(
      `INSERT INTO sessiongraph.projection (store, ref, session_key, valid, version) VALUES ('django', 'x', 'zzzz-gone', true, 1)`,
    );
    const report = await t.app.projector.verify(t.pool, t.app.frameworkStores.get('django')!, 400);
    expect(report).toMatchObject({ missing: 1, stale: 1, orphaned: 1 });
    const again = await t.app.projector.verify(t.pool, t.app.frameworkStores.get('django')!, 400);
    expect(again).toMatchObject({ missing: 0, stale: 0, orphaned: 0 });
  });

  it('should empty the projection of a table emptied by TRUNCATE, and follow the rows written after it', async () => {
    await t.sync();
    const projected = async () =>
      Number(
        (
          await t.pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM sessiongraph.projection WHERE store = 'django'`,
          )
        ).rows[0]!.n,
      );
    expect(await projected()).toBeGreaterThan(0);
    await t.pool.query('TRUNCATE django_session');
    await insertDjango([djangoRow(users['ada']!)]);
    await t.sync();
    expect(await projected()).toBe(1);
    const page = await t.graphql(ByStore, { store: 'django', first: 10 });
    expect(page.errors).toBeUndefined();
    expect(page.data!.sessions.totalCount).toBe(1);
    expect(page.data!.sessions.edges.map((edge) => edge.node.userId)).toEqual([String(users['ada'])]);
    expect(await changes()).toBe(0);
  });

  it('should name what a server that does not migrate would miss: a trigger, one calling a renamed store’s function, a field’s column', async () => {
    expect(await missingProjection(t.pool, t.app.config)).toEqual([]);
    // The Django store renamed in the configuration, no migrate since: its table's triggers still call the
    // old store's functions.
    const renamed = {
      ...t.app.config,
      stores: t.app.config.stores.map((store) =>
        store.name === 'django' ? { ...store, name: 'web' } : store,
      ),
      fields: [
        ...t.app.config.fields,
        { name: 'theme', path: ['theme'], type: 'String' as const, indexed: false },
      ],
    };
    const missing = await missingProjection(t.pool, renamed);
    expect(missing).toEqual(
      expect.arrayContaining([
        'trigger sessiongraph_capture on "public"."django_session" (store "web")',
        'trigger sessiongraph_capture_truncate on "public"."django_session" (store "web")',
        'column sessiongraph.projection.f_theme (field "theme")',
      ]),
    );
    expect(missing.filter((item) => item.includes('webpy'))).toEqual([]);
  });

  it('should build a store’s projection again when the way its rows decode changes', async () => {
    await t.sync();
    const validDjango = async () =>
      (
        await t.pool.query<{ valid: boolean; n: number }>(
          `SELECT valid, count(*)::int AS n FROM sessiongraph.projection WHERE store = 'django' GROUP BY valid`,
        )
      ).rows;
    expect(await validDjango()).toEqual([{ valid: true, n: 1 }]);
    // A row of no table row (as a store renamed to another table would leave): a rebuild leaves it out.
    await t.pool.query(
      `INSERT INTO sessiongraph.projection (store, ref, session_key, valid, version) VALUES ('django', 'orphan', 'zzzz-orphan', true, 1)`,
    );
    const replica = (secretKey: string, fields: typeof CONFIG_FIELDS) =>
      createApp(
        loadConfig(
          { DATABASE_URL: t.database.url },
          {
            logLevel: 'silent',
            stores: [
              { kind: 'native', name: 'native' },
              { kind: 'django', name: 'django', secretKey, passwordColumn: 'password_hash' },
              { kind: 'webpy', name: 'webpy', timeoutSeconds: 3600, userPath: 'uid' },
            ],
            fields,
          },
        ),
        { pool: t.pool, migrate: false },
      );
    // Another replica's configuration with Django's SECRET_KEY replaced, the old one not even a fallback: no
    // row verifies, so it says so and rebuilds nothing (every row would be projected INVALID).
    const rotated = await replica('a-new-secret', CONFIG_FIELDS);
    try {
      expect(rotated.projector.isReady('django')).toBe(false);
      expect(rotated.projector.held.get('django')).toMatch(/0 of 1 sampled rows verify/);
      const page = await rotated.stores.get('django')!.list(t.pool, {
        userId: null,
        status: null,
        where: [],
        now: new Date(),
        limit: 10,
        after: null,
      });
      expect(page.map((record) => record.status)).toEqual(['INVALID']);
      await rotated.projector.backfill(t.pool, rotated.frameworkStores.get('django')!);
      expect(rotated.projector.isReady('django')).toBe(false);
      expect(await validDjango()).toEqual([{ valid: true, n: 2 }]);
    } finally {
      await rotated.touches.close();
    }
    // A configuration whose rows decode to other projection rows (a declared field fewer), same secret: not
    // read through the projection until it is rebuilt, which drops the row of no table row.
    const refielded = await replica(SECRET, CONFIG_FIELDS.slice(0, 2));
    try {
      expect(refielded.projector.isReady('django')).toBe(false);
      expect(refielded.projector.isReady('webpy')).toBe(false);
      await refielded.projector.backfill(t.pool, refielded.frameworkStores.get('django')!);
      expect(refielded.projector.isReady('django')).toBe(true);
      expect(await validDjango()).toEqual([{ valid: true, n: 1 }]);
      // The first configuration no longer trusts the rebuilt projection, and builds its own when it runs.
      await t.app.projector.refreshReady(t.pool);
      expect(t.app.projector.isReady('django')).toBe(false);
      await t.sync();
      expect(t.app.projector.isReady('django')).toBe(true);
      expect(await validDjango()).toEqual([{ valid: true, n: 1 }]);
    } finally {
      await refielded.touches.close();
    }
  });
});
