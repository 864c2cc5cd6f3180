import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  canonical,
  loadFixtures,
  PYTHON,
  pythonLoad,
  type Tagged,
  toTagged,
} from './fixtures/webpy/python.ts';
import {
  hashKey,
  jsonToPy,
  type PyTimezone,
  type PyValue,
  pyFloatRepr,
  pyRepr,
  pyToJson,
  readPickle,
  readPickleWithInfo,
  writePickle,
} from './pickle.ts';

/** Build pickle bytes by hand: strings are latin-1 (one char = one byte), arrays are raw bytes. */
function pk(...parts: (string | number[])[]): Uint8Array {
  return Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );
}

const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

function read(bytes: Uint8Array): PyValue {
  const result = readPickle(bytes);
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
  return result.value;
}

function problemOf(bytes: Uint8Array): string {
  const result = readPickle(bytes);
  return result.ok ? 'ok' : result.problem;
}

const str = (v: string): PyValue => ({ t: 'str', v });
const int = (v: number | bigint): PyValue => ({ t: 'int', v: BigInt(v) });

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

describe('allow-listed classes (FORMATS §8.3)', () => {
  it('should read Storage from NEWOBJ, copy_reg._reconstructor and copyreg.__newobj__', () => {
    const expected = { t: 'dict', cls: 'Storage', entries: [[str('a'), int(1)]] };
    expect(read(pk('\x80\x02cweb.utils\nStorage\n)\x81U\x01aK\x01s.'))).toEqual(expected);
    expect(
      read(pk('ccopy_reg\n_reconstructor\n(cweb.utils\nStorage\nc__builtin__\ndict\n(dS"a"\nI1\nstR.')),
    ).toEqual(expected);
    expect(read(pk('ccopyreg\n_reconstructor\n(cweb.utils\nStorage\ncbuiltins\ndict\nNtR.'))).toEqual({
      t: 'dict',
      cls: 'Storage',
      entries: [],
    });
    expect(read(pk('ccopyreg\n__newobj__\ncweb.utils\nStorage\n\x85RU\x01aK\x01s.'))).toEqual(expected);
  });

  it('should read datetimes from bytes state, _codecs.encode state and Python 2 str state', () => {
    const state = [0x07, 0xe8, 0x02, 0x1d, 13, 45, 7, 0x01, 0xe2, 0x40];
    const expected = {
      t: 'datetime',
      year: 2024,
      month: 2,
      day: 29,
      hour: 13,
      minute: 45,
      second: 7,
      microsecond: 123456,
      fold: 0,
      tz: null,
    };
    expect(read(pk('\x80\x03cdatetime\ndatetime\nC\x0a', state, '\x85R.'))).toEqual(expected);
    const text = Buffer.from(Buffer.from(state).toString('latin1'), 'utf8');
    expect(
      read(
        pk(
          '\x80\x02cdatetime\ndatetime\nc_codecs\nencode\nX',
          u32(text.length),
          [...text],
          'U\x06latin1\x86R\x85R.',
        ),
      ),
    ).toEqual(expected);
    const py2 = `S'${state.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}'\n`;
    expect(read(pk('cdatetime\ndatetime\n(', py2, 'tR.'))).toEqual(expected);
  });

  it('should read an aware datetime with a fixed-offset timezone, and fold', () => {
    const tz = 'cdatetime\ntimezone\ncdatetime\ntimedelta\nJ\xff\xff\xff\xffJ\x00\xe1\x00\x00K\x00\x87R\x85R';
    const dt = read(
      pk('\x80\x03cdatetime\ndatetime\nC\x0a', [0x07, 0xe8, 0x83, 1, 0, 0, 0, 0, 0, 0], tz, '\x86R.'),
    );
    expect(dt).toMatchObject({
      month: 3,
      fold: 1,
      tz: { t: 'timezone', offsetMicroseconds: -8 * 3600 * 1e6 },
    });
    expect(pyToJson(dt)).toBe('2024-03-01T00:00:00-08:00');
  });

  it('should refuse an impossible date or time as corrupt', () => {
    expect(problemOf(pk('\x80\x03cdatetime\ndate\nC\x04', [0x07, 0xe8, 2, 30], '\x85R.'))).toBe('corrupt');
    expect(problemOf(pk('\x80\x03cdatetime\ntime\nC\x06', [23, 60, 0, 0, 0, 0], '\x85R.'))).toBe('corrupt');
    expect(problemOf(pk('cdatetime\ntimedelta\n(I1000000000\ntR.'))).toBe('corrupt');
  });

  it('should read set/frozenset REDUCE, Decimal, OrderedDict (both forms) and empty bytes', () => {
    expect(read(pk('c__builtin__\nset\n((lI1\naI1\natR.'))).toEqual({ t: 'set', items: [int(1)] });
    expect(read(pk('cdecimal\nDecimal\n(S"1.10"\ntR.'))).toEqual({ t: 'decimal', v: '1.10' });
    expect(problemOf(pk('cdecimal\nDecimal\n(S"1.1.0"\ntR.'))).toBe('corrupt');
    const ordered = { t: 'dict', cls: 'OrderedDict', entries: [[str('z'), int(1)]] };
    expect(read(pk('ccollections\nOrderedDict\n((l(lS"z"\naI1\naatR.'))).toEqual(ordered);
    expect(read(pk('\x80\x02ccollections\nOrderedDict\n)RU\x01zK\x01s.'))).toEqual(ordered);
    expect(read(pk('\x80\x02c__builtin__\nbytes\n)R.'))).toEqual({ t: 'bytes', v: new Uint8Array(0) });
  });
});

describe('unsafe pickles', () => {
  it.each([
    ['GLOBAL os.system', pk("cos\nsystem\n(S'echo pwned'\ntR."), 'os.system'],
    ['GLOBAL posix.system', pk('\x80\x02cposix\nsystem\nU\x01x\x85R.'), 'posix.system'],
    ['Python 2 __builtin__.eval', pk("c__builtin__\neval\n(S'1'\ntR."), 'builtins.eval'],
    ['STACK_GLOBAL subprocess.Popen', pk('\x80\x04\x8c\x0asubprocess\x8c\x05Popen\x93.'), 'subprocess.Popen'],
    ['INST', pk("(S'x'\nios\nsystem\n."), 'os.system'],
    ['a custom class via NEWOBJ', pk('\x80\x02c__main__\nEvil\n)\x81.'), '__main__.Evil'],
    ['getattr on an allowed module', pk('\x80\x02cbuiltins\ngetattr\n.'), 'builtins.getattr'],
  ])('should refuse %s', (_name, bytes, qualname) => {
    expect(readPickle(bytes)).toEqual({ ok: false, problem: 'unsafe', detail: `unsafe pickle: ${qualname}` });
  });

  it('should refuse persistent ids and the extension registry, and out-of-band buffers', () => {
    expect(problemOf(pk('Pabc\n.'))).toBe('unsafe');
    expect(problemOf(pk('K\x01Q.'))).toBe('unsafe');
    expect(problemOf(pk('\x82\x01.'))).toBe('unsafe');
    expect(problemOf(pk('\x80\x05\x97.'))).toBe('unsupported');
  });

  it('should refuse an allowed class outside its data shape', () => {
    expect(problemOf(pk('\x80\x02cweb.utils\nStorage\n.'))).toBe('unsupported');
    expect(problemOf(pk('\x80\x02cweb.utils\nStorage\n)\x81}U\x01aK\x01sb.'))).toBe('unsupported');
    expect(problemOf(pk('ccopy_reg\n_reconstructor\n(c__main__\nX\nc__builtin__\nobject\nNtR.'))).toBe(
      'unsafe',
    );
    expect(problemOf(pk('\x80\x02cdecimal\nDecimal\n]\x85R.'))).toBe('unsupported');
  });

  it('should keep a strange global name out of the detail', () => {
    const result = readPickle(pk(`c${'\x01'.repeat(500)}\nx\n.`));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.detail.length).toBeLessThan(120);
  });
});

describe('limits: hostile input returns quickly', () => {
  const quick = (bytes: Uint8Array, problem: string) => {
    const started = performance.now();
    expect(problemOf(bytes)).toBe(problem);
    expect(performance.now() - started).toBeLessThan(2000);
  };

  it('should refuse declared lengths beyond the data without allocating', () => {
    quick(pk('X', u32(0xffffffff)), 'corrupt');
    quick(pk('\x8d', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 'corrupt');
    quick(pk('\x8e', [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), 'corrupt');
    quick(pk('T', u32(0x7fffffff)), 'corrupt');
    quick(pk('B', u32(0xffffffff)), 'corrupt');
  });

  it('should bound integer size', () => {
    quick(pk('\x8b', u32(0x7fffffff)), 'unsupported');
    quick(pk(`I${'9'.repeat(5000)}\n.`), 'unsupported');
  });

  it('should refuse 100k nested MARKs', () => {
    quick(pk('('.repeat(100_000), ']', 'e'.repeat(100_000), '.'), 'over-budget');
  });

  it('should refuse a 100k-deep nest of lists', () => {
    quick(pk(']'.repeat(100_000), 'a'.repeat(99_999), '.'), 'over-budget');
  });

  it('should refuse a memo "billion laughs" that expands to 2^100 values', () => {
    let body = ']q\x00';
    for (let i = 0; i < 100; i++)
      body += `h${String.fromCharCode(i)}h${String.fromCharCode(i)}\x86q${String.fromCharCode(i + 1)}`;
    quick(pk(body, '.'), 'over-budget');
  });

  it('should refuse a few KB that reuse one large string until its JSON would be gigabytes', () => {
    // One 1 MiB string, then a list of 5,000 memo references to it: 1 MiB stored, 5 GiB as JSON.
    const big = 'x'.repeat(1 << 20);
    const body = `X${String.fromCharCode(0, 0, 0x10, 0)}${big}q\x00](${'h\x00'.repeat(5000)}e.`;
    const started = performance.now();
    const result = readPickle(pk(body));
    expect(result).toMatchObject({
      ok: false,
      problem: 'over-budget',
      detail: 'decoded data exceeds 8 MiB (budgets.maxOutputBytes)',
    });
    expect(performance.now() - started).toBeLessThan(2000);
    // Under the budget it is read, shared, and its JSON view is as long as counted.
    const fits = readPickle(
      pk(`X${String.fromCharCode(0, 4, 0, 0)}${'y'.repeat(1024)}q\x00](${'h\x00'.repeat(7)}e.`),
    );
    expect(fits.ok && JSON.stringify(pyToJson(fits.value)).length).toBe(7 * 1026 + 8);
  });

  it('should apply custom limits', () => {
    expect(readPickle(pk(']]]aa.'), { maxDepth: 2 }).ok).toBe(false);
    expect(readPickle(pk(']]]aa.'), { maxDepth: 3 }).ok).toBe(true);
    expect(readPickle(pk('K\x01.'), { maxBytes: 2 })).toMatchObject({ ok: false, problem: 'over-budget' });
    expect(readPickle(pk('X\x05\x00\x00\x00hello.'), { maxOutputBytes: 6 })).toMatchObject({
      ok: false,
      problem: 'over-budget',
    });
    expect(readPickle(pk('(K\x01K\x02K\x03l.'), { maxItems: 2 }).ok).toBe(false);
    expect(readPickle(pk(']q\x00q\x01q\x02.'), { maxMemo: 2 }).ok).toBe(false);
  });
});

describe('JSON view', () => {
  it('should map every kind as documented', () => {
    const tz: PyTimezone = { t: 'timezone', offsetMicroseconds: 19_800_000_000 };
    const value: PyValue = {
      t: 'dict',
      entries: [
        [str('big'), int(2n ** 70n)],
        [str('nan'), { t: 'float', v: Number.NaN }],
        [str('inf'), { t: 'float', v: Number.NEGATIVE_INFINITY }],
        [str('text'), { t: 'bytes', v: Buffer.from('héllo') }],
        [str('binary'), { t: 'bytes', v: Uint8Array.from([0xff, 0x00]) }],
        [str('py2'), { t: 'bytes', v: Uint8Array.from([0xe9]), py2str: true }],
        [str('td'), { t: 'timedelta', days: -1, seconds: 86399, microseconds: 500000 }],
        [str('tz'), tz],
        [str('time'), { t: 'time', hour: 8, minute: 0, second: 0, microsecond: 5, fold: 0, tz }],
        [str('set'), { t: 'set', items: [int(1)] }],
        [int(3), str('int key')],
        [{ t: 'none' }, str('none key')],
        [{ t: 'tuple', items: [int(1), str('a')] }, str('tuple key')],
        [{ t: 'float', v: 1e16 }, str('float key')],
        [{ t: 'date', year: 2024, month: 1, day: 2 }, str('date key')],
      ],
    };
    expect(pyToJson(value)).toEqual({
      big: '1180591620717411303424',
      nan: 'NaN',
      inf: '-Infinity',
      text: 'héllo',
      binary: '/wA=',
      py2: 'é',
      td: -0.5,
      tz: 'UTC+05:30',
      time: '08:00:00.000005+05:30',
      set: [1],
      '3': 'int key',
      None: 'none key',
      "(1, 'a')": 'tuple key',
      '1e+16': 'float key',
      'datetime.date(2024, 1, 2)': 'date key',
    });
  });

  it('should report every lossy choice', () => {
    const notes: string[] = [];
    pyToJson(
      { t: 'list', items: [{ t: 'bytes', v: Uint8Array.from([0xff]) }, int(2n ** 60n)] },
      (path, what) => notes.push(`${path} ${what}`),
    );
    expect(notes).toEqual([
      '/0 bytes that are not UTF-8 are shown as base64',
      '/1 an integer beyond 2^53 is shown as a decimal string',
    ]);
  });

  it('should make a __proto__ key an own property of a plain object', () => {
    const view = pyToJson(read(pk('}(U\x09__proto__}U\x01xK\x01sU\x0bconstructorK\x02u.'))) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(view)).toBe(Object.prototype);
    expect(Object.hasOwn(view, '__proto__')).toBe(true);
    expect(Object.keys(view)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(view)).toBe('{"__proto__":{"x":1},"constructor":2}');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('should print floats as Python repr does', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [-0, '-0.0'],
      [0.1, '0.1'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [1e-4, '0.0001'],
      [1e-5, '1e-05'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [123456.789, '123456.789'],
    ];
    for (const [value, repr] of cases) expect(pyFloatRepr(value)).toBe(repr);
    expect(pyRepr({ t: 'timedelta', days: 0, seconds: 0, microseconds: 0 })).toBe('datetime.timedelta(0)');
  });

  it('should turn new JSON into Python values', () => {
    expect(jsonToPy({ a: [1, 1.5, 2 ** 60, null, true, 'x'] })).toEqual({
      t: 'dict',
      entries: [
        [
          str('a'),
          {
            t: 'list',
            items: [
              int(1),
              { t: 'float', v: 1.5 },
              { t: 'float', v: 2 ** 60 },
              { t: 'none' },
              { t: 'bool', v: true },
              str('x'),
            ],
          },
        ],
      ],
    });
  });
});

describe('writer', () => {
  it('should write the FORMATS §2.5 protocol 2 layout, byte for byte', () => {
    const value: PyValue = {
      t: 'dict',
      entries: [
        [str('user_id'), int(7)],
        [str('name'), str('Zoë')],
        [str('big'), int(2n ** 70n)],
        [str('neg'), int(-5)],
        [str('f'), { t: 'float', v: 1.5 }],
        [str('tup'), { t: 'tuple', items: [int(1), { t: 'list', items: [] }] }],
        [str('none'), { t: 'none' }],
      ],
    };
    const expected = pk(
      '\x80\x02}(',
      'U\x07user_idK\x07',
      'U\x04nameX',
      u32(4),
      [0x5a, 0x6f, 0xc3, 0xab],
      'U\x03big\x8a\x09',
      [0, 0, 0, 0, 0, 0, 0, 0, 0x40],
      'U\x03negJ\xfb\xff\xff\xff',
      'U\x01fG\x3f\xf8\x00\x00\x00\x00\x00\x00',
      'U\x03tupK\x01]\x86',
      'U\x04noneN',
      'u.',
    );
    expect(Buffer.from(writePickle(value))).toEqual(Buffer.from(expected));
  });

  it('should refuse values no Python could hold', () => {
    expect(() => writePickle({ t: 'date', year: 2024, month: 13, day: 1 })).toThrow(RangeError);
    expect(() => writePickle({ t: 'decimal', v: 'abc' })).toThrow(RangeError);
    expect(() => writePickle({ t: 'timezone', offsetMicroseconds: 86_400_000_000 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Arbitrary PyValue trees
// ---------------------------------------------------------------------------------------------------------

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 6 }),
  fc.string({ maxLength: 12 }),
);
const tzArb: fc.Arbitrary<PyTimezone> = fc
  .tuple(fc.integer({ min: -86_399_999_999, max: 86_399_999_999 }), fc.option(textArb, { nil: undefined }))
  .map(([offsetMicroseconds, name]) =>
    name === undefined ? { t: 'timezone', offsetMicroseconds } : { t: 'timezone', offsetMicroseconds, name },
  );
const clockArb = fc.record({
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  microsecond: fc.integer({ min: 0, max: 999_999 }),
  fold: fc.constantFrom<0 | 1>(0, 1),
  tz: fc.option(tzArb, { nil: null }),
});
const dateArb = fc
  .tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
  .map(([year, month, day]) => ({ year, month, day: Math.min(day, daysIn(year, month)) }));
/** Decimals in the form `str(Decimal)` prints, so Python's str() of the loaded value is the same text. */
const decimalArb = fc.oneof(
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1E+3', '-0'),
  fc
    .tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 5 }), fc.boolean())
    .map(([coefficient, scale, negativeZero]) => {
      const digits = (coefficient < 0n ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
      const sign = coefficient < 0n || (coefficient === 0n && negativeZero) ? '-' : '';
      return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    }),
);

const leafArb: fc.Arbitrary<PyValue> = fc.oneof(
  fc.constant<PyValue>({ t: 'none' }),
  fc.boolean().map((v): PyValue => ({ t: 'bool', v })),
  fc
    .oneof(fc.bigInt({ min: -300n, max: 70_000n }), fc.bigInt({ min: -(2n ** 600n), max: 2n ** 600n }))
    .map((v): PyValue => ({ t: 'int', v })),
  fc.double().map((v): PyValue => ({ t: 'float', v })),
  textArb.map((v): PyValue => ({ t: 'str', v })),
  fc.uint8Array({ maxLength: 24 }).map((v): PyValue => ({ t: 'bytes', v })),
  fc.tuple(dateArb, clockArb).map(([date, clock]): PyValue => ({ t: 'datetime', ...date, ...clock })),
  dateArb.map((date): PyValue => ({ t: 'date', ...date })),
  clockArb.map((clock): PyValue => ({ t: 'time', ...clock })),
  fc
    .record({
      days: fc.integer({ min: -999_999_999, max: 999_999_999 }),
      seconds: fc.integer({ min: 0, max: 86_399 }),
      microseconds: fc.integer({ min: 0, max: 999_999 }),
    })
    .map((td): PyValue => ({ t: 'timedelta', ...td })),
  tzArb,
  decimalArb.map((v): PyValue => ({ t: 'decimal', v })),
);

const { value: pyValueArb } = fc.letrec<{ value: PyValue; hashable: PyValue }>((tie) => ({
  hashable: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('hashable'), { maxLength: 3 }).map((items): PyValue => ({ t: 'tuple', items })),
    fc
      .uniqueArray(tie('hashable'), { maxLength: 3, selector: (v) => hashKey(v) })
      .map((items): PyValue => ({ t: 'frozenset', items })),
  ),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { maxLength: 4 }).map((items): PyValue => ({ t: 'list', items })),
    fc.array(tie('value'), { maxLength: 4 }).map((items): PyValue => ({ t: 'tuple', items })),
    fc
      .uniqueArray(tie('hashable'), { maxLength: 4, selector: (v) => hashKey(v) })
      .map((items): PyValue => ({ t: 'set', items })),
    fc
      .tuple(
        fc.uniqueArray(fc.tuple(tie('hashable'), tie('value')), {
          maxLength: 4,
          selector: ([k]) => hashKey(k),
        }),
        fc.constantFrom(undefined, 'Storage' as const, 'OrderedDict' as const),
      )
      .map(([entries, cls]): PyValue => (cls ? { t: 'dict', entries, cls } : { t: 'dict', entries })),
  ),
}));

describe('properties', () => {
  test.prop([pyValueArb], { numRuns: 500 })('readPickle(writePickle(v)) returns v', (value) => {
    expect(readPickle(writePickle(value))).toEqual({ ok: true, value });
  });

  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 2000 })(
    'readPickle never throws on any bytes',
    (bytes) => {
      const result = readPickle(bytes);
      expect(typeof result.ok).toBe('boolean');
    },
  );

  test.prop(
    [
      fc.array(fc.constantFrom(...'()]}lte.aKsuNq\x00h\x00\x85\x86\x87\x8f\x90\x91\x94012'), {
        maxLength: 300,
      }),
    ],
    {
      numRuns: 2000,
    },
  )('readPickle never throws on opcode soup', (ops) => {
    expect(typeof readPickle(Buffer.from(ops.join(''), 'latin1')).ok).toBe('boolean');
  });

  const corpus = loadFixtures()
    .filter((fixture) => fixture.stored.length < 2000 && !fixture.repr_wrapped && fixture.expect.ok)
    .map((fixture) => Buffer.from(fixture.stored, 'base64'));

  test.prop([fc.constantFrom(...corpus), fc.array(fc.nat(), { minLength: 1, maxLength: 8 })], {
    numRuns: 3000,
  })('readPickle never throws on bit-flipped real pickles', (bytes, flips) => {
    const copy = Uint8Array.from(bytes);
    for (const flip of flips) copy[(flip >> 3) % copy.length]! ^= 1 << (flip & 7);
    const result = readPickle(copy);
    expect(typeof result.ok).toBe('boolean');
  });

  it('should report every strict prefix of a real pickle as corrupt', () => {
    for (const bytes of corpus) {
      for (let end = 0; end < bytes.length; end++) {
        const result = readPickle(bytes.subarray(0, end));
        expect(result.ok ? 'ok' : result.problem).toBe('corrupt');
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Real Python
// ---------------------------------------------------------------------------------------------------------

describe('fixtures written by real Python (generate.py)', () => {
  const fixtures = loadFixtures();

  it.each(fixtures.filter((fixture) => fixture.expect.ok).map((fixture) => [fixture.name, fixture] as const))(
    'should read %s as Python loaded it',
    (_name, fixture) => {
      const text = fixture.repr_wrapped ? fixture.stored.slice(2, -1).replace(/\\n/g, '\n') : fixture.stored;
      const value = read(Buffer.from(text, 'base64'));
      expect(canonical(toTagged(value))).toEqual(canonical((fixture.expect as { value: Tagged }).value));
    },
  );

  it.each(
    fixtures.filter((fixture) => !fixture.expect.ok).map((fixture) => [fixture.name, fixture] as const),
  )('should refuse %s as unsafe', (_name, fixture) => {
    const result = readPickle(Buffer.from(fixture.stored, 'base64'));
    expect(result).toEqual({
      ok: false,
      problem: 'unsafe',
      detail: `unsafe pickle: ${(fixture.expect as { global: string }).global}`,
    });
  });
});

describe(`our writer, loaded by ${PYTHON} and web.py`, () => {
  it('should be loaded by Python with the same values and types, for 400 arbitrary trees', () => {
    const values = fc.sample(
      pyValueArb.map((value): PyValue => ({ t: 'dict', entries: [[str('v'), value]] })),
      { numRuns: 400, seed: 20240229 },
    );
    const loaded = pythonLoad(values.map((value) => Buffer.from(writePickle(value)).toString('base64')));
    values.forEach((value, i) => {
      const answer = loaded[i]!;
      if (!answer.ok) throw new Error(`Python could not load ${pyRepr(value)}: ${answer.error}`);
      expect(canonical(answer.value)).toEqual(canonical(toTagged(value)));
    });
  });

  it('should be loaded by Python for every Python-written fixture value, rewritten', () => {
    const fixtures = loadFixtures().filter((fixture) => fixture.expect.ok && !fixture.py2);
    const trees = fixtures.map((fixture) => {
      const text = fixture.repr_wrapped ? fixture.stored.slice(2, -1).replace(/\\n/g, '\n') : fixture.stored;
      return read(Buffer.from(text, 'base64'));
    });
    const loaded = pythonLoad(trees.map((tree) => Buffer.from(writePickle(tree)).toString('base64')));
    trees.forEach((tree, i) => {
      const answer = loaded[i]!;
      expect(answer.ok).toBe(true);
      expect(answer.ok && canonical(answer.value)).toEqual(canonical(toTagged(tree)));
    });
  });

  it('should deduplicate set items and dict keys exactly as Python does', () => {
    const utc: PyTimezone = { t: 'timezone', offsetMicroseconds: 0 };
    const plusOne: PyTimezone = { t: 'timezone', offsetMicroseconds: 3_600_000_000, name: 'CET' };
    const at = (hour: number, tz: PyTimezone | null): PyValue => ({
      t: 'datetime',
      year: 2024,
      month: 1,
      day: 1,
      hour,
      minute: 0,
      second: 0,
      microsecond: 0,
      fold: 0,
      tz,
    });
    const items: PyValue[] = [
      int(1),
      { t: 'float', v: 1 },
      { t: 'bool', v: true },
      { t: 'decimal', v: '1.000' },
      { t: 'float', v: 0.5 },
      { t: 'decimal', v: '0.50' },
      { t: 'float', v: 0.1 },
      { t: 'decimal', v: '0.1' },
      { t: 'decimal', v: '0.1000000000000000055511151231257827021181583404541015625' },
      { t: 'decimal', v: '-0' },
      { t: 'bool', v: false },
      { t: 'float', v: Number.POSITIVE_INFINITY },
      { t: 'decimal', v: 'Infinity' },
      at(12, utc),
      at(13, plusOne),
      at(12, null),
      { t: 'timezone', offsetMicroseconds: 3_600_000_000 },
      plusOne,
      { t: 'tuple', items: [int(2), str('x')] },
      { t: 'tuple', items: [{ t: 'float', v: 2 }, str('x')] },
      { t: 'frozenset', items: [int(1), int(2)] },
      { t: 'frozenset', items: [int(2), int(1)] },
    ];
    const pickled = pk(
      '\x80\x02c__builtin__\nset\n',
      [...writePickle({ t: 'list', items }).subarray(2, -1)],
      '\x85R.',
    );
    const ours = read(pickled) as { items: PyValue[] };
    const [python] = pythonLoad([Buffer.from(pickled).toString('base64')]);
    expect(python?.ok && (python.value as { items: unknown[] }).items.length).toBe(ours.items.length);
    expect(ours.items).toHaveLength(11);
  });

  it('should write non-ASCII Python 2 strings as text Python 3 loads', () => {
    const tree: PyValue = {
      t: 'dict',
      entries: [
        [str('utf8'), { t: 'bytes', v: Buffer.from('café'), py2str: true }],
        [str('latin1'), { t: 'bytes', v: Uint8Array.from([0xe9]), py2str: true }],
      ],
    };
    const [answer] = pythonLoad([Buffer.from(writePickle(tree)).toString('base64')]);
    expect(answer).toMatchObject({
      ok: true,
      value: {
        entries: [
          ['utf8', 'café'],
          ['latin1', 'é'],
        ],
      },
    });
  });
});
