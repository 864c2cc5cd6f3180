import { execFile } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sign } from 'cookie-signature';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSessionId } from '../../src/sessions/ids.ts';
import { createSessionTable, startExpressApp } from '../frameworks/express-app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startServerProcess } from '../helpers/process.ts';
import { until } from '../helpers/until.ts';
import {
  DJANGO_SECRET,
  djangoSigned,
  EXPRESS_SECRET,
  FLASK_PREFIX,
  type HostileRow,
  hostileRows,
  nativeRows,
  type Status,
} from './rows.ts';
import { expressVerdicts } from './verdicts/express-verdicts.ts';

/**
 * A real server process, started as `npm start` starts it (the built dist/main.js, a 256 MB old space, GC
 * exposed), on a database whose framework tables hold real framework rows next to hostile rows of every
 * class (./rows.ts, new on each run). It must become ready, give each row its defined status (ACTIVE only
 * where the framework itself serves the row: asked of Django, web.py, express and Flask themselves), answer
 * currentSession for every row in time, serve every page, count and stat, stay under 300 MB, and keep
 * projecting rows written afterwards. Needs DATABASE_URL (the frameworks cannot reach an embedded PGlite).
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);
const SEED = Number(process.env['HOSTILE_SEED'] ?? randomInt(2 ** 31));
const RSS_LIMIT_BYTES = 300 * 1024 * 1024;

const STORES = {
  native: { kind: 'native', name: 'native' },
  django: { kind: 'django', name: 'django', table: 'django_session', secretKey: DJANGO_SECRET },
  webpy: { kind: 'webpy', name: 'webpy', table: 'sessions' },
  express: { kind: 'express', name: 'express', table: 'session', secrets: [EXPRESS_SECRET] },
  cache: { kind: 'json-cache', name: 'cache', table: 'session_cache' },
  flask: { kind: 'flask', name: 'flask', table: 'flask_sessions', keyPrefix: FLASK_PREFIX },
};

/** Flask-Session's own table, under another name than web.py's `sessions`. */
const FLASK_TABLE = 'flask_sessions';

const TABLES: Record<HostileRow['store'], { table: string; key: string }> = {
  django: { table: 'django_session', key: 'session_key' },
  webpy: { table: 'sessions', key: 'session_id' },
  express: { table: 'session', key: 'sid' },
  cache: { table: 'session_cache', key: 'sessionid' },
  flask: { table: FLASK_TABLE, key: 'session_id' },
  native: { table: 'sessiongraph.sessions', key: 'id' },
};

const ref = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const idOf = (row: Pick<HostileRow, 'store' | 'key'>) =>
  encodeSessionId({ store: row.store, ref: ref(row.key) });

/** The sid Flask-Session looks up `keyPrefix + sid` for (the whole key where it lacks the prefix). */
const flaskSid = (key: string) => (key.startsWith(FLASK_PREFIX) ? key.slice(FLASK_PREFIX.length) : key);

/** What a browser would send for the row's key, in its store's cookie. */
function cookieFor(row: HostileRow): string {
  const value =
    row.store === 'express'
      ? `s:${sign(row.key, EXPRESS_SECRET)}`
      : row.store === 'flask'
        ? flaskSid(row.key)
        : row.key;
  const name = {
    django: 'sessionid',
    webpy: 'webpy_session_id',
    express: 'connect.sid',
    cache: 'session_id',
    flask: 'session',
    native: 'sg_session',
  }[row.store];
  return `${name}=${encodeURIComponent(value)}`;
}

interface Server {
  url: string;
  pid: number;
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/** The server as `npm start` runs it (test/helpers/process.ts), in production mode. */
async function startBuiltServer(env: Record<string, string>): Promise<Server> {
  const server = await startServerProcess({ NODE_ENV: 'production', ...env }, { built: true });
  return {
    url: server.url,
    pid: server.child.pid!,
    output: server.output,
    alive: () => server.child.exitCode === null && server.child.signalCode === null,
    stop: async () => {
      await server.stop();
    },
  };
}

/** Peak and current resident memory of a process (Linux). */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

async function python(script: string, args: string[], input: unknown, env: Record<string, string>) {
  const child = execFile(PYTHON, [script, ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  child.stdin!.end(JSON.stringify(input));
  const out = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`${script} exited ${code}`)),
    );
  });
  return JSON.parse(out) as Record<string, unknown>;
}

/** Inserts a row: plain values as parameters (with their casts), `{ sql }` values as SQL. */
async function insertRow(pool: pg.Pool, row: HostileRow) {
  const { table, key } = TABLES[row.store];
  const names = [key, ...Object.keys(row.columns)];
  const params: unknown[] = [row.key];
  const values = [`$1`];
  for (const [column, value] of Object.entries(row.columns)) {
    if (value !== null && typeof value === 'object' && 'sql' in (value as object)) {
      values.push((value as { sql: string }).sql);
    } else {
      params.push(value);
      values.push(`$${params.length}${row.casts?.[column] ? `::${row.casts[column]}` : ''}`);
    }
  }
  await pool.query(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${values.join(', ')})`, params);
}

const SESSION_FIELDS = `id store status problem decodeNote data userId userRole authHashValid createdAt expiresAt lastSeenAt version user { id username email }`;

describe.skipIf(!process.env['DATABASE_URL'])(`a server on hostile rows (seed ${SEED})`, () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let server: Server;
  /** A second replica with the compiled read path off: every read goes through GraphQL execution. */
  let general: Server;
  let token: string;
  let userIds: string[];
  let rows: HostileRow[];
  const real: HostileRow[] = [];
  const natives: { id: string; expect: Status; klass: string }[] = [];
  let peak = 0;
  let sampler: NodeJS.Timeout;

  const send = async (
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = {},
    target: Server = server,
  ) => {
    const response = await fetch(`${target.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    return { status: response.status, ...body };
  };

  beforeAll(async () => {
    console.log(`hostile rows: seed ${SEED} (HOSTILE_SEED=${SEED} replays this run)`);
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    const env = {
      DATABASE_URL: database.url,
      DJANGO_SECRET_KEY: DJANGO_SECRET,
      FLASK_SESSION_TABLE: FLASK_TABLE,
    };
    const djangoApp = fileURLToPath(new URL('../frameworks/django_app.py', import.meta.url));
    const webpyApp = fileURLToPath(new URL('../frameworks/webpy_app.py', import.meta.url));
    const flaskApp = fileURLToPath(new URL('../frameworks/flask_app.py', import.meta.url));
    await Promise.all([
      // The server alone: the console's bundle is test/console.test.ts's to build.
      run('npm', ['run', 'build:server'], { cwd: root }),
      python(djangoApp, ['migrate'], {}, env).then(() =>
        python(djangoApp, ['create-users'], ['ada', 'grace', 'linus'], env),
      ),
      python(webpyApp, ['create-table'], {}, env),
      python(flaskApp, ['create-table'], {}, env),
      createSessionTable(pool as never),
    ]);
    userIds = (await pool.query<{ id: number }>('SELECT id FROM auth_user ORDER BY id')).rows.map((row) =>
      String(row.id),
    );
    await pool.query(`
      ALTER TABLE django_session ALTER COLUMN expire_date DROP NOT NULL;
      ALTER TABLE session ALTER COLUMN expire DROP NOT NULL, ALTER COLUMN sess DROP NOT NULL;
      CREATE TABLE session_cache (sessionid uuid PRIMARY KEY, userdict text, session_startutc timestamp, session_endutc timestamp);`);

    // Real rows, written by the frameworks themselves.
    const written = (await python(
      djangoApp,
      ['write'],
      [
        { name: 'ada', user: 'ada', data: { user_role: 'admin' } },
        { name: 'anonymous', user: null, data: { cart: ['SKU-1'] } },
      ],
      env,
    )) as Record<string, string>;
    real.push(
      {
        store: 'django',
        klass: 'written by Django, logged in',
        key: written['ada']!,
        expect: 'ACTIVE',
        userId: userIds[0]!,
        columns: {},
      },
      {
        store: 'django',
        klass: 'written by Django, anonymous',
        key: written['anonymous']!,
        expect: 'ACTIVE',
        userId: null,
        columns: {},
      },
    );
    const webpyKeys = ['a'.repeat(40), 'b'.repeat(40)];
    await python(
      webpyApp,
      ['write'],
      {
        sessions: [
          { id: webpyKeys[0], data: { session_id: webpyKeys[0], uid: 0, ip: '127.0.0.1' } },
          { id: webpyKeys[1], data: { session_id: webpyKeys[1], uid: Number(userIds[1]), ip: '127.0.0.1' } },
        ],
      },
      env,
    );
    real.push(
      {
        store: 'webpy',
        klass: 'written by web.py, anonymous (uid 0)',
        key: webpyKeys[0]!,
        expect: 'ACTIVE',
        userId: null,
        columns: {},
      },
      {
        store: 'webpy',
        klass: 'written by web.py, logged in',
        key: webpyKeys[1]!,
        expect: 'ACTIVE',
        userId: userIds[1]!,
        columns: {},
      },
    );
    const express = await startExpressApp(database.url, { embedded: false });
    try {
      const response = await fetch(`${express.url}/login/${userIds[2]}`, { method: 'POST' });
      const { sid } = (await response.json()) as { sid: string };
      real.push({
        store: 'express',
        klass: 'written by express-session',
        key: sid,
        expect: 'ACTIVE',
        userId: userIds[2]!,
        columns: {},
      });
    } finally {
      await express.close();
    }

    // Flask-Session writes these itself (Flask-Login's login_user for the logged-in one).
    const flaskWritten = (await python(
      flaskApp,
      ['write'],
      { sessions: [{ data: { cart: ['SKU-2'] }, userId: userIds[0] }, { data: { theme: 'dark' } }] },
      env,
    )) as { sessions: { sessionId: string }[] };
    real.push(
      {
        store: 'flask',
        klass: 'written by Flask-Session, logged in',
        key: flaskWritten.sessions[0]!.sessionId,
        expect: 'ACTIVE',
        userId: userIds[0]!,
        columns: {},
      },
      {
        store: 'flask',
        klass: 'written by Flask-Session, anonymous',
        key: flaskWritten.sessions[1]!.sessionId,
        expect: 'ACTIVE',
        userId: null,
        columns: {},
      },
    );

    rows = hostileRows(SEED, userIds);
    for (const row of rows) await insertRow(pool, row);

    const configPath = join(tmpdir(), `sessiongraph-hostile-${SEED}.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        users: { table: 'public.auth_user', key: 'id', columns: ['username', 'email'] },
        fields: [{ name: 'userRole', path: 'user_role', type: 'String' }],
        stores: Object.values(STORES),
        maxPageSize: 100,
      }),
    );
    server = await startBuiltServer({ DATABASE_URL: database.url, SESSIONGRAPH_CONFIG: configPath });
    sampler = setInterval(() => {
      memoryOf(server.pid).then(
        (memory) => {
          peak = Math.max(peak, memory.peak);
        },
        () => {},
      );
    }, 200);
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200, 120_000);
    const created = await run(
      process.execPath,
      [
        'dist/cli.js',
        'token',
        'create',
        '--name',
        'hostile',
        '--scopes',
        'sessions:read,sessions:write,users:read,metrics:read',
      ],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: database.url, SESSIONGRAPH_CONFIG: configPath },
      },
    );
    token = /sg_[A-Za-z0-9_-]{43}/.exec(created.stdout)![0];
    general = await startBuiltServer({
      DATABASE_URL: database.url,
      SESSIONGRAPH_CONFIG: configPath,
      COMPILED_READS: 'false',
      SYNC_IN_SERVER: 'false',
    });
    // Native rows written past the API, by someone with write access to the table.
    for (const native of nativeRows(SEED)) {
      const inserted = await pool.query<{ id: string }>(
        `INSERT INTO sessiongraph.sessions (key_hash, data, expires_at) VALUES (sha256(gen_random_uuid()::text::bytea), $1::jsonb, ${native.expires}) RETURNING id`,
        [native.data],
      );
      natives.push({ id: inserted.rows[0]!.id, expect: native.expect, klass: native.klass });
    }
  }, 300_000);

  afterAll(async () => {
    clearInterval(sampler);
    await Promise.all([server?.stop(), general?.stop()]);
    await pool?.end();
    await database?.drop();
  });

  it('should give every row its defined status, with a problem for each INVALID one', async () => {
    const all = [...real, ...rows];
    const wrong: string[] = [];
    for (const [row, target] of all.flatMap((row) => [[row, server] as const, [row, general] as const])) {
      const result = await send(
        `query($id: ID!) { session(id: $id) { ${SESSION_FIELDS} } }`,
        { id: idOf(row) },
        {},
        target,
      );
      expect(result.errors, `${row.store}: ${row.klass}`).toBeUndefined();
      const session = result.data!['session'] as {
        status: Status;
        problem: string | null;
        userId: string | null;
      } | null;
      if (!session) {
        wrong.push(`${row.store} ${row.klass}: not found`);
        continue;
      }
      if (session.status !== row.expect)
        wrong.push(
          `${row.store} ${row.klass}: ${session.status} (${session.problem}), expected ${row.expect}`,
        );
      if (session.status === 'INVALID' && !session.problem)
        wrong.push(`${row.store} ${row.klass}: INVALID without a problem`);
      if (row.problem && !session.problem?.includes(row.problem)) {
        wrong.push(`${row.store} ${row.klass}: problem "${session.problem}" lacks "${row.problem}"`);
      }
      if (row.userId !== undefined && session.userId !== row.userId) {
        wrong.push(`${row.store} ${row.klass}: userId ${session.userId}, expected ${row.userId}`);
      }
    }
    for (const native of natives) {
      const id = encodeSessionId({ store: 'native', ref: native.id });
      const result = await send(`query($id: ID!) { session(id: $id) { status problem data } }`, { id });
      expect(result.errors, native.klass).toBeUndefined();
      const session = result.data!['session'] as { status: Status; problem: string | null };
      if (session.status !== native.expect)
        wrong.push(`native ${native.klass}: ${session.status}, expected ${native.expect}`);
    }
    expect(wrong).toEqual([]);
  });

  it('should answer currentSession for every row within 200 ms (1.5 s for rows over a MiB)', async () => {
    const slow: string[] = [];
    for (const row of [...real, ...rows]) {
      const started = performance.now();
      const result = await send(
        '{ currentSession { id status data userId user { username } } }',
        {},
        { cookie: cookieFor(row) },
      );
      const elapsed = performance.now() - started;
      expect(result.errors, `${row.store}: ${row.klass}`).toBeUndefined();
      const current = result.data!['currentSession'] as { id: string; status: Status } | null;
      // Only an ACTIVE session is the caller's; a key the store would not accept from a browser finds none.
      if (current) {
        expect(current.id, `${row.store}: ${row.klass}`).toBe(idOf(row));
        expect(row.expect).toBe('ACTIVE');
      }
      if (elapsed > (row.large ? 1500 : 200))
        slow.push(`${row.store} ${row.klass}: ${elapsed.toFixed(0)} ms`);
    }
    expect(slow).toEqual([]);
  });

  it('should serve every page, count and stat of every store, on both read paths', async () => {
    for (const [store, target] of Object.keys(STORES).flatMap((name) => [
      [name, server] as const,
      [name, general] as const,
    ])) {
      for (const status of [null, 'ACTIVE', 'EXPIRED', 'INVALID']) {
        const seen = new Set<string>();
        let after: string | null = null;
        let total = -1;
        for (;;) {
          const result = await send(
            `query($store: String, $status: SessionStatus, $after: String) {
               sessions(store: $store, status: $status, first: 7, after: $after) {
                 totalCount estimatedCount edges { cursor node { ${SESSION_FIELDS} } } pageInfo { hasNextPage endCursor }
               } }`,
            { store, status, after },
            {},
            target,
          );
          expect(result.errors, `${store} ${status}`).toBeUndefined();
          const page = result.data!['sessions'] as {
            totalCount: number;
            edges: { node: { id: string; status: Status } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
          total = page.totalCount;
          for (const { node } of page.edges) {
            expect(seen.has(node.id), `${store} ${status}: ${node.id} twice`).toBe(false);
            seen.add(node.id);
            if (status) expect(node.status).toBe(status);
          }
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(seen.size, `${store} ${status}`).toBe(total);
      }
    }
    const stats = await send(
      '{ sessionStats { store status count } byRole: sessionStats(groupBy: USER_ROLE) { store count value } }',
    );
    expect(stats.errors).toBeUndefined();
    // Each user's sessions in each store, as an account page asks for them.
    const listed: string[] = [];
    for (const store of Object.keys(STORES)) {
      const users = await send(
        `query($store: String) { users(first: 5) { edges { node { id username
           sessions(store: $store, first: 40) { totalCount edges { node { id status userId } } } } } } }`,
        { store },
      );
      expect(users.errors, store).toBeUndefined();
      listed.push(JSON.stringify(users.data));
    }
    for (const row of [...real, ...rows].filter(
      (candidate) => candidate.expect === 'ACTIVE' && candidate.userId,
    )) {
      expect(
        listed.some((text) => text.includes(idOf(row))),
        `${row.store} ${row.klass} among its user's sessions`,
      ).toBe(true);
    }
    // Anonymous ids are nobody's: no user lists a web.py session of uid 0.
    const anonymous = [...real, ...rows].filter(
      (row) => row.store === 'webpy' && row.userId === null && row.expect === 'ACTIVE',
    );
    for (const row of anonymous) expect(listed.some((text) => text.includes(idOf(row)))).toBe(false);
  });

  it('should keep projecting rows written after start, hostile or not', async () => {
    const goodKey = `late${Date.now()}good`;
    const badKey = `late${Date.now()}evil`;
    await pool.query(
      `INSERT INTO django_session (session_key, session_data, expire_date) VALUES
         ($1, $2, now() + interval '1 hour'), ($3, $4, 'infinity'), ($5, $6, NULL)`,
      [
        badKey,
        djangoSigned(Buffer.from(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), true),
        goodKey,
        djangoSigned(Buffer.from(JSON.stringify({ _auth_user_id: userIds[0] })), false),
        `${badKey}2`,
        djangoSigned(Buffer.from('{}')),
      ],
    );
    let projected: { session_key: string; valid: boolean; user_id: number | null }[] = [];
    await until(async () => {
      const found = await pool.query<{ session_key: string; valid: boolean; user_id: number | null }>(
        `SELECT session_key, valid, user_id FROM sessiongraph.projection WHERE store = 'django' AND session_key = ANY($1)`,
        [[goodKey, badKey, `${badKey}2`]],
      );
      projected = found.rows;
      return found.rows.length === 3;
    }, 30_000);
    const byKey = new Map(projected.map((row) => [row.session_key, row]));
    expect(byKey.get(goodKey)).toMatchObject({ valid: true, user_id: Number(userIds[0]) });
    expect(byKey.get(badKey)).toMatchObject({ valid: false });
    expect(byKey.get(`${badKey}2`)).toMatchObject({ valid: false });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect(server.output()).not.toContain('sync worker stopped');
  });

  it('should mark ACTIVE only rows the frameworks themselves serve', async () => {
    const env = {
      DATABASE_URL: database.url,
      DJANGO_SECRET_KEY: DJANGO_SECRET,
      FLASK_SESSION_TABLE: FLASK_TABLE,
    };
    const active = (store: HostileRow['store']) =>
      [...real, ...rows]
        .filter((row) => row.store === store && row.expect === 'ACTIVE')
        .map((row) => row.key);
    const script = (name: string) => fileURLToPath(new URL(`./verdicts/${name}`, import.meta.url));
    const verdicts = {
      django: await python(script('django_verdicts.py'), [], active('django'), env),
      express: await expressVerdicts(database.url, 'session', active('express'), EXPRESS_SECRET),
      // By the sid the `session` cookie carries. Flask-Session saves every session it loads back.
      flask: await python(script('flask_verdicts.py'), [], active('flask').map(flaskSid), env),
      // Last: web.py's cleanup deletes the expired rows, and every request moves atime.
      webpy: await python(script('webpy_verdicts.py'), [], active('webpy'), env),
    };
    const refused: string[] = [];
    for (const [store, answers] of Object.entries(verdicts)) {
      for (const [key, verdict] of Object.entries(
        answers as Record<string, { served: boolean; error: string | null }>,
      )) {
        if (!verdict.served) refused.push(`${store} ${JSON.stringify(key).slice(0, 40)}: ${verdict.error}`);
      }
    }
    expect(refused).toEqual([]);
  }, 120_000);

  it('should stay alive and under 300 MB throughout', async () => {
    const memory = await memoryOf(server.pid);
    peak = Math.max(peak, memory.peak);
    console.log(
      `hostile rows: server peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB, now ${(memory.rss / 1024 / 1024).toFixed(0)} MB`,
    );
    expect(server.alive()).toBe(true);
    expect(server.output()).not.toMatch(/FATAL|Reached heap limit|uncaught/i);
    expect(peak).toBeLessThan(RSS_LIMIT_BYTES);
    // The rows that made the code fail unexpectedly: none expected, each would be logged with its ref.
    const metrics = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    expect(metrics).not.toMatch(/^sessiongraph_row_errors_total\{[^}]*\} [1-9]/m);
  });
});
