import type { App } from '../../app.ts';
import { decodeSessionId, sessionNodeId } from '../../sessions/ids.ts';
import * as sessions from '../../sessions/service.ts';
import type { Builder } from '../builder.ts';
import { selectsPage } from '../lookahead.ts';
import type { SessionTypes } from './type.ts';

/** The session queries: the caller's own session, one by id, a store's page. */
export function addSessionQueries(builder: Builder, app: App, types: SessionTypes) {
  const { Session, SessionConnection, SessionStatus, SessionWhere, whereConditions } = types;
  const TimeRange = builder.inputType('TimeRange', {
    description: 'From `since` (included) to `before` (not included); either may be left out.',
    fields: (t) => ({
      since: t.field({ type: 'DateTime' }),
      before: t.field({ type: 'DateTime' }),
    }),
  });
  const range = (given: { since?: Date | null; before?: Date | null } | null | undefined) =>
    given ? { since: given.since ?? null, before: given.before ?? null } : undefined;
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
        ip: t.arg.string({
          description: 'Only sessions from this IP address (`Store.filters` says which stores keep one).',
        }),
        userAgent: t.arg.string({
          description: 'Only sessions whose user agent contains this text, letter case aside.',
        }),
        createdAt: t.arg({ type: TimeRange, description: 'Only sessions created in this range.' }),
        lastSeenAt: t.arg({ type: TimeRange, description: 'Only sessions last seen in this range.' }),
        expiresAt: t.arg({ type: TimeRange, description: 'Only sessions expiring in this range.' }),
        ...((SessionWhere ? { where: t.arg({ type: SessionWhere }) } : {}) as Record<string, never>),
      },
      resolve: (_root, args, ctx, info) =>
        sessions.listSessions(ctx, {
          ...args,
          countsOnly: !selectsPage(info),
          userId: args.userId === null || args.userId === undefined ? null : String(args.userId),
          where: whereConditions((args as { where?: unknown }).where),
          facts: {
            ip: args.ip ?? undefined,
            userAgent: args.userAgent ?? undefined,
            createdAt: range(args.createdAt),
            lastSeenAt: range(args.lastSeenAt),
            expiresAt: range(args.expiresAt),
          },
        }),
    }),
  }));
}
