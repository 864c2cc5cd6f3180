/**
 * The practical ceiling for `npm run bench`: node:http + pg, one hand-tuned SQL statement per request,
 * JSON built by PostgreSQL, no GraphQL, no auth. W1 `GET /sessions` (50 active sessions, newest first,
 * each with its user), W2 `GET /sessions/<uuid>` (one session with its user), W3 `GET /current` with the
 * `sg_session` cookie (the live session for that key, with its user).
 *
 * Env: DATABASE_URL, PORT, HOST (127.0.0.1), POOL_SIZE (10).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env['DATABASE_URL'],
  max: Number(process.env['POOL_SIZE'] ?? 10),
});
pool.on('error', (error) => process.stderr.write(`handwritten pool: ${error.message}\n`));

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

const UUID = /^\/sessions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

async function answer(method: string, url: string, cookie: string | undefined) {
  if (method !== 'GET') return { status: 405, body: '{"error":"method"}' };
  if (url === '/sessions') {
    const result = await pool.query<{ body: string }>({ name: 'page', text: page });
    return { status: 200, body: result.rows[0]!.body };
  }
  const match = UUID.exec(url);
  if (match) {
    const result = await pool.query<{ body: string }>({ name: 'byId', text: byId, values: [match[1]] });
    return result.rows[0] ? { status: 200, body: result.rows[0].body } : { status: 404, body: 'null' };
  }
  if (url === '/current') {
    const key = /(?:^|;\s*)sg_session=([A-Za-z0-9_-]{43})(?:;|$)/.exec(cookie ?? '')?.[1];
    if (!key) return { status: 200, body: 'null' };
    const hash = createHash('sha256').update(key, 'utf8').digest();
    const result = await pool.query<{ body: string }>({ name: 'byKey', text: byKey, values: [hash] });
    return { status: 200, body: result.rows[0]?.body ?? 'null' };
  }
  return { status: 404, body: '{"error":"not found"}' };
}

const server = createServer((request, response) => {
  answer(request.method ?? 'GET', request.url ?? '/', request.headers.cookie).then(
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
