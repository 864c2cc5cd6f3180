import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { demoUsersDatabase } from './helpers/db.ts';
import { configFile, type ServerProcess, startServerProcess } from './helpers/process.ts';

/** SIGTERM under load: stop accepting, finish every request already accepted, close, exit 0. */

type Outcome = { sentAt: number; endedAt: number } & (
  | { kind: 'answered'; status: number; complete: boolean }
  | { kind: 'refused' }
  | { kind: 'reset'; error: string }
  | { kind: 'cut'; error: string }
);

/**
 * One request on its own connection. Without any answer it was refused or reset before the server read it
 * (a connection still in the kernel's queue when the listener closed); with a partial answer it was cut.
 */
function post(port: number, token: string, body: string): Promise<Outcome> {
  const sentAt = Date.now();
  return new Promise((done) => {
    const resolve = (outcome: Record<string, unknown>) =>
      done({ ...outcome, sentAt, endedAt: Date.now() } as Outcome);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => {
          let complete = false;
          try {
            complete = (JSON.parse(text) as { data?: unknown }).data != null;
          } catch {}
          resolve({ kind: 'answered', status: res.statusCode ?? 0, complete });
        });
        res.on('error', (error) => resolve({ kind: 'cut', error: String(error) }));
        res.on('aborted', () => resolve({ kind: 'cut', error: 'aborted' }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'reset', error: String(error) }),
    );
    req.end(body);
  });
}

describe.skipIf(!process.env['DATABASE_URL'])('graceful shutdown', () => {
  const db = demoUsersDatabase();
  let server: ServerProcess;
  let config: ReturnType<typeof configFile> | undefined;

  beforeAll(async () => {
    // A second of drain delay stands in for the load balancer's deregistration: connections it routed
    // here before the signal are still accepted.
    // No rate limits: twelve clients in a loop are the point here, not a caller to slow down.
    config = configFile({ limits: { perTokenPerMinute: 0, perIpPerMinute: 0 } });
    server = await startServerProcess({
      DATABASE_URL: db.database.url,
      SHUTDOWN_DELAY_SECONDS: '1',
      SESSIONGRAPH_CONFIG: config.path,
    });
    await db.pool.query(`INSERT INTO sessiongraph.sessions (key_hash, user_id, data, expires_at)
      SELECT sha256(('k' || g)::bytea), 1 + g % 3, jsonb_build_object('n', g, 'pad', repeat('x', 500)),
             now() + interval '1 day'
        FROM generate_series(1, 300) g`);
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    config?.remove();
  });

  it('should answer every request it accepted, refuse new ones, and exit 0', async () => {
    const { token } = await createToken(db.pool, 'load', SCOPES, null);
    const body = JSON.stringify({
      query: '{ sessions(first: 100) { edges { node { id data user { username email } } } } }',
    });
    const outcomes: Outcome[] = [];
    let exited = false;
    const loops = Array.from({ length: 12 }, async () => {
      while (!exited) outcomes.push(await post(server.port, token, body));
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const code = await server.stop('SIGTERM');
    exited = true;
    await Promise.all(loops);
    expect(code).toBe(0);

    const log = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map(
        (line) =>
          JSON.parse(line) as {
            msg: string;
            time: number;
            status?: number;
            completed?: boolean;
            inFlight?: number;
          },
      );
    const closing = log.find((line) => line.msg === 'stopped accepting connections');
    expect(closing).toBeDefined();
    const closedAt = closing!.time;

    // No answer was cut short, and every answer was whole.
    expect(outcomes.filter((outcome) => outcome.kind === 'cut')).toEqual([]);
    const answered = outcomes.filter((outcome) => outcome.kind === 'answered');
    expect(answered.every((outcome) => outcome.status === 200 && outcome.complete)).toBe(true);
    // Every request the server read, it answered in full, and the client got that answer: the server's
    // request lines and the client's answers match one for one.
    const served = log.filter((line) => line.msg === 'request');
    expect(served.every((line) => line.status === 200 && line.completed === true)).toBe(true);
    expect(served.length).toBe(answered.length);
    // Requests were in flight when the listener closed, and they finished after it.
    expect(
      answered.filter((outcome) => outcome.sentAt < closedAt && outcome.endedAt > closedAt).length,
    ).toBeGreaterThan(0);
    // Afterwards nothing more was taken in.
    const late = outcomes.filter((outcome) => outcome.sentAt > closedAt + 50);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((outcome) => outcome.kind === 'refused')).toBe(true);
    expect(log.at(-1)!.msg).toBe('shut down');
  }, 60_000);
});
