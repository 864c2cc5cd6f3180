import { BadArgumentError } from '../errors/domain.ts';
import type { App } from '../app.ts';
import type { JsonObject, JsonValue } from '../codecs/result.ts';
import { clientUserKey, mayReadUser, pageSize } from '../auth/rules.ts';
import { usersByClientIds } from '../sessions/service.ts';
import { userKeyFromInput } from '../sessions/ids.ts';
import { textColumns, type UserColumn } from '../users/catalog.ts';
import type { UserRow } from '../users/users.sql.ts';
import type { Builder } from './builder.ts';

/**
 * `User`: the application's own users table, with the columns the catalog allows, loaded in batches by
 * key. The columns are only known at start, so fields are added from the catalog.
 */
export function addUserType(builder: Builder, app: App) {
  const { catalog } = app;
  const texts = textColumns(catalog);
  const labelColumn =
    LABEL_COLUMNS.map((name) => texts.find((column) => column.column === name)).find(Boolean) ?? null;
  const User = builder.loadableNode('User', {
    // A token with users:read sees every user; a browser sees the user its own session belongs to.
    runScopesOnType: true,
    authScopes: async (user: UserRow, ctx) => mayReadUser(ctx.caller, await ctx.viewerSession(), user.__key),
    description: `A row of ${catalog.table}. Secret-looking columns are never exposed.`,
    id: { resolve: (user: UserRow) => user.__key },
    isTypeOf: (value) => typeof value === 'object' && value !== null && '__key' in value,
    load: (ids: string[], ctx) => usersByClientIds(ctx, ids),
    fields: (t) => {
      const fields: Record<string, ReturnType<typeof t.field>> = {
        rowId: t.field({
          type: 'ID',
          description: `The key (${catalog.key}) in the users table; what \`Session.userId\` holds.`,
          resolve: (user) => user.__key,
        }),
      };
      for (const column of catalog.columns) fields[column.field] = columnField(t, column);
      // For clients that work with any users table (a console): its columns are only known at start. A
      // column of the same name wins.
      fields['label'] ??= t.field({
        type: 'String',
        description: `A name to show: ${labelColumn ? `${labelColumn.column}, or ` : ''}the key when that is empty.`,
        resolve: (user) => {
          const value = labelColumn ? (user as UserRow)[labelColumn.column] : null;
          return typeof value === 'string' && value.trim() !== '' ? value : user.__key;
        },
      });
      fields['columns'] ??= t.field({
        type: 'JSONObject',
        description: 'Every exposed column by its name in the table, as JSON.',
        resolve: (user) =>
          Object.fromEntries(
            catalog.columns.map((column) => [column.column, jsonOf((user as UserRow)[column.column])]),
          ) as JsonObject,
      });
      return fields;
    },
  });

  builder.queryFields((t) => ({
    user: t.field({
      authScopes: { scope: 'users:read' },
      type: User,
      nullable: true,
      description: 'A user by key (as in `Session.userId`) or by node id.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, args) => clientUserKey(app.catalog, userKeyFromInput(String(args.id))),
    }),
  }));

  const UserConnection = builder.connectionObject({ type: User, name: 'UserConnection' });
  builder.queryFields((t) => ({
    users: t.field({
      authScopes: { scope: 'users:read' },
      type: UserConnection,
      description: `Users in key order.`,
      args: {
        first: t.arg.int(),
        after: t.arg.string(),
        search: t.arg.string({
          description: `Only users whose key or any text column (${
            texts.map((column) => column.column).join(', ') || 'none here'
          }) equals this, letter case aside.`,
        }),
      },
      resolve: async (_root, args, ctx) => {
        const limit = pageSize(app.config, args.first);
        // PostgreSQL text cannot hold NUL: compared, it fails the statement.
        if (args.search?.includes('\u0000')) {
          throw new BadArgumentError('search', '`search` must not contain NUL characters');
        }
        let after: string | null = null;
        if (args.after) {
          after = clientUserKey(app.catalog, Buffer.from(args.after, 'base64url').toString('utf8'));
          if (after === null) {
            throw new BadArgumentError('after', '`after` is not a cursor of this list');
          }
        }
        const rows =
          limit === 0 ? [] : await app.users.usersPage(ctx.db, after, limit + 1, args.search?.trim() || null);
        const edges = rows
          .slice(0, limit)
          .map((node) => ({ cursor: Buffer.from(node.__key).toString('base64url'), node }));
        return {
          edges,
          pageInfo: {
            hasNextPage: rows.length > limit,
            hasPreviousPage: after !== null,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    }),
  }));
  return User;
}

export type UserRef = ReturnType<typeof addUserType>;

/** The columns, in this order, that usually name a person. */
const LABEL_COLUMNS = ['username', 'user_name', 'login', 'email', 'name', 'full_name', 'display_name'];

const jsonOf = (value: unknown): JsonValue => {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return null;
  return (value ?? null) as JsonValue;
};

type FieldBuilder = Parameters<Parameters<Builder['objectFields']>[1]>[0];

function columnField(t: FieldBuilder, column: UserColumn) {
  const type = column.list ? [column.graphqlType] : column.graphqlType;
  return t.field({
    type: type as 'String',
    nullable: true,
    description: `${column.column} (${column.pgType})`,
    resolve: (user) => (user as UserRow)[column.column] as string,
  });
}
