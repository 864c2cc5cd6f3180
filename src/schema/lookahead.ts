import { type GraphQLSchema, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

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
