import { z } from 'zod';
import { frameworkCommon, identifier, pathSchema, qualifiedName } from '../../config-parts.ts';

/** A `webpy` store's settings (README: Framework stores). */
export const webpyConfig = z
  .object({
    ...frameworkCommon,
    kind: z.literal('webpy'),
    table: qualifiedName.default('sessions'),
    columns: z
      .object({
        key: identifier.default('session_id'),
        atime: identifier.default('atime'),
        data: identifier.default('data'),
      })
      .strict()
      .default({ key: 'session_id', atime: 'atime', data: 'data' }),
    /** web.py's `session_parameters.timeout`: a session lives this long after its last access. */
    timeoutSeconds: z.number().int().positive().default(86_400),
    userPath: pathSchema.default(['uid']),
    // web.py applications start every session with an initializer such as `{'uid': 0}`: 0 is nobody.
    anonymousUserIds: z.array(z.union([z.string(), z.number()])).default([0]),
  })
  .strict();

export type WebpyStoreConfig = z.infer<typeof webpyConfig>;
