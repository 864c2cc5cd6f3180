import type { DecodeBudgets } from '../../codecs/budgets.ts';
import type { FrameworkTraits } from '../kind.ts';
import type { RowDecoding } from '../row-decoder.ts';
import type { PhpStoreConfig } from './config.ts';
import { laravelFormat } from './laravel.ts';
import { symfonyFormat } from './symfony.ts';

/**
 * How a php store decodes a row, from its settings alone: decode workers (src/projection/decode-worker.ts,
 * which loads this module by the kind's name) build it with the format functions the store (store.ts) builds
 * its formats with. Their writing half is never used here, so no user id is typed. Nothing here may need a
 * database, or load what a worker need not (the settings schemas, pg).
 */
export function phpDecoding(config: PhpStoreConfig, budgets: DecodeBudgets): RowDecoding {
  const format =
    config.layout === 'symfony' ? symfonyFormat(config, budgets) : laravelFormat(config, budgets, (id) => id);
  return { format, anonymousUserIds: config.anonymousUserIds };
}

export const decoder: NonNullable<FrameworkTraits<PhpStoreConfig>['decoder']> = (config, _facts, budgets) =>
  phpDecoding(config, budgets);
