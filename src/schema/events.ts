import { GraphQLError } from 'graphql';
import type { App } from '../app.ts';
import type { SessionEvent } from '../events/bus.ts';
import { eventStream, LAST_EVENT, whileAllowed } from '../events/stream.ts';
import { clientUserKey, followRefusal, mayReadSessions, stillFollows } from '../auth/rules.ts';
import { encodeSessionId } from '../sessions/ids.ts';
import type { Builder } from './builder.ts';
import type { SessionTypes } from './session/type.ts';
import type { ErrorCode } from '../errors/codes.ts';

/** Sessions of this many users' worth are watched for expiry from the start of a subscription. */
const INITIAL_WATCH_LIMIT = 1000;

/**
 * `sessionEvents`: created, updated, ended and expired sessions as they happen, over SSE (or any transport
 * Yoga speaks). Fed by PostgreSQL notifications, so a change made through any replica, by the sync worker
 * or by the framework itself reaches subscribers on every replica. A token with sessions:read may follow
 * any user or store; a browser follows its own session only.
 */
export function addSessionEvents(builder: Builder, app: App, types: SessionTypes) {
  const Kind = builder.enumType('SessionEventKind', {
    values: {
      CREATED: { description: 'A new session.' },
      UPDATED: { description: 'Its data, owner, key or expiry changed.' },
      ENDED: { description: 'Deleted before its expiry (logout, endSession, the framework).' },
      EXPIRED: { description: 'It reached its expiry (or an expired session was swept).' },
    },
  });
  const Event = builder.objectRef<SessionEvent>('SessionEvent').implement({
    description: 'Something that happened to a session.',
    fields: (t) => ({
      kind: t.field({ type: Kind, resolve: (event) => event.kind }),
      sessionId: t.id({ resolve: (event) => encodeSessionId(event) }),
      store: t.exposeString('store'),
      userId: t.exposeID('userId', { nullable: true }),
      at: t.field({ type: 'DateTime', description: 'When this server learned of it.', resolve: (e) => e.at }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
      session: t.field({
        type: types.Session,
        nullable: true,
        description: 'The session as it is now, read afresh; null once it is gone.',
        resolve: async (event) => {
          const store = app.stores.get(event.store);
          if (!store || event.kind === 'ENDED') return null;
          const [record] = await store.findByRefs(app.pool, [event.ref], app.clock());
          return record ?? null;
        },
      }),
    }),
  });

  builder.subscriptionType({});
  builder.subscriptionField('sessionEvents', (t) =>
    t.field({
      authScopes: { scope: 'sessions:read', viewer: true },
      type: Event,
      description:
        'Session changes as they commit, on every replica. Filter by owner and store; a browser gets only ' +
        'its own session’s events.',
      args: {
        userId: t.arg.id({ description: 'Only sessions of this user.' }),
        store: t.arg.string({ description: 'Only sessions of this store.' }),
      },
      subscribe: async (_root, args, ctx) => {
        const bus = app.events;
        if (!bus) {
          throw new GraphQLError(
            'Live events are not available on this server (no notification connection).',
            {
              extensions: { code: 'SERVICE_UNAVAILABLE' satisfies ErrorCode },
            },
          );
        }
        if (args.store && !app.stores.has(args.store)) {
          throw new GraphQLError(`no store is named "${args.store}"`, {
            extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, argument: 'store' },
          });
        }
        const userId =
          args.userId === null || args.userId === undefined
            ? null
            : clientUserKey(app.catalog, String(args.userId));
        if (args.userId !== null && args.userId !== undefined && userId === null) {
          throw new GraphQLError('`userId` is not a key of the users table', {
            extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, argument: 'userId' },
          });
        }
        // Checked here, not only by the field's authScopes: those guard each event's resolve, and the stream
        // itself must not even start for a caller that may not follow it.
        const own = mayReadSessions(ctx.caller) ? null : await ctx.viewerSession();
        const refusal = followRefusal(ctx.caller, own);
        if (refusal) throw new GraphQLError(refusal.message, { extensions: { code: refusal.code } });
        const filter = (event: SessionEvent) =>
          (own === null || (event.store === own.store && event.ref === own.ref)) &&
          (userId === null || event.userId === userId) &&
          (!args.store || event.store === args.store);
        // Expiry is watched from the start for what the subscriber is following: its own session, or one
        // user's live sessions.
        const initial = own
          ? [own]
          : userId === null
            ? []
            : (
                await Promise.all(
                  [...app.stores.values()]
                    .filter((store) => !args.store || store.name === args.store)
                    .map((store) =>
                      store.list(app.pool, {
                        userId,
                        status: 'ACTIVE',
                        limit: INITIAL_WATCH_LIMIT,
                        after: null,
                        now: app.clock(),
                        where: [],
                      }),
                    ),
                )
              ).flat();
        const events = eventStream(bus, {
          filter,
          initial: initial.map((record) => ({
            store: record.store,
            ref: record.ref,
            userId: record.userId,
            expiresAt: record.expiresAt,
          })),
        });
        // A stream outlives the request's credentials: a revoked or expired token, or an ended or re-keyed
        // session, gets no further event. A browser still hears that its own session ended or expired, last.
        return whileAllowed(events, async (event) => {
          const refusal = stillFollows(own, await ctx.callerNow({ viewer: own !== null }));
          const last = own !== null && (event.kind === 'ENDED' || event.kind === 'EXPIRED');
          return refusal !== null && last ? LAST_EVENT : refusal;
        });
      },
      resolve: (event) => event,
    }),
  );
}
