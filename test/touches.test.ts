import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src/db/pool.ts';
import { createTouchWriter } from '../src/stores/native/touches.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession, type SeededSession } from './helpers/seed.ts';

/**
 * A read presenting a key answers with `lastSeenAt` refreshed and queues the refresh; queued refreshes reach
 * the row together, never over a newer time, and one for a session gone meanwhile is harmless.
 */

const CurrentSession = '{ currentSession { id lastSeenAt } }';
const HOUR = 3600_000;

describe('last_seen_at refreshes', () => {
  let t: TestApp;
  const sessions: SeededSession[] = [];

  const lastSeen = async (session: SeededSession) =>
    (
      await t.pool.query<{ last_seen_at: Date | null }>(
        'SELECT last_seen_at FROM sessiongraph.sessions WHERE id = $1',
        [session.rowId],
      )
    ).rows[0]?.last_seen_at ?? null;
  const read = async (session: SeededSession) => {
    const response = await t.fetch({ query: CurrentSession }, { 'x-session-key': session.key });
    const body = (await response.json()) as { data: { currentSession: { id: string; lastSeenAt: string } } };
    return body.data.currentSession;
  };

  beforeAll(async () => {
    // A long batch delay: nothing is written until a test flushes.
    t = await startTestApp({ config: { touchIntervalSeconds: 60, touchBatchMilliseconds: 60_000 } });
    for (let i = 0; i < 4; i++) sessions.push(await nativeSession(t.pool));
  });
  afterAll(() => t?.close());

  it('should answer with the refreshed time and write it when the queue is flushed', async () => {
    const session = sessions[0]!;
    const seen = await read(session);
    expect(seen.id).toBe(session.id);
    expect(await lastSeen(session)).toBeNull();
    expect(t.app.touches.backlog()).toBe(1);
    await t.app.touches.flush();
    expect(t.app.touches.backlog()).toBe(0);
    expect((await lastSeen(session))?.toISOString()).toBe(seen.lastSeenAt);
    const written = (await t.app.metrics.lastSeenRefreshes.get()).values.find(
      (value) => value.labels.outcome === 'written',
    );
    expect(written?.value).toBe(1);
    // Within the interval a read changes nothing and queues nothing.
    const again = await read(session);
    expect(again.lastSeenAt).toBe(seen.lastSeenAt);
  });

  it('should refresh a session again once the interval has passed', async () => {
    const session = sessions[1]!;
    await t.pool.query(`UPDATE sessiongraph.sessions SET last_seen_at = $2 WHERE id = $1`, [
      session.rowId,
      new Date(Date.now() - HOUR),
    ]);
    const seen = await read(session);
    expect(Date.now() - Date.parse(seen.lastSeenAt)).toBeLessThan(60_000);
    await t.app.touches.flush();
    expect((await lastSeen(session))?.toISOString()).toBe(seen.lastSeenAt);
  });

  it('should write a batch in one statement, keeping newer times and skipping sessions gone', async () => {
    const statements: string[] = [];
    const outcomes: string[] = [];
    const writer = createTouchWriter(
      (work) =>
        withTransaction(t.pool, work, (text) => {
          statements.push(text);
        }),
      t.app.logger,
      60_000,
      (outcome, sessions) => outcomes.push(`${outcome} ${sessions}`),
    );
    const [a, b, gone] = [sessions[2]!, sessions[3]!, await nativeSession(t.pool)];
    const newer = new Date(Date.now() + HOUR);
    await t.pool.query(`UPDATE sessiongraph.sessions SET last_seen_at = $2 WHERE id = $1`, [b.rowId, newer]);
    await t.pool.query('DELETE FROM sessiongraph.sessions WHERE id = $1', [gone.rowId]);
    const at = new Date();
    writer.touch(a.rowId, new Date(at.getTime() - 1000));
    writer.touch(a.rowId, at);
    writer.touch(b.rowId, at);
    writer.touch(gone.rowId, at);
    await writer.close();
    expect(statements.filter((text) => text.includes('touchSessions'))).toHaveLength(1);
    expect(outcomes).toEqual(['written 3']);
    expect((await lastSeen(a))?.getTime()).toBe(at.getTime());
    expect((await lastSeen(b))?.getTime()).toBe(newer.getTime());
  });

  it('should skip a row another transaction holds, writing the rest, not waiting on it', async () => {
    const outcomes: string[] = [];
    const writer = createTouchWriter(
      (work) => withTransaction(t.pool, work),
      t.app.logger,
      60_000,
      (outcome, sessions) => outcomes.push(`${outcome} ${sessions}`),
    );
    const held = sessions[1]!;
    const holder = await t.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM sessiongraph.sessions WHERE id = $1 FOR UPDATE', [held.rowId]);
      const before = await lastSeen(held);
      const free = sessions[2]!;
      const at = new Date(Date.now() + HOUR);
      const started = Date.now();
      writer.touch(held.rowId, at);
      writer.touch(free.rowId, at);
      await writer.close();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(outcomes).toEqual(['written 2']);
      expect(await lastSeen(held)).toEqual(before);
      expect((await lastSeen(free))?.getTime()).toBe(at.getTime());
      // The holder's transaction is untouched.
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
  });

  it('should write what is queued when the app closes', async () => {
    const session = await nativeSession(t.pool);
    const seen = await read(session);
    await t.app.touches.close();
    expect((await lastSeen(session))?.toISOString()).toBe(seen.lastSeenAt);
  });
});
