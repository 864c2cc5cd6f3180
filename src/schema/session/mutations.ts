import type { App } from '../../app.ts';
import {
  InvalidInputError,
  InvalidSessionDataError,
  ReferenceNotFoundError,
  SessionNotFoundError,
  StoreNotFoundError,
  UserNotFoundError,
  VersionConflictError,
} from '../../errors/domain.ts';
import * as sessions from '../../sessions/service.ts';
import { audited } from '../../auth/audit.ts';
import type { SessionRecord } from '../../stores/types.ts';
import type { Builder } from '../builder.ts';
import type { SessionTypes } from './type.ts';

/** The session mutations, each one transaction, each refusal a typed error in its payload. */
export function addSessionMutations(builder: Builder, app: App, types: SessionTypes) {
  const { Session } = types;
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
}
