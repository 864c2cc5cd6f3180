/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type CallerKind =
  /** Neither (or a token that does not check out). */
  | 'ANONYMOUS'
  /** A browser presenting its own live session's key. */
  | 'SESSION'
  /** An API token. */
  | 'TOKEN';

export type SessionEventKind =
  /** A new session. */
  | 'CREATED'
  /** Deleted before its expiry (logout, endSession, the framework). */
  | 'ENDED'
  /** It reached its expiry (or an expired session was swept). */
  | 'EXPIRED'
  /** Its data, owner, key or expiry changed. */
  | 'UPDATED';

/** ACTIVE: usable now. EXPIRED: past its expiry. INVALID: stored, but cannot be decoded or trusted. */
export type SessionStatus =
  | 'ACTIVE'
  | 'EXPIRED'
  | 'INVALID';

/** Typed-field conditions; all given must hold (equality). */
export type SessionWhere = {
  currentPage?: string | null | undefined;
  userRole?: string | null | undefined;
};

/** From `since` (included) to `before` (not included); either may be left out. */
export type TimeRange = {
  before?: string | null | undefined;
  since?: string | null | undefined;
};

export type ConsoleCallerQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleCallerQuery = { caller: { kind: CallerKind, name: string | null, scopes: Array<string> } };

export type ConsoleDeploymentQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleDeploymentQuery = { stores: Array<{ name: string, kind: string, filters: Array<string> }>, sessionFields: Array<{ name: string, type: string }> };

export type ConsoleStatsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleStatsQuery = { sessionStats: Array<{ store: string, status: SessionStatus, count: number }> };

export type ConsoleFindUsersQueryVariables = Exact<{
  search: string;
}>;


export type ConsoleFindUsersQuery = { users: { edges: Array<{ node: { id: string, rowId: string, label: string } }> } };

export type ConsoleSessionsQueryVariables = Exact<{
  store?: string | null | undefined;
  status?: SessionStatus | null | undefined;
  userId?: string | number | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  createdAt?: TimeRange | null | undefined;
  lastSeenAt?: TimeRange | null | undefined;
  expiresAt?: TimeRange | null | undefined;
  after?: string | null | undefined;
  first?: number | null | undefined;
  withUsers: boolean;
}>;


export type ConsoleSessionsQuery = { sessions: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, store: string, status: SessionStatus, userId: string | null, createdAt: string | null, lastSeenAt: string | null, expiresAt: string | null, ip: string | null, userAgent: string | null, problem: string | null, user?: { id: string, rowId: string, label: string } | null } }> } };

export type ConsoleSessionsWhereQueryVariables = Exact<{
  store?: string | null | undefined;
  status?: SessionStatus | null | undefined;
  userId?: string | number | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  createdAt?: TimeRange | null | undefined;
  lastSeenAt?: TimeRange | null | undefined;
  expiresAt?: TimeRange | null | undefined;
  where?: SessionWhere | null | undefined;
  after?: string | null | undefined;
  first?: number | null | undefined;
  withUsers: boolean;
}>;


export type ConsoleSessionsWhereQuery = { sessions: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, store: string, status: SessionStatus, userId: string | null, createdAt: string | null, lastSeenAt: string | null, expiresAt: string | null, ip: string | null, userAgent: string | null, problem: string | null, user?: { id: string, rowId: string, label: string } | null } }> } };

export type SessionPageFragment = { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, store: string, status: SessionStatus, userId: string | null, createdAt: string | null, lastSeenAt: string | null, expiresAt: string | null, ip: string | null, userAgent: string | null, problem: string | null, user?: { id: string, rowId: string, label: string } | null } }> };

export type SessionRowFragment = { id: string, store: string, status: SessionStatus, userId: string | null, createdAt: string | null, lastSeenAt: string | null, expiresAt: string | null, ip: string | null, userAgent: string | null, problem: string | null, user?: { id: string, rowId: string, label: string } | null };

export type ConsoleSessionQueryVariables = Exact<{
  id: string | number;
  withUsers: boolean;
}>;


export type ConsoleSessionQuery = { session: { version: number, decodeNote: string | null, data: Record<string, unknown>, dataTypes: Record<string, unknown> | null, id: string, store: string, status: SessionStatus, userId: string | null, createdAt: string | null, lastSeenAt: string | null, expiresAt: string | null, ip: string | null, userAgent: string | null, problem: string | null, user?: { id: string, rowId: string, label: string } | null } | null };

export type ConsoleAuditQueryVariables = Exact<{
  sessionId?: string | number | null | undefined;
  userId?: string | number | null | undefined;
}>;


export type ConsoleAuditQuery = { auditEvents: { edges: Array<{ node: { id: string, action: string, actor: string, at: string, outcome: string } }> } };

export type ConsoleUserQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleUserQuery = { user: { id: string, rowId: string, label: string, columns: Record<string, unknown> } | null };

export type ConsoleEndSessionMutationVariables = Exact<{
  id: string | number;
}>;


export type ConsoleEndSessionMutation = { endSession:
    | { __typename: 'EndSessionPayload', endedSessionId: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'SessionNotFoundError', code: string, message: string }
   };

export type ConsoleEndUserSessionsMutationVariables = Exact<{
  userId: string | number;
  keep?: string | number | null | undefined;
}>;


export type ConsoleEndUserSessionsMutation = { endUserSessions:
    | { __typename: 'EndUserSessionsPayload', count: number }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'InvalidInputError', code: string, message: string }
    | { __typename: 'StoreNotFoundError', code: string, message: string }
    | { __typename: 'UserNotFoundError', code: string, message: string }
   };

export type ConsoleEventsSubscriptionVariables = Exact<{
  userId?: string | number | null | undefined;
}>;


export type ConsoleEventsSubscription = { sessionEvents: { kind: SessionEventKind, sessionId: string, store: string, userId: string | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const SessionRowFragmentDoc = new TypedDocumentString(`
    fragment SessionRow on Session {
  id
  store
  status
  userId
  createdAt
  lastSeenAt
  expiresAt
  ip
  userAgent
  problem
  user @include(if: $withUsers) {
    id
    rowId
    label
  }
}
    `, {"fragmentName":"SessionRow"}) as unknown as TypedDocumentString<SessionRowFragment, unknown>;
export const SessionPageFragmentDoc = new TypedDocumentString(`
    fragment SessionPage on SessionConnection {
  totalCount
  pageInfo {
    hasNextPage
    endCursor
  }
  edges {
    node {
      ...SessionRow
    }
  }
}
    fragment SessionRow on Session {
  id
  store
  status
  userId
  createdAt
  lastSeenAt
  expiresAt
  ip
  userAgent
  problem
  user @include(if: $withUsers) {
    id
    rowId
    label
  }
}`, {"fragmentName":"SessionPage"}) as unknown as TypedDocumentString<SessionPageFragment, unknown>;
export const ConsoleCallerDocument = new TypedDocumentString(`
    query ConsoleCaller {
  caller {
    kind
    name
    scopes
  }
}
    `) as unknown as TypedDocumentString<ConsoleCallerQuery, ConsoleCallerQueryVariables>;
export const ConsoleDeploymentDocument = new TypedDocumentString(`
    query ConsoleDeployment {
  stores {
    name
    kind
    filters
  }
  sessionFields {
    name
    type
  }
}
    `) as unknown as TypedDocumentString<ConsoleDeploymentQuery, ConsoleDeploymentQueryVariables>;
export const ConsoleStatsDocument = new TypedDocumentString(`
    query ConsoleStats {
  sessionStats {
    store
    status
    count
  }
}
    `) as unknown as TypedDocumentString<ConsoleStatsQuery, ConsoleStatsQueryVariables>;
export const ConsoleFindUsersDocument = new TypedDocumentString(`
    query ConsoleFindUsers($search: String!) {
  users(search: $search, first: 10) {
    edges {
      node {
        id
        rowId
        label
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleFindUsersQuery, ConsoleFindUsersQueryVariables>;
export const ConsoleSessionsDocument = new TypedDocumentString(`
    query ConsoleSessions($store: String, $status: SessionStatus, $userId: ID, $ip: String, $userAgent: String, $createdAt: TimeRange, $lastSeenAt: TimeRange, $expiresAt: TimeRange, $after: String, $first: Int, $withUsers: Boolean!) {
  sessions(
    store: $store
    status: $status
    userId: $userId
    ip: $ip
    userAgent: $userAgent
    createdAt: $createdAt
    lastSeenAt: $lastSeenAt
    expiresAt: $expiresAt
    after: $after
    first: $first
  ) {
    ...SessionPage
  }
}
    fragment SessionPage on SessionConnection {
  totalCount
  pageInfo {
    hasNextPage
    endCursor
  }
  edges {
    node {
      ...SessionRow
    }
  }
}
fragment SessionRow on Session {
  id
  store
  status
  userId
  createdAt
  lastSeenAt
  expiresAt
  ip
  userAgent
  problem
  user @include(if: $withUsers) {
    id
    rowId
    label
  }
}`) as unknown as TypedDocumentString<ConsoleSessionsQuery, ConsoleSessionsQueryVariables>;
export const ConsoleSessionsWhereDocument = new TypedDocumentString(`
    query ConsoleSessionsWhere($store: String, $status: SessionStatus, $userId: ID, $ip: String, $userAgent: String, $createdAt: TimeRange, $lastSeenAt: TimeRange, $expiresAt: TimeRange, $where: SessionWhere, $after: String, $first: Int, $withUsers: Boolean!) {
  sessions(
    store: $store
    status: $status
    userId: $userId
    ip: $ip
    userAgent: $userAgent
    createdAt: $createdAt
    lastSeenAt: $lastSeenAt
    expiresAt: $expiresAt
    where: $where
    after: $after
    first: $first
  ) {
    ...SessionPage
  }
}
    fragment SessionPage on SessionConnection {
  totalCount
  pageInfo {
    hasNextPage
    endCursor
  }
  edges {
    node {
      ...SessionRow
    }
  }
}
fragment SessionRow on Session {
  id
  store
  status
  userId
  createdAt
  lastSeenAt
  expiresAt
  ip
  userAgent
  problem
  user @include(if: $withUsers) {
    id
    rowId
    label
  }
}`) as unknown as TypedDocumentString<ConsoleSessionsWhereQuery, ConsoleSessionsWhereQueryVariables>;
export const ConsoleSessionDocument = new TypedDocumentString(`
    query ConsoleSession($id: ID!, $withUsers: Boolean!) {
  session(id: $id) {
    ...SessionRow
    version
    decodeNote
    data
    dataTypes
  }
}
    fragment SessionRow on Session {
  id
  store
  status
  userId
  createdAt
  lastSeenAt
  expiresAt
  ip
  userAgent
  problem
  user @include(if: $withUsers) {
    id
    rowId
    label
  }
}`) as unknown as TypedDocumentString<ConsoleSessionQuery, ConsoleSessionQueryVariables>;
export const ConsoleAuditDocument = new TypedDocumentString(`
    query ConsoleAudit($sessionId: ID, $userId: ID) {
  auditEvents(sessionId: $sessionId, userId: $userId, first: 50) {
    edges {
      node {
        id
        action
        actor
        at
        outcome
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleAuditQuery, ConsoleAuditQueryVariables>;
export const ConsoleUserDocument = new TypedDocumentString(`
    query ConsoleUser($id: ID!) {
  user(id: $id) {
    id
    rowId
    label
    columns
  }
}
    `) as unknown as TypedDocumentString<ConsoleUserQuery, ConsoleUserQueryVariables>;
export const ConsoleEndSessionDocument = new TypedDocumentString(`
    mutation ConsoleEndSession($id: ID!) {
  endSession(input: {id: $id}) {
    __typename
    ... on EndSessionPayload {
      endedSessionId
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleEndSessionMutation, ConsoleEndSessionMutationVariables>;
export const ConsoleEndUserSessionsDocument = new TypedDocumentString(`
    mutation ConsoleEndUserSessions($userId: ID!, $keep: ID) {
  endUserSessions(input: {userId: $userId, keepSessionId: $keep}) {
    __typename
    ... on EndUserSessionsPayload {
      count
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ConsoleEndUserSessionsMutation, ConsoleEndUserSessionsMutationVariables>;
export const ConsoleEventsDocument = new TypedDocumentString(`
    subscription ConsoleEvents($userId: ID) {
  sessionEvents(userId: $userId) {
    kind
    sessionId
    store
    userId
  }
}
    `) as unknown as TypedDocumentString<ConsoleEventsSubscription, ConsoleEventsSubscriptionVariables>;