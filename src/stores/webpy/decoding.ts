import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { pickleLimitsOf, type PyValue, pyTypes } from '../../codecs/pickle.ts';
import { decoded, type JsonValue } from '../../codecs/result.ts';
import { decodeWebpySession } from '../../codecs/webpy.ts';
import type { FrameworkTraits } from '../kind.ts';
import type { RowDecoding } from '../row-decoder.ts';
import { userIdAt } from '../user-path.ts';
import type { WebpyStoreConfig } from './config.ts';

/**
 * How a web.py store decodes a row, from its settings alone: the store (store.ts) and decode workers
 * (src/projection/decode-worker.ts, which loads this module by the kind's name) build it with the same code.
 * Nothing here may need a database, or load what a worker need not (the settings schemas, pg).
 */

/** web.py's `re.match('^[0-9a-fA-F]+$', id)`: Python's `$` also matches before a final newline. */
const WEBPY_KEY = /^[0-9a-fA-F]+\n?$/;

/** Python's truth of a JSON-viewed value (None, False, 0, '' and empty containers are false). */
const pyTruthy = (value: JsonValue | undefined) =>
  !(
    value === undefined ||
    value === null ||
    value === false ||
    value === 0 ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0)
  );

export function webpyDecoding(config: WebpyStoreConfig, budgets: DecodeBudgets): RowDecoding {
  const limits = pickleLimitsOf(budgets);
  const hidden = new Set(['session_id']);
  return {
    format: {
      kind: 'webpy',
      // web.py copies the session id — the cookie value, a bearer credential — into the pickled dict.
      hiddenKeys: hidden,
      decode(blob) {
        const result = decodeWebpySession(blob, limits);
        if (!result.ok) return result;
        const { data, tree, notes } = result.value;
        return decoded({ full: data, state: tree, note: notes.length > 0 ? notes.join('; ') : null });
      },
      userIdOf: (full) => userIdAt(full, [config.userPath]),
      typesOf: (tree) => pyTypes(tree as PyValue, hidden),
      // `Session._load` puts the client's address into every session it starts.
      ipInData: 'ip',
      // web.py's `Session._valid_session_id`: a cookie whose id is not hex starts a new session instead.
      refuses: (key, full) => {
        if (!WEBPY_KEY.test(key)) return 'the key is not hex, which web.py refuses';
        // `Session._load` updates itself from the dict: an empty `session_id` there makes it start a new session.
        if (Object.hasOwn(full, 'session_id') && !pyTruthy(full['session_id'])) {
          return 'session_id in the data is empty, so web.py starts a new session';
        }
        return null;
      },
    },
    anonymousUserIds: config.anonymousUserIds,
  };
}

export const decoder: NonNullable<FrameworkTraits<WebpyStoreConfig>['decoder']> = (config, _facts, budgets) =>
  webpyDecoding(config, budgets);
