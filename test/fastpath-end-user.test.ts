import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDjangoCodec, djangoSessionAuthHash } from '../src/codecs/django.ts';
import { encodeWebpySession } from '../src/codecs/webpy.ts';
import { encodeSessionId } from '../src/sessions/ids.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { graphqlUrl, twinServers } from './helpers/servers.ts';
import { nativeSession } from './helpers/seed.ts';

/**
 * The compiled `endUserSessions` across stores (src/fastpath/mutations.ts): native rows and framework rows
 * found through their projections, ended in one statement, with tombstones where the store records them and
 * nothing queued for the sync worker. Twin users get the same sessions; one is ended on a server with the
 * compiled path, the other on one without, and the answers, rows left and tombstones must match.
 */

const SECRET = 'end-user-test-secret';
const django = createDjangoCodec({ secretKey: SECRET });

describe('compiled endUserSessions across stores', () => {
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

  /** Two native, two Django and two web.py sessions of `userId`; the refs of its Django and web.py ones. */
  const sessionsOf = async (userId: number, tag: string) => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    for (let i = 0; i < 2; i += 1) await nativeSession(t.pool, { userId, data: { i }, expiresAt });
    const now = new Date();
    const keys = { django: [] as string[], webpy: [] as string[] };
    for (let i = 0; i < 2; i += 1) {
      const key = `${tag}${i}`.padEnd(32, 'x');
      keys.django.push(key);
      const blob = django.encode(
        {
          _auth_user_id: String(userId),
          _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
          _auth_user_hash: djangoSessionAuthHash('x', SECRET),
        } as never,
        now,
      );
      await t.pool.query('INSERT INTO django_session VALUES ($1, $2, $3)', [key, blob, expiresAt]);
      const webpyKey = `${tag}${i}`.padEnd(40, '0');
      keys.webpy.push(webpyKey);
      await t.pool.query('INSERT INTO sessions (session_id, atime, data) VALUES ($1, now(), $2)', [
        webpyKey,
        encodeWebpySession({ session_id: webpyKey, ip: '127.0.0.1', uid: userId }),
      ]);
    }
    return keys;
  };

  const refOf = async (store: string, key: string) =>
    (
      await t.pool.query<{ ref: string }>(
        'SELECT ref FROM sessiongraph.projection WHERE store = $1 AND session_key = $2',
        [store, key],
      )
    ).rows[0]!.ref;

  const END = `mutation E($input: EndUserSessionsInput!) { endUserSessions(input: $input) {
    __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }`;

  const post = async (server: Server, variables: unknown) => {
    const before = t.statements.length;
    const response = await fetch(url(server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: END, variables }),
    });
    const statements = t.statements.slice(before).filter((text) => !text.includes('findTokenByHash'));
    return { body: (await response.json()) as unknown, statements: statements.length };
  };

  /** What is left of a user: sessions per store in the tables, projection rows, tombstones. */
  const leftOf = async (userId: number, keys: { django: string[]; webpy: string[] }) => {
    const count = async (text: string, params: unknown[]) =>
      Number((await t.pool.query<{ n: string }>(text, params)).rows[0]!.n);
    return {
      native: await count('SELECT count(*) AS n FROM sessiongraph.sessions WHERE user_id = $1', [userId]),
      django: await count('SELECT count(*) AS n FROM django_session WHERE session_key = ANY($1)', [
        keys.django,
      ]),
      webpy: await count('SELECT count(*) AS n FROM sessions WHERE session_id = ANY($1)', [keys.webpy]),
      projected: await count('SELECT count(*) AS n FROM sessiongraph.projection WHERE user_id = $1', [
        userId,
      ]),
      tombstones: await count(
        `SELECT count(*) AS n FROM sessiongraph.revoked_keys k JOIN unnest($1::text[]) AS w(key)
            ON k.store = 'webpy' AND k.key_hash = sha256(convert_to(w.key, 'UTF8'))`,
        [keys.webpy],
      ),
      queued: await count('SELECT count(*) AS n FROM sessiongraph.changes', []),
    };
  };

  it('should end a user’s sessions in every store in one statement, as the general way does', async () => {
    const [mine, theirs] = [await sessionsOf(5, 'a'), await sessionsOf(6, 'b')];
    await t.sync();
    const keep = async (keys: { django: string[] }) =>
      encodeSessionId({ store: 'django', ref: await refOf('django', keys.django[0]!) });
    const fast = await post(compiled, { input: { userId: '5', keepSessionId: await keep(mine) } });
    const slow = await post(general, { input: { userId: '6', keepSessionId: await keep(theirs) } });
    expect(fast.body).toEqual({
      data: { endUserSessions: { __typename: 'EndUserSessionsPayload', userId: '5', count: 5 } },
    });
    expect(JSON.stringify(slow.body).replaceAll('"6"', '"5"')).toBe(JSON.stringify(fast.body));
    expect(fast.statements).toBe(1);
    expect(slow.statements).toBeGreaterThan(3);
    const [left, leftGeneral] = [await leftOf(5, mine), await leftOf(6, theirs)];
    expect(left).toEqual(leftGeneral);
    expect(left).toMatchObject({ native: 0, django: 1, webpy: 0, projected: 1, queued: 0 });
    // web.py records tombstones (a request in flight must not write its session back); Django does not.
    expect(left.tombstones).toBe(2);
  });

  it('should end one named store only', async () => {
    const keys = await sessionsOf(7, 'c');
    await t.sync();
    const fast = await post(compiled, { input: { userId: '7', store: 'webpy' } });
    expect(fast.body).toMatchObject({ data: { endUserSessions: { count: 2 } } });
    expect(fast.statements).toBe(1);
    expect(await leftOf(7, keys)).toMatchObject({ native: 2, django: 2, webpy: 0, queued: 0 });
  });
});
