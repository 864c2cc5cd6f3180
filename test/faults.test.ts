import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createDemoUsers } from '../src/demo/seed.ts';
import { type Cluster, createCluster } from './helpers/cluster.ts';
import { type ServerProcess, startServerProcess } from './helpers/process.ts';

/**
 * PostgreSQL restarts under a steady load of reads and writes. The server keeps running, answers
 * SERVICE_UNAVAILABLE (never an unexpected error) while the database is away, is ready again within 5 s of
 * its return, and clients retrying with idempotency keys end up with every write applied exactly once.
 */

type Answer = { ok: boolean; code: string | null; status: number; id?: string };

describe('database restart under load', () => {
  let cluster: Cluster;
  let pool: Pool;
  let server: ServerProcess;
  let token: string;

  beforeAll(async () => {
    cluster = await createCluster();
    const setup = createPool(cluster.url, 1);
    await createDemoUsers(setup);
    await setup.end();
    // The load is one token from one address, well above the default rate limits.
    const config = join(mkdtempSync(join(tmpdir(), 'sg-faults-')), 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ limits: { perTokenPerMinute: 1_000_000, perIpPerMinute: 1_000_000 } }),
    );
    server = await startServerProcess({
      SESSIONGRAPH_CONFIG: config,
      DATABASE_URL: cluster.url,
      POOL_WAIT_MILLISECONDS: '1000',
      LOG_LEVEL: 'warn',
    });
    pool = createPool(cluster.url, 2);
    token = (await createToken(pool, 'load', SCOPES, null)).token;
    await pool.end();
  }, 120_000);
  afterAll(async () => {
    await server?.stop('SIGKILL');
    cluster?.destroy();
  });

  const call = async (query: string, variables: unknown, key?: string): Promise<Answer> => {
    try {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...(key ? { 'idempotency-key': key } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as {
        data?: { createSession?: { session?: { id: string } } } | null;
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      const error = body.errors?.[0];
      return {
        ok: !error,
        code: error ? (error.extensions?.code ?? error.message) : null,
        status: response.status,
        id: body.data?.createSession?.session?.id,
      };
    } catch (error) {
      return { ok: false, code: `network: ${(error as Error).message}`, status: 0 };
    }
  };

  it('should ride out the restart and lose or double no write', async () => {
    const CREATE = `mutation ($input: CreateSessionInput!) {
      createSession(input: $input) { __typename ... on CreateSessionPayload { session { id } } } }`;
    const READ = '{ sessions(first: 5) { edges { node { id user { username } } } } }';
    let running = true;
    const answers: Answer[] = [];
    const acknowledged = new Map<string, string>();
    let retried = 0;

    const writer = async (w: number) => {
      for (let i = 0; running; i += 1) {
        const key = randomUUID();
        const input = { userId: '1', data: { w, i } };
        for (let attempt = 0; ; attempt += 1) {
          const answer = await call(CREATE, { input }, key);
          answers.push(answer);
          if (answer.ok && answer.id) {
            acknowledged.set(`${w}:${i}`, answer.id);
            if (attempt > 0) retried += 1;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const reader = async () => {
      while (running) {
        answers.push(await call(READ, {}));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const load = [writer(1), writer(2), writer(3), writer(4), reader()];

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = answers.length;
    cluster.stop('fast');
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Down: alive, not ready, and saying why.
    const alive = await fetch(`${server.url}/healthz`).then(
      (response) => response.status,
      () => 0,
    );
    expect(alive, server.output().slice(-3000)).toBe(200);
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    const readiness = JSON.stringify(await notReady.json());
    expect(readiness).toContain('database: unreachable');
    // Nothing of the driver's message (the database's address) to a caller no token vouched for.
    expect(readiness).not.toContain('ECONNREFUSED');
    expect(readiness).not.toContain(`:${new URL(cluster.url).port}`);
    // A token that must be looked up cannot be: refused as unavailable, without the database's error text
    // (its host, port or socket) in the answer.
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer sg_${'A'.repeat(43)}` },
    });
    expect(metrics.status).toBe(503);
    expect(await metrics.json()).toEqual({ status: 'error', reason: 'the probe failed: see the server log' });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2500 - (Date.now() - downAt))));
    cluster.start();
    const upAt = Date.now();
    let readyAt = 0;
    while (Date.now() - upAt < 15_000) {
      if ((await fetch(`${server.url}/readyz`)).status === 200) {
        readyAt = Date.now();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await Promise.all(load);

    expect(server.child.exitCode).toBeNull();
    process.stdout.write(`ready ${readyAt - upAt} ms after the database came back\n`);
    expect(readyAt - upAt).toBeLessThan(5000);
    expect(readyAt).toBeGreaterThan(0);
    const failures = answers.filter((answer) => !answer.ok);
    // The outage was felt, and only ever as "temporarily unavailable" (HTTP 503).
    expect(failures.length).toBeGreaterThan(0);
    expect(
      new Set(failures.map((answer) => answer.code)),
      JSON.stringify(failures.filter((answer) => answer.code !== 'SERVICE_UNAVAILABLE').slice(0, 3)),
    ).toEqual(new Set(['SERVICE_UNAVAILABLE']));
    expect(failures.every((answer) => answer.status === 503)).toBe(true);
    expect(answers.length).toBeGreaterThan(before);
    expect(retried).toBeGreaterThan(0);

    // Every acknowledged write is there once, under the id its client was given; nothing else is.
    const check = createPool(cluster.url, 1);
    const rows = await check.query<{ id: string; w: string; i: string }>(
      `SELECT id::text, data->>'w' AS w, data->>'i' AS i FROM sessiongraph.sessions`,
    );
    await check.end();
    const byOp = new Map<string, string[]>();
    for (const row of rows.rows)
      byOp.set(`${row.w}:${row.i}`, [...(byOp.get(`${row.w}:${row.i}`) ?? []), row.id]);
    expect([...byOp.values()].filter((ids) => ids.length > 1)).toEqual([]);
    expect(rows.rows.length).toBe(acknowledged.size);
    for (const [op, id] of acknowledged) {
      expect(Buffer.from(id, 'base64').toString()).toBe(`Session:native:${byOp.get(op)?.[0]}`);
    }
  }, 90_000);
});
