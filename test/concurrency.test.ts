import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';

const SetKey = graphql(`
  mutation SetKey($input: UpdateSessionInput!) {
    updateSession(input: $input) {
      __typename
      ... on UpdateSessionPayload { session { version } }
      ... on VersionConflictError { actualVersion }
    }
  }
`);

describe('no lost writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('should keep all 50 keys set by 50 concurrent updates, and advance the version by 50', async () => {
    const seeded = await nativeSession(t.pool, { data: { original: true } });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        t.graphql(SetKey, { input: { id: seeded.id, set: { [`key${index}`]: index } } }),
      ),
    );
    for (const result of results) expect(result.data!.updateSession.__typename).toBe('UpdateSessionPayload');
    const row = await t.pool.query<{ data: Record<string, unknown>; version: number }>(
      'SELECT data, version FROM sessiongraph.sessions WHERE id = $1',
      [seeded.rowId],
    );
    const { data, version } = row.rows[0]!;
    expect(version).toBe(51);
    expect(Object.keys(data)).toHaveLength(51);
    for (let index = 0; index < 50; index += 1) expect(data[`key${index}`]).toBe(index);
    expect(data['original']).toBe(true);
  });

  it('should let exactly one of two writers with the same expectedVersion win', async () => {
    for (let round = 0; round < 5; round += 1) {
      const seeded = await nativeSession(t.pool, { data: {} });
      const [left, right] = await Promise.all([
        t.graphql(SetKey, { input: { id: seeded.id, set: { writer: 'left' }, expectedVersion: 1 } }),
        t.graphql(SetKey, { input: { id: seeded.id, set: { writer: 'right' }, expectedVersion: 1 } }),
      ]);
      const outcomes = [left.data!.updateSession, right.data!.updateSession];
      expect(outcomes.map((outcome) => outcome.__typename).sort()).toEqual([
        'UpdateSessionPayload',
        'VersionConflictError',
      ]);
      expect(outcomes.find((outcome) => outcome.__typename === 'VersionConflictError')).toMatchObject({
        actualVersion: 2,
      });
      const row = await t.pool.query('SELECT version FROM sessiongraph.sessions WHERE id = $1', [
        seeded.rowId,
      ]);
      expect(row.rows[0]).toEqual({ version: 2 });
    }
  });
});
