/**
 * Flask-Session 0.3.2's `SqlAlchemySessionInterface`: the `data` column is `pickle.dumps(dict(session))`
 * (protocol 4 on Python 3.8+), unpickled by Flask-Session on every request. Decoding goes through our own
 * safe pickle reader, never by Python's rules; writing reuses web.py's encoder (protocol 2, which Python 3
 * loads), whose merge keeps the Python type of every value an update leaves alone.
 *
 * The blob travels as PostgreSQL's hex text of the bytea (`\x…`) both ways, so a row rewritten without being
 * decoded (a rotated key of an INVALID session) is written back byte for byte.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  hashKey,
  type PickleLimits,
  type PyValue,
  readPickleWithInfo,
  sessionView,
} from '../../codecs/pickle.ts';
import { type Decoded, decoded, failure, type JsonObject } from '../../codecs/result.ts';
import { pickleSession } from '../../codecs/webpy.ts';

export interface FlaskDecoded {
  /** The JSON view of the session dict (`pyToJson`). */
  data: JsonObject;
  /** The dict as read, so untouched values are written back with their Python types. */
  tree: PyValue;
  notes: string[];
}

const MAX_NOTES = 20;

/**
 * Python 3's `pickle.loads` (what Flask-Session calls) reads Python 2 byte strings as ASCII and fails on any
 * other byte, and imports every class a pickle names: our reader allows web.py's `Storage`, which a Flask app
 * can only unpickle with web.py installed. Either way Flask serves an empty session instead of the stored one.
 */
function storageIn(tree: PyValue): boolean {
  // Bounded: the reader refused trees whose size, counting every place a shared value appears, is over budget.
  const pending: PyValue[] = [tree];
  for (let value = pending.pop(); value !== undefined; value = pending.pop()) {
    switch (value.t) {
      case 'dict':
        if (value.cls === 'Storage') return true;
        for (const [key, item] of value.entries) pending.push(key, item);
        break;
      case 'list':
      case 'tuple':
      case 'set':
      case 'frozenset':
        // (one at a time: spreading a list of a million items would overflow the call's arguments)
        for (const item of value.items) pending.push(item);
        break;
      default:
        break;
    }
  }
  return false;
}

type PyDict = Extract<PyValue, { t: 'dict' }>;

/**
 * `dict(data)`, which Flask-Session's session class (a werkzeug CallbackDict) makes of what it unpickled: a
 * dict as it is; a list or tuple of pairs as the dict they make, a later equal key replacing the value in the
 * first one's place. Null where dict() raises, and Flask serves an empty session. Pairs that are strs, bytes
 * or sets (dict() takes those too) are not read: a set's come in Python's hash order.
 */
function dictOf(tree: PyValue): PyDict | null | 'unsupported' {
  if (tree.t === 'dict') return tree;
  if (tree.t === 'set' || tree.t === 'frozenset') return 'unsupported';
  if (tree.t !== 'list' && tree.t !== 'tuple') return null;
  const entries: [PyValue, PyValue][] = [];
  const index = new Map<string, number>();
  for (const item of tree.items) {
    let pair: [PyValue, PyValue];
    if ((item.t === 'tuple' || item.t === 'list') && item.items.length === 2) {
      pair = [item.items[0]!, item.items[1]!];
    } else if (item.t === 'dict' && item.entries.length === 2) {
      pair = [item.entries[0]![0], item.entries[1]![0]];
    } else if (item.t === 'str' || item.t === 'bytes' || item.t === 'set' || item.t === 'frozenset') {
      return 'unsupported';
    } else {
      return null;
    }
    const hash = hashKey(pair[0]);
    if (hash === null) return null;
    const at = index.get(hash);
    if (at === undefined) {
      index.set(hash, entries.length);
      entries.push(pair);
    } else {
      entries[at] = [entries[at]![0], pair[1]];
    }
  }
  return { t: 'dict', entries };
}

/** A Flask session from the bytea's hex text. Never throws: every refusal is a `Decoded` failure. */
export function decodeFlaskSession(stored: string, limits?: PickleLimits): Decoded<FlaskDecoded> {
  if (!stored.startsWith('\\x') || stored.length % 2 !== 0) {
    return failure('corrupt', 'session data is not bytea');
  }
  const read = readPickleWithInfo(Buffer.from(stored.slice(2), 'hex'), limits);
  if (!read.ok) return read;
  const { value: pickled, info } = read.value;
  // Flask-Session's bare `except:` turns anything it cannot use into an empty session under the same sid.
  const tree = dictOf(pickled);
  if (tree === 'unsupported') {
    return failure('unsupported', `the session is a pickled ${pickled.t} of strs, bytes or sets, not a dict`);
  }
  if (tree === null) {
    return failure('corrupt', `the session is a pickled ${pickled.t}, not a dict: Flask serves an empty one`);
  }
  if (info.py2NonAscii > 0) {
    return failure(
      'unloadable',
      'Python 2 byte strings that are not ASCII: Python 3 cannot unpickle them, so Flask serves an empty session',
    );
  }
  if (storageIn(tree)) {
    return failure(
      'unloadable',
      'the pickle names web.utils.Storage, which Flask unpickles only where web.py is installed',
    );
  }
  const { data, notes } = sessionView(tree, MAX_NOTES);
  if (tree !== pickled)
    notes.unshift(`the session is a pickled ${pickled.t} of pairs, which Flask makes a dict`);
  return decoded({ data, tree, notes });
}

/** The bytea hex text of a session dict: types kept from `previous` where the JSON still fits (see
 * `encodeWebpySession`). */
export function encodeFlaskSession(full: JsonObject, previous: PyValue | undefined): string {
  const pickled = pickleSession(full, previous);
  return `\\x${Buffer.from(pickled.buffer, pickled.byteOffset, pickled.byteLength).toString('hex')}`;
}

/**
 * itsdangerous' `Signer(secret_key, salt='flask-session', key_derivation='hmac')` as Flask-Session 0.3.2
 * builds it: key = HMAC-SHA1(secret, salt), signature = base64url without padding of HMAC-SHA1(key, sid).
 */
export function flaskSigner(secretKey: string) {
  const key = createHmac('sha1', secretKey).update('flask-session').digest();
  const signature = (sid: string) => createHmac('sha1', key).update(sid).digest('base64url');
  return {
    sign: (sid: string) => `${sid}.${signature(sid)}`,
    /**
     * The sid of a signed cookie, or null. Only the exact form Flask sets is taken: itsdangerous also accepts
     * signatures with stray characters that base64 decoding skips, which no browser is ever given.
     */
    unsign(value: string): string | null {
      const dot = value.lastIndexOf('.');
      if (dot < 0) return null;
      const sid = value.slice(0, dot);
      const given = Buffer.from(value.slice(dot + 1));
      const expected = Buffer.from(signature(sid));
      return given.length === expected.length && timingSafeEqual(given, expected) ? sid : null;
    },
  };
}
