import { encodeGlobalID } from '@pothos/plugin-relay';
import { getArgumentValues, getVariableValues, type GraphQLSchema } from 'graphql';
import { mayReadSessions, mayReadUsers } from '../auth/rules.ts';
import type { Context } from '../context.ts';
import { decodeSessionId, encodeSessionId, sessionNodeId } from '../sessions/ids.ts';
import { listSessions, type SessionPage, usersByClientIds } from '../sessions/service.ts';
import type { SessionRecord } from '../stores/types.ts';
import type { UserRow } from '../users/users.sql.ts';
import type { FieldPlan, Plan } from './compile.ts';
import { build, connection, Declined, type JsonText, RawJson, response } from './json-text.ts';

/**
 * The compiled path's back half: runs a plan with the same services the resolvers call (so the same SQL,
 * decoding and loaders) and builds the response object directly, skipping GraphQL execution. It answers
 * only the plain case — an authorised caller, no error anywhere; for anything else it returns null before
 * writing a byte, and the request goes through Yoga, which produces the proper error.
 */

type Decline = null;

function sessionValue(record: SessionRecord, field: string): unknown {
  switch (field) {
    case 'id':
      return encodeSessionId(record);
    case 'decodeNote':
      return record.note ?? null;
    case 'data':
      // The JSONObject scalar prints the object as it is: its cached JSON text is the same.
      return record.dataJson !== undefined ? new RawJson(record.dataJson) : record.data;
    default:
      return (record as unknown as Record<string, unknown>)[field];
  }
}

/**
 * A session as the plan's `fields` ask for it; its `user` from `users` (by the session's user id), null when
 * missing there. What the resolvers would print, field for field.
 */
export function printSession(
  record: SessionRecord | null,
  fields: readonly FieldPlan[],
  users: ReadonlyMap<string, UserRow | null>,
  userColumns: ReadonlyMap<string, string>,
): JsonText {
  const userObject = (plan: FieldPlan & { kind: 'object' }): JsonText => {
    const row = record === null || record.userId === null ? null : (users.get(record.userId) ?? null);
    if (row === null) {
      if (plan.nonNull) throw new Declined();
      return 'null';
    }
    return build(plan.fields, (field) =>
      field === 'id'
        ? encodeGlobalID('User', row.__key)
        : field === 'rowId'
          ? row.__key
          : row[userColumns.get(field) ?? ''],
    );
  };
  return record === null
    ? 'null'
    : build(
        fields,
        (field) => sessionValue(record, field),
        (nested) => userObject(nested),
      );
}

/** The arguments of plans that declare no variables: the same for every request (callers only read them). */
const constantArguments = new WeakMap<object, Record<string, unknown>>();

/** The root field's arguments, coerced as GraphQL would; null when the variables would be an error. */
export function planArguments(
  plan: Pick<Plan, 'operation' | 'rootField' | 'rootNode'>,
  schema: GraphQLSchema,
  variableInputs: Record<string, unknown>,
): Record<string, unknown> | null {
  const definitions = plan.operation.variableDefinitions ?? [];
  // Without variable definitions graphql-js ignores whatever variables come: the literals decide.
  const constant = definitions.length === 0 ? constantArguments.get(plan) : undefined;
  if (constant) return constant;
  const coerced = getVariableValues(schema, definitions, variableInputs);
  if (coerced.errors) return null;
  const args = getArgumentValues(plan.rootField, plan.rootNode, coerced.coerced) as Record<string, unknown>;
  if (definitions.length === 0) constantArguments.set(plan, args);
  return args;
}

export async function runPlan(
  plan: Plan,
  ctx: Context,
  args: Record<string, unknown>,
  userColumns: ReadonlyMap<string, string>,
): Promise<JsonText | Decline> {
  // A user's page is answered by SQL (src/fastpath/direct.ts) or by GraphQL execution.
  if (plan.root === 'user') return null;
  const { caller } = ctx;
  const canReadSessions = mayReadSessions(caller);
  const canReadUsers = mayReadUsers(caller);

  // What the root field reads, under the same rules as its resolver and authScopes.
  let records: SessionRecord[];
  let page: SessionPage | null = null;
  let single: SessionRecord | null = null;
  if (plan.root === 'currentSession') {
    single = await ctx.viewerSession();
    records = single ? [single] : [];
  } else {
    if (!canReadSessions) return null;
    if (plan.root === 'session') {
      const address = decodeSessionId(String(args['id']));
      single = address ? await ctx.sessionLoader.load(sessionNodeId(address)) : null;
      records = single ? [single] : [];
    } else {
      page = await listSessions(ctx, {
        store: (args['store'] as string | undefined) ?? null,
        status: (args['status'] as SessionRecord['status'] | undefined) ?? null,
        first: (args['first'] as number | undefined) ?? null,
        after: (args['after'] as string | undefined) ?? null,
        userId: args['userId'] === null || args['userId'] === undefined ? null : String(args['userId']),
      });
      records = page.edges.map((edge) => edge.node);
    }
  }

  // Owners, in one batch for whatever the reads did not join in. A caller without users:read sees only
  // its own user, through its own session.
  const users = new Map<string, UserRow | null>();
  if (plan.readsUser) {
    const ownOnly = !canReadUsers;
    if (ownOnly && plan.root !== 'currentSession') return null;
    const missing: string[] = [];
    for (const record of records) {
      if (record.userId === null) continue;
      if (record.user !== undefined) users.set(record.userId, record.user);
      else missing.push(record.userId);
    }
    if (missing.length > 0) {
      const unique = [...new Set(missing)];
      const rows = await usersByClientIds(ctx, unique);
      for (const [index, id] of unique.entries()) users.set(id, rows[index] ?? null);
    }
  }

  const sessionObject = (record: SessionRecord | null, fields: readonly FieldPlan[]): JsonText =>
    printSession(record, fields, users, userColumns);

  const current = page;
  return response(plan, () =>
    current
      ? connection(
          plan.fields,
          (edgeFields) =>
            current.edges.map((edge) =>
              build(
                edgeFields,
                (field) => (field === 'cursor' ? edge.cursor : undefined),
                (node) => sessionObject(edge.node, node.fields),
              ),
            ),
          () => current.pageInfo,
        )
      : sessionObject(single, plan.fields),
  );
}
