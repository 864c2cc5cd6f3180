import type { App } from '../../app.ts';
import { type StatsRow, sessionStats } from '../../projection/projection.sql.ts';
import { fieldColumn } from '../../projection/rows.ts';
import { isFrameworkKind } from '../../stores/registry.ts';
import type { Builder } from '../builder.ts';
import type { SessionTypes } from './type.ts';

const screamingSnake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** `sessionStats`: counts by store, status and a declared field. */
export function addSessionStats(builder: Builder, app: App, types: SessionTypes) {
  const { SessionStatus } = types;
  // The store the view counts the native table under (src/projection/schema.ts).
  const native = app.config.stores.find((store) => !isFrameworkKind(store.kind))?.name ?? null;
  const SessionStatsGroup = builder.objectRef<StatsRow>('SessionStatsGroup').implement({
    description: 'How many sessions share a store, a status and (when grouped by a field) a value.',
    fields: (t) => ({
      store: t.exposeString('store'),
      status: t.field({ type: SessionStatus, resolve: (row) => row.status }),
      value: t.field({ type: 'JSON', nullable: true, resolve: (row) => row.value }),
      count: t.exposeInt('count'),
    }),
  });
  const SessionField =
    app.config.fields.length === 0
      ? null
      : builder.enumType('SessionField', {
          description: 'A declared typed field, for grouping.',
          values: Object.fromEntries(
            app.config.fields.map((field) => [screamingSnake(field.name), { value: field.name }]),
          ),
        });
  builder.queryFields((t) => ({
    sessionStats: t.field({
      authScopes: { scope: 'sessions:read' },
      type: [SessionStatsGroup],
      description:
        'Session counts by store and status, optionally by a declared field (e.g. active sessions per role). ' +
        'Framework stores count from the projection, so they appear once their backfill is done.',
      args: {
        store: t.arg.string(),
        status: t.arg({ type: SessionStatus }),
        ...((SessionField ? { groupBy: t.arg({ type: SessionField }) } : {}) as Record<string, never>),
      },
      resolve: (_root, args, ctx) => {
        const groupBy = (args as { groupBy?: string | null }).groupBy;
        const field = app.config.fields.find((candidate) => candidate.name === groupBy);
        return sessionStats(
          ctx.db,
          native,
          args.store ?? null,
          args.status ?? null,
          field ? fieldColumn(field) : null,
        );
      },
    }),
  }));
}
