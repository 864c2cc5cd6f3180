/**
 * The scale bench's data set, loaded in bulk (src: scale.ts): `users` users in bench/data.ts's users table
 * (and RESERVED_USERS more, without sessions, for the endUserSessions probes), `django` Django sessions in
 * Django's signed format (encoded by sessiongraph's Django encoder in ENCODERS child processes, scale-encode.ts,
 * each piped into its own COPY FROM STDIN through psql: pg-copy-streams is not installed) and `sessions` native
 * sessions generated in SQL (INSERT … SELECT generate_series). A third of each store is expired; created_at
 * spreads over 30 days. Keys and indexes are built after the rows are in.
 *
 * Session data is bench/data.ts's `sessionData`: Django rows get it exactly; native rows take it from a table
 * of its first TEMPLATES values (row i gets template i % TEMPLATES, the same role, page, cart and history
 * length as sessionData(i); only the history's page numbers repeat sooner), so that SQL copies jsonb instead
 * of building it (a third of the load time).
 *
 * Native session i's key is nativeKey(i) (43 characters, the shape of a real key); it is expired when
 * i % 3 === 0. Ids are gen_random_uuid(), read back by key hash for the rows a workload samples.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { JsonObject } from '../src/codecs/result.ts';
import { root, SECRET } from './common.ts';
import { djangoLogin } from './django-data.ts';
import { track } from './scale-phases.ts';

export interface ScaleSize {
  label: string;
  sessions: number;
  django: number;
  users: number;
}

/** Users after `users`, with no session, that the endUserSessions probes give 10 sessions each. */
export const RESERVED_USERS = 100;
/** Native rows per INSERT statement (one progress line each). */
const NATIVE_CHUNK = 250_000;
/** Distinct native data values (a multiple of 4, 20 and 1000, so role, cart and history follow the row). */
const TEMPLATES = 20_000;
/** Django encoder processes (the encoder, not COPY, is the slow side: pako's deflate per row). */
const ENCODERS = 2;

export const isExpired = (index: number) => index % 3 === 0;
export const nativeKey = (index: number) => String(index).padStart(43, 'K');
export const nativeKeyHash = (index: number) =>
  createHash('sha256').update(nativeKey(index), 'utf8').digest();

export type Progress = (line: string) => void;

/** A progress line per step of a bulk load: rows so far, rows/s, time left. */
function meter(label: string, total: number, progress: Progress) {
  const started = performance.now();
  return {
    step(rows: number) {
      const seconds = (performance.now() - started) / 1000;
      const rate = rows / Math.max(seconds, 0.001);
      const left = rate > 0 ? (total - rows) / rate : 0;
      progress(
        `  ${label}: ${rows.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows, ${Math.round(rate).toLocaleString('en-US')} rows/s, ${left.toFixed(0)} s left`,
      );
    },
    seconds: () => (performance.now() - started) / 1000,
  };
}

/** bench/data.ts's users table (same columns, same password hashes, so Django auth hashes verify). */
export async function createUsers(pool: pg.Pool, size: ScaleSize): Promise<void> {
  await pool.query(`CREATE TABLE public.users (id serial PRIMARY KEY, username text NOT NULL,
    email text NOT NULL, password text NOT NULL)`);
  await pool.query(`INSERT INTO public.users (username, email, password)
    SELECT 'user' || g, 'user' || g || '@example.com', 'pbkdf2_sha256$260000$salt$' || g
      FROM generate_series(1, ${size.users + RESERVED_USERS}) g`);
}

/** bench/data.ts's session data for row `index` (cart lines, every 20th row a 60-page history). */
const ROLES = ['admin', 'member', 'member', 'guest'];
export function sessionData(index: number): JsonObject {
  return {
    user_role: ROLES[index % 4]!,
    current_page: `/products/${index % 500}`,
    cart: Array.from({ length: index % 4 }, (_, i) => ({
      sku: `SKU-${(index + i) % 1000}`,
      qty: 1 + (i % 3),
    })),
    ...(index % 20 === 0
      ? { history: Array.from({ length: 60 }, (_, i) => ({ page: `/p/${(index + i) % 997}`, at: i })) }
      : {}),
  };
}

/** bench/data.ts's Django session: what login() stores (every ninth anonymous), then the session data. */
export const djangoSessionData = (index: number, userId: number): JsonObject => ({
  ...djangoLogin(index, userId, SECRET),
  ...sessionData(index),
});

/** The native rows' data values (see the header), in a table the load joins and then drops. */
export async function createTemplates(pool: pg.Pool): Promise<void> {
  const values = Array.from({ length: TEMPLATES }, (_, k) => JSON.stringify(sessionData(k)));
  await pool.query('CREATE TABLE public.scale_session_data (k int PRIMARY KEY, data jsonb NOT NULL)');
  await pool.query(
    'INSERT INTO public.scale_session_data SELECT k - 1, d FROM unnest($1::jsonb[]) WITH ORDINALITY AS t (d, k)',
    [values],
  );
  await pool.query('ANALYZE public.scale_session_data');
}

export const dropTemplates = (pool: pg.Pool) => pool.query('DROP TABLE IF EXISTS public.scale_session_data');

/**
 * Django's table as Django creates it, filled by COPY FROM STDIN (psql; pg-copy-streams is not installed),
 * its primary key and expiry index built after the rows are in. Returns how many rows are compressed.
 */
export async function loadDjango(
  pool: pg.Pool,
  databaseUrl: string,
  size: ScaleSize,
  progress: Progress,
): Promise<{ compressed: number; seconds: number; indexSeconds: number }> {
  await pool.query(`CREATE TABLE django_session (session_key varchar(40) NOT NULL,
    session_data text NOT NULL, expire_date timestamptz NOT NULL)`);
  const load = meter(`Django rows (${size.label})`, size.django, progress);
  const now = Date.now();
  const done = new Array<number>(ENCODERS).fill(0);
  let compressed = 0;
  let lastLine = 0;
  const children: ChildProcess[] = [];
  const pipes = Array.from({ length: ENCODERS }, (_, part) => {
    const encoder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/scale-encode.ts',
        String(part),
        String(size.django),
        String(ENCODERS),
        String(size.users),
        String(now),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const copy = spawn(
      'psql',
      [
        databaseUrl,
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        'COPY django_session (session_key, session_data, expire_date) FROM STDIN',
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    children.push(track(encoder), track(copy));
    // A COPY that fails (or a database dropped under it) closes the pipe: its exit code tells.
    copy.stdin!.on('error', () => {});
    encoder.stdout!.on('error', () => {});
    encoder.stdout!.pipe(copy.stdin!);
    let errors = '';
    copy.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    let partial = '';
    encoder.stderr!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const [word, count] = line.split(' ');
        if (word === 'rows') done[part] = Number(count);
        else if (word === 'compressed') compressed += Number(count);
        else if (line.trim()) errors += `${line}\n`;
      }
      const rows = done.reduce((sum, n) => sum + n, 0);
      if (performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        load.step(rows);
      }
    });
    const exit = (child: ChildProcess) =>
      new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return Promise.all([exit(encoder), exit(copy)]).then(([encoded, copied]) => {
      if (encoded !== 0 || copied !== 0) {
        throw new Error(
          `Django encoder ${part} (exit ${encoded}) or its COPY (exit ${copied}) failed: ${errors}`,
        );
      }
    });
  });
  try {
    await Promise.all(pipes);
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
  load.step(size.django);
  const seconds = load.seconds();
  const indexStarted = performance.now();
  await bulkSession(pool, async (client) => {
    await client.query('ALTER TABLE django_session ADD PRIMARY KEY (session_key)');
    await client.query('CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)');
  });
  return { compressed, seconds, indexSeconds: (performance.now() - indexStarted) / 1000 };
}

/** A connection set for bulk work: memory for index builds, no JIT (it costs more than it saves here). */
async function bulkSession<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("SET maintenance_work_mem = '1GB'");
    await client.query('SET jit = off');
    return await work(client);
  } finally {
    await client.query('RESET ALL').catch(() => {});
    client.release();
  }
}

interface Rebuild {
  name: string;
  sql: string;
}

/**
 * Drops the table's keys, foreign keys and indexes (remembering their definitions), and disables its
 * row-level triggers that only send events (notifications, or rows of the event outbox: a bulk copy is not news;
 * statement-level triggers such as the session counts keep running). `restore` builds everything again.
 */
async function stripForLoad(pool: pg.Pool, table: string, progress: Progress) {
  const constraints = await pool.query<{ owner: string; name: string; type: string; def: string }>(
    `SELECT conrelid::regclass::text AS owner, conname AS name, contype AS type, pg_get_constraintdef(oid) AS def
       FROM pg_constraint
      WHERE (conrelid = $1::regclass AND contype IN ('p', 'u', 'f')) OR (confrelid = $1::regclass AND contype = 'f')`,
    [table],
  );
  const indexes = await pool.query<{ name: string; def: string }>(
    `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def FROM pg_index
      WHERE indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)`,
    [table],
  );
  const triggers = await pool.query<{ name: string }>(
    `SELECT t.tgname AS name FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE t.tgrelid = $1::regclass AND NOT t.tgisinternal AND t.tgenabled <> 'D'
        AND (t.tgtype & 1) = 1 AND (t.tgtype & 4) = 4
        AND (p.prosrc LIKE '%pg_notify%' OR p.prosrc LIKE '%event_outbox%')`,
    [table],
  );
  // Foreign keys first (they may lean on the keys), then keys, then indexes.
  const order = { f: 0, u: 1, p: 2 } as Record<string, number>;
  const dropped = [...constraints.rows].sort((a, b) => order[a.type]! - order[b.type]!);
  for (const constraint of dropped) {
    await pool.query(`ALTER TABLE ${constraint.owner} DROP CONSTRAINT "${constraint.name}"`);
  }
  for (const index of indexes.rows) await pool.query(`DROP INDEX ${index.name}`);
  for (const trigger of triggers.rows) {
    await pool.query(`ALTER TABLE ${table} DISABLE TRIGGER "${trigger.name}"`);
  }
  progress(
    `  ${table}: dropped ${dropped.length} constraints and ${indexes.rows.length} indexes; notification triggers off during the load: ${triggers.rows.map((t) => t.name).join(', ') || 'none'}`,
  );
  const rebuilds: Rebuild[] = [
    ...[...dropped]
      .reverse()
      .map((c) => ({ name: c.name, sql: `ALTER TABLE ${c.owner} ADD CONSTRAINT "${c.name}" ${c.def}` })),
    ...indexes.rows.map((index) => ({ name: index.name, sql: index.def })),
  ];
  // Keys before indexes, foreign keys last (validating one is a join, cheaper once the keys exist).
  rebuilds.sort((a, b) => Number(a.sql.includes('FOREIGN KEY')) - Number(b.sql.includes('FOREIGN KEY')));
  return {
    async restore(): Promise<Record<string, number>> {
      for (const trigger of triggers.rows) {
        await pool.query(`ALTER TABLE ${table} ENABLE TRIGGER "${trigger.name}"`);
      }
      const seconds: Record<string, number> = {};
      await bulkSession(pool, async (client) => {
        for (const rebuild of rebuilds) {
          const started = performance.now();
          await client.query(rebuild.sql);
          seconds[rebuild.name] = (performance.now() - started) / 1000;
          progress(`  built ${rebuild.name} in ${seconds[rebuild.name]!.toFixed(1)} s`);
        }
      });
      return seconds;
    },
  };
}

/**
 * `size.sessions` native sessions (after the migrations made the table), in statements of NATIVE_CHUNK rows:
 * user ids uniform over the users (every ninth session anonymous), created over the last 30 days, a third
 * expired at a random time between their creation and now, the rest expiring 1 hour to 15 days from now.
 */
export async function loadNative(
  pool: pg.Pool,
  size: ScaleSize,
  progress: Progress,
): Promise<{ seconds: number; indexSeconds: Record<string, number> }> {
  const table = 'sessiongraph.sessions';
  const stripped = await stripForLoad(pool, table, progress);
  const load = meter(`native rows (${size.label})`, size.sessions, progress);
  await bulkSession(pool, async (client) => {
    for (let start = 0; start < size.sessions; start += NATIVE_CHUNK) {
      const end = Math.min(size.sessions, start + NATIVE_CHUNK) - 1;
      await client.query(
        `/* scaleLoadNative */ INSERT INTO sessiongraph.sessions (key_hash, user_id, data, created_at, expires_at)
       SELECT sha256(convert_to(lpad(c.i::text, 43, 'K'), 'UTF8')),
              CASE WHEN c.i % 9 = 0 THEN NULL ELSE 1 + floor(random() * $3)::int END,
              t.data,
              c.created,
              CASE WHEN c.i % 3 = 0 THEN c.created + greatest(now() - interval '1 minute' - c.created, interval '0') * random()
                   ELSE now() + interval '1 hour' + random() * interval '14 days' END
         FROM (SELECT g AS i, now() - random() * interval '30 days' AS created
                 FROM generate_series($1::int, $2::int) AS g OFFSET 0) AS c
         JOIN public.scale_session_data t ON t.k = c.i % ${TEMPLATES}`,
        [start, end, size.users],
      );
      load.step(end + 1);
    }
  });
  const seconds = load.seconds();
  const indexSeconds = await stripped.restore();
  return { seconds, indexSeconds };
}
