import type { App } from '../../app.ts';
import { pageSize } from '../../auth/rules.ts';
import { BadArgumentError } from '../../errors/domain.ts';
import { listSessions, toPage, userSessionsLoader } from '../../sessions/service.ts';
import type { Builder } from '../builder.ts';
import { selectsPage } from '../lookahead.ts';
import type { UserRef } from '../user.ts';
import type { SessionTypes } from './type.ts';

/** `User.sessions`: each user's newest sessions, fetched for every user of a page in one statement. */
export function addUserSessions(builder: Builder, app: App, User: UserRef, types: SessionTypes) {
  builder.objectFields(User, (t) => ({
    sessions: t.field({
      // A browser sees its own session and no other, not even its user's other devices.
      authScopes: { scope: 'sessions:read' },
      type: types.SessionConnection,
      args: {
        store: t.arg.string({ description: `Defaults to "${app.defaultStore.name}".` }),
        status: t.arg({ type: types.SessionStatus }),
        first: t.arg.int(),
        after: t.arg.string(),
      },
      resolve: async (user, args, ctx, info) => {
        const countsOnly = !selectsPage(info);
        if (args.after) return listSessions(ctx, { ...args, userId: user.__key, countsOnly });
        const limit = pageSize(app.config, args.first);
        const store = app.stores.get(args.store ?? app.defaultStore.name);
        if (!store) throw new BadArgumentError('store', `no store is named "${args.store}"`);
        const count = (estimate: boolean) =>
          store.count(
            ctx.db,
            { userId: user.__key, status: args.status ?? null, now: ctx.now, where: [] },
            estimate,
          );
        if (limit === 0 || countsOnly) return toPage([], 0, false, count);
        const records = await userSessionsLoader(ctx, store, args.status ?? null, limit + 1).load(user.__key);
        return toPage(records, limit, false, count);
      },
    }),
  }));
}
