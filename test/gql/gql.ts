/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

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
    "\n  query AccessList {\n    sessions(first: 5) { edges { node { id } } }\n  }\n": typeof types.AccessListDocument,
    "\n  query AccessOne($id: ID!) {\n    session(id: $id) { id data user { username } }\n  }\n": typeof types.AccessOneDocument,
    "\n  query AccessNode($id: ID!) {\n    node(id: $id) { id }\n  }\n": typeof types.AccessNodeDocument,
    "\n  query AccessMine {\n    currentSession { id data user { username email } }\n  }\n": typeof types.AccessMineDocument,
    "\n  query AccessUser($id: ID!) {\n    user(id: $id) { username }\n  }\n": typeof types.AccessUserDocument,
    "\n  mutation AccessEndMine {\n    endCurrentSession { __typename ... on EndSessionPayload { endedSessionId } ... on ForbiddenError { code operation } }\n  }\n": typeof types.AccessEndMineDocument,
    "\n  mutation AccessEndOthers {\n    endOtherSessions { __typename ... on EndOtherSessionsPayload { count } ... on ForbiddenError { code } }\n  }\n": typeof types.AccessEndOthersDocument,
    "\n  mutation AccessWriteMine($input: UpdateCurrentSessionInput!) {\n    updateCurrentSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data } }\n      ... on InvalidInputError { field message }\n      ... on ForbiddenError { code }\n    }\n  }\n": typeof types.AccessWriteMineDocument,
    "\n  mutation AccessEndAny($id: ID!) {\n    endSession(input: { id: $id }) { __typename ... on ForbiddenError { code operation } }\n  }\n": typeof types.AccessEndAnyDocument,
    "\n  mutation AccessRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n": typeof types.AccessRotateDocument,
    "\n  query AccessAudit($sessionId: ID, $userId: ID, $since: DateTime) {\n    auditEvents(sessionId: $sessionId, userId: $userId, since: $since, first: 50) {\n      edges { node { actor action sessionId userId outcome at } }\n    }\n  }\n": typeof types.AccessAuditDocument,
    "\n  query PageWithUsers {\n    sessions(first: 50) { edges { node { id data user { rowId username email } } } }\n  }\n": typeof types.PageWithUsersDocument,
    "\n  query PageWithoutUsers {\n    sessions(first: 50) { edges { node { id userId } } }\n  }\n": typeof types.PageWithoutUsersDocument,
    "\n  query UsersSessionsUsers {\n    users(first: 10) {\n      edges { node { username sessions(first: 5) { edges { node { id user { username } } } } } }\n    }\n  }\n": typeof types.UsersSessionsUsersDocument,
    "\n  query SeveralNodes($ids: [ID!]!) {\n    nodes(ids: $ids) { id ... on Session { user { username } } }\n  }\n": typeof types.SeveralNodesDocument,
    "\n  query UserSessionCount($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...CountedAgain }\n  }\n  fragment CountedAgain on SessionConnection { ... on SessionConnection { estimatedCount } }\n": typeof types.UserSessionCountDocument,
    "\n  query UserSessionCountAndPage($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...PageEnd }\n  }\n  fragment PageEnd on SessionConnection { ... on SessionConnection { pageInfo { hasNextPage } } }\n": typeof types.UserSessionCountAndPageDocument,
    "\n  query CountPage($store: String, $first: Int, $after: String) {\n    sessions(store: $store, first: $first, after: $after) { totalCount }\n  }\n": typeof types.CountPageDocument,
    "\n  query UsersSessionCounts {\n    users(first: 3) { edges { node { sessions { totalCount } } } }\n  }\n": typeof types.UsersSessionCountsDocument,
    "\n  mutation SetKey($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { version } }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n": typeof types.SetKeyDocument,
    "\n  mutation ConsoleCreateSession($input: CreateSessionInput!) { createSession(input: $input) { __typename } }\n": typeof types.ConsoleCreateSessionDocument,
    "\n  query StatusOf($id: ID!) {\n    session(id: $id) { status expiresAt }\n  }\n": typeof types.StatusOfDocument,
    "\n  query Mine {\n    currentSession { id }\n  }\n": typeof types.MineDocument,
    "\n  query FilteredSessions(\n    $store: String\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $status: SessionStatus\n    $first: Int\n    $after: String\n  ) {\n    sessions(\n      store: $store\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      status: $status\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      edges { node { id ip userAgent data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.FilteredSessionsDocument,
    "\n  query FilterStores {\n    stores { name kind filters }\n  }\n": typeof types.FilterStoresDocument,
    "\n  mutation FilterCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.FilterCreateDocument,
    "\n  query DjangoSessions($first: Int, $status: SessionStatus) {\n    sessions(store: \"django\", first: $first, status: $status) {\n      edges {\n        node { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n      }\n      pageInfo { hasNextPage }\n    }\n  }\n": typeof types.DjangoSessionsDocument,
    "\n  query DjangoSessionById($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n  }\n": typeof types.DjangoSessionByIdDocument,
    "\n  query DjangoCurrentSession {\n    currentSession { id store status data userId user { username } }\n  }\n": typeof types.DjangoCurrentSessionDocument,
    "\n  mutation DjangoCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload {\n        sessionKey\n        session { id store status data userId authHashValid expiresAt version user { username } }\n      }\n      ... on Error { code message }\n    }\n  }\n": typeof types.DjangoCreateSessionDocument,
    "\n  mutation DjangoUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId authHashValid expiresAt version decodeNote } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.DjangoUpdateSessionDocument,
    "\n  mutation DjangoEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on Error { code message }\n    }\n  }\n": typeof types.DjangoEndSessionDocument,
    "\n  mutation DjangoEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n": typeof types.DjangoEndUserSessionsDocument,
    "\n  query ExpressSessions($userId: ID, $status: SessionStatus) {\n    sessions(store: \"express\", first: 100, userId: $userId, status: $status) {\n      edges { node { id store status data userId expiresAt user { username } } }\n    }\n  }\n": typeof types.ExpressSessionsDocument,
    "\n  query ExpressCurrentSession {\n    currentSession { id store status data userId expiresAt user { username } }\n  }\n": typeof types.ExpressCurrentSessionDocument,
    "\n  mutation ExpressCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ExpressCreateSessionDocument,
    "\n  mutation ExpressUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ExpressUpdateSessionDocument,
    "\n  mutation ExpressEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n": typeof types.ExpressEndSessionDocument,
    "\n  mutation ExpressEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n": typeof types.ExpressEndUserSessionsDocument,
    "\n  query FlaskSessions($store: String!, $userId: ID) {\n    sessions(store: $store, first: 100, userId: $userId) {\n      edges { node { id store status problem data userId user { username } expiresAt userRole } }\n      pageInfo { hasNextPage }\n    }\n  }\n": typeof types.FlaskSessionsDocument,
    "\n  query FlaskCurrent { currentSession { id store status data userId userRole user { username } } }\n": typeof types.FlaskCurrentDocument,
    "\n  mutation FlaskCreate($input: CreateSessionInput!) { createSession(input: $input) { __typename\n    ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n": typeof types.FlaskCreateDocument,
    "\n  mutation FlaskUpdate($input: UpdateSessionInput!) { updateSession(input: $input) { __typename\n    ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n": typeof types.FlaskUpdateDocument,
    "\n  mutation FlaskEnd($input: EndSessionInput!) { endSession(input: $input) { __typename\n    ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } } }\n": typeof types.FlaskEndDocument,
    "\n  mutation FlaskEndUser($input: EndUserSessionsInput!) { endUserSessions(input: $input) { __typename\n    ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }\n": typeof types.FlaskEndUserDocument,
    "\n  mutation FlaskRotate($input: EndSessionInput!) { rotateSessionKey(input: $input) { __typename\n    ... on RotateSessionKeyPayload { sessionKey session { id status data userId } } ... on Error { code message } } }\n": typeof types.FlaskRotateDocument,
    "\n  query FlaskUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n": typeof types.FlaskUserSessionsDocument,
    "\n  query LaravelByClient($ip: String, $userAgent: String) {\n    sessions(store: \"laravel\", ip: $ip, userAgent: $userAgent, first: 100) {\n      edges { node { id ip userAgent } }\n    }\n  }\n": typeof types.LaravelByClientDocument,
    "\n  mutation LaravelCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.LaravelCreateDocument,
    "\n  mutation LaravelUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.LaravelUpdateDocument,
    "\n  mutation LaravelEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n": typeof types.LaravelEndDocument,
    "\n  mutation LaravelEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n": typeof types.LaravelEndUserDocument,
    "\n  mutation LaravelRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.LaravelRotateDocument,
    "\n  query LaravelSessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n": typeof types.LaravelSessionsDocument,
    "\n  query LaravelCurrent { currentSession { id store status data userId user { username } } }\n": typeof types.LaravelCurrentDocument,
    "\n  query LaravelUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id userId } } } }\n  }\n": typeof types.LaravelUserSessionsDocument,
    "\n  mutation SymfonyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.SymfonyCreateDocument,
    "\n  mutation SymfonyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.SymfonyUpdateDocument,
    "\n  mutation SymfonyEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n": typeof types.SymfonyEndDocument,
    "\n  mutation SymfonyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n": typeof types.SymfonyEndUserDocument,
    "\n  mutation SymfonyRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.SymfonyRotateDocument,
    "\n  query SymfonySessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem decodeNote data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n": typeof types.SymfonySessionsDocument,
    "\n  query SymfonyCurrent { currentSession { id store status data userId user { username } } }\n": typeof types.SymfonyCurrentDocument,
    "\n  query SymfonyUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n": typeof types.SymfonyUserSessionsDocument,
    "\n  query WebpySession($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId expiresAt }\n  }\n": typeof types.WebpySessionDocument,
    "\n  query WebpyTypes($id: ID!) {\n    session(id: $id) { data dataTypes }\n  }\n": typeof types.WebpyTypesDocument,
    "\n  query WebpyPage($first: Int, $after: String) {\n    sessions(store: \"webpy\", first: $first, after: $after) {\n      edges { node { id } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.WebpyPageDocument,
    "\n  mutation WebpyReadUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.WebpyReadUpdateDocument,
    "\n  mutation WebpyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt lastSeenAt user { username } } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.WebpyCreateDocument,
    "\n  mutation WebpyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": typeof types.WebpyUpdateDocument,
    "\n  mutation WebpyEnd($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n": typeof types.WebpyEndDocument,
    "\n  mutation WebpyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n": typeof types.WebpyEndUserDocument,
    "\n  query WebpyCurrent {\n    currentSession { id store status data userId userRole currentPage user { username } }\n  }\n": typeof types.WebpyCurrentDocument,
    "\n  query CacheSessions($status: SessionStatus, $where: SessionWhere, $userId: ID) {\n    sessions(store: \"cache\", status: $status, where: $where, userId: $userId, first: 50) {\n      edges { node { id status problem data userId userRole user { username } createdAt expiresAt } }\n    }\n  }\n": typeof types.CacheSessionsDocument,
    "\n  query CacheCurrent {\n    currentSession { id store data user { username } }\n  }\n": typeof types.CacheCurrentDocument,
    "\n  mutation CacheCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id userId data expiresAt } }\n      ... on Error { code message }\n    }\n  }\n": typeof types.CacheCreateDocument,
    "\n  mutation CacheUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data expiresAt version } }\n      ... on Error { code message }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n": typeof types.CacheUpdateDocument,
    "\n  mutation CreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id status data userId expiresAt version user { username } } }\n      ... on Error { message code }\n      ... on UserNotFoundError { userId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n      ... on StoreNotFoundError { store }\n    }\n  }\n": typeof types.CreateSessionDocument,
    "\n  mutation UpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id data expiresAt version } }\n      ... on Error { message code }\n      ... on VersionConflictError { expectedVersion actualVersion sessionId }\n      ... on SessionNotFoundError { sessionId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n    }\n  }\n": typeof types.UpdateSessionDocument,
    "\n  mutation EndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { sessionId code }\n    }\n  }\n": typeof types.EndSessionDocument,
    "\n  mutation EndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { message code }\n    }\n  }\n": typeof types.EndUserSessionsDocument,
    "\n  query WhoAmI {\n    currentSession { id data user { username } }\n  }\n": typeof types.WhoAmIDocument,
    "\n  query ProjectedSessions($store: String, $userId: ID, $status: SessionStatus, $where: SessionWhere, $first: Int, $after: String) {\n    sessions(store: $store, userId: $userId, status: $status, where: $where, first: $first, after: $after) {\n      totalCount\n      estimatedCount\n      edges { node { id status problem userId userRole data user { username } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ProjectedSessionsDocument,
    "\n  query UsersWithDjangoSessions {\n    users(first: 10) {\n      edges { node { username sessions(store: \"django\", first: 3) { edges { node { userId user { username } } } } } }\n    }\n  }\n": typeof types.UsersWithDjangoSessionsDocument,
    "\n  mutation ProjectedRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) { __typename ... on RotateSessionKeyPayload { sessionKey session { id userRole } } }\n  }\n": typeof types.ProjectedRotateDocument,
    "\n  query ProjectedMine {\n    currentSession { id store userRole }\n  }\n": typeof types.ProjectedMineDocument,
    "\n  query Stats($store: String, $groupBy: SessionField) {\n    sessionStats(store: $store, groupBy: $groupBy) { store status value count }\n  }\n": typeof types.StatsDocument,
    "\n  mutation ProjectedEndAll($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { count } }\n  }\n": typeof types.ProjectedEndAllDocument,
    "\n  mutation ProjectedCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id userRole } }\n      ... on ReferenceNotFoundError { field value references code }\n    }\n  }\n": typeof types.ProjectedCreateDocument,
    "\n  mutation ProjectedUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { userRole data } }\n      ... on ReferenceNotFoundError { field value }\n    }\n  }\n": typeof types.ProjectedUpdateDocument,
    "\n  query SessionsPage($userId: ID, $status: SessionStatus, $first: Int, $after: String) {\n    sessions(userId: $userId, status: $status, first: $first, after: $after) {\n      edges { cursor node { id store status data userId createdAt expiresAt version user { rowId username } } }\n      pageInfo { hasNextPage hasPreviousPage endCursor }\n    }\n  }\n": typeof types.SessionsPageDocument,
    "\n  query SessionById($id: ID!) {\n    session(id: $id) { id status data dataTypes user { username email } }\n  }\n": typeof types.SessionByIdDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) { __typename id ... on Session { store data } ... on User { username } }\n  }\n": typeof types.NodeByIdDocument,
    "\n  query CurrentSession {\n    currentSession { id status data lastSeenAt user { username } }\n  }\n": typeof types.CurrentSessionDocument,
    "\n  query UserById($id: ID!) {\n    user(id: $id) { id rowId username email fullName isStaff dateJoined sessions(status: ACTIVE) { edges { node { id } } } }\n  }\n": typeof types.UserByIdDocument,
    "\n  mutation SecretsRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n": typeof types.SecretsRotateDocument,
    "\n  mutation SecretsCreate($input: CreateSessionInput!) {\n    createSession(input: $input) { __typename ... on CreateSessionPayload { sessionKey session { id } } }\n  }\n": typeof types.SecretsCreateDocument,
    "\n  query SecretsMine {\n    currentSession { id store data }\n  }\n": typeof types.SecretsMineDocument,
    "\n  query CountedStats($store: String, $status: SessionStatus) {\n    sessionStats(store: $store, status: $status) { store status value count }\n  }\n": typeof types.CountedStatsDocument,
    "\n  mutation CountsExtend($input: UpdateSessionInput!) {\n    updateSession(input: $input) { __typename }\n  }\n": typeof types.CountsExtendDocument,
    "\n  query ByRole($where: SessionWhere, $first: Int, $after: String) {\n    sessions(where: $where, first: $first, after: $after) {\n      edges { node { userRole currentPage data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.ByRoleDocument,
};
const documents: Documents = {
    "\n  query AccessList {\n    sessions(first: 5) { edges { node { id } } }\n  }\n": types.AccessListDocument,
    "\n  query AccessOne($id: ID!) {\n    session(id: $id) { id data user { username } }\n  }\n": types.AccessOneDocument,
    "\n  query AccessNode($id: ID!) {\n    node(id: $id) { id }\n  }\n": types.AccessNodeDocument,
    "\n  query AccessMine {\n    currentSession { id data user { username email } }\n  }\n": types.AccessMineDocument,
    "\n  query AccessUser($id: ID!) {\n    user(id: $id) { username }\n  }\n": types.AccessUserDocument,
    "\n  mutation AccessEndMine {\n    endCurrentSession { __typename ... on EndSessionPayload { endedSessionId } ... on ForbiddenError { code operation } }\n  }\n": types.AccessEndMineDocument,
    "\n  mutation AccessEndOthers {\n    endOtherSessions { __typename ... on EndOtherSessionsPayload { count } ... on ForbiddenError { code } }\n  }\n": types.AccessEndOthersDocument,
    "\n  mutation AccessWriteMine($input: UpdateCurrentSessionInput!) {\n    updateCurrentSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data } }\n      ... on InvalidInputError { field message }\n      ... on ForbiddenError { code }\n    }\n  }\n": types.AccessWriteMineDocument,
    "\n  mutation AccessEndAny($id: ID!) {\n    endSession(input: { id: $id }) { __typename ... on ForbiddenError { code operation } }\n  }\n": types.AccessEndAnyDocument,
    "\n  mutation AccessRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n": types.AccessRotateDocument,
    "\n  query AccessAudit($sessionId: ID, $userId: ID, $since: DateTime) {\n    auditEvents(sessionId: $sessionId, userId: $userId, since: $since, first: 50) {\n      edges { node { actor action sessionId userId outcome at } }\n    }\n  }\n": types.AccessAuditDocument,
    "\n  query PageWithUsers {\n    sessions(first: 50) { edges { node { id data user { rowId username email } } } }\n  }\n": types.PageWithUsersDocument,
    "\n  query PageWithoutUsers {\n    sessions(first: 50) { edges { node { id userId } } }\n  }\n": types.PageWithoutUsersDocument,
    "\n  query UsersSessionsUsers {\n    users(first: 10) {\n      edges { node { username sessions(first: 5) { edges { node { id user { username } } } } } }\n    }\n  }\n": types.UsersSessionsUsersDocument,
    "\n  query SeveralNodes($ids: [ID!]!) {\n    nodes(ids: $ids) { id ... on Session { user { username } } }\n  }\n": types.SeveralNodesDocument,
    "\n  query UserSessionCount($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...CountedAgain }\n  }\n  fragment CountedAgain on SessionConnection { ... on SessionConnection { estimatedCount } }\n": types.UserSessionCountDocument,
    "\n  query UserSessionCountAndPage($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...PageEnd }\n  }\n  fragment PageEnd on SessionConnection { ... on SessionConnection { pageInfo { hasNextPage } } }\n": types.UserSessionCountAndPageDocument,
    "\n  query CountPage($store: String, $first: Int, $after: String) {\n    sessions(store: $store, first: $first, after: $after) { totalCount }\n  }\n": types.CountPageDocument,
    "\n  query UsersSessionCounts {\n    users(first: 3) { edges { node { sessions { totalCount } } } }\n  }\n": types.UsersSessionCountsDocument,
    "\n  mutation SetKey($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { version } }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n": types.SetKeyDocument,
    "\n  mutation ConsoleCreateSession($input: CreateSessionInput!) { createSession(input: $input) { __typename } }\n": types.ConsoleCreateSessionDocument,
    "\n  query StatusOf($id: ID!) {\n    session(id: $id) { status expiresAt }\n  }\n": types.StatusOfDocument,
    "\n  query Mine {\n    currentSession { id }\n  }\n": types.MineDocument,
    "\n  query FilteredSessions(\n    $store: String\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $status: SessionStatus\n    $first: Int\n    $after: String\n  ) {\n    sessions(\n      store: $store\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      status: $status\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      edges { node { id ip userAgent data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.FilteredSessionsDocument,
    "\n  query FilterStores {\n    stores { name kind filters }\n  }\n": types.FilterStoresDocument,
    "\n  mutation FilterCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id } }\n      ... on Error { code message }\n    }\n  }\n": types.FilterCreateDocument,
    "\n  query DjangoSessions($first: Int, $status: SessionStatus) {\n    sessions(store: \"django\", first: $first, status: $status) {\n      edges {\n        node { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n      }\n      pageInfo { hasNextPage }\n    }\n  }\n": types.DjangoSessionsDocument,
    "\n  query DjangoSessionById($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n  }\n": types.DjangoSessionByIdDocument,
    "\n  query DjangoCurrentSession {\n    currentSession { id store status data userId user { username } }\n  }\n": types.DjangoCurrentSessionDocument,
    "\n  mutation DjangoCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload {\n        sessionKey\n        session { id store status data userId authHashValid expiresAt version user { username } }\n      }\n      ... on Error { code message }\n    }\n  }\n": types.DjangoCreateSessionDocument,
    "\n  mutation DjangoUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId authHashValid expiresAt version decodeNote } }\n      ... on Error { code message }\n    }\n  }\n": types.DjangoUpdateSessionDocument,
    "\n  mutation DjangoEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on Error { code message }\n    }\n  }\n": types.DjangoEndSessionDocument,
    "\n  mutation DjangoEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n": types.DjangoEndUserSessionsDocument,
    "\n  query ExpressSessions($userId: ID, $status: SessionStatus) {\n    sessions(store: \"express\", first: 100, userId: $userId, status: $status) {\n      edges { node { id store status data userId expiresAt user { username } } }\n    }\n  }\n": types.ExpressSessionsDocument,
    "\n  query ExpressCurrentSession {\n    currentSession { id store status data userId expiresAt user { username } }\n  }\n": types.ExpressCurrentSessionDocument,
    "\n  mutation ExpressCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n      ... on Error { code message }\n    }\n  }\n": types.ExpressCreateSessionDocument,
    "\n  mutation ExpressUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n    }\n  }\n": types.ExpressUpdateSessionDocument,
    "\n  mutation ExpressEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n": types.ExpressEndSessionDocument,
    "\n  mutation ExpressEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n": types.ExpressEndUserSessionsDocument,
    "\n  query FlaskSessions($store: String!, $userId: ID) {\n    sessions(store: $store, first: 100, userId: $userId) {\n      edges { node { id store status problem data userId user { username } expiresAt userRole } }\n      pageInfo { hasNextPage }\n    }\n  }\n": types.FlaskSessionsDocument,
    "\n  query FlaskCurrent { currentSession { id store status data userId userRole user { username } } }\n": types.FlaskCurrentDocument,
    "\n  mutation FlaskCreate($input: CreateSessionInput!) { createSession(input: $input) { __typename\n    ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n": types.FlaskCreateDocument,
    "\n  mutation FlaskUpdate($input: UpdateSessionInput!) { updateSession(input: $input) { __typename\n    ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n": types.FlaskUpdateDocument,
    "\n  mutation FlaskEnd($input: EndSessionInput!) { endSession(input: $input) { __typename\n    ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } } }\n": types.FlaskEndDocument,
    "\n  mutation FlaskEndUser($input: EndUserSessionsInput!) { endUserSessions(input: $input) { __typename\n    ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }\n": types.FlaskEndUserDocument,
    "\n  mutation FlaskRotate($input: EndSessionInput!) { rotateSessionKey(input: $input) { __typename\n    ... on RotateSessionKeyPayload { sessionKey session { id status data userId } } ... on Error { code message } } }\n": types.FlaskRotateDocument,
    "\n  query FlaskUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n": types.FlaskUserSessionsDocument,
    "\n  query LaravelByClient($ip: String, $userAgent: String) {\n    sessions(store: \"laravel\", ip: $ip, userAgent: $userAgent, first: 100) {\n      edges { node { id ip userAgent } }\n    }\n  }\n": types.LaravelByClientDocument,
    "\n  mutation LaravelCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.LaravelCreateDocument,
    "\n  mutation LaravelUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.LaravelUpdateDocument,
    "\n  mutation LaravelEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n": types.LaravelEndDocument,
    "\n  mutation LaravelEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n": types.LaravelEndUserDocument,
    "\n  mutation LaravelRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n": types.LaravelRotateDocument,
    "\n  query LaravelSessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n": types.LaravelSessionsDocument,
    "\n  query LaravelCurrent { currentSession { id store status data userId user { username } } }\n": types.LaravelCurrentDocument,
    "\n  query LaravelUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id userId } } } }\n  }\n": types.LaravelUserSessionsDocument,
    "\n  mutation SymfonyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.SymfonyCreateDocument,
    "\n  mutation SymfonyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.SymfonyUpdateDocument,
    "\n  mutation SymfonyEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n": types.SymfonyEndDocument,
    "\n  mutation SymfonyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n": types.SymfonyEndUserDocument,
    "\n  mutation SymfonyRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n": types.SymfonyRotateDocument,
    "\n  query SymfonySessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem decodeNote data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n": types.SymfonySessionsDocument,
    "\n  query SymfonyCurrent { currentSession { id store status data userId user { username } } }\n": types.SymfonyCurrentDocument,
    "\n  query SymfonyUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n": types.SymfonyUserSessionsDocument,
    "\n  query WebpySession($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId expiresAt }\n  }\n": types.WebpySessionDocument,
    "\n  query WebpyTypes($id: ID!) {\n    session(id: $id) { data dataTypes }\n  }\n": types.WebpyTypesDocument,
    "\n  query WebpyPage($first: Int, $after: String) {\n    sessions(store: \"webpy\", first: $first, after: $after) {\n      edges { node { id } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.WebpyPageDocument,
    "\n  mutation WebpyReadUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.WebpyReadUpdateDocument,
    "\n  mutation WebpyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt lastSeenAt user { username } } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.WebpyCreateDocument,
    "\n  mutation WebpyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n": types.WebpyUpdateDocument,
    "\n  mutation WebpyEnd($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n": types.WebpyEndDocument,
    "\n  mutation WebpyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n": types.WebpyEndUserDocument,
    "\n  query WebpyCurrent {\n    currentSession { id store status data userId userRole currentPage user { username } }\n  }\n": types.WebpyCurrentDocument,
    "\n  query CacheSessions($status: SessionStatus, $where: SessionWhere, $userId: ID) {\n    sessions(store: \"cache\", status: $status, where: $where, userId: $userId, first: 50) {\n      edges { node { id status problem data userId userRole user { username } createdAt expiresAt } }\n    }\n  }\n": types.CacheSessionsDocument,
    "\n  query CacheCurrent {\n    currentSession { id store data user { username } }\n  }\n": types.CacheCurrentDocument,
    "\n  mutation CacheCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id userId data expiresAt } }\n      ... on Error { code message }\n    }\n  }\n": types.CacheCreateDocument,
    "\n  mutation CacheUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data expiresAt version } }\n      ... on Error { code message }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n": types.CacheUpdateDocument,
    "\n  mutation CreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id status data userId expiresAt version user { username } } }\n      ... on Error { message code }\n      ... on UserNotFoundError { userId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n      ... on StoreNotFoundError { store }\n    }\n  }\n": types.CreateSessionDocument,
    "\n  mutation UpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id data expiresAt version } }\n      ... on Error { message code }\n      ... on VersionConflictError { expectedVersion actualVersion sessionId }\n      ... on SessionNotFoundError { sessionId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n    }\n  }\n": types.UpdateSessionDocument,
    "\n  mutation EndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { sessionId code }\n    }\n  }\n": types.EndSessionDocument,
    "\n  mutation EndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { message code }\n    }\n  }\n": types.EndUserSessionsDocument,
    "\n  query WhoAmI {\n    currentSession { id data user { username } }\n  }\n": types.WhoAmIDocument,
    "\n  query ProjectedSessions($store: String, $userId: ID, $status: SessionStatus, $where: SessionWhere, $first: Int, $after: String) {\n    sessions(store: $store, userId: $userId, status: $status, where: $where, first: $first, after: $after) {\n      totalCount\n      estimatedCount\n      edges { node { id status problem userId userRole data user { username } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ProjectedSessionsDocument,
    "\n  query UsersWithDjangoSessions {\n    users(first: 10) {\n      edges { node { username sessions(store: \"django\", first: 3) { edges { node { userId user { username } } } } } }\n    }\n  }\n": types.UsersWithDjangoSessionsDocument,
    "\n  mutation ProjectedRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) { __typename ... on RotateSessionKeyPayload { sessionKey session { id userRole } } }\n  }\n": types.ProjectedRotateDocument,
    "\n  query ProjectedMine {\n    currentSession { id store userRole }\n  }\n": types.ProjectedMineDocument,
    "\n  query Stats($store: String, $groupBy: SessionField) {\n    sessionStats(store: $store, groupBy: $groupBy) { store status value count }\n  }\n": types.StatsDocument,
    "\n  mutation ProjectedEndAll($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { count } }\n  }\n": types.ProjectedEndAllDocument,
    "\n  mutation ProjectedCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id userRole } }\n      ... on ReferenceNotFoundError { field value references code }\n    }\n  }\n": types.ProjectedCreateDocument,
    "\n  mutation ProjectedUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { userRole data } }\n      ... on ReferenceNotFoundError { field value }\n    }\n  }\n": types.ProjectedUpdateDocument,
    "\n  query SessionsPage($userId: ID, $status: SessionStatus, $first: Int, $after: String) {\n    sessions(userId: $userId, status: $status, first: $first, after: $after) {\n      edges { cursor node { id store status data userId createdAt expiresAt version user { rowId username } } }\n      pageInfo { hasNextPage hasPreviousPage endCursor }\n    }\n  }\n": types.SessionsPageDocument,
    "\n  query SessionById($id: ID!) {\n    session(id: $id) { id status data dataTypes user { username email } }\n  }\n": types.SessionByIdDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) { __typename id ... on Session { store data } ... on User { username } }\n  }\n": types.NodeByIdDocument,
    "\n  query CurrentSession {\n    currentSession { id status data lastSeenAt user { username } }\n  }\n": types.CurrentSessionDocument,
    "\n  query UserById($id: ID!) {\n    user(id: $id) { id rowId username email fullName isStaff dateJoined sessions(status: ACTIVE) { edges { node { id } } } }\n  }\n": types.UserByIdDocument,
    "\n  mutation SecretsRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n": types.SecretsRotateDocument,
    "\n  mutation SecretsCreate($input: CreateSessionInput!) {\n    createSession(input: $input) { __typename ... on CreateSessionPayload { sessionKey session { id } } }\n  }\n": types.SecretsCreateDocument,
    "\n  query SecretsMine {\n    currentSession { id store data }\n  }\n": types.SecretsMineDocument,
    "\n  query CountedStats($store: String, $status: SessionStatus) {\n    sessionStats(store: $store, status: $status) { store status value count }\n  }\n": types.CountedStatsDocument,
    "\n  mutation CountsExtend($input: UpdateSessionInput!) {\n    updateSession(input: $input) { __typename }\n  }\n": types.CountsExtendDocument,
    "\n  query ByRole($where: SessionWhere, $first: Int, $after: String) {\n    sessions(where: $where, first: $first, after: $after) {\n      edges { node { userRole currentPage data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.ByRoleDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessList {\n    sessions(first: 5) { edges { node { id } } }\n  }\n"): (typeof documents)["\n  query AccessList {\n    sessions(first: 5) { edges { node { id } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessOne($id: ID!) {\n    session(id: $id) { id data user { username } }\n  }\n"): (typeof documents)["\n  query AccessOne($id: ID!) {\n    session(id: $id) { id data user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessNode($id: ID!) {\n    node(id: $id) { id }\n  }\n"): (typeof documents)["\n  query AccessNode($id: ID!) {\n    node(id: $id) { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessMine {\n    currentSession { id data user { username email } }\n  }\n"): (typeof documents)["\n  query AccessMine {\n    currentSession { id data user { username email } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessUser($id: ID!) {\n    user(id: $id) { username }\n  }\n"): (typeof documents)["\n  query AccessUser($id: ID!) {\n    user(id: $id) { username }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessEndMine {\n    endCurrentSession { __typename ... on EndSessionPayload { endedSessionId } ... on ForbiddenError { code operation } }\n  }\n"): (typeof documents)["\n  mutation AccessEndMine {\n    endCurrentSession { __typename ... on EndSessionPayload { endedSessionId } ... on ForbiddenError { code operation } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessEndOthers {\n    endOtherSessions { __typename ... on EndOtherSessionsPayload { count } ... on ForbiddenError { code } }\n  }\n"): (typeof documents)["\n  mutation AccessEndOthers {\n    endOtherSessions { __typename ... on EndOtherSessionsPayload { count } ... on ForbiddenError { code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessWriteMine($input: UpdateCurrentSessionInput!) {\n    updateCurrentSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data } }\n      ... on InvalidInputError { field message }\n      ... on ForbiddenError { code }\n    }\n  }\n"): (typeof documents)["\n  mutation AccessWriteMine($input: UpdateCurrentSessionInput!) {\n    updateCurrentSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data } }\n      ... on InvalidInputError { field message }\n      ... on ForbiddenError { code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessEndAny($id: ID!) {\n    endSession(input: { id: $id }) { __typename ... on ForbiddenError { code operation } }\n  }\n"): (typeof documents)["\n  mutation AccessEndAny($id: ID!) {\n    endSession(input: { id: $id }) { __typename ... on ForbiddenError { code operation } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AccessRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n"): (typeof documents)["\n  mutation AccessRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccessAudit($sessionId: ID, $userId: ID, $since: DateTime) {\n    auditEvents(sessionId: $sessionId, userId: $userId, since: $since, first: 50) {\n      edges { node { actor action sessionId userId outcome at } }\n    }\n  }\n"): (typeof documents)["\n  query AccessAudit($sessionId: ID, $userId: ID, $since: DateTime) {\n    auditEvents(sessionId: $sessionId, userId: $userId, since: $since, first: 50) {\n      edges { node { actor action sessionId userId outcome at } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PageWithUsers {\n    sessions(first: 50) { edges { node { id data user { rowId username email } } } }\n  }\n"): (typeof documents)["\n  query PageWithUsers {\n    sessions(first: 50) { edges { node { id data user { rowId username email } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PageWithoutUsers {\n    sessions(first: 50) { edges { node { id userId } } }\n  }\n"): (typeof documents)["\n  query PageWithoutUsers {\n    sessions(first: 50) { edges { node { id userId } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UsersSessionsUsers {\n    users(first: 10) {\n      edges { node { username sessions(first: 5) { edges { node { id user { username } } } } } }\n    }\n  }\n"): (typeof documents)["\n  query UsersSessionsUsers {\n    users(first: 10) {\n      edges { node { username sessions(first: 5) { edges { node { id user { username } } } } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SeveralNodes($ids: [ID!]!) {\n    nodes(ids: $ids) { id ... on Session { user { username } } }\n  }\n"): (typeof documents)["\n  query SeveralNodes($ids: [ID!]!) {\n    nodes(ids: $ids) { id ... on Session { user { username } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UserSessionCount($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...CountedAgain }\n  }\n  fragment CountedAgain on SessionConnection { ... on SessionConnection { estimatedCount } }\n"): (typeof documents)["\n  query UserSessionCount($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...CountedAgain }\n  }\n  fragment CountedAgain on SessionConnection { ... on SessionConnection { estimatedCount } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UserSessionCountAndPage($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...PageEnd }\n  }\n  fragment PageEnd on SessionConnection { ... on SessionConnection { pageInfo { hasNextPage } } }\n"): (typeof documents)["\n  query UserSessionCountAndPage($userId: ID!) {\n    sessions(userId: $userId) { totalCount ...PageEnd }\n  }\n  fragment PageEnd on SessionConnection { ... on SessionConnection { pageInfo { hasNextPage } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CountPage($store: String, $first: Int, $after: String) {\n    sessions(store: $store, first: $first, after: $after) { totalCount }\n  }\n"): (typeof documents)["\n  query CountPage($store: String, $first: Int, $after: String) {\n    sessions(store: $store, first: $first, after: $after) { totalCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UsersSessionCounts {\n    users(first: 3) { edges { node { sessions { totalCount } } } }\n  }\n"): (typeof documents)["\n  query UsersSessionCounts {\n    users(first: 3) { edges { node { sessions { totalCount } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetKey($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { version } }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n"): (typeof documents)["\n  mutation SetKey($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { version } }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateSession($input: CreateSessionInput!) { createSession(input: $input) { __typename } }\n"): (typeof documents)["\n  mutation ConsoleCreateSession($input: CreateSessionInput!) { createSession(input: $input) { __typename } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query StatusOf($id: ID!) {\n    session(id: $id) { status expiresAt }\n  }\n"): (typeof documents)["\n  query StatusOf($id: ID!) {\n    session(id: $id) { status expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Mine {\n    currentSession { id }\n  }\n"): (typeof documents)["\n  query Mine {\n    currentSession { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FilteredSessions(\n    $store: String\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $status: SessionStatus\n    $first: Int\n    $after: String\n  ) {\n    sessions(\n      store: $store\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      status: $status\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      edges { node { id ip userAgent data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query FilteredSessions(\n    $store: String\n    $ip: String\n    $userAgent: String\n    $createdAt: TimeRange\n    $lastSeenAt: TimeRange\n    $expiresAt: TimeRange\n    $status: SessionStatus\n    $first: Int\n    $after: String\n  ) {\n    sessions(\n      store: $store\n      ip: $ip\n      userAgent: $userAgent\n      createdAt: $createdAt\n      lastSeenAt: $lastSeenAt\n      expiresAt: $expiresAt\n      status: $status\n      first: $first\n      after: $after\n    ) {\n      totalCount\n      edges { node { id ip userAgent data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FilterStores {\n    stores { name kind filters }\n  }\n"): (typeof documents)["\n  query FilterStores {\n    stores { name kind filters }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FilterCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation FilterCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DjangoSessions($first: Int, $status: SessionStatus) {\n    sessions(store: \"django\", first: $first, status: $status) {\n      edges {\n        node { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n      }\n      pageInfo { hasNextPage }\n    }\n  }\n"): (typeof documents)["\n  query DjangoSessions($first: Int, $status: SessionStatus) {\n    sessions(store: \"django\", first: $first, status: $status) {\n      edges {\n        node { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n      }\n      pageInfo { hasNextPage }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DjangoSessionById($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n  }\n"): (typeof documents)["\n  query DjangoSessionById($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId authHashValid expiresAt version user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DjangoCurrentSession {\n    currentSession { id store status data userId user { username } }\n  }\n"): (typeof documents)["\n  query DjangoCurrentSession {\n    currentSession { id store status data userId user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DjangoCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload {\n        sessionKey\n        session { id store status data userId authHashValid expiresAt version user { username } }\n      }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation DjangoCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload {\n        sessionKey\n        session { id store status data userId authHashValid expiresAt version user { username } }\n      }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DjangoUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId authHashValid expiresAt version decodeNote } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation DjangoUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId authHashValid expiresAt version decodeNote } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DjangoEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation DjangoEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DjangoEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation DjangoEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExpressSessions($userId: ID, $status: SessionStatus) {\n    sessions(store: \"express\", first: 100, userId: $userId, status: $status) {\n      edges { node { id store status data userId expiresAt user { username } } }\n    }\n  }\n"): (typeof documents)["\n  query ExpressSessions($userId: ID, $status: SessionStatus) {\n    sessions(store: \"express\", first: 100, userId: $userId, status: $status) {\n      edges { node { id store status data userId expiresAt user { username } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ExpressCurrentSession {\n    currentSession { id store status data userId expiresAt user { username } }\n  }\n"): (typeof documents)["\n  query ExpressCurrentSession {\n    currentSession { id store status data userId expiresAt user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ExpressCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation ExpressCreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ExpressUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation ExpressUpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ExpressEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n"): (typeof documents)["\n  mutation ExpressEndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ExpressEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation ExpressEndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FlaskSessions($store: String!, $userId: ID) {\n    sessions(store: $store, first: 100, userId: $userId) {\n      edges { node { id store status problem data userId user { username } expiresAt userRole } }\n      pageInfo { hasNextPage }\n    }\n  }\n"): (typeof documents)["\n  query FlaskSessions($store: String!, $userId: ID) {\n    sessions(store: $store, first: 100, userId: $userId) {\n      edges { node { id store status problem data userId user { username } expiresAt userRole } }\n      pageInfo { hasNextPage }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FlaskCurrent { currentSession { id store status data userId userRole user { username } } }\n"): (typeof documents)["\n  query FlaskCurrent { currentSession { id store status data userId userRole user { username } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FlaskCreate($input: CreateSessionInput!) { createSession(input: $input) { __typename\n    ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n"): (typeof documents)["\n  mutation FlaskCreate($input: CreateSessionInput!) { createSession(input: $input) { __typename\n    ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt user { username } } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FlaskUpdate($input: UpdateSessionInput!) { updateSession(input: $input) { __typename\n    ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n"): (typeof documents)["\n  mutation FlaskUpdate($input: UpdateSessionInput!) { updateSession(input: $input) { __typename\n    ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n    ... on Error { code message } ... on InvalidInputError { field } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FlaskEnd($input: EndSessionInput!) { endSession(input: $input) { __typename\n    ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } } }\n"): (typeof documents)["\n  mutation FlaskEnd($input: EndSessionInput!) { endSession(input: $input) { __typename\n    ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FlaskEndUser($input: EndUserSessionsInput!) { endUserSessions(input: $input) { __typename\n    ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }\n"): (typeof documents)["\n  mutation FlaskEndUser($input: EndUserSessionsInput!) { endUserSessions(input: $input) { __typename\n    ... on EndUserSessionsPayload { userId count } ... on Error { code message } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation FlaskRotate($input: EndSessionInput!) { rotateSessionKey(input: $input) { __typename\n    ... on RotateSessionKeyPayload { sessionKey session { id status data userId } } ... on Error { code message } } }\n"): (typeof documents)["\n  mutation FlaskRotate($input: EndSessionInput!) { rotateSessionKey(input: $input) { __typename\n    ... on RotateSessionKeyPayload { sessionKey session { id status data userId } } ... on Error { code message } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FlaskUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n"): (typeof documents)["\n  query FlaskUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LaravelByClient($ip: String, $userAgent: String) {\n    sessions(store: \"laravel\", ip: $ip, userAgent: $userAgent, first: 100) {\n      edges { node { id ip userAgent } }\n    }\n  }\n"): (typeof documents)["\n  query LaravelByClient($ip: String, $userAgent: String) {\n    sessions(store: \"laravel\", ip: $ip, userAgent: $userAgent, first: 100) {\n      edges { node { id ip userAgent } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LaravelCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation LaravelCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LaravelUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation LaravelUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LaravelEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n"): (typeof documents)["\n  mutation LaravelEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LaravelEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation LaravelEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LaravelRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation LaravelRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LaravelSessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n"): (typeof documents)["\n  query LaravelSessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LaravelCurrent { currentSession { id store status data userId user { username } } }\n"): (typeof documents)["\n  query LaravelCurrent { currentSession { id store status data userId user { username } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LaravelUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id userId } } } }\n  }\n"): (typeof documents)["\n  query LaravelUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id userId } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SymfonyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation SymfonyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SymfonyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation SymfonyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SymfonyEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n"): (typeof documents)["\n  mutation SymfonyEnd($input: EndSessionInput!) {\n    endSession(input: $input) { __typename ... on EndSessionPayload { endedSessionId } ... on SessionNotFoundError { code } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SymfonyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n"): (typeof documents)["\n  mutation SymfonyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { userId count } ... on Error { code message } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SymfonyRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation SymfonyRotate($input: EndSessionInput!) {\n    rotateSessionKey(input: $input) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id status data userId } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SymfonySessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem decodeNote data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n"): (typeof documents)["\n  query SymfonySessions($store: String!, $status: SessionStatus, $userId: ID) {\n    sessions(store: $store, status: $status, userId: $userId, first: 100) {\n      edges { node { id status problem decodeNote data userId expiresAt lastSeenAt user { username } } }\n      pageInfo { hasNextPage }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SymfonyCurrent { currentSession { id store status data userId user { username } } }\n"): (typeof documents)["\n  query SymfonyCurrent { currentSession { id store status data userId user { username } } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SymfonyUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n"): (typeof documents)["\n  query SymfonyUserSessions($id: ID!, $store: String!) {\n    user(id: $id) { username sessions(store: $store, first: 20) { totalCount edges { node { id status userId } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebpySession($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId expiresAt }\n  }\n"): (typeof documents)["\n  query WebpySession($id: ID!) {\n    session(id: $id) { id store status problem decodeNote data userId expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebpyTypes($id: ID!) {\n    session(id: $id) { data dataTypes }\n  }\n"): (typeof documents)["\n  query WebpyTypes($id: ID!) {\n    session(id: $id) { data dataTypes }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebpyPage($first: Int, $after: String) {\n    sessions(store: \"webpy\", first: $first, after: $after) {\n      edges { node { id } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query WebpyPage($first: Int, $after: String) {\n    sessions(store: \"webpy\", first: $first, after: $after) {\n      edges { node { id } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebpyReadUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation WebpyReadUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebpyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt lastSeenAt user { username } } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation WebpyCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id store status data userId expiresAt lastSeenAt user { username } } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebpyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"): (typeof documents)["\n  mutation WebpyUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id status data userId expiresAt lastSeenAt version } }\n      ... on Error { code message }\n      ... on InvalidInputError { field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebpyEnd($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n"): (typeof documents)["\n  mutation WebpyEnd($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation WebpyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation WebpyEndUser($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WebpyCurrent {\n    currentSession { id store status data userId userRole currentPage user { username } }\n  }\n"): (typeof documents)["\n  query WebpyCurrent {\n    currentSession { id store status data userId userRole currentPage user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CacheSessions($status: SessionStatus, $where: SessionWhere, $userId: ID) {\n    sessions(store: \"cache\", status: $status, where: $where, userId: $userId, first: 50) {\n      edges { node { id status problem data userId userRole user { username } createdAt expiresAt } }\n    }\n  }\n"): (typeof documents)["\n  query CacheSessions($status: SessionStatus, $where: SessionWhere, $userId: ID) {\n    sessions(store: \"cache\", status: $status, where: $where, userId: $userId, first: 50) {\n      edges { node { id status problem data userId userRole user { username } createdAt expiresAt } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CacheCurrent {\n    currentSession { id store data user { username } }\n  }\n"): (typeof documents)["\n  query CacheCurrent {\n    currentSession { id store data user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CacheCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id userId data expiresAt } }\n      ... on Error { code message }\n    }\n  }\n"): (typeof documents)["\n  mutation CacheCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id userId data expiresAt } }\n      ... on Error { code message }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CacheUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data expiresAt version } }\n      ... on Error { code message }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n"): (typeof documents)["\n  mutation CacheUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { data expiresAt version } }\n      ... on Error { code message }\n      ... on VersionConflictError { actualVersion }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id status data userId expiresAt version user { username } } }\n      ... on Error { message code }\n      ... on UserNotFoundError { userId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n      ... on StoreNotFoundError { store }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateSession($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { sessionKey session { id status data userId expiresAt version user { username } } }\n      ... on Error { message code }\n      ... on UserNotFoundError { userId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n      ... on StoreNotFoundError { store }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id data expiresAt version } }\n      ... on Error { message code }\n      ... on VersionConflictError { expectedVersion actualVersion sessionId }\n      ... on SessionNotFoundError { sessionId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateSession($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { id data expiresAt version } }\n      ... on Error { message code }\n      ... on VersionConflictError { expectedVersion actualVersion sessionId }\n      ... on SessionNotFoundError { sessionId }\n      ... on InvalidInputError { field }\n      ... on InvalidSessionDataError { path }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { sessionId code }\n    }\n  }\n"): (typeof documents)["\n  mutation EndSession($input: EndSessionInput!) {\n    endSession(input: $input) {\n      __typename\n      ... on EndSessionPayload { endedSessionId }\n      ... on SessionNotFoundError { sessionId code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { message code }\n    }\n  }\n"): (typeof documents)["\n  mutation EndUserSessions($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) {\n      __typename\n      ... on EndUserSessionsPayload { userId count }\n      ... on Error { message code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query WhoAmI {\n    currentSession { id data user { username } }\n  }\n"): (typeof documents)["\n  query WhoAmI {\n    currentSession { id data user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProjectedSessions($store: String, $userId: ID, $status: SessionStatus, $where: SessionWhere, $first: Int, $after: String) {\n    sessions(store: $store, userId: $userId, status: $status, where: $where, first: $first, after: $after) {\n      totalCount\n      estimatedCount\n      edges { node { id status problem userId userRole data user { username } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ProjectedSessions($store: String, $userId: ID, $status: SessionStatus, $where: SessionWhere, $first: Int, $after: String) {\n    sessions(store: $store, userId: $userId, status: $status, where: $where, first: $first, after: $after) {\n      totalCount\n      estimatedCount\n      edges { node { id status problem userId userRole data user { username } } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UsersWithDjangoSessions {\n    users(first: 10) {\n      edges { node { username sessions(store: \"django\", first: 3) { edges { node { userId user { username } } } } } }\n    }\n  }\n"): (typeof documents)["\n  query UsersWithDjangoSessions {\n    users(first: 10) {\n      edges { node { username sessions(store: \"django\", first: 3) { edges { node { userId user { username } } } } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ProjectedRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) { __typename ... on RotateSessionKeyPayload { sessionKey session { id userRole } } }\n  }\n"): (typeof documents)["\n  mutation ProjectedRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) { __typename ... on RotateSessionKeyPayload { sessionKey session { id userRole } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ProjectedMine {\n    currentSession { id store userRole }\n  }\n"): (typeof documents)["\n  query ProjectedMine {\n    currentSession { id store userRole }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Stats($store: String, $groupBy: SessionField) {\n    sessionStats(store: $store, groupBy: $groupBy) { store status value count }\n  }\n"): (typeof documents)["\n  query Stats($store: String, $groupBy: SessionField) {\n    sessionStats(store: $store, groupBy: $groupBy) { store status value count }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ProjectedEndAll($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { count } }\n  }\n"): (typeof documents)["\n  mutation ProjectedEndAll($input: EndUserSessionsInput!) {\n    endUserSessions(input: $input) { __typename ... on EndUserSessionsPayload { count } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ProjectedCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id userRole } }\n      ... on ReferenceNotFoundError { field value references code }\n    }\n  }\n"): (typeof documents)["\n  mutation ProjectedCreate($input: CreateSessionInput!) {\n    createSession(input: $input) {\n      __typename\n      ... on CreateSessionPayload { session { id userRole } }\n      ... on ReferenceNotFoundError { field value references code }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ProjectedUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { userRole data } }\n      ... on ReferenceNotFoundError { field value }\n    }\n  }\n"): (typeof documents)["\n  mutation ProjectedUpdate($input: UpdateSessionInput!) {\n    updateSession(input: $input) {\n      __typename\n      ... on UpdateSessionPayload { session { userRole data } }\n      ... on ReferenceNotFoundError { field value }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionsPage($userId: ID, $status: SessionStatus, $first: Int, $after: String) {\n    sessions(userId: $userId, status: $status, first: $first, after: $after) {\n      edges { cursor node { id store status data userId createdAt expiresAt version user { rowId username } } }\n      pageInfo { hasNextPage hasPreviousPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query SessionsPage($userId: ID, $status: SessionStatus, $first: Int, $after: String) {\n    sessions(userId: $userId, status: $status, first: $first, after: $after) {\n      edges { cursor node { id store status data userId createdAt expiresAt version user { rowId username } } }\n      pageInfo { hasNextPage hasPreviousPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionById($id: ID!) {\n    session(id: $id) { id status data dataTypes user { username email } }\n  }\n"): (typeof documents)["\n  query SessionById($id: ID!) {\n    session(id: $id) { id status data dataTypes user { username email } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NodeById($id: ID!) {\n    node(id: $id) { __typename id ... on Session { store data } ... on User { username } }\n  }\n"): (typeof documents)["\n  query NodeById($id: ID!) {\n    node(id: $id) { __typename id ... on Session { store data } ... on User { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CurrentSession {\n    currentSession { id status data lastSeenAt user { username } }\n  }\n"): (typeof documents)["\n  query CurrentSession {\n    currentSession { id status data lastSeenAt user { username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query UserById($id: ID!) {\n    user(id: $id) { id rowId username email fullName isStaff dateJoined sessions(status: ACTIVE) { edges { node { id } } } }\n  }\n"): (typeof documents)["\n  query UserById($id: ID!) {\n    user(id: $id) { id rowId username email fullName isStaff dateJoined sessions(status: ACTIVE) { edges { node { id } } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SecretsRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n"): (typeof documents)["\n  mutation SecretsRotate($id: ID!) {\n    rotateSessionKey(input: { id: $id }) {\n      __typename\n      ... on RotateSessionKeyPayload { sessionKey previousSessionId session { id data } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SecretsCreate($input: CreateSessionInput!) {\n    createSession(input: $input) { __typename ... on CreateSessionPayload { sessionKey session { id } } }\n  }\n"): (typeof documents)["\n  mutation SecretsCreate($input: CreateSessionInput!) {\n    createSession(input: $input) { __typename ... on CreateSessionPayload { sessionKey session { id } } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SecretsMine {\n    currentSession { id store data }\n  }\n"): (typeof documents)["\n  query SecretsMine {\n    currentSession { id store data }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CountedStats($store: String, $status: SessionStatus) {\n    sessionStats(store: $store, status: $status) { store status value count }\n  }\n"): (typeof documents)["\n  query CountedStats($store: String, $status: SessionStatus) {\n    sessionStats(store: $store, status: $status) { store status value count }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CountsExtend($input: UpdateSessionInput!) {\n    updateSession(input: $input) { __typename }\n  }\n"): (typeof documents)["\n  mutation CountsExtend($input: UpdateSessionInput!) {\n    updateSession(input: $input) { __typename }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ByRole($where: SessionWhere, $first: Int, $after: String) {\n    sessions(where: $where, first: $first, after: $after) {\n      edges { node { userRole currentPage data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query ByRole($where: SessionWhere, $first: Int, $after: String) {\n    sessions(where: $where, first: $first, after: $after) {\n      edges { node { userRole currentPage data } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;