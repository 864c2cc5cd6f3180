import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { createToken, SCOPES } from '../src/auth/tokens.ts';
import { revokeToken } from '../src/auth/tokens.sql.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { graphqlUrl, listen } from './helpers/servers.ts';
import { nativeSession } from './helpers/seed.ts';
import { demoUsersDatabase } from './helpers/db.ts';
import { type ServerProcess, startServerProcess } from './helpers/process.ts';
import { until } from './helpers/until.ts';

const run = promisify(execFile);

/**
 * `sessionEvents` across processes: a subscriber on replica B hears what is done through replica A (and
 * what is written to the table directly), over SSE, because both follow PostgreSQL's NOTIFY.
 */

interface Event {
  kind: string;
  sessionId: string;
  store: string;
  userId: string | null;
  session: { id: string; data: Record<string, unknown> } | null;
}

/** Reads `next` events off an SSE response as they come. */
function sseEvents(response: Response) {
  const events: Event[] = [];
  const errors: unknown[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('');
        if (message.startsWith('event: next') && data) {
          const payload = JSON.parse(data) as { data?: { sessionEvents: Event }; errors?: unknown[] };
          if (payload.errors) errors.push(...payload.errors);
          if (payload.data) events.push(payload.data.sessionEvents);
        }
        end = buffer.indexOf('\n\n');
      }
    }
  })();
  return { events, errors, close: () => reader.cancel().then(() => pump) };
}

describe.skipIf(!process.env['DATABASE_URL'])('session events across replicas', () => {
  const db = demoUsersDatabase();
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;

  beforeAll(async () => {
    a = await startServerProcess({ DATABASE_URL: db.database.url });
    b = await startServerProcess({ DATABASE_URL: db.database.url });
    token = (await createToken(db.pool, 'events', SCOPES, null)).token;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const graphql = async (server: ServerProcess, query: string, variables?: unknown) =>
    (await (
      await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      })
    ).json()) as { data: Record<string, { session: { id: string } }>; errors?: unknown[] };

  const subscribe = async (server: ServerProcess, query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        authorization: `Bearer ${token}`,
        ...headers,
      },
      body: JSON.stringify({ query }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const stream = sseEvents(response);
    // The subscription is live once the server has looked up what it watches for expiry.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return stream;
  };

  const SUBSCRIPTION = `subscription { sessionEvents(userId: "1") {
    kind sessionId store userId session { id data } } }`;

  it('should stream created, updated, ended and expired events made on another replica', async () => {
    const stream = await subscribe(b, SUBSCRIPTION);
    const created = await graphql(
      a,
      `mutation { createSession(input: { userId: "1", data: { step: 1 } }) {
        ... on CreateSessionPayload { session { id } } } }`,
    );
    const id = created.data['createSession']!.session.id;
    // An event's `session` is the session as it is when the event arrives (a few ms after the commit, through
    // the outbox's relay): the next change waits for it, so each event shows its own step.
    await until(() => stream.events.length >= 1);
    await graphql(
      a,
      `mutation ($id: ID!) { updateSession(input: { id: $id, set: { step: 2 } }) { __typename } }`,
      {
        id,
      },
    );
    await until(() => stream.events.length >= 2);
    // Another user's session is not this subscriber's business.
    await graphql(a, `mutation { createSession(input: { userId: "2", data: {} }) { __typename } }`);
    await graphql(a, `mutation ($id: ID!) { endSession(input: { id: $id }) { __typename } }`, { id });
    const short = await graphql(
      a,
      `mutation { createSession(input: { userId: "1", data: { short: true }, ttlSeconds: 2 }) {
        ... on CreateSessionPayload { session { id } } } }`,
    );
    const shortId = short.data['createSession']!.session.id;

    await until(() => stream.events.some((event) => event.kind === 'EXPIRED'));
    await stream.close();
    expect(stream.errors).toEqual([]);
    expect(stream.events.map((event) => [event.kind, event.sessionId])).toEqual([
      ['CREATED', id],
      ['UPDATED', id],
      ['ENDED', id],
      ['CREATED', shortId],
      ['EXPIRED', shortId],
    ]);
    expect(stream.events[0]).toMatchObject({
      store: 'native',
      userId: '1',
      session: { id, data: { step: 1 } },
    });
    expect(stream.events[1]!.session!.data).toEqual({ step: 2 });
    expect(stream.events[2]!.session).toBeNull();
  }, 60_000);

  it('should hear sessions written straight into the table, not only through the API', async () => {
    const stream = await subscribe(b, SUBSCRIPTION);
    await db.pool.query(
      `INSERT INTO sessiongraph.sessions (key_hash, user_id, data, expires_at)
       VALUES (sha256('direct-insert'::bytea), 1, '{"via":"sql"}', now() + interval '1 hour')`,
    );
    // A read refreshing last_seen_at is no event; a change of data is.
    const touched = createHash('sha256').update('direct-insert').digest('hex');
    await db.pool.query(
      `UPDATE sessiongraph.sessions SET last_seen_at = now() WHERE key_hash = decode($1, 'hex')`,
      [touched],
    );
    await db.pool.query(
      `UPDATE sessiongraph.sessions SET data = '{"via":"sql","step":2}' WHERE key_hash = decode($1, 'hex')`,
      [touched],
    );
    await until(() => stream.events.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stream.close();
    expect(stream.events[0]).toMatchObject({
      kind: 'CREATED',
      userId: '1',
      session: { data: { via: 'sql' } },
    });
    expect(stream.events.map((event) => event.kind)).toEqual(['CREATED', 'UPDATED']);
    expect(stream.events[1]).toMatchObject({ session: { data: { via: 'sql', step: 2 } } });
  }, 30_000);

  it("should hear the sweeper's expired sessions, sent in a few batched notifications after its commit", async () => {
    const inserted = await db.pool.query<{ id: string }>(
      `INSERT INTO sessiongraph.sessions (key_hash, user_id, data, expires_at)
       SELECT sha256(('swept-' || n)::bytea), 3, '{}', now() - interval '1 minute'
         FROM generate_series(1, 400) AS n
       RETURNING id::text`,
    );
    // Their "created" events leave the outbox first (src/events/relay.ts): this test hears the sweep's.
    await until(
      async () =>
        (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sessiongraph.event_outbox'))
          .rows[0]!.n === 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const listener = new pg.Client({ connectionString: db.database.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (message) => payloads.push(message.payload ?? ''));
    await listener.query('LISTEN sessiongraph_events');
    const stream = await subscribe(b, `subscription { sessionEvents(userId: "3") { kind sessionId } }`);
    await run('npx', ['tsx', 'src/cli.ts', 'sweep'], {
      env: { ...process.env, DATABASE_URL: db.database.url, SESSIONGRAPH_CONFIG: '' },
    });
    await until(() => stream.events.length >= 400);
    await stream.close();
    await listener.end();
    expect(new Set(stream.events.map((event) => event.kind))).toEqual(new Set(['EXPIRED']));
    expect(new Set(stream.events.map((event) => event.sessionId)).size).toBe(400);
    // Each notification carries many events: the sweep's commit held the notify lock for none of them.
    expect(payloads.length).toBeLessThan(20);
    const refs = payloads
      .flatMap((payload) => JSON.parse(payload) as { r: string; u: string }[])
      .filter((event) => event.u === '3')
      .map((event) => event.r);
    expect(refs.sort()).toEqual(inserted.rows.map((row) => row.id).sort());
  }, 60_000);

  it('should relay the outbox once, in notifications under the payload limit, dropping stale and oversized events', async () => {
    const listener = new pg.Client({ connectionString: db.database.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (message) => payloads.push(message.payload ?? ''));
    await listener.query('LISTEN sessiongraph_events');
    // What the triggers write, 600 at once (two replicas relay them, each taking what the other does not),
    // one long enough to go alone, one too long for any notification, one left twenty minutes ago while no
    // server ran.
    await db.pool.query(
      `INSERT INTO sessiongraph.event_outbox (payload)
       SELECT json_build_object('s', NULL, 'r', 'relayed-' || n, 'u', '9', 'k', 'created', 'e', NULL)::text
         FROM generate_series(1, 600) AS n`,
    );
    await db.pool.query(
      `INSERT INTO sessiongraph.event_outbox (payload) VALUES
         (json_build_object('s', NULL, 'r', repeat('x', 5000), 'u', '9', 'k', 'created', 'e', NULL)::text),
         (json_build_object('s', NULL, 'r', repeat('y', 9000), 'u', '9', 'k', 'created', 'e', NULL)::text)`,
    );
    await db.pool.query(
      `INSERT INTO sessiongraph.event_outbox (at, payload) VALUES (now() - interval '20 minutes',
         json_build_object('s', NULL, 'r', 'stale', 'u', '9', 'k', 'created', 'e', NULL)::text)`,
    );
    const refs = () =>
      payloads.flatMap((payload) => (JSON.parse(payload) as { r: string }[]).map((event) => event.r));
    await until(() => refs().length >= 601);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await listener.end();
    expect(refs().sort()).toEqual(
      [...Array.from({ length: 600 }, (_, n) => `relayed-${n + 1}`), 'x'.repeat(5000)].sort(),
    );
    expect(payloads.length).toBeLessThan(60);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const left = await db.pool.query('SELECT 1 FROM sessiongraph.event_outbox');
    expect(left.rowCount).toBe(0);
  }, 30_000);

  it('should vacuum the outbox once the relays have taken 10,000 events, so no later relay walks their dead entries', async () => {
    const vacuums = async () =>
      (
        await db.pool.query<{ n: string }>(
          "SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE relid = 'sessiongraph.event_outbox'::regclass",
        )
      ).rows[0]!.n;
    const before = Number(await vacuums());
    // Each of the two servers relays its share: 25,000 events take both past the threshold.
    await db.pool.query(
      `INSERT INTO sessiongraph.event_outbox (payload)
       SELECT json_build_object('s', NULL, 'r', 'bulk-' || n, 'u', '9', 'k', 'created', 'e', NULL)::text
         FROM generate_series(1, 25000) AS n`,
    );
    await until(
      async () => (await db.pool.query('SELECT 1 FROM sessiongraph.event_outbox LIMIT 1')).rowCount === 0,
      30_000,
    );
    await until(async () => Number(await vacuums()) > before, 10_000);
    const left = await db.pool.query<{ dead: string }>(
      "SELECT n_dead_tup AS dead FROM pg_stat_user_tables WHERE relid = 'sessiongraph.event_outbox'::regclass",
    );
    expect(Number(left.rows[0]!.dead)).toBeLessThan(25_000);
  }, 60_000);

  it('should end a stream with an error when events may have been missed, so the client resubscribes', async () => {
    const stream = await subscribe(b, SUBSCRIPTION);
    // PostgreSQL ends the replicas' LISTEN connections (a restart, a failover, an administrator).
    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE 'LISTEN%'`,
    );
    await until(() => stream.errors.length > 0);
    expect(stream.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) }),
    ]);
    await stream.close();
    // The replica listens again by itself; a new subscription hears new events.
    const again = await subscribe(b, SUBSCRIPTION);
    await graphql(
      a,
      `mutation { createSession(input: { userId: "1", data: { after: true } }) { __typename } }`,
    );
    await until(() => again.events.length > 0);
    await again.close();
    expect(again.events[0]).toMatchObject({ kind: 'CREATED', session: { data: { after: true } } });
  }, 30_000);

  it('should refuse a subscriber with neither a token nor a session', async () => {
    const response = await fetch(`${b.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIPTION }),
    });
    // The refusal comes as the stream's only result, then the stream completes.
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: complete')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain('UNAUTHENTICATED');
    expect(text).not.toContain('"kind"');
  });
});

describe.skipIf(!process.env['DATABASE_URL'])('a stream outlives no credential', () => {
  let t: TestApp;
  let server: Server;

  beforeAll(async () => {
    t = await startTestApp({ notifications: true, config: { tokenCacheSeconds: 60 } });
    server = await listen(t);
  });
  afterAll(async () => {
    server?.close();
    await t?.close();
  });

  /** The stream's text as it comes, until it completes. */
  const subscribe = async (headers: Record<string, string>) => {
    const response = await fetch(graphqlUrl(server), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify({ query: 'subscription { sessionEvents { kind session { data } } }' }),
    });
    const reader = response.body!.getReader();
    const stream = { text: '', completed: false };
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        stream.text += new TextDecoder().decode(value);
      }
      stream.completed = true;
    })();
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { stream, close: () => reader.cancel().catch(() => {}) };
  };
  const admin = async (query: string, variables: Record<string, unknown> = {}) =>
    (await t.fetch({ query, variables })).json();

  it('should end a token’s stream once the token is revoked, sending nothing more', async () => {
    const token = (await createToken(t.pool, 'follower', ['sessions:read'], null)).token;
    const { stream, close } = await subscribe({ authorization: `Bearer ${token}` });
    await admin('mutation { createSession(input: { data: { before: 1 } }) { __typename } }');
    await until(() => stream.text.includes('"before"'));
    await revokeToken(t.pool, 'follower');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await admin('mutation { createSession(input: { data: { afterRevocation: 1 } }) { __typename } }');
    await until(() => stream.completed);
    await close();
    expect(stream.text).toContain('The API token is revoked.');
    expect(stream.text).not.toContain('afterRevocation');
  });

  it('should end a browser’s stream once its session has a new key, and tell it when its session ends', async () => {
    const mine = await nativeSession(t.pool, { userId: 1, data: { v: 1 } });
    const rotated = await subscribe({ 'x-session-key': mine.key });
    const update =
      'mutation ($id: ID!, $set: JSONObject) { updateSession(input: { id: $id, set: $set }) { __typename } }';
    await admin(update, { id: mine.id, set: { v: 2 } });
    await until(() => rotated.stream.text.includes('"v":2'));
    await admin('mutation ($id: ID!) { rotateSessionKey(input: { id: $id }) { __typename } }', {
      id: mine.id,
    });
    await admin(update, { id: mine.id, set: { v: 'for the new key only' } });
    await until(() => rotated.stream.completed);
    await rotated.close();
    expect(rotated.stream.text).toContain('UNAUTHENTICATED');
    expect(rotated.stream.text).not.toContain('for the new key only');

    const other = await nativeSession(t.pool, { userId: 1, data: {} });
    const ended = await subscribe({ 'x-session-key': other.key });
    await admin('mutation ($id: ID!) { endSession(input: { id: $id }) { __typename } }', { id: other.id });
    await until(() => ended.stream.completed);
    await ended.close();
    expect(ended.stream.text).toContain('"kind":"ENDED"');
    expect(ended.stream.text).not.toContain('UNAUTHENTICATED');
  });
});
