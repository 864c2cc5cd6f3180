import type { DecodeBudgets } from '../../codecs/budgets.ts';
import { pickleLimitsOf, type PyValue, pyTypes } from '../../codecs/pickle.ts';
import { decoded } from '../../codecs/result.ts';
import type { FrameworkTraits } from '../kind.ts';
import type { RowDecoding } from '../row-decoder.ts';
import { userIdAt } from '../user-path.ts';
import { decodeFlaskSession } from './codec.ts';
import type { FlaskStoreConfig } from './config.ts';

/**
 * How a Flask store decodes a row, from its settings alone: the store (store.ts) and decode workers
 * (src/projection/decode-worker.ts, which loads this module by the kind's name) build it with the same code.
 * Nothing here may need a database, or load what a worker need not (the settings schemas, pg).
 */

/**
 * Keys Flask and Flask-Login manage, hidden from `data` and kept on every write:
 * - `_permanent`: Flask-Session gives a session an expiry only while it is true; without it the next save
 *   writes a NULL expiry, after which every request for the session fails;
 * - `_id`: Flask-Login's session-protection identifier, a SHA-512 of the client's IP address and user agent:
 *   personal data of no use to a caller, tied to the browser rather than the user, and a change to it would
 *   only mark the login not fresh.
 * `_fresh` (whether the login was made with credentials in this session) stays visible: it belongs to the
 * login, so a `replace` or a change of `_user_id` must be able to drop it, as Flask-Login's own logout does.
 */
export const HIDDEN_KEYS = ['_permanent', '_id'];

export function flaskDecoding(config: FlaskStoreConfig, budgets: DecodeBudgets): RowDecoding {
  const { keyPrefix } = config;
  const limits = pickleLimitsOf(budgets);
  const hidden = new Set(HIDDEN_KEYS);
  return {
    format: {
      kind: 'flask',
      hiddenKeys: hidden,
      decode(blob) {
        const result = decodeFlaskSession(blob, limits);
        if (!result.ok) return result;
        const { data: full, tree, notes } = result.value;
        if (full['_permanent'] !== true) {
          notes.unshift(
            'not permanent: Flask writes a NULL expiry on its next save, and then fails every request',
          );
        }
        return decoded({ full, state: tree, note: notes.length > 0 ? notes.join('; ') : null });
      },
      userIdOf: (full) => userIdAt(full, [config.userPath]),
      typesOf: (tree) => pyTypes(tree as PyValue, hidden),
      refuses(key) {
        if (!key.startsWith(keyPrefix)) {
          return `the key does not start with keyPrefix "${keyPrefix}", so Flask never looks it up`;
        }
        // An empty cookie makes Flask-Session start a new session; only a signed one can carry an empty sid.
        if (key.length === keyPrefix.length && !config.useSigner) {
          return 'the sid is empty, which Flask never looks up';
        }
        return null;
      },
    },
    anonymousUserIds: config.anonymousUserIds,
  };
}

export const decoder: NonNullable<FrameworkTraits<FlaskStoreConfig>['decoder']> = (config, _facts, budgets) =>
  flaskDecoding(config, budgets);
