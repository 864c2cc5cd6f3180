/**
 * `sessions(ip:, userAgent:, createdAt:, lastSeenAt:, expiresAt:)` on every kind of path: the native table,
 * a framework store before its projection is complete (decoded and filtered in the server) and after it
 * (filtered in SQL), a store that keeps the facts in its own columns (Laravel) and one that keeps the IP in
 * its data (web.py); what `Store.filters` says each store keeps, and the typed errors for the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSessionId } from '../src/sessions/ids.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { userIdNamed } from './helpers/seed.ts';

const FilteredSessions = graphql(`
  query FilteredSessions(
    $store: String
    $ip: String
    $userAgent: String
    $createdAt: TimeRange
    $lastSeenAt: TimeRange
    $expiresAt: TimeRange
    $status: SessionStatus
    $first: Int
    $after: String
  ) {
    sessions(
      store: $store
      ip: $ip
      userAgent: $userAgent
      createdAt: $createdAt
      lastSeenAt: $lastSeenAt
      expiresAt: $expiresAt
      status: $status
      first: $first
      after: $after
    ) {
      totalCount
      edges { node { id ip userAgent data } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const FilterStores = graphql(`
  query FilterStores {
    stores { name kind filters }
  }
`);

const FilterCreate = graphql(`
  mutation FilterCreate($input: CreateSessionInput!) {
    createSession(input: $input) {
      __typename
      ... on CreateSessionPayload { session { id } }
      ... on Error { code message }
    }
  }
`);

const HOUR = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('sessions filtered by IP, user agent and time', () => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const now = Date.now();

  const create = async (name: string, input: Record<string, unknown>) => {
    const result = await t.graphql(FilterCreate, { input: input as never });
    expect(result.errors, name).toBeUndefined();
    const payload = result.data!.createSession;
    if (payload.__typename !== 'CreateSessionPayload') throw new Error(`${name}: ${JSON.stringify(payload)}`);
    ids[name] = payload.session.id;
  };
  const found = async (variables: Record<string, unknown>) => {
    const result = await t.graphql(FilteredSessions, { first: 50, ...variables });
    expect(result.errors, JSON.stringify(variables)).toBeUndefined();
    const page = result.data!.sessions;
    const names = page.edges.map(
      (edge) => Object.keys(ids).find((name) => ids[name] === edge.node.id) ?? '?',
    );
    expect(page.totalCount, JSON.stringify(variables)).toBe(names.length);
    return names;
  };
  const refused = async (variables: Record<string, unknown>) => {
    const result = await t.graphql(FilteredSessions, variables);
    expect(result.data?.sessions ?? null).toBeNull();
    return result.errors![0]!;
  };

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'webpy', name: 'webpy', table: 'sessions' },
          { kind: 'php', name: 'laravel', layout: 'laravel', table: 'laravel_sessions' },
          { kind: 'express', name: 'express', table: 'session' },
        ],
      },
      setup: async (pool) => {
        await pool.query(`CREATE TABLE sessions (session_id char(128) UNIQUE NOT NULL,
          atime timestamp NOT NULL DEFAULT current_timestamp, data text)`);
        // Laravel 8's `session:table` migration, as its PostgreSQL grammar prints it.
        await pool.query(`CREATE TABLE laravel_sessions ("id" varchar(255) NOT NULL PRIMARY KEY,
          "user_id" bigint NULL, "ip_address" varchar(45) NULL, "user_agent" text NULL,
          "payload" text NOT NULL, "last_activity" integer NOT NULL)`);
        await pool.query(`CREATE TABLE "session" ("sid" varchar NOT NULL PRIMARY KEY, "sess" json NOT NULL,
          "expire" timestamp(6) NOT NULL)`);
      },
    });
    const ada = await userIdNamed(t.pool, 'ada');
    await create('phone', {
      userId: ada,
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (iPhone; 100% real)',
      ttlSeconds: 3600,
    });
    await create('curl', { ip: '2001:db8::1', userAgent: 'curl/8.0', ttlSeconds: 36_000 });
    await create('bare', {});
    // Created three days, one day and no time ago; seen an hour after they were made, the last never.
    for (const [name, ageHours] of [
      ['phone', 72],
      ['curl', 24],
      ['bare', 0],
    ] as const) {
      await t.pool.query(
        'UPDATE sessiongraph.sessions SET created_at = $2, last_seen_at = $3 WHERE id = $1',
        [
          decodeSessionId(ids[name]!)!.ref,
          new Date(now - ageHours * HOUR),
          name === 'bare' ? null : new Date(now - (ageHours - 1) * HOUR),
        ],
      );
    }
    await create('webpyHome', { store: 'webpy', data: { ip: '198.51.100.4', uid: 1 } });
    await create('webpyAway', { store: 'webpy', data: { ip: '198.51.100.5' } });
    await create('laravelPhone', {
      store: 'laravel',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)',
    });
    await create('laravelDesk', { store: 'laravel', ip: '192.0.2.1', userAgent: 'Mozilla/5.0 (X11; Linux)' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('should say which filters each store can answer', async () => {
    const { data } = await t.graphql(FilterStores);
    expect(data!.stores).toEqual([
      {
        name: 'native',
        kind: 'native',
        filters: ['ip', 'userAgent', 'createdAt', 'lastSeenAt', 'expiresAt'],
      },
      { name: 'webpy', kind: 'webpy', filters: ['ip', 'lastSeenAt', 'expiresAt'] },
      { name: 'laravel', kind: 'php', filters: ['ip', 'userAgent', 'lastSeenAt', 'expiresAt'] },
      { name: 'express', kind: 'express', filters: ['expiresAt'] },
    ]);
  });

  it('should filter native sessions by address (as an address), by user agent text and by time', async () => {
    expect(await found({ ip: '203.0.113.7' })).toEqual(['phone']);
    expect(await found({ ip: '2001:DB8:0:0::1' })).toEqual(['curl']);
    expect(await found({ ip: '192.0.2.99' })).toEqual([]);
    expect(await found({ userAgent: 'IPHONE' })).toEqual(['phone']);
    // No pattern language: % is a percent sign.
    expect(await found({ userAgent: '%' })).toEqual(['phone']);
    expect(await found({ userAgent: '_' })).toEqual([]);
    expect(await found({ createdAt: { since: iso(now - 48 * HOUR) } })).toEqual(['bare', 'curl']);
    expect(await found({ createdAt: { before: iso(now - 48 * HOUR) } })).toEqual(['phone']);
    expect(await found({ createdAt: { since: iso(now - 72 * HOUR), before: iso(now - 24 * HOUR) } })).toEqual(
      ['phone'],
    );
    // Never seen: outside every range.
    expect(await found({ lastSeenAt: { since: iso(now - 100 * HOUR) } })).toEqual(['curl', 'phone']);
    expect(await found({ expiresAt: { before: iso(now + 2 * HOUR) } })).toEqual(['phone']);
    expect(await found({ status: 'ACTIVE', userAgent: 'mozilla', ip: '203.0.113.7' })).toEqual(['phone']);
  });

  it('should page a filtered list with keyset cursors', async () => {
    const since = { since: iso(now - 100 * HOUR) };
    const first = await t.graphql(FilteredSessions, { createdAt: since, first: 2 });
    const page = first.data!.sessions;
    expect(page.edges.map((edge) => edge.node.id)).toEqual([ids['bare'], ids['curl']]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await t.graphql(FilteredSessions, {
      createdAt: since,
      first: 2,
      after: page.pageInfo.endCursor,
    });
    expect(next.data!.sessions.edges.map((edge) => edge.node.id)).toEqual([ids['phone']]);
    expect(next.data!.sessions.pageInfo.hasNextPage).toBe(false);
  });

  it('should filter framework stores before and after their projection is complete, the same', async () => {
    const check = async () => {
      expect(await found({ store: 'webpy', ip: '198.51.100.4' })).toEqual(['webpyHome']);
      expect(await found({ store: 'laravel', ip: '203.0.113.7' })).toEqual(['laravelPhone']);
      expect(await found({ store: 'laravel', userAgent: 'linux' })).toEqual(['laravelDesk']);
      expect(await found({ store: 'laravel', userAgent: 'mozilla', ip: '192.0.2.1' })).toEqual([
        'laravelDesk',
      ]);
      expect(await found({ store: 'laravel', lastSeenAt: { since: iso(now - HOUR) } })).toHaveLength(2);
      expect(await found({ store: 'webpy', lastSeenAt: { before: iso(now - HOUR) } })).toEqual([]);
      expect(await found({ store: 'express', expiresAt: { since: iso(now) } })).toEqual([]);
    };
    expect(t.app.projector.isReady('laravel')).toBe(false);
    await check();
    await t.sync();
    expect(t.app.projector.isReady('laravel')).toBe(true);
    await check();
    // The IP and user agent a store keeps are the session's, on every read path (the compiled one too).
    const laravel = await t.graphql(FilteredSessions, { store: 'laravel', first: 10 });
    // Both were made in the same second (Laravel keeps seconds): in either order.
    expect(laravel.data!.sessions.edges.map((edge) => [edge.node.ip, edge.node.userAgent]).sort()).toEqual([
      ['192.0.2.1', 'Mozilla/5.0 (X11; Linux)'],
      ['203.0.113.7', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)'],
    ]);
    const webpy = await t.graphql(FilteredSessions, { store: 'webpy', ip: '198.51.100.4' });
    expect(webpy.data!.sessions.edges[0]!.node).toMatchObject({ ip: '198.51.100.4', userAgent: null });
  });

  it('should refuse a filter the store cannot answer, and malformed ones, with typed errors', async () => {
    const notKept = await refused({ store: 'express', ip: '203.0.113.7' });
    expect(notKept.message).toMatch(/the store "express" keeps no IP address/);
    expect(notKept.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ip' });
    expect((await refused({ store: 'webpy', userAgent: 'x' })).extensions).toMatchObject({
      argument: 'userAgent',
    });
    expect((await refused({ store: 'webpy', createdAt: { since: iso(now) } })).extensions).toMatchObject({
      argument: 'createdAt',
    });
    expect((await refused({ ip: '203.0.113.256' })).message).toMatch(/IPv4 or IPv6/);
    expect((await refused({ ip: "1' OR '1'='1" })).extensions).toMatchObject({ argument: 'ip' });
    expect((await refused({ userAgent: '' })).extensions).toMatchObject({ argument: 'userAgent' });
    expect((await refused({ createdAt: {} })).message).toMatch(/needs `since`, `before` or both/);
    expect((await refused({ createdAt: { since: iso(now), before: iso(now - HOUR) } })).message).toMatch(
      /since` must be before/,
    );
  });
});
