import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { createDjangoCodec, type DjangoCodec } from '../../codecs/django.ts';
import { decoded } from '../../codecs/result.ts';
import type { FrameworkTraits } from '../kind.ts';
import { type RowDecoding, resolvedSecret } from '../row-decoder.ts';
import type { DjangoStoreConfig } from './config.ts';

/**
 * How a Django store decodes a row, from its settings alone: the store (store.ts) and decode workers
 * (src/projection/decode-worker.ts, which loads this module by the kind's name) build it with the same code.
 * Nothing here may need a database, or load what a worker need not (the settings schemas, pg).
 */

/**
 * Why Django would never load the session under this key, or null. `SessionBase._validate_session_key` drops
 * keys shorter than 8 characters (the cookie then starts a new session).
 */
export function djangoKeyProblem(key: string): string | null {
  if (key.length < 8) return 'the key is shorter than 8 characters, which Django refuses';
  return null;
}

/** The store's codec: its secrets, salts and the decode budgets. */
export function djangoCodecOf(config: DjangoStoreConfig, budgets: DecodeBudgets): DjangoCodec {
  return createDjangoCodec({
    secretKey: resolvedSecret(config.secretKey),
    fallbackKeys: config.fallbackKeys.map((key) => resolvedSecret(key)),
    salt: config.salt,
    legacySalt: config.legacySalt,
    writeLegacy: config.writeLegacy,
    budgets,
  });
}

export function djangoDecoding(config: DjangoStoreConfig, codec: DjangoCodec): RowDecoding {
  return {
    format: {
      kind: 'django',
      // The auth hash proves the password; the CSRF secret is a secret. Both stay inside the blob.
      hiddenKeys: new Set(['_auth_user_hash', '_csrftoken']),
      decode(blob) {
        const result = codec.decode(blob);
        if (!result.ok) return result;
        const note = result.value.format === 'legacy' ? 'legacy (pre-3.1) format' : null;
        return decoded({ full: result.value.data, note });
      },
      userIdOf(full) {
        const id = full['_auth_user_id'];
        return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
      },
      refuses: (key) => djangoKeyProblem(key),
    },
    anonymousUserIds: config.anonymousUserIds,
  };
}

export const decoder: NonNullable<FrameworkTraits<DjangoStoreConfig>['decoder']> = (
  config,
  _facts,
  budgets,
) => djangoDecoding(config, djangoCodecOf(config, budgets));
