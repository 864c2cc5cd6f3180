import { z } from 'zod';
import { frameworkCommon, identifier, pathSchema, qualifiedName, secretSchema } from '../../config-parts.ts';

/**
 * A `flask` store's settings (README: Framework stores), named after the Flask settings they mirror. The
 * shared `timeZone` setting is accepted but changes nothing here: Flask-Session compares `expiry` with naive
 * `utcnow()`, so the column is UTC wall time by Flask's own reading, whatever zone wrote it (see store.ts).
 */
export const flaskConfig = z
  .object({
    ...frameworkCommon,
    kind: z.literal('flask'),
    /** `SESSION_SQLALCHEMY_TABLE`. */
    table: qualifiedName.default('sessions'),
    columns: z
      .object({
        key: identifier.default('session_id'),
        data: identifier.default('data'),
        expires: identifier.default('expiry'),
      })
      .strict()
      .default({ key: 'session_id', data: 'data', expires: 'expiry' }),
    /** `SESSION_KEY_PREFIX`: the stored key is this followed by the sid the cookie carries. */
    keyPrefix: z.string().max(200).default('session:'),
    /** `SESSION_USE_SIGNER`: the cookie is `sid.signature`, signed with `secretKey`. */
    useSigner: z.boolean().default(false),
    /** The app's `SECRET_KEY`, needed with `useSigner` to check and make cookies. */
    secretKey: secretSchema.optional(),
    /** `PERMANENT_SESSION_LIFETIME`: what Flask gives a session on every save; the default TTL here. */
    lifetimeSeconds: z
      .number()
      .int()
      .positive()
      .default(31 * 86_400),
    /** Flask-Login keeps `str(user.id)` under `_user_id`. */
    userPath: pathSchema.default(['_user_id']),
  })
  .strict();

export type FlaskStoreConfig = z.infer<typeof flaskConfig>;
