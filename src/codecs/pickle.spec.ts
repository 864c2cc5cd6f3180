/**
 * The pickle reader, opcode by opcode, from the FORMATS.md test vectors. What it refuses is in
 * pickle.safety.spec.ts, the JSON view in pickle.view.spec.ts, the writer in pickle.writer.spec.ts,
 * properties in pickle.properties.spec.ts, real Python in pickle.real.spec.ts; shared helpers in
 * pickle.testing.ts and pickle.arbitraries.ts.
 */
import { describe, expect, it } from 'vitest';
import { type PyValue, pyToJson, readPickleWithInfo } from './pickle.ts';
import { int, pk, problemOf, read, str, u32 } from './pickle.testing.ts';

describe('FORMATS.md §2.2 test vectors', () => {
  const vectors: [string, string, unknown][] = [
    [
      'Python 3.11, protocol 4',
      'gASVNQAAAAAAAAB9lCiMB3VzZXJfaWSUSweMCnNlc3Npb25faWSUjANhYmOUjAJpcJSMCTEyNy4w\nLjAuMZR1Lg==\n',
      { user_id: 7, session_id: 'abc', ip: '127.0.0.1' },
    ],
    [
      'Python 2.7 cPickle, protocol 0',
      'KGRwMQpTJ2lwJwpwMgpTJzEyNy4wLjAuMScKcDMKc1MndXNlcl9pZCcKcDQKSTcKc1Mnc2Vzc2lv\nbl9pZCcKcDUKUydhM2YxYzAnCnA2CnNTJ2xvZ2dlZF9pbicKcDcKSTAxCnMu\n',
      { user_id: 7, session_id: 'a3f1c0', ip: '127.0.0.1', logged_in: true },
    ],
    [
      'Python 2.7, protocol 0, with Storage and unicode',
      'KGRwMQpTJ2lwJwpwMgpTJzEyNy4wLjAuMScKcDMKc1MndScKVlpv6wpwNApzUyd1c2VyJwpwNQpj\nY29weV9yZWcKX3JlY29uc3RydWN0b3IKcDYKKGN3ZWIudXRpbHMKU3RvcmFnZQpwNwpjX19idWls\ndGluX18KZGljdApwOAooZHA5ClMnbmFtZScKcDEwClMnYm9iJwpwMTEKc1MnaWQnCnAxMgpMN0wK\nc3RScDEzCnMu\n',
      { ip: '127.0.0.1', u: 'Zoë', user: { id: 7, name: 'bob' } },
    ],
    [
      'Python 3.11, protocol 4, with Storage',
      'gASVYQAAAAAAAAB9lCiMCnNlc3Npb25faWSUjANhYmOUjAJpcJSMCTEyNy4wLjAuMZSMBHVzZXKU\njAl3ZWIudXRpbHOUjAdTdG9yYWdllJOUKYGUKIwCaWSUSweMBG5hbWWUjANib2KUdXUu\n',
      { session_id: 'abc', ip: '127.0.0.1', user: { id: 7, name: 'bob' } },
    ],
  ];

  it.each(vectors)('should decode the %s vector', (_name, stored, expected) => {
    expect(pyToJson(read(Buffer.from(stored, 'base64')))).toEqual(expected);
  });

  it('should keep the Python types of the Python 2 Storage vector', () => {
    const tree = read(Buffer.from(vectors[2]![1], 'base64'));
    expect(tree).toMatchObject({ t: 'dict' });
    const entries = Object.fromEntries(
      (tree as { entries: [PyValue, PyValue][] }).entries.map(([k, v]) => [pyToJson(k), v]),
    );
    expect(entries['u']).toEqual(str('Zoë'));
    expect(entries['user']).toEqual({
      t: 'dict',
      cls: 'Storage',
      entries: [
        [str('name'), str('bob')],
        [str('id'), int(7)],
      ],
    });
  });

  it('should report protocol and Python 2 strings', () => {
    const py2 = readPickleWithInfo(Buffer.from(vectors[1]![1], 'base64'));
    expect(py2.ok && py2.value.info).toEqual({ proto: null, py2Strings: 6, py2NonAscii: 0 });
    const py3 = readPickleWithInfo(Buffer.from(vectors[0]![1], 'base64'));
    expect(py3.ok && py3.value.info).toEqual({ proto: 4, py2Strings: 0, py2NonAscii: 0 });
  });
});

describe('opcodes', () => {
  it('should read STRING as a Python literal with escapes and either quote', () => {
    expect(read(pk("S'it\\'s'\n."))).toEqual(str("it's"));
    expect(read(pk(`S"it's"\n.`))).toEqual(str("it's"));
    expect(read(pk("S'tab\\there\\n\\x41\\101\\\\'\n."))).toEqual(str('tab\there\nAA\\'));
    expect(read(pk("S'\\q'\n."))).toEqual(str('\\q'));
  });

  it('should keep a non-ASCII Python 2 str as bytes and show it as UTF-8, else latin-1', () => {
    const utf8 = read(pk("S'caf\\xc3\\xa9'\n."));
    expect(utf8).toEqual({ t: 'bytes', v: Uint8Array.from([0x63, 0x61, 0x66, 0xc3, 0xa9]), py2str: true });
    expect(pyToJson(utf8)).toBe('café');
    expect(pyToJson(read(pk("S'\\xe9t\\xe9'\n.")))).toBe('été');
    expect(pyToJson(read(pk('U', [2, 0xc3, 0xa9], '.')))).toBe('é');
  });

  it('should refuse an unquoted or badly escaped STRING', () => {
    expect(problemOf(pk('Sabc\n.'))).toBe('corrupt');
    expect(problemOf(pk('S\'abc"\n.'))).toBe('corrupt');
    expect(problemOf(pk("S'\\x4'\n."))).toBe('corrupt');
  });

  it('should read UNICODE as raw-unicode-escape over latin-1', () => {
    expect(read(pk('V\\u005c\n.'))).toEqual(str('\\'));
    expect(read(pk('Vcaf', [0xe9], '\n.'))).toEqual(str('café'));
    expect(read(pk('V\\\\u0041 \\\\\\u0041\n.'))).toEqual(str('\\\\u0041 \\\\A'));
    expect(read(pk('V\\U0001f600 \\u20ac\n.'))).toEqual(str('😀 €'));
    expect(problemOf(pk('V\\u12\n.'))).toBe('corrupt');
    expect(problemOf(pk('V\\U00110000\n.'))).toBe('corrupt');
  });

  it('should read BINUNICODE with lone surrogates (surrogatepass) and keep a BOM', () => {
    expect(read(pk('X', u32(3), [0xed, 0xa0, 0x80], '.'))).toEqual(str('\ud800'));
    expect(read(pk('\x8c', [3, 0xef, 0xbb, 0xbf], '.'))).toEqual(str('\ufeff'));
    expect(problemOf(pk('X', u32(2), [0xc3, 0x28], '.'))).toBe('corrupt');
  });

  it('should read protocol 0 booleans and integer literals', () => {
    expect(read(pk('I01\n.'))).toEqual({ t: 'bool', v: true });
    expect(read(pk('I00\n.'))).toEqual({ t: 'bool', v: false });
    expect(read(pk('I-42\n.'))).toEqual(int(-42));
    expect(read(pk('I0x1f\n.'))).toEqual(int(31));
    expect(read(pk('L123456789012345678901234567890L\n.'))).toEqual(int(123456789012345678901234567890n));
    expect(read(pk('L1_000\n.'))).toEqual(int(1000));
    expect(problemOf(pk('I007\n.'))).toBe('corrupt');
    expect(problemOf(pk('Iabc\n.'))).toBe('corrupt');
  });

  it('should read binary integers of any size', () => {
    expect(read(pk('J', [0xff, 0xff, 0xff, 0xff], '.'))).toEqual(int(-1));
    expect(read(pk('M', [0xff, 0xff], '.'))).toEqual(int(65535));
    expect(read(pk('\x8a', [9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40], '.'))).toEqual(int(2n ** 70n));
    expect(read(pk('\x8a', [1, 0xff], '.'))).toEqual(int(-1));
    expect(read(pk('\x8a', [0], '.'))).toEqual(int(0));
    const big = new Array<number>(300).fill(0);
    big[299] = 0x01;
    expect(read(pk('\x8b', u32(300), big, '.'))).toEqual(int(2n ** (299n * 8n)));
  });

  it('should read floats: FLOAT as Python float(), BINFLOAT big-endian', () => {
    expect(read(pk('F1e-05\n.'))).toEqual({ t: 'float', v: 1e-5 });
    expect(read(pk('Fnan\n.'))).toEqual({ t: 'float', v: Number.NaN });
    expect(read(pk('F-inf\n.'))).toEqual({ t: 'float', v: Number.NEGATIVE_INFINITY });
    expect(Object.is((read(pk('F-0.0\n.')) as { v: number }).v, -0)).toBe(true);
    expect(read(pk('G', [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18], '.'))).toEqual({
      t: 'float',
      v: Math.PI,
    });
    expect(problemOf(pk('F0x10\n.'))).toBe('corrupt');
    expect(problemOf(pk('F\n.'))).toBe('corrupt');
  });

  it('should share memoised objects (PUT/GET, BINPUT/BINGET, MEMOIZE)', () => {
    const viaGet = read(pk('(lp0\nI1\na(g0\ng0\ntp1\n.'));
    expect(viaGet).toEqual({
      t: 'tuple',
      items: [
        { t: 'list', items: [int(1)] },
        { t: 'list', items: [int(1)] },
      ],
    });
    const items = (viaGet as { items: PyValue[] }).items;
    expect(items[0]).toBe(items[1]);
    const viaMemoize = read(pk('\x80\x04]\x94(K\x01e\x8c\x01a\x94h\x00\x87.'));
    expect(pyToJson(viaMemoize)).toEqual([[1], 'a', [1]]);
    expect(read(pk(']r', u32(70000), 'j', u32(70000), '\x86.'))).toMatchObject({ t: 'tuple' });
    expect(problemOf(pk('g5\n.'))).toBe('corrupt');
  });

  it('should build dicts, lists, tuples, sets and frozensets', () => {
    expect(pyToJson(read(pk('(dS"a"\nI1\nsS"b"\n(lI2\naI3\nas.')))).toEqual({ a: 1, b: [2, 3] });
    expect(read(pk('\x80\x04\x8f(K\x01K\x02K\x01\x90.'))).toEqual({ t: 'set', items: [int(1), int(2)] });
    expect(read(pk('\x80\x04(K\x01\x91.'))).toEqual({ t: 'frozenset', items: [int(1)] });
    expect(read(pk('(K\x01K\x02t.'))).toEqual({ t: 'tuple', items: [int(1), int(2)] });
  });

  it('should replace a duplicate dict key in place, as Python does (1 == 1.0 == True)', () => {
    const dict = read(pk('}(K\x01U\x01aU\x01bK\x02\x88U\x01cu.'));
    expect(dict).toEqual({
      t: 'dict',
      entries: [
        [int(1), str('c')],
        [str('b'), int(2)],
      ],
    });
  });

  it('should refuse an unhashable dict key or set item', () => {
    expect(problemOf(pk('}]K\x01s.'))).toBe('corrupt');
    expect(problemOf(pk('\x80\x04\x8f(]\x90.'))).toBe('corrupt');
  });

  it('should ignore FRAME but refuse one longer than the data', () => {
    expect(read(pk('\x80\x04\x95', [3, 0, 0, 0, 0, 0, 0, 0], 'K\x07.'))).toEqual(int(7));
    expect(problemOf(pk('\x80\x04\x95', [0xff, 0, 0, 0, 0, 0, 0, 0], 'K\x07.'))).toBe('corrupt');
  });

  it('should report a newer protocol as unsupported', () => {
    expect(problemOf(pk('\x80\x06K\x01.'))).toBe('unsupported');
    expect(read(pk('\x80\x05K\x01.'))).toEqual(int(1));
  });

  it('should report truncated, empty, unknown or unbalanced input as corrupt', () => {
    expect(problemOf(pk(''))).toBe('corrupt');
    expect(problemOf(pk('K'))).toBe('corrupt');
    expect(problemOf(pk('K\x01'))).toBe('corrupt');
    expect(problemOf(pk('\xff.'))).toBe('corrupt');
    expect(problemOf(pk('.'))).toBe('corrupt');
    expect(problemOf(pk('a.'))).toBe('corrupt');
    expect(problemOf(pk('K\x01(a.'))).toBe('corrupt');
    expect(problemOf(pk('t.'))).toBe('corrupt');
    expect(problemOf(pk('(K\x01d.'))).toBe('corrupt');
  });

  it('should refuse a recursive structure', () => {
    expect(problemOf(pk('(lp0\ng0\na.'))).toBe('unsupported');
    expect(problemOf(pk('}q\x00U\x01ah\x00s.'))).toBe('unsupported');
  });
});
