import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { graphqlUrl, twinServers } from './helpers/servers.ts';
import { nativeSession } from './helpers/seed.ts';

/**
 * The compiled mutations (src/fastpath/mutations.ts) change what GraphQL execution would change and answer
 * what it would answer. Each case runs twice, on twin sessions or users set up alike: once on a server with
 * the compiled path, once on one without; the responses must be equal up to the ids and keys that differ
 * between twins, and so must the rows and audit entries left behind. A request the compiled path must not
 * answer (an error, an Idempotency-Key, a token without the scope) gets the general way's answer.
 */

type Json = Record<string, unknown>;

describe('compiled mutations', () => {
  let t: TestApp;
  let compiled: Server;
  let general: Server;
  let readOnly = '';
  let writeOnly = '';
  const url = graphqlUrl;

  beforeAll(async () => {
    t = await startTestApp({ config: { limits: { perTokenPerMinute: 100_000, perIpPerMinute: 100_000 } } });
    readOnly = (await createToken(t.pool, 'read-only', ['sessions:read', 'users:read'], null)).token;
    writeOnly = (await createToken(t.pool, 'write-only', ['sessions:write'], null)).token;
    ({ compiled, general } = await twinServers(t));
  });
  afterAll(async () => {
    compiled?.close();
    general?.close();
    await t.close();
  });

  const post = async (
    server: Server,
    query: string,
    variables: Json,
    headers: Record<string, string> = {},
  ) => {
    const before = t.statements.length;
    const response = await fetch(url(server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}`, ...headers },
      body: JSON.stringify({ query, variables }),
    });
    // The token check is cached in production (invalidated by notification); here it runs each time.
    const statements = t.statements.slice(before).filter((text) => !text.includes('findTokenByHash'));
    return { body: (await response.json()) as Json, statements: statements.length };
  };

  /** Twin native sessions, alike but for their ids and keys. */
  const twins = async (spec: { userId: number | null; data: Json }) => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const a = await nativeSession(t.pool, { ...spec, expiresAt });
    const b = await nativeSession(t.pool, { ...spec, expiresAt });
    return [a.id, b.id] as const;
  };

  /** The text with each twin's id (and the other given names) replaced by a placeholder. */
  const normal = (value: unknown, names: Record<string, string>) => {
    let text = JSON.stringify(value);
    for (const [name, placeholder] of Object.entries(names)) text = text.replaceAll(name, placeholder);
    return JSON.parse(text) as unknown;
  };

  const audit = async (sessionId: string) =>
    (
      await t.pool.query(
        'SELECT actor, action, user_id, outcome FROM sessiongraph.audit_log WHERE session_id = $1 ORDER BY id',
        [sessionId],
      )
    ).rows;

  const UPDATE = `mutation U($input: UpdateSessionInput!) { updateSession(input: $input) {
    __typename ... on UpdateSessionPayload { session { __typename id status data version userId user { username email } } }
    ... on Error { code message } ... on VersionConflictError { actualVersion } } }`;

  it('should update a key in one statement, as GraphQL execution does', async () => {
    const [a, b] = await twins({ userId: 2, data: { theme: 'dark', cart: [1, 2], drop: true } });
    const input = (id: string) => ({ id, set: { theme: 'light', n: { x: [null, 1.5] } }, unset: ['drop'] });
    const fast = await post(compiled, UPDATE, { input: input(a) });
    const slow = await post(general, UPDATE, { input: input(b) });
    expect(normal(fast.body, { [a]: 'ID' })).toEqual(normal(slow.body, { [b]: 'ID' }));
    expect(fast.body).toMatchObject({
      data: {
        updateSession: {
          __typename: 'UpdateSessionPayload',
          session: { version: 2, data: { theme: 'light' } },
        },
      },
    });
    expect(fast.statements).toBe(1);
    expect(slow.statements).toBeGreaterThan(2);
    // PostgreSQL printed the payload.
    expect(
      t.statements.some((text) => text.includes('compiledUpdateSession') && text.includes('AS body')),
    ).toBe(true);
    expect(await audit(a)).toEqual(await audit(b));
    expect((await audit(a)).length).toBe(1);
  });

  it('should print a written session from its row when PostgreSQL would print a value differently', async () => {
    const [a, b] = await twins({ userId: 2, data: { p: 1 } });
    for (const id of [a, b]) {
      await t.pool.query(`UPDATE sessiongraph.sessions SET last_seen_at = '10000-01-01' WHERE id = $1`, [
        Buffer.from(id, 'base64').toString('utf8').split(':')[2],
      ]);
    }
    const query = `mutation U($input: UpdateSessionInput!) { updateSession(input: $input) {
      ... on UpdateSessionPayload { session { id version lastSeenAt data } } } }`;
    const fast = await post(compiled, query, { input: { id: a, set: { p: 2 } } });
    const slow = await post(general, query, { input: { id: b, set: { p: 2 } } });
    expect(normal(fast.body, { [a]: 'ID' })).toEqual(normal(slow.body, { [b]: 'ID' }));
    expect(fast.body).toMatchObject({ data: { updateSession: { session: { version: 2, data: { p: 2 } } } } });
    // The change once, then the row read back.
    expect(fast.statements).toBe(2);
  });

  it('should leave errors to the general way, having written nothing', async () => {
    const [a, b] = await twins({ userId: 1, data: { k: 'v' } });
    const cases: [string, (id: string) => Json][] = [
      ['another version', (id) => ({ id, set: { x: 1 }, expectedVersion: 7 })],
      [
        'no such session',
        () => ({
          id: Buffer.from('Session:native:00000000-0000-4000-8000-000000000000').toString('base64'),
          set: { x: 1 },
        }),
      ],
      ['data over the limit', (id) => ({ id, set: { big: 'x'.repeat(70_000) } })],
      ['set and unset the same key', (id) => ({ id, set: { k: 1 }, unset: ['k'] })],
      ['a key with NUL', (id) => ({ id, set: { k: 'a\u0000b' } })],
    ];
    for (const [name, input] of cases) {
      const fast = await post(compiled, UPDATE, { input: input(a) });
      const slow = await post(general, UPDATE, { input: input(b) });
      expect(normal(fast.body, { [a]: 'ID' }), name).toEqual(normal(slow.body, { [b]: 'ID' }));
      expect((fast.body['data'] as Json)['updateSession'], name).not.toMatchObject({
        __typename: 'UpdateSessionPayload',
      });
    }
    const rows = await t.pool.query('SELECT data, version FROM sessiongraph.sessions WHERE data ? $1', ['k']);
    expect(rows.rows.every((row) => row.version === 1)).toBe(true);
  });

  it('should leave data nested past the limit to the general way, to the level', async () => {
    // Levels below the root: 32 is the most a session may hold, 33 is refused.
    for (const [levels, typename] of [
      [32, 'UpdateSessionPayload'],
      [33, 'InvalidSessionDataError'],
      [40, 'InvalidSessionDataError'],
    ] as const) {
      const [a, b] = await twins({ userId: 2, data: {} });
      const deep = `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
      for (const id of [a, b]) {
        await t.pool.query('UPDATE sessiongraph.sessions SET data = $2::jsonb WHERE id = $1', [
          Buffer.from(id, 'base64').toString('utf8').split(':')[2],
          deep,
        ]);
      }
      const fast = await post(compiled, UPDATE, { input: { id: a, set: { x: 1 } } });
      const slow = await post(general, UPDATE, { input: { id: b, set: { x: 1 } } });
      expect(normal(fast.body, { [a]: 'ID' }), `${levels}`).toEqual(normal(slow.body, { [b]: 'ID' }));
      expect(fast.body, `${levels}`).toMatchObject({ data: { updateSession: { __typename: typename } } });
      if (typename === 'UpdateSessionPayload') expect(fast.statements).toBe(1);
    }
  });

  it('should leave a token without the scope to the general way', async () => {
    const [a] = await twins({ userId: 3, data: {} });
    const refused = await post(
      compiled,
      UPDATE,
      { input: { id: a, set: { no: 1 } } },
      { authorization: `Bearer ${readOnly}` },
    );
    expect(refused.body).toMatchObject({ data: { updateSession: { __typename: 'ForbiddenError' } } });
  });

  it('should show a token without sessions:read no session in a payload, as the general way does', async () => {
    const [a, b] = await twins({ userId: 3, data: { secret: 'only for sessions:read' } });
    const asWriter = { authorization: `Bearer ${writeOnly}` };
    const SESSION = `mutation U($input: UpdateSessionInput!) { updateSession(input: $input) {
      __typename ... on UpdateSessionPayload { session { id data } } } }`;
    const fast = await post(compiled, SESSION, { input: { id: a, set: { seen: 1 } } }, asWriter);
    const slow = await post(general, SESSION, { input: { id: b, set: { seen: 1 } } }, asWriter);
    expect(JSON.stringify(fast.body)).not.toContain('only for sessions:read');
    expect(fast.body).toEqual(slow.body);
    expect(fast.body).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }], data: null });
    const CREATED = `mutation C($input: CreateSessionInput!) { createSession(input: $input) {
      __typename ... on CreateSessionPayload { session { data } } } }`;
    const input = { input: { data: { secret: 'written, not readable' } } };
    const created = await post(compiled, CREATED, input, asWriter);
    expect(created.body).toEqual((await post(general, CREATED, input, asWriter)).body);
    expect(created.body).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    // Asking for no session, the writer is answered by the compiled statement.
    const typename = `mutation U($input: UpdateSessionInput!) { updateSession(input: $input) { __typename } }`;
    const plain = await post(compiled, typename, { input: { id: a, set: { again: 1 } } }, asWriter);
    expect(plain.body).toEqual({ data: { updateSession: { __typename: 'UpdateSessionPayload' } } });
    expect(plain.statements).toBe(1);
  });

  it('should keep an Idempotency-Key’s promise: one change, the first answer to every retry', async () => {
    const [a, b] = await twins({ userId: 3, data: {} });
    const [keyA, keyB] = [crypto.randomUUID(), crypto.randomUUID()];
    const input = (id: string) => ({ input: { id, set: { once: true } } });
    const fast = await post(compiled, UPDATE, input(a), { 'idempotency-key': keyA });
    const slow = await post(general, UPDATE, input(b), { 'idempotency-key': keyB });
    expect(normal(fast.body, { [a]: 'ID' })).toEqual(normal(slow.body, { [b]: 'ID' }));
    expect(fast.body).toMatchObject({ data: { updateSession: { session: { version: 2 } } } });
    // The step, the change and the row it wrote in one statement.
    expect(fast.statements).toBe(1);
    expect(slow.statements).toBeGreaterThan(1);
    // A retry gets the first answer back from either path, and changes nothing.
    for (const server of [compiled, general]) {
      expect((await post(server, UPDATE, input(a), { 'idempotency-key': keyA })).body).toEqual(fast.body);
    }
    const { rows } = await t.pool.query('SELECT version FROM sessiongraph.sessions WHERE id = $1', [
      Buffer.from(a, 'base64').toString('utf8').split(':')[2],
    ]);
    expect(rows).toEqual([{ version: 2 }]);
    // The same key for other work is refused, as the general way refuses it.
    const reused = await post(
      compiled,
      UPDATE,
      { input: { id: a, set: { other: 1 } } },
      { 'idempotency-key': keyA },
    );
    expect(reused.body).toMatchObject({ errors: [{ extensions: { code: 'IDEMPOTENCY_KEY_REUSED' } }] });
    // A key used on the general way first is answered from there.
    const generalFirst = await post(general, UPDATE, input(b), { 'idempotency-key': keyB });
    expect((await post(compiled, UPDATE, input(b), { 'idempotency-key': keyB })).body).toEqual(
      generalFirst.body,
    );
  });

  it('should answer a keyed update’s retry as it was, after the session changed, expired and ended', async () => {
    const ALL = `mutation U($input: UpdateSessionInput!) { updateSession(input: $input) {
      ... on UpdateSessionPayload { session { id status data version userId createdAt expiresAt lastSeenAt ip
      userAgent user { username } } } ... on Error { code } } }`;
    const [a] = await twins({ userId: 3, data: { deep: { list: [1, 'two', null, { x: 1.5 }] } } });
    const rowId = Buffer.from(a, 'base64').toString('utf8').split(':')[2];
    await t.pool.query(
      `UPDATE sessiongraph.sessions SET last_seen_at = now() - interval '1 second', ip = '2001:db8::1',
         user_agent = 'Agent "quoted" é' WHERE id = $1`,
      [rowId],
    );
    const key = crypto.randomUUID();
    const input = { input: { id: a, set: { step: 1 } } };
    const first = await post(compiled, ALL, input, { 'idempotency-key': key });
    expect(first.statements).toBe(1);
    expect(first.body).toMatchObject({
      data: { updateSession: { session: { version: 2, status: 'ACTIVE' } } },
    });
    // What the statement kept: the row, no sealed result, and nothing of the Idempotency-Key itself.
    const kept = await t.pool.query(
      `SELECT result, written_row, array_to_string(written_row, ' ') AS text FROM sessiongraph.idempotency
        WHERE written_row IS NOT NULL AND written_row[2] = $1`,
      [rowId],
    );
    expect(kept.rows).toHaveLength(1);
    expect(kept.rows[0].result).toBeNull();
    expect(kept.rows[0].text).not.toContain(key);

    const retries = async () => {
      for (const server of [compiled, general]) {
        expect((await post(server, ALL, input, { 'idempotency-key': key })).body).toEqual(first.body);
      }
    };
    await retries();
    // Changed since: the retry still gets the first answer, not the session as it is now.
    const changed = await post(compiled, ALL, { input: { id: a, set: { step: 2 } } });
    expect(changed.body).toMatchObject({ data: { updateSession: { session: { version: 3 } } } });
    await retries();
    // Expired since: the answer was ACTIVE, and stays so.
    await t.pool.query(
      `UPDATE sessiongraph.sessions SET expires_at = now() - interval '1 minute' WHERE id = $1`,
      [rowId],
    );
    await retries();
    await t.pool.query('DELETE FROM sessiongraph.sessions WHERE id = $1', [rowId]);
    await retries();
  });

  it('should let one of many concurrent requests with one key change the session, and give all its answer', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [a] = await twins({ userId: 3, data: {} });
      const key = crypto.randomUUID();
      const input = { input: { id: a, set: { once: true } } };
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          post(index % 2 === 0 ? compiled : general, UPDATE, input, { 'idempotency-key': key }),
        ),
      );
      const rowId = Buffer.from(a, 'base64').toString('utf8').split(':')[2];
      const { rows } = await t.pool.query('SELECT version FROM sessiongraph.sessions WHERE id = $1', [rowId]);
      expect(rows).toEqual([{ version: 2 }]);
      // Each gets the one answer: a request on the general way that deadlocks with a compiled one (they take
      // the key and the session's row in opposite orders) is rolled back by PostgreSQL and runs again.
      for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
      expect(answers[0]!.body).toMatchObject({ data: { updateSession: { session: { version: 2 } } } });
    }
  });

  it('should create once and end once under an Idempotency-Key', async () => {
    const key = crypto.randomUUID();
    const create = { input: { userId: '7', data: { n: 1 } } };
    const first = await post(compiled, CREATE, create, { 'idempotency-key': key });
    expect(first.body).toMatchObject({ data: { createSession: { __typename: 'CreateSessionPayload' } } });
    expect((await post(compiled, CREATE, create, { 'idempotency-key': key })).body).toEqual(first.body);
    expect((await post(general, CREATE, create, { 'idempotency-key': key })).body).toEqual(first.body);
    const count = async () =>
      (await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.sessions WHERE user_id = 7')).rows[0]
        .n;
    expect(await count()).toBe(1);

    const endKey = crypto.randomUUID();
    const end = { input: { userId: '7', store: 'native' } };
    const ended = await post(compiled, END, end, { 'idempotency-key': endKey });
    expect(ended.body).toEqual({
      data: { endUserSessions: { __typename: 'EndUserSessionsPayload', userId: '7', count: 1 } },
    });
    await nativeSession(t.pool, { userId: 7, data: {}, expiresAt: new Date(Date.now() + 60_000) });
    // The retry answers the first count and ends nothing more.
    expect((await post(compiled, END, end, { 'idempotency-key': endKey })).body).toEqual(ended.body);
    expect(await count()).toBe(1);
  });

  const CREATE = `mutation C($input: CreateSessionInput!) { createSession(input: $input) {
    __typename ... on CreateSessionPayload { sessionKey session { id status data userId user { username } expiresAt } }
    ... on Error { code message } } }`;

  it('should create a session in one statement, with a key that opens it', async () => {
    const input = {
      userId: '4',
      data: { cart: ['SKU-1'] },
      ttlSeconds: 600,
      ip: '203.0.113.7',
      userAgent: 'bench',
    };
    const fast = await post(compiled, CREATE, { input });
    const slow = await post(general, CREATE, { input });
    const created = (response: Json) => ((response['data'] as Json)['createSession'] as Json) ?? {};
    const [one, two] = [created(fast.body), created(slow.body)];
    const names = (payload: Json) => ({
      [String(payload['sessionKey'])]: 'KEY',
      [String((payload['session'] as Json)['id'])]: 'ID',
      [String((payload['session'] as Json)['expiresAt'])]: 'AT',
    });
    expect(normal(one, names(one))).toEqual(normal(two, names(two)));
    expect(fast.statements).toBe(1);
    const opened = await fetch(url(compiled), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-session-key': String(one['sessionKey']),
        'x-graphql-csrf': '1',
      },
      body: JSON.stringify({ query: '{ currentSession { id data } }' }),
    });
    expect(await opened.json()).toEqual({
      data: { currentSession: { id: (one['session'] as Json)['id'], data: { cart: ['SKU-1'] } } },
    });
    const sessionAudit = async (payload: Json) => audit(String((payload['session'] as Json)['id']));
    expect(await sessionAudit(one)).toEqual(await sessionAudit(two));
  });

  it('should print the key under every alias asked for it', async () => {
    const ALIASED = `mutation { createSession(input: { data: { a: 1 } }) {
      ... on CreateSessionPayload { sessionKey again: sessionKey session { id } } } }`;
    const response = await fetch(url(compiled), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: ALIASED }),
    });
    const text = await response.text();
    // A raw control character (the key's placeholder) would make the body invalid JSON.
    const payload = (JSON.parse(text) as { data: { createSession: Json } }).data.createSession;
    expect(payload['sessionKey']).toMatch(/^[\w-]{43}$/);
    expect(payload['again']).toBe(payload['sessionKey']);
  });

  it('should leave a missing user and another store to the general way', async () => {
    for (const input of [{ userId: '99999', data: {} }, { userId: 'not-a-number' }, { store: 'nowhere' }]) {
      const fast = await post(compiled, CREATE, { input });
      const slow = await post(general, CREATE, { input });
      expect(fast.body, JSON.stringify(input)).toEqual(slow.body);
    }
  });

  const END = `mutation E($input: EndUserSessionsInput!) { endUserSessions(input: $input) {
    __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }`;

  it('should end a user’s native sessions in one statement, keeping the one asked', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const sessions = async (userId: number) => {
      const made = [];
      for (let i = 0; i < 3; i += 1)
        made.push(await nativeSession(t.pool, { userId, data: { i }, expiresAt }));
      return made;
    };
    const [mine, theirs] = [await sessions(5), await sessions(6)];
    const keep = (rows: { id: string }[]) => rows[0]!.id;
    const fast = await post(compiled, END, {
      input: { userId: '5', store: 'native', keepSessionId: keep(mine) },
    });
    const slow = await post(general, END, {
      input: { userId: '6', store: 'native', keepSessionId: keep(theirs) },
    });
    expect(normal(fast.body, { '"5"': '"U"' })).toEqual(normal(slow.body, { '"6"': '"U"' }));
    expect(fast.body).toMatchObject({ data: { endUserSessions: { count: 2 } } });
    expect(fast.statements).toBe(1);
    const left = await t.pool.query<{ user_id: number; n: number }>(
      'SELECT user_id, count(*)::int AS n FROM sessiongraph.sessions WHERE user_id IN (5, 6) GROUP BY user_id ORDER BY user_id',
    );
    expect(left.rows).toEqual([
      { user_id: 5, n: 1 },
      { user_id: 6, n: 1 },
    ]);
    const byUser = async (userId: string) =>
      (
        await t.pool.query(
          `SELECT actor, action, session_id, outcome FROM sessiongraph.audit_log WHERE action = 'endUserSessions' AND user_id = $1`,
          [userId],
        )
      ).rows;
    expect(await byUser('5')).toEqual(await byUser('6'));
  });
});
