/**
 * The practical ceiling for `npm run bench`: node:http + pg, one hand-tuned SQL statement per request,
 * JSON built by PostgreSQL, no GraphQL, no auth. Each route does the logical work of the sessiongraph
 * request it stands for, and returns the same fields:
 *
 * - W1 `GET /sessions`: 50 active sessions, newest first, each with its user.
 * - W2 `GET /sessions/<uuid>`: one session with its user.
 * - W3 `GET /current` with the `sg_session` cookie: the live session for that key, with its user.
 * - W4 `PATCH /sessions/<Session global id>` with a JSON object: its keys set in the session's data, the
 *   version bumped, an audit row written (as sessiongraph's updateSession does); returns `{ id, version }`.
 * - W6 `GET /users/<id>/sessions`: the user (global id, username) and its newest 100 native sessions (global
 *   id, createdAt, expiresAt, data), as `user(id) { id username sessions(first: 100) { … } }`.
 * - W7 `POST /sessions` with `{ userId, data, ttlSeconds }`: a new session with a fresh 32-byte key (only its
 *   SHA-256 stored) and an audit row; returns `{ sessionKey, session: { id, status, expiresAt } }`.
 * - W8 `DELETE /users/<id>/sessions`: ends every session of the user, native and (through the projection)
 *   Django, with one audit row, as endUserSessions without `store` does; returns `{ userId, count }`.
 *
 * The audit rows are sessiongraph's (src/auth/audit.ts): actor `token:bench` (the bench's token), the action,
 * the session's global id, the user id, outcome `ok` (or the error code sessiongraph would write).
 *
 * Env: DATABASE_URL, PORT, HOST (127.0.0.1), POOL_SIZE (10).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'],
  max: Number(process.env['POOL_SIZE'] ?? 10),
});
pool.on('error', (error) => process.stderr.write(`handwritten pool: ${error.message}\n`));

const ACTOR = 'token:bench';
/** base64('Session:native:'): 15 bytes, so a session's global id is this and the base64 of its uuid. */
const SESSION_ID_PREFIX = Buffer.from('Session:native:').toString('base64');
const sessionGlobalId = (column: string) =>
  `'${SESSION_ID_PREFIX}' || encode(convert_to(${column}::text, 'UTF8'), 'base64')`;

const sessionJson = `json_build_object('id', s.id, 'data', s.data, 'createdAt', s.created_at,
  'expiresAt', s.expires_at, 'user', CASE WHEN u.id IS NULL THEN NULL
    ELSE json_build_object('id', u.id, 'username', u.username, 'email', u.email) END)`;

const page = `SELECT coalesce(json_agg(x.j), '[]')::text AS body FROM (
  SELECT ${sessionJson} AS j FROM sessiongraph.sessions s LEFT JOIN public.users u ON u.id = s.user_id
   WHERE s.expires_at > now() ORDER BY s.created_at DESC, s.id DESC LIMIT 50) x`;
const byId = `SELECT ${sessionJson}::text AS body
  FROM sessiongraph.sessions s LEFT JOIN public.users u ON u.id = s.user_id WHERE s.id = $1::uuid`;
const byKey = `SELECT ${sessionJson}::text AS body
  FROM sessiongraph.sessions s LEFT JOIN public.users u ON u.id = s.user_id
 WHERE s.key_hash = $1 AND s.expires_at > now()`;

/**
 * W4: the keys of $2 set in the data of session $1 (uuid), the version bumped, and the audit row for $3 (the
 * global id the client sent): `ok`, or SESSION_NOT_FOUND's code when no row matched, as sessiongraph writes.
 */
const updateData = `WITH s AS (
    UPDATE sessiongraph.sessions SET data = data || $2::jsonb, version = version + 1
     WHERE id = $1::uuid RETURNING user_id, version
  ), audit AS (
    INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome)
    SELECT '${ACTOR}', 'updateSession', $3::text, s.user_id::text,
           CASE WHEN s.version IS NULL THEN 'error:SESSION_NOT_FOUND' ELSE 'ok' END
      FROM (SELECT 1) AS one LEFT JOIN s ON true
  )
  SELECT json_build_object('id', $3::text, 'version', s.version)::text AS body FROM s`;

/** W6: user $1 and its newest 100 native sessions, ids printed as sessiongraph's global ids. */
const userSessions = `SELECT json_build_object(
    'id', encode(convert_to('User:' || u.id, 'UTF8'), 'base64'), 'username', u.username,
    'sessions', coalesce((
      SELECT json_agg(json_build_object('id', ${sessionGlobalId('s.id')}, 'createdAt', s.created_at,
               'expiresAt', s.expires_at, 'data', s.data) ORDER BY s.created_at DESC, s.id DESC)
        FROM (SELECT id, created_at, expires_at, data FROM sessiongraph.sessions
               WHERE user_id = u.id ORDER BY created_at DESC, id DESC LIMIT 100) AS s), '[]'))::text AS body
  FROM public.users u WHERE u.id = $1::int4`;

/**
 * W7: a session for user $2 (text) with data $3, key hash $1, expiring $4 seconds from now, and its audit
 * row; $5 is the key, returned this once.
 */
const create = `WITH s AS (
    INSERT INTO sessiongraph.sessions (key_hash, user_id, data, expires_at)
    VALUES ($1, $2::text::int4, $3::jsonb, now() + make_interval(secs => $4::int))
    RETURNING ${sessionGlobalId('id')} AS id, expires_at
  ), audit AS (
    INSERT INTO sessiongraph.audit_log (actor, action, session_id, user_id, outcome)
    SELECT '${ACTOR}', 'createSession', s.id, $2::text, 'ok' FROM s
  )
  SELECT json_build_object('sessionKey', $5::text, 'session', json_build_object('id', s.id,
    'status', CASE WHEN s.expires_at > now() THEN 'ACTIVE' ELSE 'EXPIRED' END, 'expiresAt', s.expires_at))::text AS body
    FROM s`;

/**
 * W8: every session of user $1 ended in both stores, as sessiongraph's endUserSessions does: the native rows,
 * and the Django rows found through the projection's user index (deleted from the projection and from
 * django_session, marked as the API's own write so the capture trigger does not queue them); one audit row.
 */
const endUserSessions = `WITH native AS (
    DELETE FROM sessiongraph.sessions WHERE user_id = $1::text::int4 RETURNING 1
  ), projected AS (
    DELETE FROM sessiongraph.projection
     WHERE store = 'django' AND user_id = $1::text::int4
       AND set_config('sessiongraph.origin', 'api', true) = 'api'
    RETURNING session_key
  ), framework AS (
    DELETE FROM public.django_session WHERE session_key IN (SELECT session_key FROM projected) RETURNING 1
  ), audit AS (
    INSERT INTO sessiongraph.audit_log (actor, action, user_id, outcome)
    VALUES ('${ACTOR}', 'endUserSessions', $1::text, 'ok')
  )
  SELECT json_build_object('userId', $1::text,
    'count', (SELECT count(*) FROM native) + (SELECT count(*) FROM framework))::text AS body`;

const UUID = /^\/sessions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const GLOBAL_ID = /^\/sessions\/([A-Za-z0-9+/]+={0,2})$/;
const NATIVE_NODE = /^Session:native:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const USER_SESSIONS = /^\/users\/(\d{1,9})\/sessions$/;
const MAX_BODY = 64 * 1024;

type Answer = { status: number; body: string };
const one = async (name: string, text: string, values: unknown[]): Promise<Answer> => {
  const result = await pool.query<{ body: string }>({ name, text, values });
  return result.rows[0] ? { status: 200, body: result.rows[0].body } : { status: 404, body: 'null' };
};
const bad = (what: string): Answer => ({ status: 400, body: JSON.stringify({ error: what }) });

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function answer(method: string, url: string, cookie: string | undefined, body: string) {
  if (method === 'GET') {
    if (url === '/sessions') return one('page', page, []);
    const match = UUID.exec(url);
    if (match) return one('byId', byId, [match[1]]);
    const user = USER_SESSIONS.exec(url);
    if (user) return one('userSessions', userSessions, [user[1]]);
    if (url === '/current') {
      const key = /(?:^|;\s*)sg_session=([A-Za-z0-9_-]{43})(?:;|$)/.exec(cookie ?? '')?.[1];
      if (!key) return { status: 200, body: 'null' };
      const hash = createHash('sha256').update(key, 'utf8').digest();
      const result = await pool.query<{ body: string }>({ name: 'byKey', text: byKey, values: [hash] });
      return { status: 200, body: result.rows[0]?.body ?? 'null' };
    }
  }
  if (method === 'PATCH') {
    const globalId = GLOBAL_ID.exec(url)?.[1];
    const ref = globalId && NATIVE_NODE.exec(Buffer.from(globalId, 'base64').toString('latin1'))?.[1];
    if (!globalId || !ref) return { status: 404, body: 'null' };
    // PostgreSQL parses the object; a body that is not one fails the table's CHECK.
    return one('updateData', updateData, [ref, body, globalId]);
  }
  if (method === 'POST' && url === '/sessions') {
    const input = JSON.parse(body) as { userId?: unknown; data?: unknown; ttlSeconds?: unknown };
    const { userId, data, ttlSeconds } = input;
    if (typeof userId !== 'string' || !/^\d{1,9}$/.test(userId)) return bad('userId');
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return bad('data');
    if (!Number.isSafeInteger(ttlSeconds) || (ttlSeconds as number) <= 0) return bad('ttlSeconds');
    const key = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(key, 'utf8').digest();
    return one('create', create, [hash, userId, JSON.stringify(data), ttlSeconds, key]);
  }
  if (method === 'DELETE') {
    const user = USER_SESSIONS.exec(url);
    if (user) return one('endUserSessions', endUserSessions, [user[1]]);
  }
  return { status: 404, body: '{"error":"not found"}' };
}

const server = createServer((request, response) => {
  const method = request.method ?? 'GET';
  const body = method === 'GET' ? Promise.resolve('') : readBody(request);
  body
    .then((text) => answer(method, request.url ?? '/', request.headers.cookie, text))
    .then(
      ({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: String(error) }));
      },
    );
});
server.listen(Number(process.env['PORT'] ?? 4100), process.env['HOST'] ?? '127.0.0.1');
const stop = () => {
  server.close();
  void pool.end().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
