import { ConfigError } from '../../config-parts.ts';
import type { StoreKind } from '../kind.ts';
import { type FlaskStoreConfig, flaskConfig } from './config.ts';
import { decoder } from './decoding.ts';
import { createFlaskStore } from './store.ts';

/**
 * Flask-Session 0.3.2's SQLAlchemy backend: `sessions(id, session_id, data bytea, expiry)`, a pickled dict.
 *
 * No tombstones, although Flask re-saves every session at the end of every request (UPDATE when its SELECT
 * finds the row, else INSERT). Tested with the real Flask (test/frameworks/flask.test.ts):
 * - A discarded INSERT breaks Flask. SQLAlchemy inserts with `RETURNING id`; when the trigger returns NULL no
 *   row comes back and the flush raises ("Single-row INSERT statement … did not produce a new primary key"),
 *   so the request is a 500. Worse, Flask-Session keeps the browser's sid when the row is missing (it starts
 *   the new session under the same sid, signed or not), so every later request of that browser INSERTs the
 *   same key again and fails too, until the tombstone expires: ending a session would lock its browser out.
 * - Without one, the browser's next request gets a new, empty session under its old sid (an INSERT Flask
 *   makes itself): the ended session stays ended, and the user can log in again.
 *
 * What stays open is the race the tombstone closes elsewhere: a request that loaded the session before it was
 * ended and saves after re-inserts what it holds (tested too). Closing it needs a trigger that lets that INSERT
 * in with an empty session instead of discarding it: not a policy kind.ts offers yet.
 */
export const flaskKind = {
  kind: 'flask',
  config: flaskConfig,
  resolveSecrets(config, resolve) {
    if (config.useSigner && !config.secretKey) {
      throw new ConfigError(
        `stores.${config.name}.secretKey: the flask store "${config.name}" has useSigner, so it needs the app's ` +
          'SECRET_KEY to check and sign cookies; set "secretKey" to it, or to {"env": "NAME"} or {"file": "/path"}',
      );
    }
    return config.secretKey ? { ...config, secretKey: resolve(config.secretKey, 'secretKey') } : config;
  },
  create: createFlaskStore,
  framework: {
    // The secret only signs cookies: it never changes what a row decodes to.
    decodingSettings: (config) => ({
      keyPrefix: config.keyPrefix,
      userPath: config.userPath,
      anonymousUserIds: config.anonymousUserIds,
    }),
    tombstones: 'none',
    decoder,
  },
  credential: {
    cookieName: 'session',
    format:
      'the sid (a UUID); with `useSigner`, `<sid>.<signature>` (itsdangerous HMAC-SHA1, salt flask-session)',
  },
  detect: [
    {
      title: 'Flask-Session (SqlAlchemySessionInterface)',
      columns: ['id', 'session_id', 'data', 'expiry'],
      advice: [
        'SESSION_KEY_PREFIX other than "session:": "keyPrefix".',
        'SESSION_USE_SIGNER = True: "useSigner": true and "secretKey": {"env": "FLASK_SECRET_KEY"}.',
        'PERMANENT_SESSION_LIFETIME other than 31 days: "lifetimeSeconds".',
      ],
    },
  ],
} satisfies StoreKind<FlaskStoreConfig>;
