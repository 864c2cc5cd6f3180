import { z } from 'zod';
import { frameworkCommon, identifier, qualifiedName, secretSchema } from '../../config-parts.ts';

/** A `django` store's settings (README: Framework stores). */
export const djangoConfig = z
  .object({
    ...frameworkCommon,
    kind: z.literal('django'),
    table: qualifiedName.default('django_session'),
    columns: z
      .object({
        key: identifier.default('session_key'),
        data: identifier.default('session_data'),
        expires: identifier.default('expire_date'),
      })
      .strict()
      .default({ key: 'session_key', data: 'session_data', expires: 'expire_date' }),
    secretKey: secretSchema.optional(),
    fallbackKeys: z.array(secretSchema).default([]),
    salt: z.string().min(1).default('django.contrib.sessions.SessionStore'),
    legacySalt: z.string().min(1).default('django.contrib.sessionsSessionStore'),
    writeLegacy: z.boolean().default(false),
    /** `SESSION_COOKIE_AGE`: the lifetime of a session created without ttlSeconds/expiresAt. */
    cookieAgeSeconds: z.number().int().positive().default(1_209_600),
    authBackend: z.string().min(1).default('django.contrib.auth.backends.ModelBackend'),
    /** The users-table column holding Django's password hash (read for `_auth_user_hash`, never exposed). */
    passwordColumn: identifier.default('password'),
  })
  .strict();

export type DjangoStoreConfig = z.infer<typeof djangoConfig>;
