import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BatchReport, SweepStalledError, sweepExpired } from '../src/sessions/sweep.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { readIndexLeadingColumns } from '../src/users/catalog.sql.ts';
import { DJANGO_SESSION_TABLE } from './helpers/seed.ts';
import { until } from './helpers/until.ts';

const LOCK_MS = 100;

/** A delete that takes `seconds` a row, as a slow trigger or a cold disk would make it. */
const slowDeletes = (seconds: number) => `
  CREATE OR REPLACE FUNCTION public.slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN PERFORM pg_sleep(${seconds}); RETURN OLD; END $$;
  DROP TRIGGER IF EXISTS slow_delete ON sessiongraph.sessions;
  CREATE TRIGGER slow_delete BEFORE DELETE ON sessiongraph.sessions FOR EACH ROW EXECUTE FUNCTION public.slow_delete();`;

async function seedExpired(t: TestApp, count: number): Promise<string[]> {
  const result = await t.pool.query<{ id: string }>(
    `INSERT INTO sessiongraph.sessions (key_hash, data, created_at, expires_at)
     SELECT sha256(convert_to('sweep-' || g || '-' || gen_random_uuid(), 'UTF8')), '{}', now() - interval '2 hours',
            now() - interval '1 hour'
       FROM generate_series(1, $1) AS g RETURNING id`,
    [count],
  );
  return result.rows.map((row) => row.id);
}

// PGlite runs every statement on one thread with no timer to cancel it: statement_timeout needs a server.
describe.skipIf(!process.env['DATABASE_URL'])('sweep: batches no writer waits long behind', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { sweepBatchSize: 1000, sweepLockMilliseconds: LOCK_MS } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.pool.query('DROP TRIGGER IF EXISTS slow_delete ON sessiongraph.sessions');
    await t.pool.query('DELETE FROM sessiongraph.sessions');
  });

  it('should cancel a batch that holds its rows past sweepLockMilliseconds, retry smaller, and still delete every expired row', async () => {
    await seedExpired(t, 150);
    const live = await t.pool.query<{ id: string }>(
      `INSERT INTO sessiongraph.sessions (key_hash, data, expires_at)
       VALUES (sha256('live'::bytea), '{}', now() + interval '1 hour') RETURNING id`,
    );
    // 5 ms a row: the first batch (100 rows) needs 500 ms, five times what a batch may hold.
    await t.pool.query(slowDeletes(0.005));
    const batches: BatchReport[] = [];
    const deleted = await sweepExpired(t.app, t.app.pool, (_store, _total, batch) => batches.push(batch));
    expect(deleted).toEqual({ native: 150 });
    const cancelled = batches.filter((batch) => batch.cancelled);
    expect(cancelled.length).toBeGreaterThan(0);
    expect(cancelled[0]).toMatchObject({ rows: 0, size: 100 });
    // After a cancel the next batch is a quarter of the size, and later ones stay under what fits.
    const after = batches[batches.indexOf(cancelled[0]!) + 1]!;
    expect(after.size).toBe(25);
    const left = await t.pool.query<{ id: string }>('SELECT id FROM sessiongraph.sessions');
    expect(left.rows.map((row) => row.id)).toEqual([live.rows[0]!.id]);
    // The batches' limit and their commit that does not wait for the disk were their own (SET LOCAL): every
    // pooled connection keeps the server's settings.
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => t.app.pool.connect()));
    try {
      for (const client of clients) {
        const shown = await client.query<{ statement_timeout: string; synchronous_commit: string }>(
          "SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('synchronous_commit') AS synchronous_commit",
        );
        expect(shown.rows[0]!.statement_timeout).not.toBe(`${LOCK_MS}ms`);
        expect(shown.rows[0]!.synchronous_commit).toBe('on');
      }
    } finally {
      for (const client of clients) client.release();
    }
  });

  it('should rest between batches as long as sweepDutyCycle leaves, batch for batch', async () => {
    await seedExpired(t, 400);
    // 1 ms a row: batches of 100 rows or so, each about a tenth of a second.
    await t.pool.query(slowDeletes(0.001));
    const ends: { at: number; ms: number }[] = [];
    const scope = { ...t.app, config: { ...t.app.config, sweepBatchSize: 100, sweepDutyCycle: 0.25 } };
    expect(
      await sweepExpired(scope, t.app.pool, (_store, _total, batch) => {
        if (!batch.cancelled) ends.push({ at: performance.now(), ms: batch.ms });
      }),
    ).toEqual({ native: 400 });
    expect(ends.length).toBeGreaterThan(1);
    // At a quarter of the time busy, a batch of t ms is followed by 3t ms of rest before the next one's t.
    for (let i = 1; i < ends.length; i += 1) {
      expect(ends[i]!.at - ends[i - 1]!.at).toBeGreaterThanOrEqual(3 * ends[i - 1]!.ms + ends[i]!.ms - 1);
    }
  });

  it('should never make a writer of an expired row wait past a generous lock_timeout while it sweeps', async () => {
    const ids = await seedExpired(t, 400);
    await t.pool.query(slowDeletes(0.005));
    const writer = new pg.Client({ connectionString: t.database.url });
    await writer.connect();
    try {
      // Ten times what a batch may hold: a writer behind a whole 1,000-row batch (5 s) would fail here.
      await writer.query(`SET lock_timeout = '${LOCK_MS * 10}ms'`);
      let sweeping = true;
      const sweep = sweepExpired(t.app, t.app.pool).finally(() => {
        sweeping = false;
      });
      let updates = 0;
      // Round and round the expired rows until the sweep ends: some it has not reached, some it holds.
      for (let index = 0; sweeping; index = (index + 7) % ids.length) {
        await writer.query(`UPDATE sessiongraph.sessions SET data = '{"touched":true}' WHERE id = $1`, [
          ids[index],
        ]);
        updates += 1;
      }
      // A row the writer held when its batch came is skipped; the next sweep takes it.
      const first = (await sweep)['native'] ?? 0;
      const second = (await sweepExpired(t.app, t.app.pool))['native'] ?? 0;
      expect(first + second).toBe(400);
      expect(updates).toBeGreaterThan(0);
    } finally {
      await writer.end();
    }
  });

  it('should skip a row a writer holds, sweep the rest, and take that row on a later sweep', async () => {
    const ids = await seedExpired(t, 300);
    const writer = new pg.Client({ connectionString: t.database.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('SELECT 1 FROM sessiongraph.sessions WHERE id = $1 FOR UPDATE', [ids[150]]);
      expect(await sweepExpired(t.app, t.app.pool)).toEqual({ native: 299 });
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    expect(await sweepExpired(t.app, t.app.pool)).toEqual({ native: 1 });
  });

  it('should go on from where its last search ended, batch after batch, not walk again from the first expiry', async () => {
    // 2,500 expiries a second apart, and 1,200 more all at one instant: more than a search (1,000) of ties.
    const spread = await t.pool.query<{ id: string }>(
      `INSERT INTO sessiongraph.sessions (key_hash, data, created_at, expires_at)
       SELECT sha256(convert_to('spread-' || g, 'UTF8')), '{}', now() - interval '2 days',
              now() - interval '1 hour' - make_interval(secs => g)
         FROM generate_series(1, 2500) AS g ORDER BY g DESC RETURNING id`,
    );
    await seedExpired(t, 1200);
    const native = t.app.stores.get('native')!;
    const first = await native.expiredKeys(t.app.pool, new Date(), 1000, null);
    expect(first.keys).toEqual(spread.rows.slice(0, 1000).map((row) => row.id));
    const next = await native.expiredKeys(t.app.pool, new Date(), 1000, first.last);
    expect(next.keys[0]).toBe(spread.rows[999]!.id);
    // A row of the first search, held by a writer through the sweep's first batch, then let go: a search
    // from the first expiry would find it again; one from where the last ended leaves it for the next sweep.
    const held = spread.rows[10]!.id;
    const writer = new pg.Client({ connectionString: t.database.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('SELECT 1 FROM sessiongraph.sessions WHERE id = $1 FOR UPDATE', [held]);
      let released: Promise<unknown> | null = null;
      const deleted = await sweepExpired(t.app, t.app.pool, () => {
        released ??= writer.query('COMMIT');
      });
      await released;
      expect(deleted).toEqual({ native: 3699 });
    } finally {
      await writer.end();
    }
    const left = await t.pool.query<{ id: string }>('SELECT id FROM sessiongraph.sessions');
    expect(left.rows.map((row) => row.id)).toEqual([held]);
    expect(await sweepExpired(t.app, t.app.pool)).toEqual({ native: 1 });
  });

  it('should rest and retry single rows, then stop with SweepStalledError when each takes longer than sweepLockMilliseconds, deleting none', async () => {
    await seedExpired(t, 3);
    await t.pool.query(slowDeletes((LOCK_MS * 2) / 1000));
    const failure = await sweepExpired(t.app, t.app.pool).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SweepStalledError);
    expect((failure as Error).message).toMatch(/sweepLockMilliseconds \(100 ms\), 6 times in a row/);
    const left = await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sessiongraph.sessions');
    expect(left.rows[0]!.n).toBe(3);
  });
});

describe.skipIf(!process.env['DATABASE_URL'])('sweep: a framework store', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'django', name: 'django', secretKey: 'sweep-test-secret', passwordColumn: 'password_hash' },
        ],
      },
      setup: async (pool) => {
        await pool.query(DJANGO_SESSION_TABLE);
        // As Django's migration makes it (`expire_date` has db_index=True).
        await pool.query('CREATE INDEX django_session_expire_date_a5c62663 ON django_session (expire_date)');
      },
    });
  });
  afterAll(() => t.close());

  it('should delete expired framework rows and their projection rows in one statement, with the capture quiet, its keys still queued, and the sync workers woken after', async () => {
    await t.pool.query(
      `INSERT INTO django_session SELECT 'k' || g || md5(random()::text), 'e30:1', now() - interval '1 hour'
         FROM generate_series(1, 40) AS g`,
    );
    await t.sync();
    const count = async (sql: string) => (await t.pool.query<{ n: number }>(sql)).rows[0]!.n;
    const projected = () =>
      count("SELECT count(*)::int AS n FROM sessiongraph.projection WHERE store = 'django'");
    const expiredEvents = () =>
      count(
        `SELECT count(*)::int AS n FROM sessiongraph.event_outbox
          WHERE payload::json->>'s' = 'django' AND payload::json->>'k' = 'expired'`,
      );
    expect(await projected()).toBe(40);
    await t.pool.query('DELETE FROM sessiongraph.event_outbox');
    const listener = new pg.Client({ connectionString: t.database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message) => heard.push(message.payload ?? ''));
    await listener.query('LISTEN sessiongraph_changes');
    try {
      expect(await sweepExpired(t.app, t.app.pool)).toEqual({ django: 40 });
      // Gone from the projection as the batch committed, each with its event, before any sync worker ran.
      expect(await projected()).toBe(0);
      expect(await expiredEvents()).toBe(40);
      expect(await count("SELECT count(*)::int AS n FROM sessiongraph.changes WHERE store = 'django'")).toBe(
        40,
      );
      await until(() => heard.includes('django'));
      expect(await t.sync()).toBe(40);
      expect(await projected()).toBe(0);
      // The sync worker found nothing left to remove: no second event.
      expect(await expiredEvents()).toBe(40);
    } finally {
      await listener.end();
    }
  });

  it("should call a framework session it deletes expired by its own clock, where the database's clock still has it live", async () => {
    await t.pool.query(
      `INSERT INTO django_session SELECT 'ahead' || g, 'e30:1', now() + interval '30 minutes'
         FROM generate_series(1, 3) AS g`,
    );
    await t.sync();
    await t.pool.query('DELETE FROM sessiongraph.event_outbox');
    t.setNow(new Date(Date.now() + 3_600_000));
    try {
      expect(await sweepExpired(t.app, t.app.pool)).toEqual({ django: 3 });
    } finally {
      t.setNow(null);
    }
    const kinds = await t.pool.query<{ k: string }>(
      `SELECT payload::json->>'k' AS k FROM sessiongraph.event_outbox WHERE payload::json->>'s' = 'django'`,
    );
    expect(kinds.rows.map((row) => row.k)).toEqual(['expired', 'expired', 'expired']);
  });

  it('should wait on no lock: it leaves a key a sync batch holds for the next sweep, and a projection row another transaction holds to the queued key', async () => {
    await t.pool.query(
      `INSERT INTO django_session VALUES ('held', 'e30:1', now() - interval '1 hour'),
         ('busy', 'e30:1', now() - interval '1 hour')`,
    );
    await t.sync();
    await t.pool.query('DELETE FROM sessiongraph.event_outbox');
    const other = new pg.Client({ connectionString: t.database.url });
    await other.connect();
    try {
      // A sync batch that has locked 'held' (and will read it), and a transaction holding the projection row
      // of 'busy' first, as endUserSessions does.
      await other.query('BEGIN');
      await other.query("SELECT pg_advisory_xact_lock(hashtextextended('django' || ':' || 'held', 0))");
      await other.query("SELECT 1 FROM sessiongraph.projection WHERE session_key = 'busy' FOR UPDATE");
      const started = performance.now();
      expect(await sweepExpired(t.app, t.app.pool)).toEqual({ django: 1 });
      expect(performance.now() - started).toBeLessThan(LOCK_MS * 5);
      const left = await t.pool.query<{ session_key: string }>(
        "SELECT session_key FROM django_session WHERE session_key IN ('held', 'busy')",
      );
      expect(left.rows.map((row) => row.session_key)).toEqual(['held']);
      await other.query('ROLLBACK');
    } finally {
      await other.end();
    }
    // The queued key of 'busy' removes its projection row; 'held' goes with the next sweep.
    await t.sync();
    expect(await sweepExpired(t.app, t.app.pool)).toEqual({ django: 1 });
    await t.sync();
    expect(
      (await t.pool.query("SELECT 1 FROM sessiongraph.projection WHERE session_key IN ('held', 'busy')"))
        .rowCount,
    ).toBe(0);
    const events = await t.pool.query<{ r: string; k: string }>(
      `SELECT payload::json->>'k' AS k, payload::json->>'r' AS r FROM sessiongraph.event_outbox
        WHERE payload::json->>'s' = 'django'`,
    );
    expect(events.rows.map((row) => row.k)).toEqual(['expired', 'expired']);
    expect(new Set(events.rows.map((row) => row.r)).size).toBe(2);
  });

  it('should find expired sessions earliest first along the table index on expire_date, so a search at the end of a sweep stops at its limit', async () => {
    // Inserted in a shuffled order: a scan would find them in that order.
    await t.pool.query(
      `INSERT INTO django_session
       SELECT 'order' || g, 'e30:1', now() - make_interval(mins => g) FROM generate_series(1, 30) AS g ORDER BY random()`,
    );
    const store = t.app.stores.get('django')!;
    const first = await store.expiredKeys(t.app.pool, new Date(), 5, null);
    expect(first.keys).toEqual(['order30', 'order29', 'order28', 'order27', 'order26']);
    // The next search goes on from the last expiry found (included: that row may still be there).
    await t.pool.query("DELETE FROM django_session WHERE session_key IN ('order30', 'order29', 'order28')");
    const next = await store.expiredKeys(t.app.pool, new Date(), 5, first.last);
    expect(next.keys).toEqual(['order26', 'order25', 'order24', 'order23', 'order22']);
    await t.pool.query("DELETE FROM django_session WHERE session_key LIKE 'order%'");
  });

  it('should walk only an index that keeps its order: a btree ascending (or its reverse), not BRIN or hash', async () => {
    await t.pool.query(`CREATE TABLE index_kinds (a timestamptz, b timestamptz, c timestamptz, d timestamptz, e timestamptz);
      CREATE INDEX ON index_kinds (a); CREATE INDEX ON index_kinds (b DESC);
      CREATE INDEX ON index_kinds USING brin (c); CREATE INDEX ON index_kinds USING hash (d);
      CREATE INDEX ON index_kinds (e DESC NULLS LAST)`);
    try {
      expect([...(await readIndexLeadingColumns(t.pool, 'public.index_kinds'))].sort()).toEqual(['a', 'b']);
    } finally {
      await t.pool.query('DROP TABLE index_kinds');
    }
  });

  it("should plan the sync worker's claim for the queue as it is at each run, never as a prepared statement", async () => {
    // Claims of an empty queue first: a prepared claim would settle on a plan made for an empty table.
    for (let i = 0; i < 8; i += 1) await t.sync();
    await t.pool.query(
      `INSERT INTO django_session SELECT 'queued' || g, 'e30:1', now() + interval '1 hour' FROM generate_series(1, 600) AS g`,
    );
    expect(await t.sync()).toBe(600);
    // Every connection of the pool at once, so each is asked what it has prepared.
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => t.pool.connect()));
    try {
      const prepared = (
        await Promise.all(
          clients.map((client) =>
            client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements'),
          ),
        )
      ).flatMap((result) => result.rows.map((row) => row.statement));
      expect(prepared.some((text) => text.includes('lockProjectionKeys'))).toBe(true);
      expect(prepared.filter((text) => text.includes('claimChanges'))).toEqual([]);
    } finally {
      for (const client of clients) client.release();
    }
    await t.pool.query("DELETE FROM django_session WHERE session_key LIKE 'queued%'");
    await t.sync();
  });
});
