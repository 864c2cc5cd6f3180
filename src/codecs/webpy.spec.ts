import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  canonical,
  type FixtureCase,
  loadFixtures,
  PYTHON,
  pythonLoad,
  type Tagged,
  toTagged,
} from './fixtures/webpy/python.ts';
import { type PyValue, setJsonProperty } from './pickle.ts';
import type { JsonObject, JsonValue } from './result.ts';
import { decodeWebpySession, encodeWebpySession, type WebpyDecoded } from './webpy.ts';

function decode(stored: string): WebpyDecoded {
  const result = decodeWebpySession(stored);
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
  return result.value;
}

/** Arrays in the JSON view may come from sets, whose order Python does not keep: compare them sorted. */
function sortArrays(value: JsonValue): JsonValue {
  if (Array.isArray(value)) {
    return value.map(sortArrays).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value)) setJsonProperty(out, key, sortArrays(value[key]!));
  return out;
}

/** The tagged entries of a tagged dict, by key. */
function taggedEntries(tagged: Tagged): Map<string, Tagged> {
  const entries = (tagged as { entries: [Tagged, Tagged][] }).entries;
  return new Map(entries.map(([key, value]) => [JSON.stringify(key), value]));
}

const fixtures = loadFixtures();
const fixture = (name: string): FixtureCase => fixtures.find((candidate) => candidate.name === name)!;

describe('decodeWebpySession: FORMATS.md §2.2 test vectors', () => {
  it('should decode the Python 3.11 protocol 4 row', () => {
    const result = decode(fixture('formats: python 3.11 protocol 4').stored);
    expect(result).toMatchObject({
      data: { user_id: 7, session_id: 'abc', ip: '127.0.0.1' },
      py2: false,
      notes: [],
    });
  });

  it('should decode the Python 2.7 cPickle rows and mark them py2', () => {
    expect(decode(fixture('formats: python 2.7 cPickle protocol 0').stored)).toMatchObject({
      data: { user_id: 7, session_id: 'a3f1c0', ip: '127.0.0.1', logged_in: true },
      py2: true,
    });
    const storage = decode(fixture('formats: python 2.7 protocol 0 with Storage and unicode').stored);
    expect(storage).toMatchObject({
      data: { ip: '127.0.0.1', u: 'Zoë', user: { id: 7, name: 'bob' } },
      py2: true,
    });
    const user = (storage.tree as { entries: [PyValue, PyValue][] }).entries.find(
      ([key]) => key.t === 'str' && key.v === 'user',
    );
    expect(user?.[1]).toMatchObject({ t: 'dict', cls: 'Storage' });
  });

  it('should decode the Python 3.11 Storage row', () => {
    const result = decode(fixture('formats: python 3.11 protocol 4 with Storage').stored);
    expect(result.data).toEqual({ session_id: 'abc', ip: '127.0.0.1', user: { id: 7, name: 'bob' } });
  });
});

describe('decodeWebpySession: edge cases', () => {
  it("should accept the buggy b'...' repr of web.py 0.40-0.51 and say so", () => {
    const result = decode(fixture('web.py 0.40-0.51 bytes repr').stored);
    expect(result.data).toMatchObject({ user_id: 42, flash: ['Saved.'] });
    expect(result.notes[0]).toMatch(/^repr-wrapped/);
  });

  it('should decode Python 2 byte strings as UTF-8 with a latin-1 fallback, noting "py2 bytes"', () => {
    const result = decode(fixture('py2 hand: utf-8 and latin-1 byte strings').stored);
    expect(result.data).toEqual({ name: 'café', latin: 'été', session_id: 'a3f1c0', ip: '127.0.0.1' });
    expect(result.py2).toBe(true);
    expect(result.notes).toEqual([expect.stringMatching(/^py2 bytes: 2 /)]);
  });

  it('should accept base64 without line breaks or with CRLF', () => {
    const stored = fixture('formats: python 3.11 protocol 4').stored;
    expect(decode(stored.replace(/\n/g, '')).data).toMatchObject({ user_id: 7 });
    expect(decode(stored.replace(/\n/g, '\r\n')).data).toMatchObject({ user_id: 7 });
  });

  it.each([
    ['empty text', ''],
    ['not base64', 'not base64!'],
    ['bad padding', 'gASV='],
    ['a truncated pickle', 'gASVNQAAAAAAAAB9lCiMB3VzZXJfaWSUSweMCnNlc3Npb25f\n'],
  ])('should report %s as corrupt', (_name, stored) => {
    expect(decodeWebpySession(stored)).toMatchObject({ ok: false, problem: 'corrupt' });
  });

  it('should refuse a session that is not a dict', () => {
    const list = Buffer.from('\x80\x02]K\x01a.', 'latin1').toString('base64');
    expect(decodeWebpySession(list)).toEqual({
      ok: false,
      problem: 'corrupt',
      detail: 'the session is a pickled list, not a dict',
    });
  });

  it('should report lossy JSON choices as notes', () => {
    const result = decode(fixture('python3 protocol 4: rich').stored);
    expect(result.notes).toContain('/raw: bytes that are not UTF-8 are shown as base64');
    expect(result.notes).toContain('/floats/11: the float nan is shown as a string');
  });

  it('should cap the notes at 20', () => {
    const entries = Array.from({ length: 25 }, (_, i) => `U\x03k${String(i).padStart(2, '0')}C\x01\xff`).join(
      '',
    );
    const stored = Buffer.from(`\x80\x03}(${entries}u.`, 'latin1').toString('base64');
    const { notes } = decode(stored);
    expect(notes).toHaveLength(21);
    expect(notes[20]).toBe('... and 5 more lossy values');
  });
});

describe('decodeWebpySession: the corpus written by real Python and web.py', () => {
  it.each(
    fixtures
      .filter((candidate) => candidate.expect.ok)
      .map((candidate) => [candidate.name, candidate] as const),
  )('should show %s as documented', (_name, candidate) => {
    const result = decode(candidate.stored);
    const expected = candidate.expect as { value: Tagged; view: JsonValue };
    expect(sortArrays(result.data)).toEqual(sortArrays(expected.view));
    expect(canonical(toTagged(result.tree))).toEqual(canonical(expected.value));
    // web.py on Python 3 fails exactly on the rows with non-ASCII Python 2 strings
    const noted = result.notes.some((note) => note.startsWith('py2 bytes'));
    if (!candidate.repr_wrapped) expect(noted).toBe(candidate.webpy_loads === false);
    // py2 means Python 2's own default layout: protocol 0/1, without a PROTO opcode (0x80)
    expect(result.py2).toBe(candidate.py2 && Buffer.from(candidate.stored, 'base64')[0] !== 0x80);
  });

  it.each(
    fixtures
      .filter((candidate) => !candidate.expect.ok)
      .map((candidate) => [candidate.name, candidate] as const),
  )('should refuse %s as unsafe', (_name, candidate) => {
    expect(decodeWebpySession(candidate.stored)).toMatchObject({ ok: false, problem: 'unsafe' });
  });
});

describe(`encodeWebpySession, loaded by web.py in ${PYTHON}`, () => {
  it('should write exactly base64.encodebytes layout', () => {
    const stored = encodeWebpySession({ session_id: 'a'.repeat(40), ip: '127.0.0.1', blob: 'x'.repeat(200) });
    const lines = stored.split('\n');
    expect(stored.endsWith('\n')).toBe(true);
    expect(lines.slice(0, -2).every((line) => line.length === 76)).toBe(true);
    expect(lines.at(-1)).toBe('');
    const [answer] = pythonLoad([stored]);
    expect(answer).toMatchObject({ ok: true, canonical: true });
  });

  it('should write a new session web.py loads with the same values', () => {
    const data: JsonObject = {
      session_id: '5f2b0c8e7d9a41c3b6e8f0a1d2c3b4a5e6f70819',
      ip: '203.0.113.9',
      user_id: 7,
      logged_in: true,
      name: 'Zoë 😀',
      ratio: 0.25,
      huge: 2 ** 60,
      nothing: null,
      cart: [{ sku: 'a-1', qty: 2 }, []],
      nested: { deeper: { deepest: [1, 'two'] } },
    };
    setJsonProperty(data, '__proto__', 'a key, not a prototype');
    const [answer] = pythonLoad([encodeWebpySession(data)]);
    if (!answer?.ok) throw new Error(answer?.error);
    const entries = taggedEntries(answer.value);
    expect(entries.get('"name"')).toBe('Zoë 😀');
    expect(entries.get('"user_id"')).toEqual({ $type: 'int', v: '7' });
    expect(entries.get('"ratio"')).toEqual({ $type: 'float', v: '0.25' });
    expect(entries.get('"huge"')).toEqual({ $type: 'float', v: '1.152921504606847e+18' });
    expect(entries.get('"__proto__"')).toBe('a key, not a prototype');
    expect(decode(encodeWebpySession(data)).data).toEqual(data);
  });

  it('should keep every untouched value with its Python type when one key changes', () => {
    const originals = [
      'python3 protocol 4: rich',
      'python3 protocol 0: db rows',
      'web.py DBStore on sqlite: rich',
    ];
    const rewritten = originals.map((name) => {
      const { data, tree } = decode(fixture(name).stored);
      return encodeWebpySession({ ...data, user_id: 1002, added: 'new' }, tree);
    });
    const loaded = pythonLoad(rewritten);
    originals.forEach((name, i) => {
      const answer = loaded[i]!;
      if (!answer.ok) throw new Error(answer.error);
      const before = taggedEntries((fixture(name).expect as { value: Tagged }).value);
      const after = taggedEntries(answer.value);
      expect(after.get('"user_id"')).toEqual({ $type: 'int', v: '1002' });
      expect(after.get('"added"')).toBe('new');
      for (const [key, value] of before) {
        if (key !== '"user_id"') expect(canonical(after.get(key)!), key).toEqual(canonical(value));
      }
      expect((answer.value as { cls: string | null }).cls).toBe(
        (fixture(name).expect as unknown as { value: { cls: string | null } }).value.cls,
      );
    });
  });

  it('should keep types inside an edited value: a Storage stays a Storage, ISO strings stay datetimes', () => {
    const { data, tree } = decode(fixture('python3 protocol 4: db rows').stored);
    const user = {
      ...(data['user'] as JsonObject),
      email: 'ann@example.com',
      last_login: '2024-06-01T07:30:00+00:00',
    };
    const edited = { ...data, user, expires: '2024-07-01', recent: [['page', 3]] };
    const [answer] = pythonLoad([encodeWebpySession(edited, tree)]);
    if (!answer?.ok) throw new Error(answer?.error);
    const after = taggedEntries(answer.value);
    const storage = after.get('"user"') as { cls: string; entries: [Tagged, Tagged][] };
    expect(storage.cls).toBe('Storage');
    const fields = taggedEntries(storage as unknown as Tagged);
    expect(fields.get('"email"')).toBe('ann@example.com');
    expect(fields.get('"created_at"')).toEqual({
      $type: 'datetime',
      iso: '2019-05-17T08:03:11',
      fold: 0,
      tz: null,
    });
    expect(fields.get('"last_login"')).toEqual({
      $type: 'datetime',
      iso: '2024-06-01T07:30:00+00:00',
      fold: 0,
      tz: { $type: 'timezone', offset_us: 0, name: null },
    });
    expect(after.get('"expires"')).toEqual({ $type: 'date', iso: '2024-07-01' });
    expect(after.get('"recent"')).toEqual([{ $type: 'tuple', items: ['page', { $type: 'int', v: '3' }] }]);
  });

  it('should re-type edited numbers and strings like the previous value', () => {
    const { data, tree } = decode(fixture('python3 protocol 4: rich').stored);
    const edited = {
      ...data,
      td_hour: 7200.5,
      decimal: '2.20',
      floats: [3],
      ints: ['123456789012345678901234567890'],
      raw: Buffer.from([1, 2, 0xff]).toString('base64'),
      utf8_bytes: 'naïve',
      set: [1, 2, 3, 4],
      dt_cet: '2024-07-14T09:00:00+01:00',
      time: '12:00:00',
    };
    const [answer] = pythonLoad([encodeWebpySession(edited, tree)]);
    if (!answer?.ok) throw new Error(answer?.error);
    const after = taggedEntries(answer.value);
    expect(after.get('"td_hour"')).toEqual({
      $type: 'timedelta',
      days: 0,
      seconds: 7200,
      microseconds: 500000,
    });
    expect(after.get('"decimal"')).toEqual({ $type: 'decimal', v: '2.20' });
    expect(after.get('"floats"')).toEqual([{ $type: 'float', v: '3.0' }]);
    expect(after.get('"ints"')).toEqual([{ $type: 'int', v: '123456789012345678901234567890' }]);
    expect(after.get('"raw"')).toEqual({ $type: 'bytes', b64: 'AQL/' });
    expect(after.get('"utf8_bytes"')).toEqual({
      $type: 'bytes',
      b64: Buffer.from('naïve').toString('base64'),
    });
    expect(canonical(after.get('"set"')!)).toEqual(
      canonical({ $type: 'set', items: [1, 2, 3, 4].map((v) => ({ $type: 'int', v: String(v) })) }),
    );
    expect(after.get('"dt_cet"')).toMatchObject({ iso: '2024-07-14T09:00:00+01:00', tz: { name: 'CET' } });
    expect(after.get('"time"')).toEqual({ $type: 'time', iso: '12:00:00', fold: 0, tz: null });
  });

  it('should drop keys removed from data', () => {
    const { data, tree } = decode(fixture('python3 protocol 4: small').stored);
    const { flash: _flash, ...rest } = data;
    expect(Object.keys(decode(encodeWebpySession(rest, tree)).data)).not.toContain('flash');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

const keyArb = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '1'),
);
const { json: jsonArb } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.integer(),
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(keyArb, tie('json')), { maxLength: 4 }).map((pairs) => {
      const object: JsonObject = {};
      for (const [key, value] of pairs) setJsonProperty(object, key, value);
      return object;
    }),
  ),
}));
const sessionArb = fc.array(fc.tuple(keyArb, jsonArb), { maxLength: 6 }).map((pairs) => {
  const object: JsonObject = { session_id: 'abc', ip: '127.0.0.1' };
  for (const [key, value] of pairs) setJsonProperty(object, key, value);
  return object;
});

describe('properties', () => {
  test.prop([sessionArb], { numRuns: 300 })('decode(encode(data)).data returns data', (data) => {
    expect(decode(encodeWebpySession(data)).data).toEqual(data);
  });

  test.prop([sessionArb], { numRuns: 200 })('re-encoding an unchanged session keeps its tree', (data) => {
    const first = decode(encodeWebpySession(data));
    const second = decode(encodeWebpySession(first.data, first.tree));
    expect(second.tree).toEqual(first.tree);
  });

  test.prop([fc.string({ maxLength: 300 })], { numRuns: 2000 })(
    'decode never throws on any string',
    (text) => {
      expect(typeof decodeWebpySession(text).ok).toBe('boolean');
    },
  );

  test.prop([fc.uint8Array({ maxLength: 300 })], { numRuns: 2000 })(
    'decode never throws on base64 of any bytes',
    (bytes) => {
      expect(typeof decodeWebpySession(Buffer.from(bytes).toString('base64')).ok).toBe('boolean');
    },
  );

  it('should let Python load 200 arbitrary sessions with the values of our JSON view', () => {
    const sessions = fc.sample(sessionArb, { numRuns: 200, seed: 1905 });
    const loaded = pythonLoad(sessions.map((data) => encodeWebpySession(data)));
    sessions.forEach((data, i) => {
      const answer = loaded[i]!;
      if (!answer.ok) throw new Error(answer.error);
      expect(answer.canonical).toBe(true);
      const tree: PyValue = decode(encodeWebpySession(data)).tree;
      expect(canonical(answer.value)).toEqual(canonical(toTagged(tree)));
    });
  });
});
