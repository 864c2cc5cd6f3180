import { graphql } from './gql/index.ts';

/**
 * Every operation the console sends, typed by `npm run codegen` from schema/schema.graphql into ./gql/.
 * They name no deployment-specific field (users' columns, declared session fields): those come as JSON
 * (`User.columns`) or are listed at start (`sessionFields`).
 */

export const CallerQuery = graphql(`
  query ConsoleCaller {
    caller {
      kind
      name
      scopes
    }
  }
`);

export const DeploymentQuery = graphql(`
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
`);

export const StatsQuery = graphql(`
  query ConsoleStats {
    sessionStats {
      store
      status
      count
    }
  }
`);

export const FindUsersQuery = graphql(`
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
`);

export const SessionsQuery = graphql(`
  query ConsoleSessions(
    $store: String
    $status: SessionStatus
    $userId: ID
    $ip: String
    $userAgent: String
    $createdAt: TimeRange
    $lastSeenAt: TimeRange
    $expiresAt: TimeRange
    $after: String
    $first: Int
    $withUsers: Boolean!
  ) {
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
`);

export const SessionsWhereQuery = graphql(`
  query ConsoleSessionsWhere(
    $store: String
    $status: SessionStatus
    $userId: ID
    $ip: String
    $userAgent: String
    $createdAt: TimeRange
    $lastSeenAt: TimeRange
    $expiresAt: TimeRange
    $where: SessionWhere
    $after: String
    $first: Int
    $withUsers: Boolean!
  ) {
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
`);

/** A page of `sessions`, the same whether or not the deployment has `SessionWhere`. */
export const SessionPageFragment = graphql(`
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
`);

export const SessionRowFragment = graphql(`
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
`);

export const SessionQuery = graphql(`
  query ConsoleSession($id: ID!, $withUsers: Boolean!) {
    session(id: $id) {
      ...SessionRow
      version
      decodeNote
      data
      dataTypes
    }
  }
`);

export const AuditQuery = graphql(`
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
`);

export const UserQuery = graphql(`
  query ConsoleUser($id: ID!) {
    user(id: $id) {
      id
      rowId
      label
      columns
    }
  }
`);

export const EndSessionMutation = graphql(`
  mutation ConsoleEndSession($id: ID!) {
    endSession(input: { id: $id }) {
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
`);

export const EndUserSessionsMutation = graphql(`
  mutation ConsoleEndUserSessions($userId: ID!, $keep: ID) {
    endUserSessions(input: { userId: $userId, keepSessionId: $keep }) {
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
`);

export const EventsSubscription = graphql(`
  subscription ConsoleEvents($userId: ID) {
    sessionEvents(userId: $userId) {
      kind
      sessionId
      store
      userId
    }
  }
`);
