import { z } from 'zod';
import { frameworkCommon, identifier, qualifiedName, secretSchema } from '../../config-parts.ts';

/**
 * A `php` store's settings (README: Framework stores, PHP). One kind, two table layouts: each layout is its
 * own strict object, so a setting of the other layout (a `firewall` on a Laravel store) is an error, and the
 * column defaults are the layout's own.
 */

/** What PHP objects become when they cannot be read as data: kept and shown opaque, or the row is INVALID. */
const objectSettings = {
  /** `C:` (custom-serialized) objects and objects of classes outside `allowedClasses`. */
  objects: z.enum(['opaque', 'invalid']).default('opaque'),
  /**
   * The classes whose objects are read as data (their properties shown and searched for the user id).
   * Unset: every class; reading never instantiates anything either way. Listing the application's own
   * classes mirrors what PHP would find: a token naming a missing class anywhere makes Symfony's firewall
   * drop it.
   */
  allowedClasses: z.array(z.string().min(1)).optional(),
};

const symfonyConfig = z
  .object({
    ...frameworkCommon,
    ...objectSettings,
    kind: z.literal('php'),
    layout: z.literal('symfony'),
    table: qualifiedName.default('sessions'),
    // PdoSessionHandler's db_id_col, db_data_col, db_lifetime_col and db_time_col.
    columns: z
      .object({
        key: identifier.default('sess_id'),
        data: identifier.default('sess_data'),
        lifetime: identifier.default('sess_lifetime'),
        time: identifier.default('sess_time'),
      })
      .strict()
      .default({ key: 'sess_id', data: 'sess_data', lifetime: 'sess_lifetime', time: 'sess_time' }),
    /** `session.serialize_handler`: how `sess_data` encodes `$_SESSION`. */
    serializeHandler: z.enum(['php', 'php_serialize']).default('php'),
    /** `session.gc_maxlifetime`: the lifetime of a session created without ttlSeconds/expiresAt. */
    maxLifetimeSeconds: z.number().int().positive().default(1440),
    /** The firewall whose token (`_security_<firewall>`) names the user. */
    firewall: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('main'),
    /** The property of the token's user object that holds the users-table key (`id`, `email`, ...). */
    userProperty: z.string().min(1).default('id'),
    /**
     * The users-table column holding the user's password hash, read (never exposed) to make the firewall's
     * check that the user did not change since login (`ContextListener::hasUserChanged`): a session whose
     * token's user holds another hash is logged out. Unset: `password` (make:user's entity) if the table has
     * it, else no check; null: no check (a user class whose `isEqualTo()` ignores the password).
     */
    passwordColumn: identifier.nullable().optional(),
    /** The property of the token's user object holding the password hash it was logged in with. */
    passwordProperty: z.string().min(1).default('password'),
  })
  .strict();

const laravelConfig = z
  .object({
    ...frameworkCommon,
    ...objectSettings,
    kind: z.literal('php'),
    layout: z.literal('laravel'),
    table: qualifiedName.default('sessions'),
    columns: z
      .object({
        key: identifier.default('id'),
        payload: identifier.default('payload'),
        lastActivity: identifier.default('last_activity'),
        // Laravel fills these on every write; null: the table has no such column.
        userId: identifier.nullable().default('user_id'),
        ipAddress: identifier.nullable().default('ip_address'),
        userAgent: identifier.nullable().default('user_agent'),
      })
      .strict()
      .default({
        key: 'id',
        payload: 'payload',
        lastActivity: 'last_activity',
        userId: 'user_id',
        ipAddress: 'ip_address',
        userAgent: 'user_agent',
      }),
    /** `session.lifetime` (minutes): a session expires this long after its last activity. */
    lifetimeMinutes: z.number().int().positive().default(120),
    /** `APP_KEY` (`base64:...`): decrypts the session cookie, and the payload when `encrypt` is set. */
    appKey: secretSchema.optional(),
    /** `session.encrypt`. */
    encrypt: z.boolean().default(false),
    /** `session.serialization` (Laravel 9+): how the attributes become the payload. */
    laravelSerialization: z.enum(['php', 'json']).default('php'),
    /** The guard whose `login_<guard>_<sha1>` key names the user (`auth.defaults.guard`). */
    guard: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('web'),
    /**
     * The users-table column holding the user's password hash (what `getAuthPassword()` returns), read (never
     * exposed) to make AuthenticateSession's check: a session whose `password_hash_<guard>` is not the user's
     * current hash is logged out. Unset: `password` (Laravel's users migration) if the table has it, else no
     * check; null: no check.
     */
    passwordColumn: identifier.nullable().optional(),
  })
  .strict();

export const phpConfig = z.discriminatedUnion('layout', [symfonyConfig, laravelConfig]);

export type PhpStoreConfig = z.infer<typeof phpConfig>;
export type SymfonyStoreConfig = Extract<PhpStoreConfig, { layout: 'symfony' }>;
export type LaravelStoreConfig = Extract<PhpStoreConfig, { layout: 'laravel' }>;
