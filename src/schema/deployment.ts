import type { App } from '../app.ts';
import { SCOPES } from '../auth/tokens.ts';
import { FACTS } from '../sessions/facts.ts';
import type { Builder } from './builder.ts';

interface CallerView {
  kind: 'TOKEN' | 'SESSION' | 'ANONYMOUS';
  name: string | null;
  scopes: string[];
}

interface StoreView {
  name: string;
  kind: string;
  filters: string[];
}

interface FieldView {
  name: string;
  type: string;
  description: string | null;
}

/**
 * What a client needs to know about this deployment without introspection (off by default): `caller` (who
 * the API takes the caller for and its scopes, so a console shows only what they allow), `stores` and
 * `sessionFields` (what there is to list and filter on).
 */
export function addDeploymentInfo(builder: Builder, app: App) {
  const CallerKind = builder.enumType('CallerKind', {
    values: {
      TOKEN: { description: 'An API token.' },
      SESSION: { description: "A browser presenting its own live session's key." },
      ANONYMOUS: { description: 'Neither (or a token that does not check out).' },
    },
  });
  const Caller = builder.objectRef<CallerView>('Caller').implement({
    description: 'Who the API takes the caller for. Never the token itself.',
    fields: (t) => ({
      kind: t.field({ type: CallerKind, resolve: (caller) => caller.kind }),
      name: t.exposeString('name', { nullable: true, description: "The token's name." }),
      scopes: t.exposeStringList('scopes', {
        description: `What the token may do, from: ${SCOPES.join(', ')}. Empty for a browser or anonymous.`,
      }),
    }),
  });
  const Store = builder.objectRef<StoreView>('Store').implement({
    description: 'A configured session store.',
    fields: (t) => ({
      name: t.exposeString('name', { description: 'What `store:` arguments and `Session.store` say.' }),
      kind: t.exposeString('kind', { description: 'The format: native, django, webpy, express, …' }),
      filters: t.exposeStringList('filters', {
        description:
          'The `sessions` arguments beside the data that this store can answer, from: ' +
          `${FACTS.join(', ')}. Every store keeps an expiry; only some keep the rest.`,
      }),
    }),
  });
  const SessionFieldInfo = builder.objectRef<FieldView>('SessionFieldInfo').implement({
    description:
      'A typed field declared in the configuration: on `Session`, and in `SessionWhere` when scalar.',
    fields: (t) => ({
      name: t.exposeString('name'),
      type: t.exposeString('type', { description: 'String, Int, Float, Boolean, ID, DateTime or JSON.' }),
      description: t.exposeString('description', { nullable: true }),
    }),
  });
  builder.queryFields((t) => ({
    sessionFields: t.field({
      authScopes: { scope: 'sessions:read' },
      type: [SessionFieldInfo],
      description: 'The declared typed fields, in configuration order.',
      resolve: () =>
        app.config.fields.map((field) => ({
          name: field.name,
          type: field.type,
          description: field.description ?? null,
        })),
    }),
    caller: t.field({
      type: Caller,
      description: 'Who this request is taken to come from, and its scopes.',
      resolve: async (_root, _args, ctx): Promise<CallerView> => {
        if (ctx.caller.kind === 'token') {
          return { kind: 'TOKEN', name: ctx.caller.name, scopes: [...ctx.caller.scopes].sort() };
        }
        return { kind: (await ctx.viewerSession()) ? 'SESSION' : 'ANONYMOUS', name: null, scopes: [] };
      },
    }),
    stores: t.field({
      authScopes: { scope: 'sessions:read' },
      type: [Store],
      description: 'The configured stores, in configuration order.',
      resolve: () =>
        [...app.stores.values()].map((store) => ({
          name: store.name,
          kind: store.kind,
          filters: FACTS.filter((fact) => store.facts.has(fact)),
        })),
    }),
  }));
}
