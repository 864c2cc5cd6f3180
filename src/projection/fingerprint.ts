import { createHmac } from 'node:crypto';
import { type FieldConfig, type Secret, secretText } from '../config.ts';
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

const secretTag = (secret: Secret) =>
  createHmac('sha256', secretText(secret)).update('sessiongraph projection fingerprint').digest('hex');

/** The settings that change what a store's rows decode to (not cookie names, write-only settings or TTLs). */
function decodingSettings(store: FrameworkStoreConfig): unknown {
  const common = { kind: store.kind, table: store.table, columns: store.columns, timeZone: store.timeZone };
  switch (store.kind) {
    case 'django':
      return {
        ...common,
        secretKey: store.secretKey === undefined ? null : secretTag(store.secretKey),
        // Any fallback verifies: their order does not change a decoding.
        fallbackKeys: store.fallbackKeys.map(secretTag).sort(),
        salt: store.salt,
        legacySalt: store.legacySalt,
      };
    case 'webpy':
      return { ...common, timeoutSeconds: store.timeoutSeconds, userPath: store.userPath };
    case 'express':
      return { ...common, userPaths: store.userPaths };
    case 'json-cache':
      return { ...common, windowSeconds: store.windowSeconds, userPath: store.userPath };
  }
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
