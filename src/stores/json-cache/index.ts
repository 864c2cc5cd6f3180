import type { StoreKind } from '../kind.ts';
import { type JsonCacheStoreConfig, jsonCacheConfig } from './config.ts';
import { decoder } from './decoding.ts';
import { createJsonCacheStore } from './store.ts';

/** A home-made `session_cache`-like table: UUID keys, a JSON user dict, a validity window. */
export const jsonCacheKind = {
  kind: 'json-cache',
  config: jsonCacheConfig,
  create: createJsonCacheStore,
  framework: {
    decodingSettings: (config) => ({ windowSeconds: config.windowSeconds, userPath: config.userPath }),
    // Keys are written only by their own application or by sessiongraph.
    tombstones: 'none',
    decoder,
  },
  credential: { cookieName: 'session_id', format: 'the key: a UUID' },
  detect: [
    {
      title: 'a session_cache table (JSON user dictionary with a validity window)',
      columns: ['sessionid', 'userdict', 'session_startutc', 'session_endutc'],
      advice: ['The sliding window a session stays valid for: "windowSeconds".'],
    },
  ],
} satisfies StoreKind<JsonCacheStoreConfig>;
