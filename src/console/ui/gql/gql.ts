/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query ConsoleCaller {\n    caller {\n      kind\n      name\n      scopes\n    }\n  }\n": typeof types.ConsoleCallerDocument,
    "\n  query ConsoleDeployment {\n    stores {\n      name\n      kind\n      filters\n    }\n    sessionFields {\n      name\n      type\n    }\n  }\n": typeof types.ConsoleDeploymentDocument,
    "\n  query ConsoleStats {\n    sessionStats {\n      store\n      status\n      count\n    }\n  }\n": typeof types.ConsoleStatsDocument,
    "\n  query ConsoleFindUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          id\n          rowId\n          label\n        }\n      }\n    }\n  }\n": typeof types.ConsoleFindUsersDocument,
    "\n  query ConsoleSessions(\n    $store: String\n    $status: SessionStatus\n    $userId: ID\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $after: String\n    $first: Int\n    $withUsers: Boolean!\n  ) {\n    sessions(\n      store: $store\n      status: $status\n      userId: $userId\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      after: $after\n      first: $first\n    ) {\n      ...SessionPage\n    }\n  }\n": typeof types.ConsoleSessionsDocument,
    "\n  query ConsoleSessionsWhere(\n    $store: String\n    $status: SessionStatus\n    $userId: ID\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $where: SessionWhere\n    $after: String\n    $first: Int\n    $withUsers: Boolean!\n  ) {\n    sessions(\n      store: $store\n      status: $status\n      userId: $userId\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      where: $where\n      after: $after\n      first: $first\n    ) {\n      ...SessionPage\n    }\n  }\n": typeof types.ConsoleSessionsWhereDocument,
    "\n  fragment SessionPage on SessionConnection {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        ...SessionRow\n      }\n    }\n  }\n": typeof types.SessionPageFragmentDoc,
    "\n  fragment SessionRow on Session {\n    id\n    store\n    status\n    userId\n    createdAt\n    lastSeenAt\n    expiresAt\n    ip\n    userAgent\n    problem\n    user @include(if: $withUsers) {\n      id\n      rowId\n      label\n    }\n  }\n": typeof types.SessionRowFragmentDoc,
    "\n  query ConsoleSession($id: ID!, $withUsers: Boolean!) {\n    session(id: $id) {\n      ...SessionRow\n      version\n      decodeNote\n      data\n      dataTypes\n    }\n  }\n": typeof types.ConsoleSessionDocument,
    "\n  query ConsoleAudit($sessionId: ID, $userId: ID) {\n    auditEvents(sessionId: $sessionId, userId: $userId, first: 50) {\n      edges {\n        node {\n          id\n          action\n          actor\n          at\n          outcome\n        }\n      }\n    }\n  }\n": typeof types.ConsoleAuditDocument,
    "\n  query ConsoleUser($id: ID!) {\n    user(id: $id) {\n      id\n      rowId\n      label\n      columns\n    }\n  }\n": typeof types.ConsoleUserDocument,
    "\n  mutation ConsoleEndSession($id: ID!) {\n    endSession(input: { id: $id }) {\n      __typename\n      ... on EndSessionPayload {\n        endedSessionId\n      }\n      ... on Error {\n        code\n        message\n      }\n    }\n  }\n": typeof types.ConsoleEndSessionDocument,
    "\n  mutation ConsoleEndUserSessions($userId: ID!, $keep: ID) {\n    endUserSessions(input: { userId: $userId, keepSessionId: $keep }) {\n      __typename\n      ... on EndUserSessionsPayload {\n        count\n      }\n      ... on Error {\n        code\n        message\n      }\n    }\n  }\n": typeof types.ConsoleEndUserSessionsDocument,
    "\n  subscription ConsoleEvents($userId: ID) {\n    sessionEvents(userId: $userId) {\n      kind\n      sessionId\n      store\n      userId\n    }\n  }\n": typeof types.ConsoleEventsDocument,
};
const documents: Documents = {
    "\n  query ConsoleCaller {\n    caller {\n      kind\n      name\n      scopes\n    }\n  }\n": types.ConsoleCallerDocument,
    "\n  query ConsoleDeployment {\n    stores {\n      name\n      kind\n      filters\n    }\n    sessionFields {\n      name\n      type\n    }\n  }\n": types.ConsoleDeploymentDocument,
    "\n  query ConsoleStats {\n    sessionStats {\n      store\n      status\n      count\n    }\n  }\n": types.ConsoleStatsDocument,
    "\n  query ConsoleFindUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          id\n          rowId\n          label\n        }\n      }\n    }\n  }\n": types.ConsoleFindUsersDocument,
    "\n  query ConsoleSessions(\n    $store: String\n    $status: SessionStatus\n    $userId: ID\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $after: String\n    $first: Int\n    $withUsers: Boolean!\n  ) {\n    sessions(\n      store: $store\n      status: $status\n      userId: $userId\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      after: $after\n      first: $first\n    ) {\n      ...SessionPage\n    }\n  }\n": types.ConsoleSessionsDocument,
    "\n  query ConsoleSessionsWhere(\n    $store: String\n    $status: SessionStatus\n    $userId: ID\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $where: SessionWhere\n    $after: String\n    $first: Int\n    $withUsers: Boolean!\n  ) {\n    sessions(\n      store: $store\n      status: $status\n      userId: $userId\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      where: $where\n      after: $after\n      first: $first\n    ) {\n      ...SessionPage\n    }\n  }\n": types.ConsoleSessionsWhereDocument,
    "\n  fragment SessionPage on SessionConnection {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        ...SessionRow\n      }\n    }\n  }\n": types.SessionPageFragmentDoc,
    "\n  fragment SessionRow on Session {\n    id\n    store\n    status\n    userId\n    createdAt\n    lastSeenAt\n    expiresAt\n    ip\n    userAgent\n    problem\n    user @include(if: $withUsers) {\n      id\n      rowId\n      label\n    }\n  }\n": types.SessionRowFragmentDoc,
    "\n  query ConsoleSession($id: ID!, $withUsers: Boolean!) {\n    session(id: $id) {\n      ...SessionRow\n      version\n      decodeNote\n      data\n      dataTypes\n    }\n  }\n": types.ConsoleSessionDocument,
    "\n  query ConsoleAudit($sessionId: ID, $userId: ID) {\n    auditEvents(sessionId: $sessionId, userId: $userId, first: 50) {\n      edges {\n        node {\n          id\n          action\n          actor\n          at\n          outcome\n        }\n      }\n    }\n  }\n": types.ConsoleAuditDocument,
    "\n  query ConsoleUser($id: ID!) {\n    user(id: $id) {\n      id\n      rowId\n      label\n      columns\n    }\n  }\n": types.ConsoleUserDocument,
    "\n  mutation ConsoleEndSession($id: ID!) {\n    endSession(input: { id: $id }) {\n      __typename\n      ... on EndSessionPayload {\n        endedSessionId\n      }\n      ... on Error {\n        code\n        message\n      }\n    }\n  }\n": types.ConsoleEndSessionDocument,
    "\n  mutation ConsoleEndUserSessions($userId: ID!, $keep: ID) {\n    endUserSessions(input: { userId: $userId, keepSessionId: $keep }) {\n      __typename\n      ... on EndUserSessionsPayload {\n        count\n      }\n      ... on Error {\n        code\n        message\n      }\n    }\n  }\n": types.ConsoleEndUserSessionsDocument,
    "\n  subscription ConsoleEvents($userId: ID) {\n    sessionEvents(userId: $userId) {\n      kind\n      sessionId\n      store\n      userId\n    }\n  }\n": types.ConsoleEventsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleCaller {\n    caller {\n      kind\n      name\n      scopes\n    }\n  }\n"): typeof import('./graphql.js').ConsoleCallerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleDeployment {\n    stores {\n      name\n      kind\n      filters\n    }\n    sessionFields {\n      name\n      type\n    }\n  }\n"): typeof import('./graphql.js').ConsoleDeploymentDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleStats {\n    sessionStats {\n      store\n      status\n      count\n    }\n  }\n"): typeof import('./graphql.js').ConsoleStatsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleFindUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          id\n          rowId\n          label\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.js').ConsoleFindUsersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSessions(\n    $store: String\n    $status: SessionStatus\n    $userId: ID\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $after: String\n    $first: Int\n    $withUsers: Boolean!\n  ) {\n    sessions(\n      store: $store\n      status: $status\n      userId: $userId\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      after: $after\n      first: $first\n    ) {\n      ...SessionPage\n    }\n  }\n"): typeof import('./graphql.js').ConsoleSessionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSessionsWhere(\n    $store: String\n    $status: SessionStatus\n    $userId: ID\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $where: SessionWhere\n    $after: String\n    $first: Int\n    $withUsers: Boolean!\n  ) {\n    sessions(\n      store: $store\n      status: $status\n      userId: $userId\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      where: $where\n      after: $after\n      first: $first\n    ) {\n      ...SessionPage\n    }\n  }\n"): typeof import('./graphql.js').ConsoleSessionsWhereDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionPage on SessionConnection {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      node {\n        ...SessionRow\n      }\n    }\n  }\n"): typeof import('./graphql.js').SessionPageFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionRow on Session {\n    id\n    store\n    status\n    userId\n    createdAt\n    lastSeenAt\n    expiresAt\n    ip\n    userAgent\n    problem\n    user @include(if: $withUsers) {\n      id\n      rowId\n      label\n    }\n  }\n"): typeof import('./graphql.js').SessionRowFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSession($id: ID!, $withUsers: Boolean!) {\n    session(id: $id) {\n      ...SessionRow\n      version\n      decodeNote\n      data\n      dataTypes\n    }\n  }\n"): typeof import('./graphql.js').ConsoleSessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleAudit($sessionId: ID, $userId: ID) {\n    auditEvents(sessionId: $sessionId, userId: $userId, first: 50) {\n      edges {\n        node {\n          id\n          action\n          actor\n          at\n          outcome\n        }\n      }\n    }\n  }\n"): typeof import('./graphql.js').ConsoleAuditDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleUser($id: ID!) {\n    user(id: $id) {\n      id\n      rowId\n      label\n      columns\n    }\n  }\n"): typeof import('./graphql.js').ConsoleUserDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleEndSession($id: ID!) {\n    endSession(input: { id: $id }) {\n      __typename\n      ... on EndSessionPayload {\n        endedSessionId\n      }\n      ... on Error {\n        code\n        message\n      }\n    }\n  }\n"): typeof import('./graphql.js').ConsoleEndSessionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleEndUserSessions($userId: ID!, $keep: ID) {\n    endUserSessions(input: { userId: $userId, keepSessionId: $keep }) {\n      __typename\n      ... on EndUserSessionsPayload {\n        count\n      }\n      ... on Error {\n        code\n        message\n      }\n    }\n  }\n"): typeof import('./graphql.js').ConsoleEndUserSessionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleEvents($userId: ID) {\n    sessionEvents(userId: $userId) {\n      kind\n      sessionId\n      store\n      userId\n    }\n  }\n"): typeof import('./graphql.js').ConsoleEventsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
