import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { auditRefusal } from '../auth/audit.ts';
import { hasScope } from '../auth/caller.ts';
import type { Scope } from '../auth/tokens.ts';
import { ForbiddenError } from '../errors/domain.ts';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import type { JsonObject } from '../codecs/result.ts';
import type { Context } from '../context.ts';
import type { ErrorCode } from '../errors/codes.ts';

/**
 * The builder's setup only: plugins, scalars, context type. The schema depends on the deployment (the
 * users table's columns, the configured stores), so each build gets a fresh builder.
 */
export interface SchemaTypes {
  Context: Context;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    JSONObject: { Input: JsonObject; Output: JsonObject };
    ID: { Input: string; Output: string | number };
  };
  DefaultFieldNullability: false;
  AuthScopes: {
    /** An API token carrying this scope. */
    scope: Scope;
    /** A browser presenting its own live session. */
    viewer: boolean;
  };
}

export function createBuilder() {
  const builder = new SchemaBuilder<SchemaTypes>({
    // Errors before scope-auth, so a refused mutation comes back as a typed ForbiddenError in its payload.
    plugins: [ErrorsPlugin, ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
    scopeAuth: {
      authScopes: (context) => ({
        scope: (scope: Scope) => hasScope(context.caller, scope),
        viewer: async () => (await context.viewerSession()) !== null,
      }),
      unauthorizedError: (_parent, context, info) => {
        if (info.parentType.name === 'Mutation') {
          auditRefusal(context, info.fieldName);
          return new ForbiddenError(info.fieldName);
        }
        const unauthenticated = context.caller.kind === 'anonymous' && !context.viewerFound;
        return new GraphQLError(
          unauthenticated
            ? context.caller.kind === 'anonymous' && context.caller.failedToken
              ? `The API token is ${context.caller.failedToken === 'malformed' ? 'malformed' : context.caller.failedToken === 'unknown' ? 'not known' : context.caller.failedToken}.`
              : 'This needs an API token (Authorization: Bearer …) or your own session.'
            : 'Not allowed for this caller.',
          { extensions: { code: unauthenticated ? 'UNAUTHENTICATED' : 'FORBIDDEN' } },
        );
      },
    },
    defaultFieldNullability: false,
    relay: {
      // A forged or garbled id is the client's mistake: a typed input error, not an unexplained failure.
      decodeGlobalID: (globalID: string) => {
        try {
          return decodeGlobalID(globalID);
        } catch {
          throw new GraphQLError('Not a valid id.', {
            extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode },
          });
        }
      },
      clientMutationId: 'omit',
      cursorType: 'String',
      nodeQueryOptions: { description: 'Fetches any object by its opaque id (a `Session` or a `User`).' },
      nodesQueryOptions: { description: 'Fetches several objects by their opaque ids, in order.' },
    },
    errors: { directResult: true, defaultTypes: [ForbiddenError] },
  });
  builder.addScalarType('DateTime', DateTimeResolver);
  builder.addScalarType('JSON', JSONResolver);
  builder.addScalarType('JSONObject', JSONObjectResolver);
  builder.queryType({});
  builder.mutationType({});
  return builder;
}

export type Builder = ReturnType<typeof createBuilder>;
