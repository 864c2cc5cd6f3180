import type { App } from '../app.ts';
import {
  InvalidInputError,
  InvalidSessionDataError,
  ReferenceNotFoundError,
  SessionNotFoundError,
  StoreNotFoundError,
  UserNotFoundError,
  VersionConflictError,
} from '../errors/domain.ts';
import { decodeSessionId, sessionNodeId } from '../sessions/ids.ts';
import * as sessions from '../sessions/service.ts';
import type { Context } from '../context.ts';
import { type StatsRow, sessionStats } from '../projection/projection.sql.ts';
import { fieldColumn } from '../projection/rows.ts';
import { requestLoader } from '../context.ts';
import { audited } from '../auth/audit.ts';
import { hasScope } from '../auth/caller.ts';
import { typedValue, type WhereCondition } from '../sessions/fields.ts';
import { STORE_KINDS } from '../stores/registry.ts';
import type { SessionFieldSpec } from '../stores/kind.ts';
import type { SessionRecord } from '../stores/types.ts';
import type { Builder } from './builder.ts';
import type { UserRef } from './user.ts';
import type { UserRow } from '../users/users.sql.ts';

/** Whether `session` is the viewer's own (same store, same row). */
export const isViewer = (viewer: SessionRecord | null, session: SessionRecord) =>
  viewer !== null && viewer.store === session.store && viewer.ref === session.ref;

const screamingSnake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

const FILTERABLE = new Set(['String', 'Int', 'Float', 'Boolean', 'ID']);

/**
 * A field a store kind adds to `Session` (src/stores/<kind>/index.ts): resolved on sessions of that kind, null on
 * the others.
 */
function kindField(app: App, kind: string, spec: SessionFieldSpec) {
  return (session: SessionRecord, _args: unknown, ctx: Context) => {
    const store = app.stores.get(session.store);
    if (!store || store.kind !== kind) return null;
    return spec.resolve(session, {
      store,
      db: ctx.db,
      batch: <V>(name: string, load: (keys: readonly string[]) => Promise<(V | null)[]>) =>
        requestLoader<V | null>(ctx, name, load),
    });
  };
}

/** `Session`, its connection, the session queries and the session mutations. */
export function addSessionTypes(builder: Builder, app: App, User: UserRef) {
  const SessionStatus = builder.enumType('SessionStatus', {
    description:
      'ACTIVE: usable now. EXPIRED: past its expiry. INVALID: stored, but cannot be decoded or trusted.',
    values: ['ACTIVE', 'EXPIRED', 'INVALID'] as const,
  });

  const Session = builder.objectRef<SessionRecord>('Session');
  builder.node(Session, {
    description: 'A server-side web session, decoded from whichever store keeps it.',
    // A token with sessions:read sees every session; a browser sees its own and no other.
    runScopesOnType: true,
    authScopes: async (session, ctx) =>
      hasScope(ctx.caller, 'sessions:read') || isViewer(await ctx.viewerSession(), session),
    id: { resolve: (session) => sessionNodeId(session) },
    isTypeOf: (value) => typeof value === 'object' && value !== null && 'ref' in value && 'store' in value,
    loadMany: async (nodeIds, ctx) =>
      (await ctx.sessionLoader.loadMany(nodeIds)).map((found) => (found instanceof Error ? null : found)),
    fields: (t) => ({
      store: t.exposeString('store', { description: 'The configured store this session lives in.' }),
      status: t.field({ type: SessionStatus, resolve: (session) => session.status }),
      problem: t.exposeString('problem', {
        nullable: true,
        description: 'Why the session is INVALID (tampered, corrupt, unsafe); null otherwise.',
      }),
      data: t.field({ type: 'JSONObject', description: 'The decoded session data.', resolve: (s) => s.data }),
      userId: t.exposeID('userId', {
        nullable: true,
        description: 'The users-table key of the owner, if any.',
      }),
      user: t.field({
        type: User,
        nullable: true,
        description: 'The owner, loaded in one batch per request.',
        resolve: (session, _args, ctx) => {
          // Read with the session (see ReadOptions.withUser): hand it to the loader, no second statement.
          if (session.user !== undefined && session.userId !== null) {
            User.getDataloader(ctx).prime(session.userId, session.user as UserRow);
          }
          return session.userId;
        },
      }),
      createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
      lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
      version: t.exposeInt('version', { description: 'Increases by one with every change.' }),
      ip: t.exposeString('ip', { nullable: true }),
      userAgent: t.exposeString('userAgent', { nullable: true }),
      decodeNote: t.string({
        nullable: true,
        description: 'Something worth knowing about a session that decoded (legacy format, Python 2 bytes).',
        resolve: (session) => session.note ?? null,
      }),
      ...Object.fromEntries(
        STORE_KINDS.flatMap((kind) =>
          ((kind as { sessionFields?: readonly SessionFieldSpec[] }).sessionFields ?? []).map((spec) => [
            spec.name,
            t.field({
              type: spec.type as 'Boolean',
              nullable: true,
              description: spec.description,
              resolve: kindField(app, kind.kind, spec) as () => Promise<boolean | null>,
            }),
          ]),
        ),
      ),
      ...Object.fromEntries(
        app.config.fields.map((field) => [
          field.name,
          t.field({
            type: field.type as 'String',
            nullable: true,
            description:
              field.description ?? `\`${field.path.join('.')}\` in the session data, as ${field.type}.`,
            resolve: (session) =>
              session.status === 'INVALID' ? null : (typedValue(field, session.data) as string | null),
          }),
        ]),
      ),
    }),
  });

  const SessionConnection = builder.connectionObject({
    type: Session,
    name: 'SessionConnection',
    fields: (t) => ({
      totalCount: t.int({
        description: 'Every session the filters match, counted exactly (one extra statement).',
        resolve: (connection) => (connection as unknown as sessions.SessionPage).count(false),
      }),
      estimatedCount: t.int({
        description: 'The planner’s estimate of `totalCount`, from statistics: cheap on any table size.',
        resolve: (connection) => (connection as unknown as sessions.SessionPage).count(true),
      }),
    }),
  });

  const filterable = app.config.fields.filter((field) => FILTERABLE.has(field.type));
  const SessionWhere =
    filterable.length === 0
      ? null
      : builder.inputType('SessionWhere', {
          description: 'Typed-field conditions; all given must hold (equality).',
          fields: (t) =>
            Object.fromEntries(
              filterable.map((field) => [
                field.name,
                t.field({ type: field.type as 'String', required: false }),
              ]),
            ),
        });
  const whereConditions = (where: unknown): WhereCondition[] => {
    if (!where || typeof where !== 'object') return [];
    const given = where as Record<string, unknown>;
    return filterable
      .filter((field) => given[field.name] !== undefined && given[field.name] !== null)
      .map((field) => ({ field, value: given[field.name] as string | number | boolean }));
  };

  builder.queryFields((t) => ({
    currentSession: t.field({
      type: Session,
      nullable: true,
      description:
        'The session whose key the caller presents (its cookie, or the `X-Session-Key` header). ' +
        'Null for an unknown, expired or malformed key.',
      resolve: (_root, _args, ctx) => ctx.viewerSession(),
    }),
    session: t.field({
      authScopes: { scope: 'sessions:read', viewer: true },
      type: Session,
      nullable: true,
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, args, ctx) => {
        const address = decodeSessionId(String(args.id));
        return address ? ctx.sessionLoader.load(sessionNodeId(address)) : null;
      },
    }),
    sessions: t.field({
      authScopes: { scope: 'sessions:read' },
      type: SessionConnection,
      description: 'Sessions of one store, newest first, with keyset cursors.',
      args: {
        store: t.arg.string({ description: `Defaults to "${app.defaultStore.name}".` }),
        userId: t.arg.id(),
        status: t.arg({ type: SessionStatus }),
        first: t.arg.int({
          description: `At most ${app.config.maxPageSize}; ${app.config.defaultPageSize} by default.`,
        }),
        after: t.arg.string(),
        ...((SessionWhere ? { where: t.arg({ type: SessionWhere }) } : {}) as Record<string, never>),
      },
      resolve: (_root, args, ctx) =>
        sessions.listSessions(ctx, {
          ...args,
          userId: args.userId === null || args.userId === undefined ? null : String(args.userId),
          where: whereConditions((args as { where?: unknown }).where),
        }),
    }),
  }));

  const SessionStatsGroup = builder.objectRef<StatsRow>('SessionStatsGroup').implement({
    description: 'How many sessions share a store, a status and (when grouped by a field) a value.',
    fields: (t) => ({
      store: t.exposeString('store'),
      status: t.field({ type: SessionStatus, resolve: (row) => row.status }),
      value: t.field({ type: 'JSON', nullable: true, resolve: (row) => row.value }),
      count: t.exposeInt('count'),
    }),
  });
  const SessionField =
    app.config.fields.length === 0
      ? null
      : builder.enumType('SessionField', {
          description: 'A declared typed field, for grouping.',
          values: Object.fromEntries(
            app.config.fields.map((field) => [screamingSnake(field.name), { value: field.name }]),
          ),
        });
  builder.queryFields((t) => ({
    sessionStats: t.field({
      authScopes: { scope: 'sessions:read' },
      type: [SessionStatsGroup],
      description:
        'Session counts by store and status, optionally by a declared field (e.g. active sessions per role). ' +
        'Framework stores count from the projection, so they appear once their backfill is done.',
      args: {
        store: t.arg.string(),
        status: t.arg({ type: SessionStatus }),
        ...((SessionField ? { groupBy: t.arg({ type: SessionField }) } : {}) as Record<string, never>),
      },
      resolve: (_root, args, ctx) => {
        const groupBy = (args as { groupBy?: string | null }).groupBy;
        const field = app.config.fields.find((candidate) => candidate.name === groupBy);
        return sessionStats(
          ctx.db,
          args.store ?? null,
          args.status ?? null,
          field ? fieldColumn(field) : null,
        );
      },
    }),
  }));

  const CreateSessionInput = builder.inputType('CreateSessionInput', {
    fields: (t) => ({
      store: t.string({ description: `Defaults to "${app.defaultStore.name}".` }),
      userId: t.id({ description: 'The owner; omit for an anonymous session.' }),
      data: t.field({ type: 'JSONObject' }),
      ttlSeconds: t.int({ description: 'Lifetime from now; defaults to the store’s.' }),
      expiresAt: t.field({ type: 'DateTime' }),
      ip: t.string(),
      userAgent: t.string(),
    }),
  });
  const CreateSessionPayload = builder
    .objectRef<{ session: SessionRecord; sessionKey: string }>('CreateSessionPayload')
    .implement({
      fields: (t) => ({
        session: t.field({ type: Session, resolve: (payload) => payload.session }),
        sessionKey: t.exposeString('sessionKey', {
          description:
            'The key to give the browser. Returned this one time only; sessiongraph keeps only a hash.',
        }),
      }),
    });

  const UpdateSessionInput = builder.inputType('UpdateSessionInput', {
    fields: (t) => ({
      id: t.id({ required: true }),
      set: t.field({ type: 'JSONObject', description: 'Top-level keys to set.' }),
      unset: t.stringList({ description: 'Top-level keys to remove.' }),
      replace: t.field({ type: 'JSONObject', description: 'New data in full; not with `set` or `unset`.' }),
      ttlSeconds: t.int({ description: 'New expiry: now plus this many seconds.' }),
      expiresAt: t.field({ type: 'DateTime', description: 'New expiry.' }),
      extendBySeconds: t.int({ description: 'Push the expiry (from now if already past).' }),
      expectedVersion: t.int({
        description: 'Fail with VersionConflictError unless the session is at this version.',
      }),
    }),
  });
  const UpdateSessionPayload = builder
    .objectRef<{ session: SessionRecord }>('UpdateSessionPayload')
    .implement({
      fields: (t) => ({ session: t.field({ type: Session, resolve: (payload) => payload.session }) }),
    });

  const EndSessionInput = builder.inputType('EndSessionInput', {
    fields: (t) => ({ id: t.id({ required: true }) }),
  });
  const EndSessionPayload = builder.objectRef<{ endedSessionId: string }>('EndSessionPayload').implement({
    fields: (t) => ({ endedSessionId: t.exposeID('endedSessionId') }),
  });

  const EndUserSessionsInput = builder.inputType('EndUserSessionsInput', {
    fields: (t) => ({
      userId: t.id({ required: true }),
      store: t.string({ description: 'Only this store; every store by default.' }),
      keepSessionId: t.id({ description: 'A session of the user to leave running (e.g. the current one).' }),
    }),
  });
  const EndUserSessionsPayload = builder
    .objectRef<{ userId: string; count: number }>('EndUserSessionsPayload')
    .implement({
      fields: (t) => ({
        userId: t.exposeID('userId'),
        count: t.exposeInt('count', { description: 'How many sessions ended.' }),
      }),
    });

  const RotateSessionKeyPayload = builder
    .objectRef<{ session: SessionRecord; sessionKey: string; previousSessionId: string }>(
      'RotateSessionKeyPayload',
    )
    .implement({
      fields: (t) => ({
        session: t.field({ type: Session, resolve: (payload) => payload.session }),
        sessionKey: t.exposeString('sessionKey', {
          description: 'The new key, returned this one time only.',
        }),
        previousSessionId: t.exposeID('previousSessionId'),
      }),
    });
  const EndOtherSessionsPayload = builder
    .objectRef<{ userId: string | null; count: number }>('EndOtherSessionsPayload')
    .implement({
      fields: (t) => ({
        userId: t.exposeID('userId', { nullable: true }),
        count: t.exposeInt('count'),
      }),
    });
  const UpdateCurrentSessionInput = builder.inputType('UpdateCurrentSessionInput', {
    fields: (t) => ({
      set: t.field({ type: 'JSONObject' }),
      unset: t.stringList(),
    }),
  });

  builder.mutationFields((t) => ({
    createSession: t.field({
      authScopes: { scope: 'sessions:write' },
      type: CreateSessionPayload,
      args: { input: t.arg({ type: CreateSessionInput, required: true }) },
      errors: {
        types: [
          InvalidInputError,
          InvalidSessionDataError,
          UserNotFoundError,
          StoreNotFoundError,
          ReferenceNotFoundError,
        ],
        union: { name: 'CreateSessionResult' },
      },
      resolve: (_root, { input }, ctx) => {
        const userId = input.userId === null || input.userId === undefined ? null : String(input.userId);
        return audited(
          ctx,
          'createSession',
          { userId },
          () => sessions.createSession(ctx, { ...input, userId }),
          (result) => ({ sessionId: sessions.encodeSessionId(result.session) }),
        );
      },
    }),
    updateSession: t.field({
      authScopes: { scope: 'sessions:write' },
      type: UpdateSessionPayload,
      args: { input: t.arg({ type: UpdateSessionInput, required: true }) },
      errors: {
        types: [
          SessionNotFoundError,
          VersionConflictError,
          InvalidInputError,
          InvalidSessionDataError,
          ReferenceNotFoundError,
        ],
        union: { name: 'UpdateSessionResult' },
      },
      resolve: (_root, { input }, ctx) =>
        audited(
          ctx,
          'updateSession',
          { sessionId: String(input.id) },
          () => sessions.updateSession(ctx, { ...input, id: String(input.id) }),
          (result) => ({ userId: result.session.userId }),
        ),
    }),
    endSession: t.field({
      authScopes: { scope: 'sessions:write' },
      type: EndSessionPayload,
      args: { input: t.arg({ type: EndSessionInput, required: true }) },
      errors: { types: [SessionNotFoundError], union: { name: 'EndSessionResult' } },
      resolve: (_root, { input }, ctx) =>
        audited(ctx, 'endSession', { sessionId: String(input.id) }, () =>
          sessions.endSession(ctx, String(input.id)),
        ),
    }),
    endUserSessions: t.field({
      authScopes: { scope: 'sessions:write' },
      type: EndUserSessionsPayload,
      args: { input: t.arg({ type: EndUserSessionsInput, required: true }) },
      errors: {
        types: [UserNotFoundError, InvalidInputError, StoreNotFoundError],
        union: { name: 'EndUserSessionsResult' },
      },
      resolve: (_root, { input }, ctx) =>
        audited(ctx, 'endUserSessions', { userId: String(input.userId) }, () =>
          sessions.endUserSessions(ctx, {
            userId: String(input.userId),
            store: input.store,
            keepSessionId:
              input.keepSessionId === null || input.keepSessionId === undefined
                ? null
                : String(input.keepSessionId),
          }),
        ),
    }),
    rotateSessionKey: t.field({
      authScopes: { scope: 'sessions:write' },
      description:
        'Gives a session a new key with the same data, in one transaction (against session fixation): the ' +
        'old key stops working at once. Returns the new key, this one time. On framework stores the id changes too.',
      type: RotateSessionKeyPayload,
      args: { input: t.arg({ type: EndSessionInput, required: true }) },
      errors: { types: [SessionNotFoundError], union: { name: 'RotateSessionKeyResult' } },
      resolve: (_root, { input }, ctx) =>
        audited(
          ctx,
          'rotateSessionKey',
          { sessionId: String(input.id) },
          () => sessions.rotateSessionKey(ctx, String(input.id)),
          (result) => ({ userId: result.session.userId }),
        ),
    }),
    endCurrentSession: t.field({
      authScopes: { viewer: true },
      description: 'A browser ends its own session (logs out).',
      type: EndSessionPayload,
      errors: { union: { name: 'EndCurrentSessionResult' } },
      resolve: (_root, _args, ctx) =>
        audited(
          ctx,
          'endCurrentSession',
          {},
          () => sessions.endCurrentSession(ctx),
          (result) => ({ sessionId: result.endedSessionId }),
        ),
    }),
    endOtherSessions: t.field({
      authScopes: { viewer: true },
      description: 'A browser ends every other session of its user, in every store; its own stays.',
      type: EndOtherSessionsPayload,
      errors: { union: { name: 'EndOtherSessionsResult' } },
      resolve: (_root, _args, ctx) =>
        audited(
          ctx,
          'endOtherSessions',
          {},
          () => sessions.endOtherSessions(ctx),
          (result) => ({ userId: result.userId }),
        ),
    }),
    updateCurrentSession: t.field({
      authScopes: { viewer: true },
      description: `A browser changes its own session's data: only the keys configured as client-writable (${
        app.config.clientWritableKeys.join(', ') || 'none here'
      }).`,
      type: UpdateSessionPayload,
      args: { input: t.arg({ type: UpdateCurrentSessionInput, required: true }) },
      errors: {
        types: [InvalidInputError, InvalidSessionDataError, ReferenceNotFoundError],
        union: { name: 'UpdateCurrentSessionResult' },
      },
      resolve: (_root, { input }, ctx) =>
        audited(
          ctx,
          'updateCurrentSession',
          {},
          () => sessions.updateCurrentSession(ctx, input),
          (result) => ({
            sessionId: sessions.encodeSessionId(result.session),
            userId: result.session.userId,
          }),
        ),
    }),
  }));

  return { Session, SessionConnection, SessionStatus };
}

export type SessionTypes = ReturnType<typeof addSessionTypes>;
