import { GraphQLError } from 'graphql';
import type { App } from '../app.ts';
import { type AuditRow, findAuditEntries } from '../auth/audit.sql.ts';
import { pageSize } from '../auth/rules.ts';
import type { Builder } from './builder.ts';
import type { ErrorCode } from '../errors/codes.ts';

/** `auditEvents`: the append-only audit log, newest first, for callers with `audit:read`. */
export function addAuditTypes(builder: Builder, app: App) {
  const AuditEvent = builder.objectRef<AuditRow>('AuditEvent').implement({
    description: 'One mutation or refusal: who, what, which session and user, when, and how it ended.',
    fields: (t) => ({
      id: t.exposeID('id'),
      at: t.expose('at', { type: 'DateTime' }),
      actor: t.exposeString('actor', {
        description: '`token:<name>`, `session:<store>:<id prefix>` or `anonymous`.',
      }),
      action: t.exposeString('action'),
      sessionId: t.exposeID('session_id', { nullable: true }),
      userId: t.exposeID('user_id', { nullable: true }),
      outcome: t.exposeString('outcome', { description: '`ok`, `error:<CODE>` or `refused:<why>`.' }),
    }),
  });
  const AuditEventConnection = builder.connectionObject({ type: AuditEvent, name: 'AuditEventConnection' });
  builder.queryFields((t) => ({
    auditEvents: t.field({
      type: AuditEventConnection,
      authScopes: { scope: 'audit:read' },
      description: 'The audit log, newest first; ended sessions stay visible here.',
      args: {
        sessionId: t.arg.id(),
        userId: t.arg.id(),
        since: t.arg({ type: 'DateTime' }),
        until: t.arg({ type: 'DateTime' }),
        first: t.arg.int(),
        after: t.arg.string(),
      },
      resolve: async (_root, args, ctx) => {
        const limit = pageSize(app.config, args.first);
        if (args.after && !/^\d{1,19}$/.test(args.after)) {
          throw new GraphQLError('`after` is not a cursor of this list', {
            extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, argument: 'after' },
          });
        }
        const sessionId =
          args.sessionId === null || args.sessionId === undefined ? null : String(args.sessionId);
        const userId = args.userId === null || args.userId === undefined ? null : String(args.userId);
        // An id holding NUL names no row (PostgreSQL text cannot hold one, and comparing fails the statement).
        const namesNothing = [sessionId, userId].some((id) => id?.includes('\u0000'));
        const rows = namesNothing
          ? []
          : await findAuditEntries(
              ctx.db,
              { sessionId, userId, since: args.since ?? null, until: args.until ?? null },
              args.after ?? null,
              limit + 1,
            );
        const edges = rows.slice(0, limit).map((node) => ({ cursor: node.id, node }));
        return {
          edges,
          pageInfo: {
            hasNextPage: rows.length > limit,
            hasPreviousPage: Boolean(args.after),
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    }),
  }));
}
