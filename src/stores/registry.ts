import { djangoKind } from './django/index.ts';
import { expressKind } from './express/index.ts';
import { flaskKind } from './flask/index.ts';
import { jsonCacheKind } from './json-cache/index.ts';
import type { StoreKind } from './kind.ts';
import { nativeKind } from './native/index.ts';
import { phpKind } from './php/index.ts';
import { webpyKind } from './webpy/index.ts';

/**
 * Every kind of store sessiongraph reads: adding one is adding its folder and a line here (see kind.ts for
 * what a kind is). The order is the order of `kind` in the settings' documentation.
 */
export const STORE_KINDS = [
  nativeKind,
  djangoKind,
  webpyKind,
  expressKind,
  flaskKind,
  phpKind,
  jsonCacheKind,
] as const;

type ConfigsOf<T extends readonly { config: unknown }[]> = { -readonly [K in keyof T]: T[K]['config'] };
/** Each kind's settings schema, in registry order (config.ts makes the union of `stores` entries of them). */
export const STORE_CONFIGS = STORE_KINDS.map((kind) => kind.config) as unknown as ConfigsOf<
  typeof STORE_KINDS
>;

const byKind = new Map<string, StoreKind>(
  STORE_KINDS.map((kind) => [kind.kind, kind as unknown as StoreKind]),
);

/** The definition of a configured store's kind (configuration has already checked that it exists). */
export function kindOf(kind: string): StoreKind {
  const found = byKind.get(kind);
  if (!found) throw new Error(`no store kind "${kind}" is registered`);
  return found;
}

/** Whether a store's kind keeps its sessions in a framework's own table (the projection mirrors those). */
export const isFrameworkKind = (kind: string) => kindOf(kind).framework !== undefined;
