import { z } from 'zod';
import { identifier } from '../../config-parts.ts';

/** The `native` store's settings: sessiongraph's own table. */
export const nativeConfig = z
  .object({
    name: identifier.default('native'),
    kind: z.literal('native'),
    cookieName: z.string().min(1).default('sg_session'),
    defaultTtlSeconds: z
      .number()
      .int()
      .positive()
      .default(14 * 24 * 3600),
  })
  .strict();

export type NativeStoreConfig = z.infer<typeof nativeConfig>;
