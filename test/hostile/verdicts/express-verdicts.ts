import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import connectPgSimple from 'connect-pg-simple';
import express from 'express';
import session from 'express-session';
import pg from 'pg';

/**
 * Which rows of a connect-pg-simple table does express-session 1.19 + connect-pg-simple 10 itself serve?
 *
 *   const verdicts = await expressVerdicts(process.env.DATABASE_URL, 'session', ['sid1', 'sid2'], 'secret');
 *   // { sid1: { served: true, data: {...}, error: null }, sid2: { served: false, data: null, error: '...' } }
 *
 * Runs a real express app (resave: false, saveUninitialized: false, as test/frameworks/express-app.ts) with
 * connect-pg-simple over its own pg pool, on an ephemeral loopback port, and does one real HTTP GET per sid
 * with the cookie a browser replays: `connect.sid=` + cookie.serialize of `s:` + cookie-signature's sign(sid,
 * secret) (express-session's own copies of `cookie` and `cookie-signature`). Everything it opened is closed
 * before it resolves. `table` may be `schema.table`.
 *
 * Options: `modify` (the route also sets one key, so express-session saves the session: checks shapes that
 * break only on save), `rolling` (express-session's rolling option: the cookie is set on every response),
 * `timeoutMs` (per request; a response express never finishes counts as not served).
 *
 * `served` is true only when the response is a complete 200, express kept this sid (it did not generate a new,
 * empty session) and no error reached express's error handling during the request, even after the body was
 * sent (a failed save or touch). `data` is req.session as the route saw it, without `cookie` (express's own)
 * and the probe key of `modify`. `error` says why not served.
 * Not read-only: like express-session, it touches (`UPDATE ... SET expire`) or saves the rows it serves.
 */

export interface Verdict {
  served: boolean;
  data: Record<string, unknown> | null;
  error: string | null;
}

const PROBE = '__verdictProbe';
const fromSession = createRequire(createRequire(import.meta.url).resolve('express-session'));
const cookie = fromSession('cookie') as { serialize(name: string, value: string): string };
const signature = fromSession('cookie-signature') as { sign(value: string, secret: string): string };
const PgStore = connectPgSimple(session);

export async function expressVerdicts(
  databaseUrl: string,
  table: string,
  sids: string[],
  secret: string | string[],
  options: { modify?: boolean; rolling?: boolean; timeoutMs?: number } = {},
): Promise<Record<string, Verdict>> {
  const secrets = Array.isArray(secret) ? secret : [secret];
  const dot = table.lastIndexOf('.');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {});
  const store = new PgStore({
    pool,
    tableName: table.slice(dot + 1),
    ...(dot > 0 ? { schemaName: table.slice(0, dot) } : {}),
    pruneSessionInterval: false,
  });
  let errors: string[] = [];

  const app = express();
  app.use(
    session({ store, secret: secrets, resave: false, saveUninitialized: false, rolling: !!options.rolling }),
  );
  app.get('/', (req, res) => {
    if (options.modify) (req.session as unknown as Record<string, unknown>)[PROBE] = Date.now();
    res.json({ id: req.sessionID, session: req.session });
  });
  // Express's final handler, replaced: every error that falls out of the app (each one express-session defers
  // past the body included) is recorded, and answered with a 500 if nothing was sent yet.
  const server = createServer((req, res) =>
    app(req as express.Request, res as express.Response, (error?: unknown) => {
      if (error) errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      if (!res.headersSent) {
        res.statusCode = error ? 500 : 404;
        res.end();
      }
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const get = (header: string) =>
    new Promise<{ status: number; body: string } | null>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { cookie: header } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve(null));
      });
      req.setTimeout(options.timeoutMs ?? 3000, () => req.destroy());
      req.on('error', () => resolve(null)); // a timeout or a reset: no complete response
      req.end();
    });

  const out: Record<string, Verdict> = {};
  try {
    for (const sid of sids) {
      errors = [];
      let header: string;
      try {
        header = cookie.serialize('connect.sid', 's:' + signature.sign(sid, secrets[0]!));
      } catch (error) {
        out[sid] = { served: false, data: null, error: `no cookie can carry this sid: ${String(error)}` };
        continue;
      }
      const response = await get(header);
      await new Promise((resolve) => setTimeout(resolve, 20)); // errors express-session defers past the body
      out[sid] = verdictOf(sid, response, errors);
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    await pool.end();
  }
  return out;
}

function verdictOf(
  sid: string,
  response: { status: number; body: string } | null,
  errors: string[],
): Verdict {
  const no = (why: string): Verdict => ({
    served: false,
    data: null,
    error: errors.length ? `${why}: ${errors.join('; ')}` : why,
  });
  if (!response) return no('no complete response');
  if (response.status !== 200) return no(`HTTP ${response.status}`);
  const body = JSON.parse(response.body) as { id: string; session: Record<string, unknown> };
  if (body.id !== sid) return no('express gave a new, empty session');
  if (errors.length) return no('answered 200, then failed');
  const { cookie: _cookie, [PROBE]: _probe, ...data } = body.session;
  return { served: true, data, error: null };
}
