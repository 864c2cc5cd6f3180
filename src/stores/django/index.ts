import { ConfigError, secretText } from '../../config-parts.ts';
import type { SessionFieldSpec, StoreKind } from '../kind.ts';
import { type DjangoStoreConfig, djangoConfig } from './config.ts';
import { decoder } from './decoding.ts';
import { createDjangoStore, type DjangoStore } from './store.ts';

/**
 * Django's `django_session` (db and cached_db engines): signed, maybe compressed, base64url JSON. Django's
 * save of a row deleted meanwhile fails by itself, so ended sessions need no tombstone.
 */

/** Whether a session's auth hash still matches its user's current password hash (one statement per request). */
const authHashValid: SessionFieldSpec = {
  name: 'authHashValid',
  type: 'Boolean',
  description:
    'Django only: whether the session’s `_auth_user_hash` still matches the user’s current password hash. ' +
    'False means Django no longer treats it as logged in (the password changed). Null elsewhere.',
  async resolve(session, { store, db, batch }) {
    const django = store as Partial<DjangoStore>;
    if (!django.passwordsOf || !django.authHashMatches || session.userId === null) return null;
    if (typeof session.managed?.['_auth_user_hash'] !== 'string') return false;
    const { passwordsOf } = django;
    const password = await batch<string>(`password:${store.name}`, async (ids) => {
      const found = await passwordsOf(db, ids);
      return ids.map((id) => found.get(id) ?? null);
    }).load(session.userId);
    return password !== null && django.authHashMatches(session, password);
  },
};

export const djangoKind = {
  kind: 'django',
  config: djangoConfig,
  resolveSecrets(config, resolve) {
    if (!config.secretKey) {
      throw new ConfigError(
        `stores.${config.name}.secretKey: the django store "${config.name}" needs the project's SECRET_KEY to ` +
          'verify and sign sessions; set "secretKey" to it, or to {"env": "DJANGO_SECRET_KEY"} or {"file": "/path"}',
      );
    }
    return {
      ...config,
      secretKey: resolve(config.secretKey, 'secretKey'),
      fallbackKeys: config.fallbackKeys.map((key, index) => resolve(key, `fallbackKeys.${index}`)),
    };
  },
  create: createDjangoStore,
  framework: {
    decodingSettings: (config, tag) => ({
      secretKey: config.secretKey === undefined ? null : tag(secretText(config.secretKey)),
      // Any fallback verifies: their order does not change a decoding.
      fallbackKeys: config.fallbackKeys.map((key) => tag(secretText(key))).sort(),
      salt: config.salt,
      legacySalt: config.legacySalt,
    }),
    tombstones: 'none',
    decoder,
  },
  credential: { cookieName: 'sessionid', format: 'the session key: 32 characters a-z0-9' },
  sessionFields: [authHashValid],
  detect: [
    {
      title: 'Django (django.contrib.sessions, db or cached_db engine)',
      columns: ['session_key', 'session_data', 'expire_date'],
      secrets: [{ setting: 'secretKey', env: 'DJANGO_SECRET_KEY', about: "the project's SECRET_KEY" }],
      advice: [
        'Rotated keys: SECRET_KEY_FALLBACKS go in "fallbackKeys" (each {"env": "…"}).',
        'SESSION_COOKIE_AGE other than two weeks: "cookieAgeSeconds".',
      ],
    },
  ],
} satisfies StoreKind<DjangoStoreConfig>;
