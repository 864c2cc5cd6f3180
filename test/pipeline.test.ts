import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelinedReads, type PipelinedReads } from '../src/db/pipeline.ts';
import { createPool, type Pool } from '../src/db/pool.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

/** The backends of this database other than the asking one: the pipelined connections. */
async function backends(admin: pg.Client): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND backend_type = 'client backend'`,
  );
  return rows.map((row) => row.pid);
}

describe('pipelined reads', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  let reads: PipelinedReads;
  let lanes: number;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // PGlite serves every connection from one backend, so two connections would share their prepared
    // statements' names: the embedded server gets one (and the embedded demo none, src/main.ts).
    lanes = database.embedded ? 1 : 2;
    pool = createPool(database.url, 2);
    reads = createPipelinedReads(database.url, lanes, { statementMilliseconds: 300 }, pool);
  });

  afterAll(async () => {
    await reads.end();
    await pool.end();
    await admin.end();
    await database.drop();
  });

  it('should answer many statements at once, each with its own rows, on two connections (one on PGlite)', async () => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        reads.query<{ n: number; pid: number }>('/* echo */ SELECT $1::int AS n, pg_backend_pid() AS pid', [
          i,
        ]),
      ),
    );
    expect(answers.map((answer) => answer.rows[0]!.n)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const pids = new Set(answers.map((answer) => answer.rows[0]!.pid));
    expect(pids.size).toBe(lanes);
    if (!database.embedded) expect(new Set(await backends(admin))).toEqual(pids);
  });

  it('should fail only the statement that fails, not those sent with it', async () => {
    const settled = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        reads.query<{ n: number }>('/* everyFifthFails */ SELECT 10 / ($1::int % 5) AS n', [i]),
      ),
    );
    settled.forEach((result, i) => {
      if (i % 5 === 0) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason.code).toBe('22012'); // division_by_zero
      } else {
        expect(result).toEqual({ status: 'fulfilled', value: expect.anything() });
        expect((result as PromiseFulfilledResult<pg.QueryResult<{ n: number }>>).value.rows[0]!.n).toBe(
          Math.trunc(10 / (i % 5)),
        );
      }
    });
  });

  it.skipIf(!process.env['DATABASE_URL'])(
    'should time a slow statement out alone and keep the connection for the next ones',
    async () => {
      const slow = reads.query('SELECT pg_sleep(2)');
      const [late, quick] = await Promise.allSettled([slow, reads.query<{ n: number }>('SELECT 1 AS n')]);
      expect(late.status).toBe('rejected');
      expect((late as PromiseRejectedResult).reason.code).toBe('57014'); // query_canceled (statement_timeout)
      expect(quick.status).toBe('fulfilled');
      const after = await reads.query<{ n: number }>('SELECT 2 AS n');
      expect(after.rows[0]!.n).toBe(2);
    },
  );

  it.skipIf(!process.env['DATABASE_URL'])(
    'should open a new connection after one is lost, failing only what was in flight on it',
    async () => {
      const before = await backends(admin);
      expect(before.length).toBe(2);
      const inFlight = Promise.allSettled(
        Array.from({ length: 6 }, () => reads.query('SELECT pg_sleep(0.2)')),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
      const results = await inFlight;
      expect(results.some((result) => result.status === 'rejected')).toBe(true);
      // The next statements go to fresh connections and succeed.
      const again = await Promise.all(
        Array.from({ length: 10 }, (_, i) => reads.query<{ n: number }>('SELECT $1::int AS n', [i])),
      );
      expect(again.map((answer) => answer.rows[0]!.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const after = await backends(admin);
      expect(after.length).toBe(2);
      expect(after.some((pid) => before.includes(pid))).toBe(false);
    },
  );

  it.skipIf(!process.env['DATABASE_URL'])(
    'should send statements to the pool, not behind a stalled one',
    async () => {
      const own = createPipelinedReads(database.url, 1, {}, pool, 30);
      try {
        const lanePid = (await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        let slowDone = false;
        const slow = own.query('SELECT pg_sleep(0.5)').then(() => {
          slowDone = true;
        });
        // Within the stall limit, the next statement queues behind the slow one on the same connection.
        const behind = own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await new Promise((resolve) => setTimeout(resolve, 80));
        const around = await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        expect(around.rows[0]!.pid).not.toBe(lanePid);
        expect(slowDone).toBe(false);
        expect((await behind).rows[0]!.pid).toBe(lanePid);
        await slow;
        expect(own.counts()).toEqual({ pipeline: 3, fallback: 1 });
        // Once the slow statement is answered, the connection takes statements again.
        expect((await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid).toBe(
          lanePid,
        );
      } finally {
        await own.end();
      }
    },
  );

  it('should answer through the pool while its own connection cannot be opened, and not retry at once', async () => {
    // A port nothing listens on: every connection attempt is refused.
    const closed = new URL(database.url);
    closed.port = '1';
    const own = createPipelinedReads(closed.toString(), 1, {}, pool);
    try {
      await expect(own.query('SELECT 1')).rejects.toThrow();
      // Within the second after that attempt, statements go to the pool instead of a new attempt each.
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) => own.query<{ n: number }>('SELECT $1::int AS n', [i])),
      );
      expect(answers.map((answer) => answer.rows[0]!.n)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await own.end();
    }
  });

  it('should close its connections on end and refuse statements after it', async () => {
    const own = createPipelinedReads(database.url, 1, {}, pool);
    expect((await own.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n).toBe(1);
    const open = database.embedded ? [] : await backends(admin);
    await own.end();
    await expect(own.query('SELECT 1')).rejects.toThrow(/closed/);
    if (!database.embedded) expect((await backends(admin)).length).toBe(open.length - 1);
  });
});
