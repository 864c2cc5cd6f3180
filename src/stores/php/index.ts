import { ConfigError, secretText } from '../../config-parts.ts';
import type { StoreKind } from '../kind.ts';
import { type PhpStoreConfig, phpConfig } from './config.ts';
import { decoder } from './decoding.ts';
import { LARAVEL_KEY_BYTES, laravelKeyBytes } from './laravel-crypto.ts';
import { createPhpStore } from './store.ts';

/**
 * PHP applications' sessions in PostgreSQL: Symfony's PdoSessionHandler table (`layout: "symfony"`) and
 * Laravel's database driver (`layout: "laravel"`), read with our own PHP `unserialize()` (src/codecs/php:
 * objects are data, never instantiated).
 *
 * Tombstones, as the two frameworks behave (test/frameworks/php-symfony.test.ts and php-laravel.test.ts run
 * each case against the real code):
 * - Symfony saves the session it holds at the end of every request with `INSERT … ON CONFLICT (sess_id) DO
 *   UPDATE`. Under its default lock mode (LOCK_TRANSACTIONAL) the row is held `FOR UPDATE` from read() to
 *   close(), so an ended session is deleted after that save, never before it: nothing comes back. Under
 *   `lock_mode` LOCK_ADVISORY or LOCK_NONE nothing holds the row, and a request that read the session before
 *   the API ended it writes it back whole, logged in. A discarded insert is a silent no-op for Symfony (the
 *   query succeeds), and Symfony never reuses the id (strict mode gives an unknown id a new one). **Discard.**
 * - Laravel's handler UPDATEs a row it read (`exists`), so a request that held the session writes nothing once
 *   it is gone. But it INSERTs under any well-formed id the browser sends: the next request with an ended
 *   session's cookie gets a new, empty session under the same id. A tombstone would discard that insert on
 *   every request for `tombstoneSeconds`, leaving that browser without a session (CSRF failures, no login).
 *   So a Laravel store gets none: the policy is per store, by its layout.
 */
export const phpKind = {
  kind: 'php',
  config: phpConfig,
  resolveSecrets(config, resolve) {
    if (config.layout !== 'laravel') return config;
    if (config.appKey === undefined) {
      if (config.encrypt) {
        throw new ConfigError(
          `stores.${config.name}.appKey: the php store "${config.name}" has "encrypt": true and needs the ` +
            'application’s APP_KEY to read and write its payloads; set "appKey" to it, or to {"env": "APP_KEY"}',
        );
      }
      return config;
    }
    const appKey = resolve(config.appKey, 'appKey');
    const bytes = laravelKeyBytes(appKey).length;
    if (bytes !== LARAVEL_KEY_BYTES) {
      throw new ConfigError(
        `stores.${config.name}.appKey: AES-256-CBC needs a 32-byte APP_KEY ("base64:" and 32 bytes in base64, as ` +
          `\`php artisan key:generate\` writes it); this one has ${bytes} bytes`,
      );
    }
    return { ...config, appKey };
  },
  create: createPhpStore,
  framework: {
    decodingSettings: (config, tag) => {
      const objects = { objects: config.objects, allowedClasses: config.allowedClasses ?? null };
      if (config.layout === 'symfony') {
        return {
          layout: config.layout,
          ...objects,
          serializeHandler: config.serializeHandler,
          firewall: config.firewall,
          userProperty: config.userProperty,
        };
      }
      return {
        layout: config.layout,
        ...objects,
        lifetimeMinutes: config.lifetimeMinutes,
        encrypt: config.encrypt,
        appKey: config.encrypt && config.appKey !== undefined ? tag(secretText(config.appKey)) : null,
        laravelSerialization: config.laravelSerialization,
        guard: config.guard,
      };
    },
    tombstones: (config) => (config.layout === 'symfony' ? 'discard' : 'none'),
    decoder,
  },
  credential: {
    cookieName: 'PHPSESSID',
    format:
      'Symfony: the session id as is (`PHPSESSID`); Laravel: the `laravel_session` cookie, encrypted with APP_KEY',
  },
  detect: [
    {
      title: "Symfony's PdoSessionHandler",
      columns: ['sess_id', 'sess_data', 'sess_lifetime', 'sess_time'],
      settings: { layout: 'symfony' },
      advice: [
        'session.serialize_handler other than "php": "serializeHandler"; session.gc_maxlifetime: "maxLifetimeSeconds".',
        'The firewall whose token holds the user: "firewall" ("main" here).',
        'The users-table column of the password hash the firewall checks (make:user\'s "password" if present): ' +
          '"passwordColumn"; null if your user class implements EquatableInterface without comparing passwords.',
      ],
    },
    {
      title: "Laravel's database session driver",
      columns: ['id', 'payload', 'last_activity'],
      settings: { layout: 'laravel' },
      advice: [
        'With session.encrypt: "encrypt": true and "appKey": {"env": "APP_KEY"} (base64:…).',
        'session.lifetime other than 120 minutes: "lifetimeMinutes".',
        'With the auth.session (AuthenticateSession) middleware, the users-table column of the password hash it ' +
          'checks (Laravel\'s "password" if present): "passwordColumn"; null: no check.',
      ],
    },
  ],
} satisfies StoreKind<PhpStoreConfig>;
