import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { expressCookieProblem, parseSess } from '../../codecs/express-sess.ts';
import { decoded } from '../../codecs/result.ts';
import type { FrameworkTraits } from '../kind.ts';
import type { RowDecoding } from '../row-decoder.ts';
import { userIdAt } from '../user-path.ts';
import type { ExpressStoreConfig } from './config.ts';

/**
 * How an express store decodes a row, from its settings and what `create` read of its table (`facts`): the
 * store (store.ts) and decode workers (src/projection/decode-worker.ts, which loads this module by the kind's
 * name) build it with the same code. Nothing here may need a database, or load what a worker need not (the
 * settings schemas, pg).
 */

/** What decoding takes from the catalog: whether `sess` is a json or jsonb column (else text). */
export interface ExpressDecoderFacts {
  jsonColumn: boolean;
}

export function expressDecoding(
  config: ExpressStoreConfig,
  facts: ExpressDecoderFacts,
  budgets: DecodeBudgets,
): RowDecoding {
  return {
    format: {
      kind: 'express',
      hiddenKeys: new Set(['cookie']),
      decode(blob) {
        const result = parseSess(blob, budgets, facts.jsonColumn);
        return result.ok ? decoded({ full: result.value }) : result;
      },
      userIdOf: (full) => userIdAt(full, config.userPaths),
      // express-session treats an empty sid as no sid at all.
      refuses: (key, full) => (key === '' ? 'the sid is empty' : expressCookieProblem(full)),
    },
    anonymousUserIds: config.anonymousUserIds,
  };
}

export const decoder: NonNullable<FrameworkTraits<ExpressStoreConfig>['decoder']> = (
  config,
  facts,
  budgets,
) => expressDecoding(config, facts as ExpressDecoderFacts, budgets);
