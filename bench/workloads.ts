/**
 * The workloads: W1 a page of 50 active sessions with their users; W2 one session by id with its user; W3
 * currentSession with a cookie; W4 updateSession setting one key (W4i the same with an Idempotency-Key, W4d
 * on a Django session); W5 W1 on the Django store; W6 all sessions of one user (native and Django); W7
 * createSession for a user; W8 endUserSessions of a user with 10 sessions. The hand-written server runs W1-W4,
 * W6 (native), W7 and W8; PostGraphile W1 and W2.
 */
import { randomUUID } from 'node:crypto';
import { encodeSessionId } from '../src/sessions/ids.ts';
import { CONNECTIONS, pick, SAMPLE, sample, USERS, W8_SESSIONS_PER_USER } from './common.ts';
import type { DataSet, UserPool } from './data.ts';
import type { Measurement } from './measure.ts';

export interface Workload {
  id: string;
  server: string;
  description: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers: Record<string, string>;
  /** Path, body, cookie and further headers of the next request. */
  next(): { path: string; body?: string; cookie?: string; headers?: Record<string, string> };
  /** Whether a 2xx response is a success (no GraphQL `errors`, the expected payload). */
  ok(body: string): boolean;
  /**
   * Before each measurement of `seconds` (0: the one sanity request), outside the measured time: sets up what
   * the requests consume, and returns the most requests the measurement may make (none: no limit).
   */
  prepare?(seconds: number): Promise<number | undefined>;
  /** After each measurement (and the sanity request): puts the data set back as it was. */
  finish?(measured?: Measurement): Promise<void>;
}

/** What W7 and W8 change, and how the bench puts it back (src: data.ts). */
export interface Churn {
  /** W8's users, each given 10 sessions before a measurement and taken by one request. */
  w8: UserPool;
  /** Deletes the sessions W7 created. */
  dropCreated(): Promise<unknown>;
}

export const graphql = (query: string, variables?: Record<string, unknown>) =>
  JSON.stringify(variables ? { query, variables } : { query });

const noErrors = (marker: string) => (body: string) => body.includes(marker) && !body.includes('"errors"');

/** What a W7 request stores. */
const newSessionData = () => ({ user_role: 'member', current_page: '/login', cart: [] });

/**
 * W8's set-up, one per server: before each measurement, sessions for as many of W8's users as the
 * measurement can take at twice the best rate this server has shown (the first measurement, a warm-up,
 * runs cold; before it: `RATE_GUESS`), at most the pool. The measurement is capped at that many requests,
 * so none meets a user without sessions (a capped run's rate is over the time it took; the report says so).
 * Afterwards the sessions it did not end are deleted.
 */
const RATE_GUESS = 2000;
function w8Hooks(pool: UserPool): Pick<Workload, 'prepare' | 'finish'> {
  let rate: number | null = null;
  return {
    async prepare(seconds) {
      const wanted =
        seconds === 0 ? CONNECTIONS : Math.ceil((rate ?? RATE_GUESS) * 2 * seconds) + CONNECTIONS;
      const users = Math.min(wanted, pool.size);
      await pool.fill(users);
      return users;
    },
    async finish(measured) {
      if (measured && measured.requests > 0) rate = Math.max(rate ?? 0, measured.requestsPerSecond);
      await pool.clear();
    },
  };
}

const countOf = (body: string) => Number(/"count"\s*:\s*(\d+)/.exec(body)?.[1] ?? Number.NaN);

export function sessiongraphWorkloads(
  token: string,
  set: DataSet,
  django: { users: string[]; refs: string[] },
  churn: Churn,
): Workload[] {
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const pageQuery = (store: string) =>
    graphql(`{ sessions(store: "${store}", status: ACTIVE, first: 50) { edges { node {
      id createdAt expiresAt data user { id username email } } } } }`);
  const w2Ids = sample(set.allIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const w4Ids = sample(set.activeIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const w4dIds = sample(django.refs, SAMPLE).map((ref) => encodeSessionId({ store: 'django', ref }));
  const userIds = sample(
    Array.from({ length: USERS }, (_, i) => String(i + 1)),
    SAMPLE,
  );
  const byUser = `query W6($id: ID!, $store: String!) { user(id: $id) { id username
    sessions(store: $store, first: 100) { edges { node { id createdAt expiresAt data } } } } }`;
  const update = `mutation W4($id: ID!, $set: JSONObject!) { updateSession(input: { id: $id, set: $set }) {
    __typename ... on UpdateSessionPayload { session { id version } } ... on Error { code } } }`;
  let counter = 0;
  const updateOf = (ids: string[]) => () => {
    counter += 1;
    return { path: '/graphql', body: graphql(update, { id: pick(ids), set: { bench_counter: counter } }) };
  };
  const common = { server: 'sessiongraph', method: 'POST' as const };
  return [
    {
      ...common,
      id: 'W1',
      description: '50 active sessions, newest first, with users (native)',
      headers: auth,
      next: () => ({ path: '/graphql', body: pageQuery('native') }),
      ok: noErrors('"edges":[{'),
    },
    {
      ...common,
      id: 'W2',
      description: 'one session by id with its user',
      headers: auth,
      next: () => ({
        path: '/graphql',
        body: graphql(
          'query W2($id: ID!) { session(id: $id) { id createdAt expiresAt data user { id username email } } }',
          { id: pick(w2Ids) },
        ),
      }),
      ok: noErrors('"session":{'),
    },
    {
      ...common,
      id: 'W3',
      description: 'currentSession with a cookie',
      headers: { 'content-type': 'application/json', 'x-graphql-csrf': '1' },
      next: () => ({
        path: '/graphql',
        body: graphql('{ currentSession { id data user { id username email } } }'),
        cookie: pick(set.activeKeys),
      }),
      ok: noErrors('"currentSession":{'),
    },
    {
      ...common,
      id: 'W4',
      description: 'updateSession setting one key',
      headers: auth,
      next: updateOf(w4Ids),
      ok: noErrors('"UpdateSessionPayload"'),
    },
    {
      ...common,
      id: 'W4i',
      description: 'W4 with an Idempotency-Key (a new one each request)',
      headers: auth,
      next: () => ({ ...updateOf(w4Ids)(), headers: { 'idempotency-key': randomUUID() } }),
      ok: noErrors('"UpdateSessionPayload"'),
    },
    {
      ...common,
      id: 'W4d',
      description: 'W4 on the Django store (signed, compressed when shorter)',
      headers: auth,
      next: updateOf(w4dIds),
      ok: noErrors('"UpdateSessionPayload"'),
    },
    {
      ...common,
      id: 'W5',
      description: 'W1 on the Django store',
      headers: auth,
      next: () => ({ path: '/graphql', body: pageQuery('django') }),
      ok: noErrors('"edges":[{'),
    },
    {
      ...common,
      id: 'W6n',
      description: 'all sessions of one user (native)',
      headers: auth,
      next: () => ({ path: '/graphql', body: graphql(byUser, { id: pick(userIds), store: 'native' }) }),
      ok: noErrors('"user":{'),
    },
    {
      ...common,
      id: 'W6d',
      description: 'all sessions of one user (Django)',
      headers: auth,
      next: () => ({ path: '/graphql', body: graphql(byUser, { id: pick(django.users), store: 'django' }) }),
      ok: noErrors('"user":{'),
    },
    {
      ...common,
      id: 'W7',
      description: 'createSession for a user',
      headers: auth,
      next: () => ({
        path: '/graphql',
        body: graphql(
          `mutation W7($userId: ID!, $data: JSONObject!) {
            createSession(input: { userId: $userId, data: $data, ttlSeconds: 3600 }) {
              __typename ... on CreateSessionPayload { sessionKey session { id status expiresAt } }
              ... on Error { code } } }`,
          { userId: pick(userIds), data: newSessionData() },
        ),
      }),
      ok: noErrors('"CreateSessionPayload"'),
      finish: async () => {
        await churn.dropCreated();
      },
    },
    {
      ...common,
      id: 'W8',
      description: `endUserSessions of a user with ${W8_SESSIONS_PER_USER} sessions`,
      headers: auth,
      next: () => ({
        path: '/graphql',
        body: graphql(
          `mutation W8($userId: ID!) { endUserSessions(input: { userId: $userId }) {
            __typename ... on EndUserSessionsPayload { count } ... on Error { code } } }`,
          { userId: churn.w8.next() },
        ),
      }),
      ok: (body) => noErrors('"EndUserSessionsPayload"')(body) && countOf(body) === W8_SESSIONS_PER_USER,
      ...w8Hooks(churn.w8),
    },
  ];
}

export function handwrittenWorkloads(set: DataSet, churn: Churn): Workload[] {
  const w2Ids = sample(set.allIds, SAMPLE);
  const w4Ids = sample(set.activeIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const userIds = sample(
    Array.from({ length: USERS }, (_, i) => String(i + 1)),
    SAMPLE,
  );
  const common = { server: 'handwritten', method: 'GET' as const, headers: {} };
  const json = { 'content-type': 'application/json' };
  const found = (body: string) => body !== 'null' && !body.includes('"error"');
  let counter = 0;
  return [
    {
      ...common,
      id: 'W1',
      description: '50 active sessions, newest first, with users (native)',
      next: () => ({ path: '/sessions' }),
      ok: (body) => body.startsWith('[{'),
    },
    {
      ...common,
      id: 'W2',
      description: 'one session by id with its user',
      next: () => ({ path: `/sessions/${pick(w2Ids)}` }),
      ok: found,
    },
    {
      ...common,
      id: 'W3',
      description: 'the session of a cookie',
      next: () => ({ path: '/current', cookie: pick(set.activeKeys) }),
      ok: found,
    },
    {
      ...common,
      id: 'W4',
      method: 'PATCH',
      headers: json,
      description: 'one data key set, version bumped, audit row',
      next: () => {
        counter += 1;
        return { path: `/sessions/${pick(w4Ids)}`, body: JSON.stringify({ bench_counter: counter }) };
      },
      ok: (body) => found(body) && body.includes('"version"'),
    },
    {
      ...common,
      id: 'W6n',
      description: 'a user with its native sessions',
      next: () => ({ path: `/users/${pick(userIds)}/sessions` }),
      ok: (body) => found(body) && body.includes('"sessions"'),
    },
    {
      ...common,
      id: 'W7',
      method: 'POST',
      headers: json,
      description: 'a session created for a user, audit row',
      next: () => ({
        path: '/sessions',
        body: JSON.stringify({ userId: pick(userIds), data: newSessionData(), ttlSeconds: 3600 }),
      }),
      ok: (body) => found(body) && body.includes('"sessionKey"'),
      finish: async () => {
        await churn.dropCreated();
      },
    },
    {
      ...common,
      id: 'W8',
      method: 'DELETE',
      description: `a user's sessions ended (${W8_SESSIONS_PER_USER}), audit row`,
      next: () => ({ path: `/users/${churn.w8.next()}/sessions` }),
      ok: (body) => countOf(body) === W8_SESSIONS_PER_USER,
      ...w8Hooks(churn.w8),
    },
  ];
}

export function postgraphileWorkloads(set: DataSet): Workload[] {
  const w2Ids = sample(set.allIds, SAMPLE);
  const common = {
    server: 'postgraphile',
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
  };
  return [
    {
      ...common,
      id: 'W1',
      description: '50 active sessions, newest first, with users (native)',
      next: () => ({
        path: '/graphql',
        body: graphql(`{ publicActiveSessions(first: 50) { nodes { id createdAt expiresAt data
          publicUserByUserId { id username email } } } }`),
      }),
      ok: noErrors('"nodes":[{'),
    },
    {
      ...common,
      id: 'W2',
      description: 'one session by id with its user',
      next: () => ({
        path: '/graphql',
        body: graphql(
          `query W2($id: UUID!) { sessionByRowId(rowId: $id) { id createdAt expiresAt data
            publicUserByUserId { id username email } } }`,
          { id: pick(w2Ids) },
        ),
      }),
      ok: noErrors('"sessionByRowId":{'),
    },
  ];
}
