import type { StoreKind } from '../kind.ts';
import { type WebpyStoreConfig, webpyConfig } from './config.ts';
import { decoder } from './decoding.ts';
import { createWebpyStore } from './store.ts';

/**
 * web.py's `DBStore`: `sessions(session_id, atime, data)`, a base64 pickle. web.py saves the session it holds
 * at the end of every request (INSERT when the row is gone), so an ended session's key needs a tombstone.
 */
export const webpyKind = {
  kind: 'webpy',
  config: webpyConfig,
  create: createWebpyStore,
  framework: {
    decodingSettings: (config) => ({ timeoutSeconds: config.timeoutSeconds, userPath: config.userPath }),
    tombstones: 'discard',
    decoder,
  },
  credential: { cookieName: 'webpy_session_id', format: 'the session id: 40 hex digits' },
  detect: [
    {
      title: 'web.py (web.session.DBStore)',
      columns: ['session_id', 'atime', 'data'],
      advice: [
        'web.config.session_parameters[\'timeout\'] other than 86400: "timeoutSeconds".',
        'Where the user id sits in the session: "userPath" (["uid"] here).',
        'The time zone web.py\'s server runs in (atime is local time): "timeZone".',
      ],
    },
  ],
} satisfies StoreKind<WebpyStoreConfig>;
