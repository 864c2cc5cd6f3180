import type { App } from '../../app.ts';
import { decodeSessionId, sessionNodeId } from '../../sessions/ids.ts';
import * as sessions from '../../sessions/service.ts';
import type { Builder } from '../builder.ts';
import type { SessionTypes } from './type.ts';

/** The session queries: the caller's own session, one by id, a store's page. */
export function addSessionQueries(builder: Builder, app: App, types: SessionTypes) {
  const { Session, SessionConnection, SessionStatus, SessionWhere, whereConditions } = types;
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
}
