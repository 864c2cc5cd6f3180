/**
 * The workloads: W1 a page of 50 active sessions with their users; W2 one session by id with its user; W3
 * currentSession with a cookie; W4 updateSession setting one key; W5 W1 on the Django store; W6 all sessions
 * of one user (native and Django). The hand-written server runs W1-W3, PostGraphile W1 and W2.
 */
import { encodeSessionId } from '../src/sessions/ids.ts';
import { pick, SAMPLE, sample, USERS } from './common.ts';
import type { DataSet } from './data.ts';

export interface Workload {
  id: string;
  server: string;
  description: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Path and body of the next request. */
  next(): { path: string; body?: string; cookie?: string };
  /** Whether a 2xx response is a success (no GraphQL `errors`, the expected payload). */
  ok(body: string): boolean;
}

export const graphql = (query: string, variables?: Record<string, unknown>) =>
  JSON.stringify(variables ? { query, variables } : { query });

export function sessiongraphWorkloads(token: string, set: DataSet, djangoUsers: string[]): Workload[] {
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const pageQuery = (store: string) =>
    graphql(`{ sessions(store: "${store}", status: ACTIVE, first: 50) { edges { node {
      id createdAt expiresAt data user { id username email } } } } }`);
  const noErrors = (marker: string) => (body: string) => body.includes(marker) && !body.includes('"errors"');
  const w2Ids = sample(set.allIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const w4Ids = sample(set.activeIds, SAMPLE).map((ref) => encodeSessionId({ store: 'native', ref }));
  const userIds = sample(
    Array.from({ length: USERS }, (_, i) => String(i + 1)),
    SAMPLE,
  );
  const byUser = `query W6($id: ID!, $store: String!) { user(id: $id) { id username
    sessions(store: $store, first: 100) { edges { node { id createdAt expiresAt data } } } } }`;
  let counter = 0;
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
      next: () => {
        counter += 1;
        return {
          path: '/graphql',
          body: graphql(
            `mutation W4($id: ID!, $set: JSONObject!) { updateSession(input: { id: $id, set: $set }) {
              __typename ... on UpdateSessionPayload { session { id version } } ... on Error { code } } }`,
            { id: pick(w4Ids), set: { bench_counter: counter } },
          ),
        };
      },
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
      next: () => ({ path: '/graphql', body: graphql(byUser, { id: pick(djangoUsers), store: 'django' }) }),
      ok: noErrors('"user":{'),
    },
  ];
}

export function handwrittenWorkloads(set: DataSet): Workload[] {
  const w2Ids = sample(set.allIds, SAMPLE);
  const common = { server: 'handwritten', method: 'GET' as const, headers: {} };
  const found = (body: string) => body !== 'null' && !body.includes('"error"');
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
  ];
}

export function postgraphileWorkloads(set: DataSet): Workload[] {
  const w2Ids = sample(set.allIds, SAMPLE);
  const common = {
    server: 'postgraphile',
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
  };
  const noErrors = (marker: string) => (body: string) => body.includes(marker) && !body.includes('"errors"');
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
