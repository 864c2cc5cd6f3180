import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';

const PageWithUsers = graphql(`
  query PageWithUsers {
    sessions(first: 50) { edges { node { id data user { rowId username email } } } }
  }
`);

const PageWithoutUsers = graphql(`
  query PageWithoutUsers {
    sessions(first: 50) { edges { node { id userId } } }
  }
`);

const UsersSessionsUsers = graphql(`
  query UsersSessionsUsers {
    users(first: 10) {
      edges { node { username sessions(first: 5) { edges { node { id user { username } } } } } }
    }
  }
`);

const SeveralNodes = graphql(`
  query SeveralNodes($ids: [ID!]!) {
    nodes(ids: $ids) { id ... on Session { user { username } } }
  }
`);

const UserSessionCount = graphql(`
  query UserSessionCount($userId: ID!) {
    sessions(userId: $userId) { totalCount ...CountedAgain }
  }
  fragment CountedAgain on SessionConnection { ... on SessionConnection { estimatedCount } }
`);

const UserSessionCountAndPage = graphql(`
  query UserSessionCountAndPage($userId: ID!) {
    sessions(userId: $userId) { totalCount ...PageEnd }
  }
  fragment PageEnd on SessionConnection { ... on SessionConnection { pageInfo { hasNextPage } } }
`);

const CountPage = graphql(`
  query CountPage($store: String, $first: Int, $after: String) {
    sessions(store: $store, first: $first, after: $after) { totalCount }
  }
`);

const UsersSessionCounts = graphql(`
  query UsersSessionCounts {
    users(first: 3) { edges { node { sessions { totalCount } } } }
  }
`);

/** Statement names the store modules put at the head of each SQL text. */
/** Statement names, less the API-token check every authenticated request makes first. */
const names = (statements: string[]) =>
  statements
    .map((text) => /\/\* (\w+) \*\//.exec(text)?.[1] ?? text)
    .filter((name) => name !== 'findTokenByHash');

describe('batching', () => {
  let t: TestApp;
  const ids: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const users = await t.pool.query<{ id: number }>('SELECT id FROM public.users ORDER BY id');
    for (let index = 0; index < 60; index += 1) {
      const userId = index % 11 === 10 ? null : users.rows[index % users.rows.length]!.id;
      const seeded = await nativeSession(t.pool, { userId, createdAt: new Date(Date.now() - index * 1000) });
      ids.push(seeded.id);
    }
  });
  afterAll(() => t.close());

  it('should load a page of 50 sessions and all their users in one statement', async () => {
    t.statements.length = 0;
    const result = await t.graphql(PageWithUsers);
    expect(result.errors).toBeUndefined();
    expect(result.data!.sessions.edges).toHaveLength(50);
    expect(result.data!.sessions.edges.filter((edge) => edge.node.user !== null).length).toBeGreaterThan(40);
    expect(names(t.statements)).toEqual(['findSessionsPageWithUsers']);
    // Same users, same order, as the rows say: the join neither reorders the page nor mixes up owners.
    const rows = await t.pool.query<{ id: string; username: string | null }>(
      `SELECT s.id, u.username FROM sessiongraph.sessions s LEFT JOIN public.users u ON u.id = s.user_id
        ORDER BY s.created_at DESC, s.id DESC LIMIT 50`,
    );
    expect(result.data!.sessions.edges.map((edge) => edge.node.user?.username ?? null)).toEqual(
      rows.rows.map((row) => row.username),
    );
  });

  it('should not join the users when the request does not select them', async () => {
    t.statements.length = 0;
    const result = await t.graphql(PageWithoutUsers);
    expect(result.data!.sessions.edges).toHaveLength(50);
    expect(names(t.statements)).toEqual(['findSessionsPage']);
  });

  it('should load users → sessions → user with one statement per level', async () => {
    t.statements.length = 0;
    const result = await t.graphql(UsersSessionsUsers);
    expect(result.errors).toBeUndefined();
    const users = result.data!.users.edges.map((edge) => edge.node);
    expect(users).toHaveLength(10);
    for (const user of users) {
      expect(user.sessions.edges.length).toBeGreaterThan(0);
      for (const edge of user.sessions.edges) expect(edge.node.user!.username).toBe(user.username);
    }
    expect(names(t.statements)).toEqual(['usersPage', 'findSessionsOfUsers', 'usersByIds']);
  });

  it('should batch node(ids) look-ups into one statement per store', async () => {
    t.statements.length = 0;
    const result = await t.graphql(SeveralNodes, { ids: ids.slice(0, 20) });
    expect(result.data!.nodes).toHaveLength(20);
    expect(names(t.statements)).toEqual(['findSessionsByIdsWithUsers']);
  });

  it("should count a user's sessions without reading them when no edges or pageInfo are selected", async () => {
    const userId = String(
      (await t.pool.query<{ id: number }>('SELECT id FROM public.users ORDER BY id')).rows[0]!.id,
    );
    const { rows } = await t.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sessiongraph.sessions WHERE user_id::text = $1',
      [userId],
    );
    expect(rows[0]!.n).toBeGreaterThan(1);
    t.statements.length = 0;
    const counted = await t.graphql(UserSessionCount, { userId });
    expect(counted.errors).toBeUndefined();
    expect(counted.data!.sessions.totalCount).toBe(rows[0]!.n);
    expect(counted.data!.sessions.estimatedCount).toBeGreaterThan(0);
    expect(names(t.statements).sort()).toEqual(['countSessions', 'estimateRows']);

    // pageInfo, even inside fragments, still needs the page.
    t.statements.length = 0;
    const paged = await t.graphql(UserSessionCountAndPage, { userId });
    expect(paged.errors).toBeUndefined();
    expect(paged.data!.sessions).toEqual({ totalCount: rows[0]!.n, pageInfo: { hasNextPage: false } });
    expect(names(t.statements).sort()).toEqual(['countSessions', 'findSessionsPage']);

    // A user's own sessions connection likewise.
    t.statements.length = 0;
    const users = await t.graphql(UsersSessionCounts);
    expect(users.errors).toBeUndefined();
    expect(users.data!.users.edges.map((edge) => edge.node.sessions.totalCount)[0]).toBe(rows[0]!.n);
    expect(names(t.statements)).toEqual(['usersPage', 'countSessions', 'countSessions', 'countSessions']);
  });

  it('should check the arguments of a page it only counts, as of one it reads', async () => {
    const all = await t.graphql(CountPage, {});
    expect(all.data!.sessions.totalCount).toBe(60);
    const tooBig = await t.graphql(CountPage, { first: 101 });
    expect(tooBig.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const forged = await t.graphql(CountPage, { after: 'bm90IGEgY3Vyc29y' });
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    const unknown = await t.graphql(CountPage, { store: 'nope' });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'store' });
  });
});
