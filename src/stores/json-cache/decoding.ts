import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { parseUserDict } from '../../codecs/json-cache.ts';
import { decoded } from '../../codecs/result.ts';
import type { FrameworkTraits } from '../kind.ts';
import type { RowDecoding } from '../row-decoder.ts';
import { userIdAt } from '../user-path.ts';
import type { JsonCacheStoreConfig } from './config.ts';

/**
 * How a json-cache store decodes a row, from its settings alone: the store (store.ts) and decode workers
 * (src/projection/decode-worker.ts, which loads this module by the kind's name) build it with the same code.
 * Nothing here may need a database, or load what a worker need not (the settings schemas, pg).
 */

export function jsonCacheDecoding(config: JsonCacheStoreConfig, budgets: DecodeBudgets): RowDecoding {
  return {
    format: {
      kind: 'json-cache',
      hiddenKeys: new Set(),
      decode(blob) {
        const result = parseUserDict(blob, budgets);
        return result.ok ? decoded({ full: result.value }) : result;
      },
      userIdOf: (full) => userIdAt(full, [config.userPath]),
    },
    anonymousUserIds: config.anonymousUserIds,
  };
}

export const decoder: NonNullable<FrameworkTraits<JsonCacheStoreConfig>['decoder']> = (
  config,
  _facts,
  budgets,
) => jsonCacheDecoding(config, budgets);
