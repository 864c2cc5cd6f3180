import { z } from 'zod';
import { frameworkCommon, identifier, pathSchema, qualifiedName } from '../../config-parts.ts';

/** A `json-cache` store's settings (README: Framework stores). */
export const jsonCacheConfig = z
  .object({
    ...frameworkCommon,
    kind: z.literal('json-cache'),
    table: qualifiedName.default('session_cache'),
    columns: z
      .object({
        key: identifier.default('sessionid'),
        data: identifier.default('userdict'),
        start: identifier.default('session_startutc'),
        end: identifier.default('session_endutc'),
      })
      .strict()
      .default({ key: 'sessionid', data: 'userdict', start: 'session_startutc', end: 'session_endutc' }),
    /** A session is valid from its start for this long (and never past its end column). */
    windowSeconds: z.number().int().positive().default(3600),
    userPath: pathSchema.default(['user_id']),
  })
  .strict();

export type JsonCacheStoreConfig = z.infer<typeof jsonCacheConfig>;
