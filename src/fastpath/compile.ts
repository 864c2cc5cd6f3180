import {
  type FieldNode,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  type GraphQLNonNull,
  type GraphQLOutputType,
  isLeafType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  specifiedRules,
  validate,
} from 'graphql';
import type { DocumentLimits } from '../security/limits.ts';
import { PAGE_FIELDS } from '../schema/lookahead.ts';

/**
 * The compiled path's front half: a query document, once per distinct text, turned into a plan of the
 * fields to produce, or null when it is anything but the plain reads the plan covers (then the request goes
 * the general way, through Yoga). Covered: `session(id)`, `currentSession` and `sessions(...)` pages, with
 * Session's stored fields and its `user`'s columns, aliases and variables; `user(id)` with its columns and
 * one page of its `sessions`. Not covered (never guessed at):
 * fragments, directives, mutations, subscriptions, introspection, typed fields, counts, `where`.
 */

export type RootKind = 'session' | 'currentSession' | 'sessions' | 'user';

export interface LeafPlan {
  kind: 'leaf';
  key: string;
  /** `"key":`, as printed before the value. */
  label: string;
  field: string;
  /** Null for `__typename`, which answers `typename`. */
  type: GraphQLLeafType | null;
  typename: string;
  nonNull: boolean;
}

export interface ObjectPlan {
  kind: 'object';
  key: string;
  label: string;
  field: string;
  nonNull: boolean;
  fields: FieldPlan[];
}

export type FieldPlan = LeafPlan | ObjectPlan;

export interface Plan {
  operation: OperationDefinitionNode;
  operationName: string | null;
  root: RootKind;
  key: string;
  rootField: GraphQLField<unknown, unknown>;
  rootNode: FieldNode;
  fields: FieldPlan[];
  /** Whether the plan reads `user` anywhere (the caller then needs users:read, or owns it). */
  readsUser: boolean;
  /**
   * For a `user` root, its `sessions` connection as a plan of its own (root `sessions`, its field User's):
   * its page is read as `sessions(userId:)` is, and printed where the user's `sessions` key is.
   */
  sessions?: Plan;
}

export const SESSION_LEAVES = new Set([
  '__typename',
  'id',
  'store',
  'status',
  'problem',
  'data',
  'userId',
  'createdAt',
  'expiresAt',
  'lastSeenAt',
  'version',
  'ip',
  'userAgent',
  'decodeNote',
]);
const CONNECTION = new Set(['__typename', 'edges', 'pageInfo']);
const EDGE = new Set(['__typename', 'cursor', 'node']);
const PAGE_INFO = new Set(['__typename', 'hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor']);
const SESSIONS_ARGS = new Set(['store', 'status', 'first', 'after', 'userId']);
const USER_SESSIONS_ARGS = new Set(['store', 'status', 'first', 'after']);
/** Longer documents go the general way (plans are cached by their text). */
export const MAX_QUERY_LENGTH = 2000;

/** Something a plan does not cover: the document goes the general way. */
export class NotCovered extends Error {}

/**
 * The document parsed and validated as Yoga would, under `limits` (src/security/limits.ts): null when it fails
 * either, so that a document past a limit is not compiled and Yoga refuses it with the limit's code.
 */
export function parseWithinLimits(schema: GraphQLSchema, query: string, limits?: DocumentLimits) {
  const document = parse(query, { noLocation: true, maxTokens: limits?.maxTokens });
  const rules = limits ? [...specifiedRules, ...limits.rules] : specifiedRules;
  return validate(schema, document, rules).length > 0 ? null : document;
}

export function fieldsOf(
  type: GraphQLObjectType,
  selectionSet: SelectionSetNode | undefined,
  allowed: (name: string) => boolean,
  nested: (name: string, node: FieldNode, field: GraphQLField<unknown, unknown>) => FieldPlan[] | null,
  /** Fields whose arguments `nested` reads itself. */
  withArguments: (name: string) => boolean = () => false,
): FieldPlan[] {
  if (!selectionSet) throw new NotCovered();
  const seen = new Set<string>();
  const plans: FieldPlan[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.directives?.length) throw new NotCovered();
    const name = selection.name.value;
    if (selection.arguments?.length && !withArguments(name)) throw new NotCovered();
    const key = selection.alias?.value ?? name;
    // The same key twice is legal GraphQL (fields merge); not worth covering.
    if (seen.has(key) || !allowed(name)) throw new NotCovered();
    seen.add(key);
    const label = `${JSON.stringify(key)}:`;
    if (name === '__typename') {
      plans.push({ kind: 'leaf', key, label, field: name, type: null, typename: type.name, nonNull: true });
      continue;
    }
    const field = type.getFields()[name];
    if (!field) throw new NotCovered();
    const named = getNamedType(field.type);
    const nonNull = isNonNullType(field.type);
    if (isListType(nonNull ? (field.type as GraphQLNonNull<GraphQLOutputType>).ofType : field.type)) {
      // Lists (edges aside) would need per-item serialisation and null handling: not covered.
      if (name !== 'edges') throw new NotCovered();
    }
    if (isLeafType(named)) {
      if (selection.selectionSet) throw new NotCovered();
      plans.push({ kind: 'leaf', key, label, field: name, type: named, typename: type.name, nonNull });
    } else {
      const inner = nested(name, selection, field);
      if (!inner) throw new NotCovered();
      plans.push({ kind: 'object', key, label, field: name, nonNull, fields: inner });
    }
  }
  return plans;
}

export function compilePlan(
  schema: GraphQLSchema,
  userFields: ReadonlySet<string>,
  query: string,
  operationName: string | null,
  limits?: DocumentLimits,
): Plan | null {
  if (query.length > MAX_QUERY_LENGTH) return null;
  try {
    const document = parseWithinLimits(schema, query, limits);
    if (!document) return null;
    const operations = document.definitions.filter(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    );
    if (operations.length !== document.definitions.length || operations.length !== 1) return null;
    const operation = operations[0]!;
    if (operation.operation !== 'query' || operation.directives?.length) return null;
    if (operationName !== null && operation.name?.value !== operationName) return null;

    const Query = schema.getQueryType()!;
    const [rootNode, ...others] = operation.selectionSet.selections;
    if (!rootNode || others.length > 0 || rootNode.kind !== Kind.FIELD || rootNode.directives?.length) {
      return null;
    }
    const root = rootNode.name.value as RootKind;
    if (root !== 'session' && root !== 'currentSession' && root !== 'sessions' && root !== 'user') {
      return null;
    }
    if (
      root === 'sessions' &&
      rootNode.arguments?.some((argument) => !SESSIONS_ARGS.has(argument.name.value))
    ) {
      return null;
    }
    const rootField = Query.getFields()[root]!;
    const Session = schema.getType('Session') as GraphQLObjectType;
    const User = schema.getType('User') as GraphQLObjectType;
    let readsUser = false;

    const userLeaf = (name: string) =>
      name === '__typename' || name === 'id' || name === 'rowId' || userFields.has(name);
    const userPlan = (selectionSet: SelectionSetNode | undefined) =>
      fieldsOf(User, selectionSet, userLeaf, () => null);
    const sessionPlan = (selectionSet: SelectionSetNode | undefined) =>
      fieldsOf(
        Session,
        selectionSet,
        (name) => SESSION_LEAVES.has(name) || name === 'user',
        (name, node) => {
          if (name !== 'user') return null;
          readsUser = true;
          return userPlan(node.selectionSet);
        },
      );

    const connectionPlan = (
      field: GraphQLField<unknown, unknown>,
      selectionSet: SelectionSetNode | undefined,
    ) => {
      const Connection = getNamedType(field.type) as GraphQLObjectType;
      const Edge = getNamedType(Connection.getFields()['edges']!.type) as GraphQLObjectType;
      const PageInfo = getNamedType(Connection.getFields()['pageInfo']!.type) as GraphQLObjectType;
      const fields = fieldsOf(
        Connection,
        selectionSet,
        (name) => CONNECTION.has(name),
        (name, node) =>
          name === 'edges'
            ? fieldsOf(
                Edge,
                node.selectionSet,
                (inner) => EDGE.has(inner),
                (inner, innerNode) => (inner === 'node' ? sessionPlan(innerNode.selectionSet) : null),
              )
            : name === 'pageInfo'
              ? fieldsOf(
                  PageInfo,
                  node.selectionSet,
                  (inner) => PAGE_INFO.has(inner),
                  () => null,
                )
              : null,
      );
      // Without any, the general way reads no page (`selectsPage`): neither does this path.
      if (!fields.some((plan) => PAGE_FIELDS.has(plan.field))) throw new NotCovered();
      return fields;
    };

    let fields: FieldPlan[];
    let sessions: Plan | undefined;
    if (root === 'sessions') {
      fields = connectionPlan(rootField, rootNode.selectionSet);
    } else if (root === 'user') {
      fields = fieldsOf(
        User,
        rootNode.selectionSet,
        (name) => userLeaf(name) || name === 'sessions',
        (name, node, field) => {
          // One page per document: a second `sessions` (another alias) goes the general way.
          if (name !== 'sessions' || sessions) return null;
          if (node.arguments?.some((argument) => !USER_SESSIONS_ARGS.has(argument.name.value))) return null;
          const connection = connectionPlan(field, node.selectionSet);
          sessions = {
            operation,
            operationName: operation.name?.value ?? null,
            root: 'sessions',
            key: node.alias?.value ?? name,
            rootField: field,
            rootNode: node,
            fields: connection,
            readsUser,
          };
          return connection;
        },
        (name) => name === 'sessions',
      );
      // The user itself is read: users:read, as for `user` fields of sessions.
      readsUser = true;
    } else {
      fields = sessionPlan(rootNode.selectionSet);
    }
    return {
      operation,
      operationName: operation.name?.value ?? null,
      root,
      key: rootNode.alias?.value ?? root,
      rootField,
      rootNode,
      fields,
      readsUser,
      ...(sessions ? { sessions } : {}),
    };
  } catch (error) {
    if (error instanceof NotCovered || error instanceof Error) return null;
    throw error;
  }
}
