import { createHmac } from 'node:crypto';
import type { FieldConfig } from '../config-parts.ts';
import { kindOf } from '../stores/registry.ts';
import type { FrameworkStoreConfig } from './schema.ts';

/**
 * What a store's projection rows were computed with: the table and columns, how blobs decode (secrets,
 * salts, timeouts, user paths), the declared fields and the users key's type, and the projection's own row
 * format. A store whose projection was built under another fingerprint is not read through it and is built
 * again: after a secret leaves the fallbacks, for example, its sessions must turn INVALID in the projection
 * too, and pages printed from it (src/fastpath/projected.sql.ts) must not show them ACTIVE.
 *
 * Secrets enter only as an HMAC under the secret, never as themselves or as a bare hash.
 */

/** Raise when what a projection row holds changes (2: the printed data and user id of migration 9). */
const PROJECTION_FORMAT = 2;

const secretTag = (secret: string) =>
  createHmac('sha256', secret).update('sessiongraph projection fingerprint').digest('hex');

/** The settings that change what a store's rows decode to (not cookie names, write-only settings or TTLs). */
function decodingSettings(store: FrameworkStoreConfig): unknown {
  const common = { kind: store.kind, table: store.table, columns: store.columns, timeZone: store.timeZone };
  const framework = kindOf(store.kind).framework;
  return { ...common, ...(framework?.decodingSettings(store, secretTag) as object) };
}

export function projectionFingerprint(
  store: FrameworkStoreConfig,
  fields: readonly FieldConfig[],
  userKeyType: string,
): string {
  const described = JSON.stringify({
    format: PROJECTION_FORMAT,
    store: decodingSettings(store),
    fields: fields.map((field) => ({ name: field.name, path: field.path, type: field.type })),
    userKeyType,
  });
  return createHmac('sha256', 'sessiongraph').update(described).digest('hex').slice(0, 32);
}
