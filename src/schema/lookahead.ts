import {
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
  parse,
  type SelectionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * Looking ahead at a request's selection before it runs, so a store can read a session's user in the
 * session's own statement rather than a second round trip. Answers are cached by query text: clients send
 * the same few documents over and over.
 */

const MAX_CACHED = 1000;

export function createLookahead(schema: GraphQLSchema) {
  const cache = new Map<string, boolean>();
  return {
    /** Whether the document selects `user` on a `Session` anywhere (false when it does not parse). */
    selectsSessionUser(query: string | undefined): boolean {
      if (!query) return false;
      const known = cache.get(query);
      if (known !== undefined) return known;
      let found = false;
      try {
        const typeInfo = new TypeInfo(schema);
        visit(
          parse(query, { noLocation: true }),
          visitWithTypeInfo(typeInfo, {
            Field(node) {
              if (node.name.value === 'user' && typeInfo.getParentType()?.name === 'Session') found = true;
            },
          }),
        );
      } catch {
        // Yoga answers the syntax error; nothing to look ahead at.
      }
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(query, found);
      return found;
    },
  };
}

export type Lookahead = ReturnType<typeof createLookahead>;

/**
 * Whether the field being resolved selects any of `names` directly under it, through fragments too (a
 * conservative answer: a field under `@skip` still counts).
 */
function selectsAnyOf(info: GraphQLResolveInfo, names: ReadonlySet<string>): boolean {
  const within = (selections: readonly SelectionNode[]): boolean =>
    selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return names.has(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet.selections);
      const fragment = info.fragments[selection.name.value];
      return fragment !== undefined && within(fragment.selectionSet.selections);
    });
  return info.fieldNodes.some(
    (node) => node.selectionSet !== undefined && within(node.selectionSet.selections),
  );
}

/** A connection's fields that need its page read; the others (its counts) do not. */
export const PAGE_FIELDS: ReadonlySet<string> = new Set(['edges', 'pageInfo']);

/** Whether a connection's selection reads its page: without edges or pageInfo it wants only its counts. */
export const selectsPage = (info: GraphQLResolveInfo) => selectsAnyOf(info, PAGE_FIELDS);
