import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { graphql } from './gql/index.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { nativeSession } from './helpers/seed.ts';

/** Keys, cookies and tokens never reach the logs, and rotation works on framework stores too. @see issue 5 */

const RotateCache = graphql(`
  mutation SecretsRotate($id: ID!) {
    rotateSessionKey(input: { id: $id }) {
      __typename
      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }
    }
  }
`);

const CreateCache = graphql(`
  mutation SecretsCreate($input: CreateSessionInput!) {
    createSession(input: $input) { __typename ... on CreateSessionPayload { sessionKey session { id } } }
  }
`);

const Mine = graphql(`
  query SecretsMine {
    currentSession { id store data }
  }
`);

describe('secrets', () => {
  let t: TestApp;
  let logged = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });

  beforeAll(async () => {
    t = await startTestApp({
      logger: createLogger('trace', sink),
      config: {
        stores: [
          { kind: 'native', name: 'native' },
          { kind: 'json-cache', name: 'cache' },
        ],
      },
      setup: async (pool) => {
        await pool.query(`CREATE TABLE session_cache (sessionid varchar PRIMARY KEY, userdict varchar NOT NULL,
          session_startutc timestamptz, session_endutc timestamptz)`);
      },
    });
  });
  afterAll(() => t.close());

  it('should keep keys, cookies and tokens out of the logs, even when a request fails unexpectedly', async () => {
    const session = await nativeSession(t.pool, { data: { a: 1 } });
    await t.fetch(
      { query: '{ currentSession { id } }' },
      { cookie: `sg_session=${session.key}`, 'x-graphql-csrf': '1' },
    );
    await t.fetch({ query: '{ currentSession { id } }' }, { 'x-session-key': session.key });
    await t.pool.query('ALTER TABLE sessiongraph.sessions RENAME TO sessions_away');
    try {
      await t.fetch({ query: '{ currentSession { id } }' }, { 'x-session-key': session.key });
      await t.fetch({ query: '{ sessions { edges { node { id } } } }' });
    } finally {
      await t.pool.query('ALTER TABLE sessiongraph.sessions_away RENAME TO sessions');
    }
    await t.fetch(
      { query: '{ sessions { edges { node { id } } } }' },
      { authorization: `Bearer sg_${'x'.repeat(43)}` },
    );
    expect(logged.length).toBeGreaterThan(0);
    expect(logged).toContain('unexpected error');
    expect(logged).not.toContain(session.key);
    expect(logged).not.toContain(t.adminToken);
    expect(logged).not.toContain('x'.repeat(43));
  });

  it('should rotate a framework session’s key: new id and key, same data, the old key dead at once', async () => {
    const created = await t.graphql(CreateCache, { input: { store: 'cache', data: { cart: [7] } } });
    if (created.data!.createSession.__typename !== 'CreateSessionPayload') throw new Error('not created');
    const { sessionKey, session } = created.data!.createSession;
    const rotated = await t.graphql(RotateCache, { id: session.id });
    const payload = rotated.data!.rotateSessionKey;
    if (payload.__typename !== 'RotateSessionKeyPayload') throw new Error(payload.__typename);
    expect(payload.previousSessionId).toBe(session.id);
    expect(payload.session.id).not.toBe(session.id);
    expect(payload.session.data).toEqual({ cart: [7] });
    const none = { authorization: '' };
    expect(
      (await t.graphql(Mine, undefined, { ...none, 'x-session-key': sessionKey })).data!.currentSession,
    ).toBeNull();
    const renewed = await t.graphql(Mine, undefined, { ...none, 'x-session-key': payload.sessionKey });
    expect(renewed.data!.currentSession).toMatchObject({ store: 'cache', data: { cart: [7] } });
    const rows = await t.pool.query('SELECT sessionid FROM session_cache');
    expect(rows.rows).toEqual([{ sessionid: payload.sessionKey }]);
  });
});
