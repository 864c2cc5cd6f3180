import { afterEach, describe, expect, it } from 'vitest';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { readiness } from '../src/ops/health.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

/**
 * A Django store configured with a SECRET_KEY that verifies none of its rows (another environment's key)
 * says so at start, in the log and in /readyz, and its projection is not rebuilt under that key.
 */
const written = createDjangoCodec({ secretKey: 'the-real-secret' });
const table = `CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY,
  session_data text NOT NULL, expire_date timestamp with time zone NOT NULL)`;

const withRows = (secretKey: string) =>
  startTestApp({
    config: { stores: [{ kind: 'django', name: 'django', secretKey, passwordColumn: 'password_hash' }] },
    setup: async (pool) => {
      await pool.query(table);
      for (let i = 0; i < 30; i += 1) {
        await pool.query(`INSERT INTO django_session VALUES ($1, $2, now() + interval '1 day')`, [
          `row${i}`.padEnd(32, 'x'),
          written.encode({ _auth_user_id: '1', n: i } as never, new Date()),
        ]);
      }
    },
  });

describe('a secret that verifies no stored row', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('should be reported at start and in /readyz, and hold the projection back', async () => {
    t = await withRows('a-wrong-secret');
    const ready = await readiness(t.app, false);
    expect(ready.ready).toBe(false);
    expect(ready.reasons.join('\n')).toMatch(
      /secrets: django store "django": 0 of 30 sampled rows verify with the configured secret/,
    );
    const progress = await t.app.projector.backfill(t.pool, t.app.frameworkStores.get('django')!);
    expect(progress).toMatchObject({ rows: 0, done: false });
    expect(t.app.projector.isReady('django')).toBe(false);
    const projected = await t.pool.query(
      "SELECT count(*)::int AS n FROM sessiongraph.projection WHERE store = 'django'",
    );
    expect(projected.rows[0]).toEqual({ n: 0 });
  });

  it('should say nothing when the secret verifies the rows', async () => {
    t = await withRows('the-real-secret');
    expect(t.app.projector.held.size).toBe(0);
    expect((await readiness(t.app, false)).checks['secrets']).toBeUndefined();
  });
});
