import type { App } from '../../app.ts';
import { sessionNodeId } from '../../sessions/ids.ts';
import type * as sessions from '../../sessions/service.ts';
import { type Context, requestLoader } from '../../context.ts';
import { mayReadSession } from '../../auth/rules.ts';
import { typedValue, type WhereCondition } from '../../sessions/fields.ts';
import { STORE_KINDS } from '../../stores/registry.ts';
import type { SessionFieldSpec } from '../../stores/kind.ts';
import type { SessionRecord } from '../../stores/types.ts';
import type { Builder } from '../builder.ts';
import type { UserRef } from '../user.ts';
import type { UserRow } from '../../users/users.sql.ts';

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

/**
 * `Session`: its status enum, its fields (the stored ones, the declared typed fields, the ones store kinds
 * add), its connection, and the typed-field filter of `sessions(where:)`.
 */
export function addSessionType(builder: Builder, app: App, User: UserRef) {
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
    authScopes: async (session, ctx) => mayReadSession(ctx.caller, await ctx.viewerSession(), session),
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
      dataTypes: t.field({
        type: 'JSONObject',
        nullable: true,
        description:
          'Python stores (web.py, Flask): the type of each value in `data` that its JSON form does not tell, ' +
          'by JSON pointer, e.g. `{"/cart": "tuple", "/seen": "datetime.datetime"}` (at most 1,000). ' +
          'Null for stores whose data is JSON, and for INVALID sessions.',
        resolve: (session) =>
          session.status === 'INVALID' || !session.dataTypes ? null : session.dataTypes(),
      }),
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

  return { Session, SessionConnection, SessionStatus, SessionWhere, whereConditions };
}

export type SessionTypes = ReturnType<typeof addSessionType>;
