import {
  type FieldNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLUnionType,
  getNamedType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { DocumentLimits } from '../security/limits.ts';
import {
  type FieldPlan,
  fieldsOf,
  MAX_QUERY_LENGTH,
  NotCovered,
  parseWithinLimits,
  SESSION_LEAVES,
} from './compile.ts';

/**
 * The compiled path's plans for the mutations internal tools send most: `updateSession`, `createSession` and
 * `endUserSessions`, once per distinct document. A plan holds the fields of the success payload as the document
 * asks for them (its `__typename`, the fields of a `... on <Payload>` fragment); the typed errors' fragments are
 * for the general way, which answers every mutation this path does not (src/fastpath/mutations.ts).
 */

export type MutationRoot = 'updateSession' | 'createSession' | 'endUserSessions';

const ROOTS: Record<MutationRoot, { payload: string; fields: ReadonlySet<string> }> = {
  updateSession: { payload: 'UpdateSessionPayload', fields: new Set(['__typename', 'session']) },
  createSession: {
    payload: 'CreateSessionPayload',
    fields: new Set(['__typename', 'session', 'sessionKey']),
  },
  endUserSessions: { payload: 'EndUserSessionsPayload', fields: new Set(['__typename', 'userId', 'count']) },
};

export interface MutationPlan {
  operation: OperationDefinitionNode;
  operationName: string | null;
  root: MutationRoot;
  key: string;
  rootField: GraphQLField<unknown, unknown>;
  rootNode: FieldNode;
  /** The success payload's fields, in the order GraphQL would print them. */
  fields: FieldPlan[];
  /** Whether the payload's `session` is asked for (the caller then needs sessions:read, as for any Session). */
  readsSession: boolean;
  readsUser: boolean;
}

/** The payload's selections, fragments on it flattened in place; fragments on the error types left out. */
function payloadSelections(
  selectionSet: SelectionSetNode | undefined,
  union: GraphQLUnionType,
  payload: string,
): SelectionSetNode {
  if (!selectionSet) throw new NotCovered();
  const errors = new Set(union.getTypes().map((type) => type.name));
  errors.delete(payload);
  const selections: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.directives?.length) throw new NotCovered();
    if (selection.kind === Kind.FIELD) {
      // Only `__typename` can be asked of a union outside a fragment.
      selections.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT && selection.typeCondition) {
      const on = selection.typeCondition.name.value;
      if (on === payload) {
        for (const inner of selection.selectionSet.selections) {
          if (inner.kind !== Kind.FIELD) throw new NotCovered();
          selections.push(inner);
        }
      } else if (on !== 'Error' && !errors.has(on)) {
        throw new NotCovered();
      }
    } else {
      throw new NotCovered();
    }
  }
  return { kind: Kind.SELECTION_SET, selections };
}

export function compileMutationPlan(
  schema: GraphQLSchema,
  userFields: ReadonlySet<string>,
  query: string,
  operationName: string | null,
  limits?: DocumentLimits,
): MutationPlan | null {
  if (query.length > MAX_QUERY_LENGTH) return null;
  try {
    const document = parseWithinLimits(schema, query, limits);
    if (!document) return null;
    const [operation, ...more] = document.definitions;
    if (!operation || more.length > 0 || operation.kind !== Kind.OPERATION_DEFINITION) return null;
    if (operation.operation !== 'mutation' || operation.directives?.length) return null;
    if (operationName !== null && operation.name?.value !== operationName) return null;
    const [rootNode, ...others] = operation.selectionSet.selections;
    if (!rootNode || others.length > 0 || rootNode.kind !== Kind.FIELD || rootNode.directives?.length) {
      return null;
    }
    const root = rootNode.name.value as MutationRoot;
    const shape = ROOTS[root];
    if (!shape) return null;
    const rootField = schema.getMutationType()!.getFields()[root]!;
    const union = getNamedType(rootField.type) as GraphQLUnionType;
    const Payload = schema.getType(shape.payload) as GraphQLObjectType;
    const Session = schema.getType('Session') as GraphQLObjectType;
    const User = schema.getType('User') as GraphQLObjectType;
    let readsUser = false;
    const fields = fieldsOf(
      Payload,
      payloadSelections(rootNode.selectionSet, union, shape.payload),
      (name) => shape.fields.has(name),
      (name, node) =>
        name !== 'session'
          ? null
          : fieldsOf(
              Session,
              node.selectionSet,
              (inner) => SESSION_LEAVES.has(inner) || inner === 'user',
              (inner, innerNode) => {
                if (inner !== 'user') return null;
                readsUser = true;
                return fieldsOf(
                  User,
                  innerNode.selectionSet,
                  (column) =>
                    column === '__typename' ||
                    column === 'id' ||
                    column === 'rowId' ||
                    userFields.has(column),
                  () => null,
                );
              },
            ),
    );
    return {
      operation,
      operationName: operation.name?.value ?? null,
      root,
      key: rootNode.alias?.value ?? root,
      rootField,
      rootNode,
      fields,
      readsSession: fields.some((field) => field.kind === 'object' && field.field === 'session'),
      readsUser,
    };
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
}
