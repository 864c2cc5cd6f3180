import type { StoreKind } from '../kind.ts';
import { type NativeStoreConfig, nativeConfig } from './config.ts';
import { createNativeStore } from './store.ts';

/** sessiongraph's own table, relational from the start: no projection, no tombstones (keys are hashed). */
export const nativeKind = {
  kind: 'native',
  config: nativeConfig,
  create: async (_db, config, deps) =>
    createNativeStore(config, deps.catalog, deps.touches, deps.budgets.maxDepth),
  credential: { cookieName: 'sg_session', format: 'the session key: 43 characters base64url' },
} satisfies StoreKind<NativeStoreConfig>;
