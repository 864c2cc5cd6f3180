import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpired } from '../src/sessions/sweep.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';

const run = promisify(execFile);

const StatusOf = graphql(`
  query StatusOf($id: ID!) {
    session(id: $id) { status expiresAt }
  }
`);

const Mine = graphql(`
  query Mine {
    currentSession { id }
  }
`);

describe('expiry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { sweepBatchSize: 7 } });
  });
  afterAll(() => t.close());

  it('should turn a session EXPIRED the moment its expiry passes, and currentSession ignores it', async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    const seeded = await nativeSession(t.pool, { expiresAt });
    t.setNow(new Date(expiresAt.getTime() - 1));
    expect((await t.graphql(StatusOf, { id: seeded.id })).data!.session!.status).toBe('ACTIVE');
    expect(
      (await t.graphql(Mine, undefined, { 'x-session-key': seeded.key })).data!.currentSession,
    ).not.toBeNull();
    t.setNow(expiresAt);
    expect((await t.graphql(StatusOf, { id: seeded.id })).data!.session!.status).toBe('EXPIRED');
    expect(
      (await t.graphql(Mine, undefined, { 'x-session-key': seeded.key })).data!.currentSession,
    ).toBeNull();
    t.setNow(null);
  });

  it('should sweep expired sessions in bounded batches and report how many', async () => {
    await t.pool.query('DELETE FROM sessiongraph.sessions');
    const past = new Date(Date.now() - 1000);
    for (let index = 0; index < 23; index += 1) await nativeSession(t.pool, { expiresAt: past });
    const live = await nativeSession(t.pool, {});
    const statementsBefore = t.statements.length;
    const deleted = await sweepExpired(t.app, t.app.pool);
    expect(deleted).toEqual({ native: 23 });
    const left = await t.pool.query<{ id: string }>('SELECT id FROM sessiongraph.sessions');
    expect(left.rows.map((row) => row.id)).toEqual([live.rowId]);
    expect(t.statements.length - statementsBefore).toBe(0);
  });

  it('should sweep from the command line: npm run sweep', async () => {
    const past = new Date(Date.now() - 1000);
    for (let index = 0; index < 3; index += 1) await nativeSession(t.pool, { expiresAt: past });
    const { stdout } = await run('npx', ['tsx', 'src/cli.ts', 'sweep'], {
      env: { ...process.env, DATABASE_URL: t.database.url, SESSIONGRAPH_CONFIG: '' },
    });
    expect(stdout).toContain('native: 3 deleted');
    expect(stdout).toContain('swept 3 expired sessions');
  });
});
