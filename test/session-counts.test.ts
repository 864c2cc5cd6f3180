import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

/**
 * `sessionStats` by store and status reads counts kept by triggers (src/db/session-counts.ts). Whatever
 * writes the tables — many rows in one statement, one at a time, the API, a sweep, a TRUNCATE, the
 * projection's sync, concurrent connections — the counts must equal a scan of `sessiongraph.all_sessions`,
 * including sessions that expire within the current hour.
 */

const SECRET = 'counts-test-secret';
const django = createDjangoCodec({ secretKey: SECRET });

const Stats = graphql(`
  query CountedStats($store: String, $status: SessionStatus) {
    sessionStats(store: $store, status: $status) { store status value count }
  }
`);

const Extend = graphql(`
  mutation CountsExtend($input: UpdateSessionInput!) {
    updateSession(input: $input) { __typename }
  }
`);

describe('session counts', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, passwordColumn: 'password_hash' },
        ],
      },
      setup: async (pool) => {
        await pool.query(`CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY,
          session_data text NOT NULL, expire_date timestamp with time zone NOT NULL)`);
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const scanned = async (store: string | null = null, status: string | null = null) =>
    (
      await t.pool.query<{ store: string; status: string; value: null; count: number }>(
        `SELECT store, status, NULL AS value, count(*)::int AS count FROM sessiongraph.all_sessions
          WHERE ($1::text IS NULL OR store = $1) AND ($2::text IS NULL OR status = $2)
          GROUP BY 1, 2 ORDER BY 1, 2`,
        [store, status],
      )
    ).rows;

  const expectCounted = async (when: string) => {
    const counted = await t.graphql(Stats, {});
    expect(counted.errors, when).toBeUndefined();
    expect(counted.data!.sessionStats, when).toEqual(await scanned());
    for (const [store, status] of [
      ['native', null],
      ['django', 'EXPIRED'],
      [null, 'ACTIVE'],
    ] as const) {
      const filtered = await t.graphql(Stats, { store, status });
      expect(filtered.data!.sessionStats, `${when}, ${store} ${status}`).toEqual(
        await scanned(store, status),
      );
    }
  };

  /** Expiries around now: past hours, this hour either side of now, the next hours, far ahead. */
  const OFFSETS_MINUTES = [-3000, -120, -61, -30, -1, 1, 30, 59, 61, 600, 100_000];
  const offsets = (n: number) =>
    Array.from({ length: n }, (_, i) => OFFSETS_MINUTES[i % OFFSETS_MINUTES.length]!);

  it('should count native rows however they are written, moved and removed', async () => {
    await expectCounted('empty');
    // Many rows in one statement, then one at a time.
    await t.pool.query(
      `INSERT INTO sessiongraph.sessions (key_hash, user_id, expires_at)
         SELECT sha256(i::text::bytea), 1 + i % 5, now() + make_interval(mins => m)
           FROM unnest($1::int[]) WITH ORDINALITY AS o(m, i)`,
      [offsets(300)],
    );
    for (const [i, minutes] of offsets(11).entries()) {
      await t.pool.query(
        `INSERT INTO sessiongraph.sessions (key_hash, expires_at) VALUES (sha256($1::bytea), now() + make_interval(mins => $2))`,
        [`one-${i}`, minutes],
      );
    }
    await expectCounted('inserted');

    // Moved across hours by SQL and by the API; data changes and touches move nothing.
    await t.pool.query(
      `UPDATE sessiongraph.sessions SET expires_at = expires_at + interval '2 hours' WHERE user_id = 1`,
    );
    await t.pool.query(
      `UPDATE sessiongraph.sessions SET data = '{"x": 1}', last_seen_at = now() WHERE user_id = 2`,
    );
    await t.pool.query(
      `UPDATE sessiongraph.sessions SET expires_at = now() - interval '5 minutes' WHERE user_id = 3 AND expires_at > now()`,
    );
    const { rows } = await t.pool.query<{ id: string }>(
      'SELECT id::text FROM sessiongraph.sessions WHERE user_id = 4 AND expires_at > now() LIMIT 3',
    );
    for (const row of rows) {
      const id = Buffer.from(`Session:native:${row.id}`).toString('base64');
      const result = await t.graphql(Extend, { input: { id, ttlSeconds: 86_400 } });
      expect(result.data!.updateSession.__typename).toBe('UpdateSessionPayload');
    }
    await expectCounted('moved');

    // Deleted in a batch, one by one, and by concurrent connections at once.
    await t.pool.query(`DELETE FROM sessiongraph.sessions WHERE expires_at < now() - interval '1 hour'`);
    await t.pool.query(
      `DELETE FROM sessiongraph.sessions WHERE id = (SELECT id FROM sessiongraph.sessions LIMIT 1)`,
    );
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        t.pool.query(
          `INSERT INTO sessiongraph.sessions (key_hash, expires_at)
             SELECT sha256(('c${i}-' || g)::bytea), now() + make_interval(mins => g - 50) FROM generate_series(1, 100) g`,
        ),
      ),
    );
    await expectCounted('deleted and inserted concurrently');
    const slots = await t.pool.query<{ n: number }>(
      `SELECT count(DISTINCT slot)::int AS n FROM sessiongraph.session_counts WHERE store = ''`,
    );
    expect(slots.rows[0]!.n).toBeGreaterThan(1);

    await t.pool.query('TRUNCATE sessiongraph.sessions CASCADE');
    await expectCounted('truncated');
  });

  it('should count projected framework sessions, valid or not, as the projection changes', async () => {
    const now = new Date();
    const rows = offsets(44).map((minutes, i) => [
      `d${String(i).padStart(31, '0')}`,
      i % 7 === 0 ? 'not a django session' : django.encode({ i } as never, now),
      new Date(now.getTime() + minutes * 60_000),
    ]);
    await t.pool.query(
      'INSERT INTO django_session SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])',
      [rows.map((row) => row[0]), rows.map((row) => row[1]), rows.map((row) => row[2])],
    );
    await t.sync();
    const invalid = await scanned('django', 'INVALID');
    expect(invalid[0]?.count).toBeGreaterThan(0);
    await expectCounted('projected');

    // A framework write that turns a valid session invalid and moves others: the sync applies it.
    await t.pool.query(`UPDATE django_session SET session_data = 'broken' WHERE session_key = $1`, [
      rows[1]![0],
    ]);
    await t.pool.query(
      `UPDATE django_session SET expire_date = now() + interval '3 days' WHERE session_key = $1`,
      [rows[2]![0]],
    );
    await t.pool.query(`DELETE FROM django_session WHERE session_key = $1`, [rows[3]![0]]);
    await t.sync();
    await expectCounted('synced');

    await t.pool.query('TRUNCATE django_session');
    await t.sync();
    await expectCounted('framework table truncated');
  });

  it('should prune counter rows of past hours that sum to nothing', async () => {
    const { pruneCounts } = await import('../src/db/session-counts.ts');
    await t.pool.query(
      `INSERT INTO sessiongraph.sessions (key_hash, expires_at)
         SELECT sha256(('p' || g)::bytea), now() - interval '3 hours' FROM generate_series(1, 10) g`,
    );
    await t.pool.query(`DELETE FROM sessiongraph.sessions WHERE expires_at < now() - interval '2 hours'`);
    const zero = async () =>
      (
        await t.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM sessiongraph.session_counts WHERE n = 0 AND hour < now() - interval '1 hour'`,
        )
      ).rows[0]!.n;
    expect(await zero()).toBeGreaterThan(0);
    await pruneCounts(t.pool, 1000);
    expect(await zero()).toBe(0);
    await expectCounted('pruned');
  });
});
