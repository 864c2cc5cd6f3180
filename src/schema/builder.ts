import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';
import type { JsonObject } from '../codecs/result.ts';
import type { Context } from '../context.ts';

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
}

export function createBuilder() {
  const builder = new SchemaBuilder<SchemaTypes>({
    plugins: [ErrorsPlugin, RelayPlugin, DataloaderPlugin],
    defaultFieldNullability: false,
    relay: {
      clientMutationId: 'omit',
      cursorType: 'String',
      nodeQueryOptions: { description: 'Fetches any object by its opaque id (a `Session` or a `User`).' },
      nodesQueryOptions: { description: 'Fetches several objects by their opaque ids, in order.' },
    },
    errors: { directResult: true },
  });
  builder.addScalarType('DateTime', DateTimeResolver);
  builder.addScalarType('JSON', JSONResolver);
  builder.addScalarType('JSONObject', JSONObjectResolver);
  builder.queryType({});
  builder.mutationType({});
  return builder;
}

export type Builder = ReturnType<typeof createBuilder>;
