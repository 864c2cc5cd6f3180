import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDjangoCodec, djangoSessionAuthHash } from '../src/codecs/django.ts';
import { encodeWebpySession } from '../src/codecs/webpy.ts';
import { encodeSessionId } from '../src/sessions/ids.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { graphqlUrl, twinServers } from './helpers/servers.ts';

/**
 * The compiled `updateSession` on framework stores (src/fastpath/mutations.ts): the row read, patched and
 * encoded by the store's own rules, then written with its projection row and audit row by one statement that
 * writes only if the row is unchanged. Twin sessions are updated, one on a server with the compiled path and
 * one on a server without; answers, stored data as the store decodes it, projection rows and audit entries
 * must match, and nothing may be left queued for the sync worker.
 */

const SECRET = 'framework-update-secret';
const django = createDjangoCodec({ secretKey: SECRET });
type Json = Record<string, unknown>;
const EXPIRES = new Date(Date.now() + 3_600_000);

describe('compiled updateSession on framework stores', () => {
  let t: TestApp;
  let compiled: Server;
  let general: Server;
  const url = graphqlUrl;

  beforeAll(async () => {
    t = await startTestApp({
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'django', name: 'django', secretKey: SECRET, passwordColumn: 'password_hash' },
          { kind: 'webpy', name: 'webpy', timeoutSeconds: 3600, userPath: 'uid' },
        ],
        limits: { perTokenPerMinute: 100_000, perIpPerMinute: 100_000 },
      },
      setup: async (pool) => {
        await pool.query(`
          CREATE TABLE django_session (session_key varchar(40) NOT NULL PRIMARY KEY, session_data text NOT NULL,
            expire_date timestamp with time zone NOT NULL);
          CREATE TABLE sessions (session_id char(128) UNIQUE NOT NULL, atime timestamp NOT NULL DEFAULT current_timestamp,
            data text);`);
      },
    });
    ({ compiled, general } = await twinServers(t));
  });
  afterAll(async () => {
    compiled?.close();
    general?.close();
    await t?.close();
  });

  let serial = 0;
  /** A Django session of `userId` holding `data`, projected; its global id. */
  const djangoSession = async (userId: number, data: Json, blob?: string) => {
    serial += 1;
    const key = `fw${serial}`.padEnd(32, 'q');
    const stored =
      blob ??
      django.encode(
        {
          _auth_user_id: String(userId),
          _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
          _auth_user_hash: djangoSessionAuthHash('x', SECRET),
          ...data,
        } as never,
        new Date(),
      );
    // Microseconds, as Django writes them; one expiry for all, so twins compare equal.
    await t.pool.query(
      `INSERT INTO django_session VALUES ($1, $2, $3::timestamptz + interval '123 microseconds')`,
      [key, stored, EXPIRES],
    );
    return idOf('django', key);
  };
  const webpySession = async (userId: number, data: Json) => {
    serial += 1;
    const key = `f${serial}`.padEnd(40, '0');
    await t.pool.query('INSERT INTO sessions (session_id, atime, data) VALUES ($1, now(), $2)', [
      key,
      encodeWebpySession({ session_id: key, ip: '127.0.0.1', uid: userId, ...data }),
    ]);
    return idOf('webpy', key);
  };
  const idOf = async (store: string, key: string) => {
    await t.sync();
    const { rows } = await t.pool.query<{ ref: string }>(
      'SELECT ref FROM sessiongraph.projection WHERE store = $1 AND session_key = $2',
      [store, key],
    );
    return encodeSessionId({ store, ref: rows[0]!.ref });
  };

  const UPDATE = `mutation U($input: UpdateSessionInput!) { updateSession(input: $input) {
    __typename ... on UpdateSessionPayload { session { id store status data userId version expiresAt } }
    ... on Error { code message } } }`;

  const post = async (server: Server, query: string, variables: Json) => {
    const before = t.statements.length;
    const response = await fetch(url(server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const statements = t.statements.slice(before).filter((text) => !text.includes('findTokenByHash'));
    return { body: (await response.json()) as Json, statements };
  };
  const withoutVersion = (value: unknown) =>
    JSON.parse(JSON.stringify(value), (key, inner) => (key === 'version' ? typeof inner : inner)) as unknown;
  const same = (value: unknown, from: string, to: string) =>
    JSON.parse(JSON.stringify(value).replaceAll(from, to)) as unknown;

  /** What the server keeps of a session: the projection row and its audit entries. */
  const keptOf = async (id: string) => {
    const session = await post(
      general,
      `query($id: ID!) { session(id: $id) { data userId version status } }`,
      {
        id,
      },
    );
    const audit = await t.pool.query(
      `SELECT actor, action, user_id, outcome FROM sessiongraph.audit_log WHERE session_id = $1 ORDER BY id`,
      [id],
    );
    const queued = await t.pool.query('SELECT count(*)::int AS n FROM sessiongraph.changes');
    return { session: session.body, audit: audit.rows, queued: queued.rows[0] };
  };

  it('should update a Django session in one write statement, as the general way does', async () => {
    const [a, b] = [await djangoSession(3, { cart: [1] }), await djangoSession(3, { cart: [1] })];
    const input = (id: string) => ({
      input: { id, set: { cart: [1, 2], theme: 'dark' }, unset: ['missing'] },
    });
    const fast = await post(compiled, UPDATE, input(a));
    const slow = await post(general, UPDATE, input(b));
    expect(fast.body).toMatchObject({
      data: {
        updateSession: {
          __typename: 'UpdateSessionPayload',
          session: { store: 'django', status: 'ACTIVE', userId: '3', data: { cart: [1, 2], theme: 'dark' } },
        },
      },
    });
    // The version is the blob's hash, and Django's blob holds the second it was signed in: twins written in
    // different seconds differ there alone.
    expect(withoutVersion(same(slow.body, b, a))).toEqual(withoutVersion(fast.body));
    expect(fast.statements.length).toBe(2);
    expect(fast.statements[1]).toContain('compiledUpdateFrameworkSession');
    expect(slow.statements.length).toBeGreaterThan(4);
    const [kept, keptGeneral] = [await keptOf(a), await keptOf(b)];
    expect(withoutVersion(kept)).toEqual(withoutVersion(keptGeneral));
    expect(kept.queued).toEqual({ n: 0 });
    expect(kept.audit).toEqual([
      { actor: expect.any(String), action: 'updateSession', user_id: '3', outcome: 'ok' },
    ]);
    // The stored blob is Django's own format: it decodes, with the hidden keys kept.
    const { rows } = await t.pool.query<{ session_data: string }>(
      'SELECT session_data FROM django_session ORDER BY session_key DESC LIMIT 2',
    );
    for (const row of rows) {
      const decoded = django.decode(row.session_data);
      expect(decoded.ok && decoded.value.data).toMatchObject({
        _auth_user_id: '3',
        cart: [1, 2],
        theme: 'dark',
      });
    }
  });

  it('should leave refusals, conflicts and Idempotency-Keys to the general way, which words them', async () => {
    const id = await djangoSession(4, { a: 1 });
    const hidden = await post(compiled, UPDATE, { input: { id, set: { _auth_user_hash: 'forged' } } });
    expect(hidden.body).toMatchObject({ data: { updateSession: { code: 'INVALID_INPUT' } } });
    const conflict = await post(compiled, UPDATE, { input: { id, set: { a: 2 }, expectedVersion: 99_999 } });
    expect(JSON.stringify(conflict.body)).toContain('VERSION_CONFLICT');
    const tampered = await djangoSession(4, {}, 'eyJhIjoxfQ:1abc:forged');
    const invalid = await post(compiled, UPDATE, { input: { id: tampered, set: { a: 2 } } });
    expect(invalid.body).toMatchObject({ data: { updateSession: { code: 'INVALID_INPUT' } } });
    for (const response of [hidden, conflict, invalid]) {
      expect(response.statements.some((text) => text.includes('compiledUpdateFrameworkSession'))).toBe(false);
    }
    expect((await keptOf(id)).session).toMatchObject({ data: { session: { data: { a: 1 } } } });
  });

  it('should write nothing when the row changed after it was read, and patch the row read again', async () => {
    const id = await djangoSession(5, { n: 0 });
    // A framework write between the read and the write: simulated by a trigger that changes the blob the
    // moment the compiled statement's read has happened (the first statement of the request).
    const key = (
      await t.pool.query<{ k: string }>(
        'SELECT session_key AS k FROM django_session ORDER BY session_key DESC LIMIT 1',
      )
    ).rows[0]!.k;
    const other = django.encode(
      {
        _auth_user_id: '5',
        _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
        _auth_user_hash: djangoSessionAuthHash('x', SECRET),
        n: 7,
      } as never,
      new Date(),
    );
    const original = t.app.pool.query.bind(t.app.pool);
    let raced = false;
    let writes = 0;
    // biome-ignore lint/suspicious/noExplicitAny: the pool's overloads
    (t.app.pool as any).query = async (...args: any[]) => {
      const text: string = typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? '');
      if (text.includes('compiledUpdateFrameworkSession')) writes += 1;
      if (!raced && text.includes('compiledUpdateFrameworkSession')) {
        raced = true;
        await original('UPDATE django_session SET session_data = $2 WHERE session_key = $1', [key, other]);
      }
      // biome-ignore lint/suspicious/noExplicitAny: the pool's overloads
      return (original as any)(...args);
    };
    try {
      const response = await post(compiled, UPDATE, { input: { id, set: { m: 1 } } });
      expect(raced).toBe(true);
      // The first write found the row changed and wrote nothing; the second patched the row as the framework
      // left it.
      expect(writes).toBe(2);
      expect(response.body).toMatchObject({ data: { updateSession: { session: { data: { n: 7, m: 1 } } } } });
    } finally {
      // biome-ignore lint/suspicious/noExplicitAny: restoring the method
      (t.app.pool as any).query = original;
    }
  });

  it('should update a web.py session as the general way does, by whichever path the store allows', async () => {
    const [a, b] = [await webpySession(6, { x: 1 }), await webpySession(6, { x: 1 })];
    const input = (id: string) => ({ input: { id, set: { x: 2 } } });
    const fast = await post(compiled, UPDATE, input(a));
    const slow = await post(general, UPDATE, input(b));
    // web.py's expiry follows its access time, and its blob holds the key (so the version differs): twins
    // differ there.
    const strip = (body: Json) =>
      JSON.parse(JSON.stringify(body), (key, value) =>
        key === 'expiresAt' || key === 'version' ? undefined : value,
      ) as unknown;
    expect(strip(same(slow.body, b, a) as Json)).toEqual(strip(fast.body));
    expect(fast.body).toMatchObject({
      data: { updateSession: { session: { data: { x: 2 }, userId: '6' } } },
    });
    const [kept, keptGeneral] = [await keptOf(a), await keptOf(b)];
    expect(strip(kept as unknown as Json)).toEqual(strip(keptGeneral as unknown as Json));
    expect(kept.queued).toEqual({ n: 0 });
  });
});
