import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import connectPgSimple from 'connect-pg-simple';
import express from 'express';
import session from 'express-session';
import pg from 'pg';

/**
 * A real express application with express-session and connect-pg-simple, as an application would
 * write it, listening on a loopback port, and a tiny browser (a cookie jar) to drive it over HTTP.
 */

declare module 'express-session' {
  interface SessionData {
    /** passport's layout: `serializeUser` puts the user's key here. */
    passport: { user: number };
  }
}

export const EXPRESS_SECRETS = ['new secret', 'old secret'];
export const COOKIE_MAX_AGE_MS = 3600_000;

export interface ExpressApp {
  url: string;
  /** express's own pool: its session TimeZone is the one `expire` is written in. */
  pool: pg.Pool;
  /** The `session` row as connect-pg-simple sees it: `expire` read in the writer's TimeZone. */
  row(sid: string): Promise<{ sess: Record<string, unknown>; expireMs: number } | null>;
  close(): Promise<void>;
}

const PgStore = connectPgSimple(session);

/**
 * Creates connect-pg-simple's table with connect-pg-simple's own code (its `createTableIfMissing`
 * runs the table.sql it ships), so sessiongraph starts against exactly the table the framework makes.
 */
export async function createSessionTable(pool: pg.Pool): Promise<void> {
  const store = new PgStore({ pool, createTableIfMissing: true, pruneSessionInterval: false });
  await new Promise<void>((resolve, reject) =>
    store.get('no-such-session', (error) => (error ? reject(error) : resolve())),
  );
  await store.close();
}

export async function startExpressApp(
  databaseUrl: string,
  options: {
    timeZone?: string;
    embedded: boolean;
    /** The session cookie's maxAge; null leaves it unset (a browser-session cookie, `expires: null`). */
    cookieMaxAge?: number | null;
  },
): Promise<ExpressApp> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 4,
    // The writer's session TimeZone decides the wall time stored in `expire` (timestamp without zone).
    ...(options.timeZone ? { options: `-c TimeZone=${options.timeZone}` } : {}),
  });
  pool.on('error', () => {});
  if (options.timeZone && options.embedded) {
    // PGlite ignores startup options, and all its connections share one backend session: set the zone
    // there, which (unlike on a real server) also moves the zone of sessiongraph's own connections.
    await pool.query(`SET TimeZone = '${options.timeZone}'`);
  }
  const store = new PgStore({ pool, createTableIfMissing: true, pruneSessionInterval: false });

  const app = express();
  app.use(express.json());
  app.use(
    session({
      store,
      secret: EXPRESS_SECRETS,
      resave: false,
      saveUninitialized: false,
      cookie: options.cookieMaxAge === null ? {} : { maxAge: options.cookieMaxAge ?? COOKIE_MAX_AGE_MS },
    }),
  );
  // express-session always gives a request a session; "none" means the store has no row for its id.
  const stored = (sid: string) =>
    new Promise<boolean>((resolve, reject) =>
      store.get(sid, (error, sess) => (error ? reject(error) : resolve(Boolean(sess)))),
    );
  app.post('/login/:id', (req, res) => {
    req.session.passport = { user: Number(req.params['id']) };
    res.json({ sid: req.sessionID });
  });
  app.post('/set', (req, res) => {
    Object.assign(req.session, req.body);
    res.json({ sid: req.sessionID });
  });
  app.get('/me', async (req, res) => {
    if (!(await stored(req.sessionID))) {
      res.status(401).json({ error: 'no session' });
      return;
    }
    res.json(req.session);
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.status(204).end()));
  });

  const server: Server = createServer(app);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    pool,
    async row(sid) {
      const result = await pool.query<{ sess: Record<string, unknown>; expire_ms: number }>(
        `SELECT sess, extract(epoch FROM expire::timestamptz)::float8 * 1000 AS expire_ms FROM "session" WHERE sid = $1`,
        [sid],
      );
      const found = result.rows[0];
      return found ? { sess: found.sess, expireMs: found.expire_ms } : null;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await pool.end();
    },
  };
}

/** A browser of one site: keeps the `connect.sid` cookie express sets and sends it back. */
export class Browser {
  /** `connect.sid=<value as sent, URL-encoded>`, or null before the first Set-Cookie. */
  cookie: string | null = null;
  /** The whole last `Set-Cookie` for `connect.sid`, attributes included. */
  setCookie: string | null = null;

  constructor(private readonly baseUrl: string) {}

  /** The signed value (`s:<sid>.<sig>`), decoded as express-session reads it. */
  get signedValue(): string {
    if (!this.cookie) throw new Error('the browser has no cookie');
    return decodeURIComponent(this.cookie.slice(this.cookie.indexOf('=') + 1));
  }

  get sid(): string {
    const value = this.signedValue;
    return value.slice(2, value.lastIndexOf('.'));
  }

  /**
   * One request, read to the end: express-session holds back the last byte of the body until the store
   * has saved or touched the session, so a complete body means the row is written.
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; ok: boolean; text: string }> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers['cookie'] = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!;
      if (pair.startsWith('connect.sid=')) {
        this.cookie = pair;
        this.setCookie = line;
      }
    }
    return { status: response.status, ok: response.ok, text: await response.text() };
  }

  /** `GET /me`: the session as express loaded it, or null on 401. */
  async me(): Promise<Record<string, unknown> | null> {
    const response = await this.request('GET', '/me');
    if (response.status === 401) return null;
    if (!response.ok) throw new Error(`GET /me: ${response.status} ${response.text}`);
    return JSON.parse(response.text) as Record<string, unknown>;
  }
}
