import { z } from 'zod';
import { frameworkCommon, identifier, pathSchema, qualifiedName, secretSchema } from '../../config-parts.ts';

/** An `express` store's settings (README: Framework stores). */
export const expressConfig = z
  .object({
    ...frameworkCommon,
    kind: z.literal('express'),
    table: qualifiedName.default('session'),
    columns: z
      .object({
        key: identifier.default('sid'),
        data: identifier.default('sess'),
        expires: identifier.default('expire'),
      })
      .strict()
      .default({ key: 'sid', data: 'sess', expires: 'expire' }),
    /** express-session's `secret` (first signs, all verify): needed to accept the signed cookie. */
    secrets: z.array(secretSchema).default([]),
    userPaths: z.array(pathSchema).default([['passport', 'user'], ['userId']]),
  })
  .strict();

export type ExpressStoreConfig = z.infer<typeof expressConfig>;
