import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeRevokesStick } from '../../src/security/tombstones.ts';
import { sweepExpired } from '../../src/sessions/sweep.ts';
import { STORE_KINDS } from '../../src/stores/registry.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { KIND_FIXTURES } from './kinds.ts';

/**
 * One contract every registered store kind passes, on a real PostgreSQL (an embedded PGlite without
 * DATABASE_URL), through the API as a client sees it: what it writes reads back (its own encoder and decoder
 * agree), updates, the browser's cookie, expiry and the sweeper, the user id, a stored value over the decode
 * budgets, key rotation, ended keys that a framework would write back (tombstones), and the projection. The
 * frameworks themselves load what the API writes in test/frameworks/; here the kinds are held to one shape.
 */

type Json = Record<string, unknown>;

describe('every registered store kind', () => {
  it('should have a contract fixture', () => {
    const missing = STORE_KINDS.map((kind) => kind.kind).filter((kind) => !KIND_FIXTURES[kind]);
    expect(missing).toEqual([]);
  });
});

const SESSION = 'id status problem data userId expiresAt version user { username }';

for (const kind of STORE_KINDS) {
  const fixture = KIND_FIXTURES[kind.kind];
  if (!fixture) continue;
  const framework = 'framework' in kind ? kind.framework : undefined;

  describe(`the ${kind.kind} store kind`, () => {
    let t: TestApp;
    const ask = async (query: string, variables: Json = {}, headers: Record<string, string> = {}) => {
      const response = await t.fetch({ query, variables }, headers);
      const body = (await response.json()) as { data?: Json; errors?: unknown[] };
      expect(body.errors, query).toBeUndefined();
      return body.data!;
    };
    const create = async (input: Json) => {
      const data = await ask(
        `mutation($input: CreateSessionInput!) { createSession(input: $input) {
           __typename ... on CreateSessionPayload { sessionKey session { ${SESSION} } } ... on Error { code message } } }`,
        { input: { store: 'contract', ...input } },
      );
      const payload = data['createSession'] as { __typename: string; sessionKey: string; session: Json };
      expect(payload.__typename, JSON.stringify(payload)).toBe('CreateSessionPayload');
      return payload;
    };
    const byId = async (id: string) =>
      (await ask(`query($id: ID!) { session(id: $id) { ${SESSION} } }`, { id }))['session'] as Json | null;
    const update = async (input: Json) =>
      (
        await ask(
          `mutation($input: UpdateSessionInput!) { updateSession(input: $input) {
             __typename ... on UpdateSessionPayload { session { ${SESSION} } } ... on Error { code message } } }`,
          { input },
        )
      )['updateSession'] as { __typename: string; session: Json };
    const current = async (key: string) =>
      (
        await ask(
          '{ currentSession { id status } }',
          {},
          { authorization: '', cookie: fixture.cookie(key), 'x-graphql-csrf': '1' },
        )
      )['currentSession'] as Json | null;

    beforeAll(async () => {
      t = await startTestApp({ config: { stores: [fixture.config] }, setup: fixture.setup });
    });
    afterAll(async () => {
      await t?.close();
    });

    const data = {
      cart: [{ sku: 'SKU-1', qty: 2 }],
      theme: 'dark',
      note: 'ünïcødé ✓',
      nested: { a: [1, 2.5, null, true] },
    };

    it('should read back what it writes, and update it', async () => {
      const created = await create({ userId: '2', data, ttlSeconds: 3600 });
      expect(created.session).toMatchObject({
        status: 'ACTIVE',
        userId: '2',
        data,
        user: { username: 'grace' },
      });
      expect(await byId(created.session['id'] as string)).toMatchObject({
        status: 'ACTIVE',
        data,
        userId: '2',
      });
      const updated = await update({ id: created.session['id'], set: { theme: 'light' }, unset: ['note'] });
      expect(updated.__typename).toBe('UpdateSessionPayload');
      const { note: _note, ...rest } = data;
      // A framework store's data also holds what the framework keeps there for the user (`uid`, `passport`).
      const after = updated.session['data'] as Json;
      expect(after).toMatchObject({ ...rest, theme: 'light' });
      expect(after).not.toHaveProperty('note');
      expect(updated.session['version']).not.toBe(created.session['version']);
      expect((await byId(created.session['id'] as string))?.['data']).toEqual(after);
    });

    it('should open the session by the cookie a browser holds, and not once it expired', async () => {
      const created = await create({ userId: '3', data: { step: 1 }, ttlSeconds: 3600 });
      expect(await current(created.sessionKey)).toMatchObject({
        id: created.session['id'],
        status: 'ACTIVE',
      });
      // Two hours on, past its expiry.
      t.setNow(new Date(Date.now() + 2 * 3600_000));
      try {
        expect(await byId(created.session['id'] as string)).toMatchObject({ status: 'EXPIRED' });
        expect(await current(created.sessionKey)).toBeNull();
        // The sweeper deletes it, as the framework's own cleanup would.
        const deleted = await sweepExpired(t.app, t.pool);
        expect(deleted['contract']).toBeGreaterThanOrEqual(1);
        expect(await byId(created.session['id'] as string)).toBeNull();
      } finally {
        t.setNow(null);
      }
    });

    it('should list a user’s sessions by its id and end them all', async () => {
      const one = await create({ userId: '5', data: {}, ttlSeconds: 3600 });
      const two = await create({ userId: '5', data: { x: 1 }, ttlSeconds: 3600 });
      await t.sync();
      const listed = await ask(
        `query($userId: ID) { sessions(store: "contract", userId: $userId, first: 10) { totalCount edges { node { id } } } }`,
        { userId: '5' },
      );
      const ids = (listed['sessions'] as { edges: { node: { id: string } }[] }).edges.map(
        (edge) => edge.node.id,
      );
      expect(ids.sort()).toEqual([one.session['id'], two.session['id']].sort());
      const ended = await ask(
        `mutation { endUserSessions(input: { userId: "5", store: "contract" }) {
           __typename ... on EndUserSessionsPayload { count } } }`,
      );
      expect(ended['endUserSessions']).toEqual({ __typename: 'EndUserSessionsPayload', count: 2 });
      expect(await byId(one.session['id'] as string)).toBeNull();
    });

    it('should give a new key on rotation, and refuse the old one', async () => {
      const created = await create({ userId: '1', data: { keep: 'me' }, ttlSeconds: 3600 });
      const rotated = (
        await ask(
          `mutation($id: ID!) { rotateSessionKey(input: { id: $id }) {
             __typename ... on RotateSessionKeyPayload { sessionKey session { id data } } } }`,
          { id: created.session['id'] },
        )
      )['rotateSessionKey'] as { sessionKey: string; session: Json };
      expect(rotated.sessionKey).not.toBe(created.sessionKey);
      expect(rotated.session['data']).toMatchObject({ keep: 'me' });
      expect(await current(created.sessionKey)).toBeNull();
      expect(await current(rotated.sessionKey)).toMatchObject({ id: rotated.session['id'] });
    });

    const insertTooDeep = fixture.insertTooDeep;
    // A store whose column cannot hold data past the budgets has no such row to serve.
    if (insertTooDeep !== null)
      it('should serve a stored value over the decode budgets as INVALID, never failing a list', async () => {
        const key = fixture.newKey();
        await insertTooDeep(t.pool, key);
        await t.sync();
        const page = await ask(
          '{ sessions(store: "contract", first: 100) { totalCount edges { node { status problem } } } }',
        );
        const problems = (
          page['sessions'] as { edges: { node: { status: string; problem: string | null } }[] }
        ).edges
          .filter((edge) => edge.node.status === 'INVALID')
          .map((edge) => edge.node.problem);
        expect(problems.some((problem) => problem?.startsWith('over-budget: nesting deeper than 512'))).toBe(
          true,
        );
      });

    // Only framework stores have a projection; the native store is its own.
    if (framework)
      it('should project its sessions, and drop a re-insert of an ended key where the framework upserts', async () => {
        const created = await create({ userId: '4', data: { shop: 'x' }, ttlSeconds: 3600 });
        const projected = await t.pool.query(
          "SELECT user_id::text AS user_id, valid FROM sessiongraph.projection WHERE store = 'contract' AND ref = $1",
          [
            Buffer.from(created.session['id'] as string, 'base64')
              .toString('utf8')
              .split(':')
              .at(-1),
          ],
        );
        expect(projected.rows).toEqual([{ user_id: '4', valid: true }]);
        const ended = await ask(`mutation($id: ID!) { endSession(input: { id: $id }) { __typename } }`, {
          id: created.session['id'],
        });
        expect(ended['endSession']).toEqual({ __typename: 'EndSessionPayload' });
        expect(await byId(created.session['id'] as string)).toBeNull();
        if (storeRevokesStick(t.app.config.stores[0]!) && fixture.insertTooDeep) {
          // The framework's late write of the ended key (any content) is discarded by the tombstone trigger.
          const stored = created.sessionKey.startsWith('s:')
            ? created.sessionKey.slice(2, created.sessionKey.lastIndexOf('.'))
            : created.sessionKey;
          await fixture.insertTooDeep(t.pool, stored);
          expect(await byId(created.session['id'] as string)).toBeNull();
        }
      });
  });
}
