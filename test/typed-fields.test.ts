import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfigOverrides } from '../src/demo/config.ts';
import { typedValue } from '../src/sessions/fields.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';

const ByRole = graphql(`
  query ByRole($where: SessionWhere, $first: Int, $after: String) {
    sessions(where: $where, first: $first, after: $after) {
      edges { node { userRole currentPage data } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

describe('typed fields', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { ...demoConfigOverrides } });
    const roles = ['admin', 'member', 'member', 'invited', 7, null, 'admin', 'member'];
    for (const [index, role] of roles.entries()) {
      await nativeSession(t.pool, {
        data: { user_role: role, current_page: index % 2 === 0 ? 'cart' : 'index', n: index },
        createdAt: new Date(Date.now() - index * 1000),
      });
    }
  });
  afterAll(() => t.close());

  it('should read declared paths as typed fields, null when absent or of another type', async () => {
    const result = await t.graphql(ByRole, { first: 10 });
    expect(result.data!.sessions.edges.map((edge) => edge.node.userRole)).toEqual([
      'admin',
      'member',
      'member',
      'invited',
      null,
      null,
      'admin',
      'member',
    ]);
  });

  it('should filter on typed fields in SQL, with every condition holding, across pages', async () => {
    const members = await t.graphql(ByRole, { where: { userRole: 'member' } });
    expect(members.data!.sessions.edges.map((edge) => edge.node.data['n'])).toEqual([1, 2, 7]);
    const both = await t.graphql(ByRole, { where: { userRole: 'member', currentPage: 'cart' } });
    expect(both.data!.sessions.edges.map((edge) => edge.node.data['n'])).toEqual([2]);
    const first = await t.graphql(ByRole, { where: { userRole: 'admin' }, first: 1 });
    expect(first.data!.sessions.pageInfo.hasNextPage).toBe(true);
    const second = await t.graphql(ByRole, {
      where: { userRole: 'admin' },
      first: 1,
      after: first.data!.sessions.pageInfo.endCursor,
    });
    expect(second.data!.sessions.edges.map((edge) => edge.node.data['n'])).toEqual([6]);
    expect(second.data!.sessions.pageInfo.hasNextPage).toBe(false);
  });

  it('should coerce values strictly by declared type', () => {
    const data = { a: { b: 5 }, s: 'x', f: 1.5, big: 2 ** 40, d: '2026-01-02T03:04:05Z', flag: true };
    expect(typedValue({ type: 'Int', path: ['a', 'b'] }, data)).toBe(5);
    expect(typedValue({ type: 'Int', path: ['big'] }, data)).toBeNull();
    expect(typedValue({ type: 'Int', path: ['f'] }, data)).toBeNull();
    expect(typedValue({ type: 'Float', path: ['f'] }, data)).toBe(1.5);
    expect(typedValue({ type: 'ID', path: ['a', 'b'] }, data)).toBe('5');
    expect(typedValue({ type: 'String', path: ['a', 'b'] }, data)).toBeNull();
    expect(typedValue({ type: 'Boolean', path: ['flag'] }, data)).toBe(true);
    expect(typedValue({ type: 'DateTime', path: ['d'] }, data)).toEqual(new Date('2026-01-02T03:04:05Z'));
    expect(typedValue({ type: 'DateTime', path: ['s'] }, data)).toBeNull();
    expect(typedValue({ type: 'JSON', path: ['a'] }, data)).toEqual({ b: 5 });
    expect(typedValue({ type: 'String', path: ['missing', 'deeper'] }, data)).toBeNull();
  });
});
