import type { StoreKind } from '../kind.ts';
import { type ExpressStoreConfig, expressConfig } from './config.ts';
import { decoder } from './decoding.ts';
import { createExpressStore } from './store.ts';

/**
 * express-session + connect-pg-simple: `session(sid, sess json, expire)`. connect-pg-simple upserts the
 * session at the end of a request that still holds it, so an ended session's key needs a tombstone.
 */
export const expressKind = {
  kind: 'express',
  config: expressConfig,
  resolveSecrets: (config, resolve) => ({
    ...config,
    secrets: config.secrets.map((secret, index) => resolve(secret, `secrets.${index}`)),
  }),
  create: createExpressStore,
  framework: {
    decodingSettings: (config) => ({ userPaths: config.userPaths }),
    tombstones: 'discard',
    decoder,
  },
  credential: {
    cookieName: 'connect.sid',
    format: '`s:<sid>.<HMAC-SHA256 of sid>`, signed with `secrets[0]`',
  },
  detect: [
    {
      title: 'express-session with connect-pg-simple',
      columns: ['sid', 'sess', 'expire'],
      advice: [
        'To read browsers\' signed cookies (currentSession): "secrets": [{"env": "SESSION_SECRET"}], newest first.',
        'Where the user id sits: "userPaths" ([["passport", "user"], ["userId"]] here).',
      ],
    },
  ],
} satisfies StoreKind<ExpressStoreConfig>;
