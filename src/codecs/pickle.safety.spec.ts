/**
 * What the pickle reader lets in and what it refuses: the allow-listed classes (FORMATS §8.3), unsafe
 * pickles, and hostile input within limits.
 */
import { describe, expect, it } from 'vitest';
import { parsePyInt } from './pickle/literals.ts';
import { pyToJson, readPickle, sessionView } from './pickle.ts';
import { int, pk, problemOf, read, str, u32 } from './pickle.testing.ts';

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

  it('should read protocol-0 lines of megabytes in one pass, not a string node per byte', () => {
    // An 8 MB INT line made a rope of one 33-byte node per digit: 260 MB of heap, past the server's 256 MB.
    quick(pk(`I${'1'.repeat(8_000_000)}\n.`), 'unsupported');
    quick(pk(`p${'1'.repeat(8_000_000)}\n.`), 'unsupported');
    quick(pk(`S'${'a'.repeat(9_000_000)}'\n.`), 'over-budget');
    const started = performance.now();
    const escaped = readPickle(pk(`V${'\\u0041'.repeat(1_000_000)}\\U0001f600\\ud800\\\\u0041\n.`));
    expect(escaped).toEqual({ ok: true, value: str(`${'A'.repeat(1_000_000)}\u{1f600}\ud800\\\\u0041`) });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('should read binary and octal literals as long as their digits are within the budget', () => {
    // Binary and octal digits count 0.4 of a decimal digit each against maxDigits.
    expect(parsePyInt(`0b${'1'.repeat(10_000)}`, 0, 4300)).toBe(2n ** 10_000n - 1n);
    expect(parsePyInt(`-0o${'7'.repeat(9_000)}`, 0, 4300)).toBe(-(8n ** 9_000n - 1n));
    expect(() => parsePyInt(`0b${'1'.repeat(11_000)}`, 0, 4300)).toThrow('longer than 4300 digits');
  });

  it('should check a million small containers in about the time of a million leaves', () => {
    // The check of the result kept a map entry, a set entry, a frame and a stats object for every container:
    // a million empty dicts took 5 times a million Nones, and 1.8 s as a Flask row in the server's heap.
    const listOf = (item: string) => pk(']', `(${item.repeat(1000)}e`.repeat(999), '.');
    const fastest = (bytes: Uint8Array) =>
      Math.min(
        ...[0, 1].map(() => {
          const started = performance.now();
          expect(problemOf(bytes)).toBe('ok');
          return performance.now() - started;
        }),
      );
    const leaves = fastest(listOf('N'));
    for (const empty of ['}', ']', ')']) expect(fastest(listOf(empty))).toBeLessThan(3 * leaves + 50);
  });

  it('should cut the path a note repeats, not the key a memo shares at every level of it', () => {
    // One 1 MB key, memoized, keys seven nested dicts; twenty NaNs below each got a note with the whole
    // path: 140 MB of notes from 1 MB of pickle, within every budget.
    const key = ['X', u32(1_000_000), 'k'.repeat(1_000_000), '\x940'];
    const nan = ['G', [0x7f, 0xf8, 0, 0, 0, 0, 0, 0]];
    const levels = Array.from({ length: 7 }, () => '}h\x00');
    const body = pk(
      ...key,
      ...levels,
      '](',
      ...Array.from({ length: 25 }, () => nan).flat(),
      'e',
      's'.repeat(7),
      '.',
    );
    const { notes } = sessionView(read(body));
    expect(notes).toHaveLength(21);
    expect(notes.join('; ').length).toBeLessThan(10_000);
    expect(notes[0]).toMatch(/^\/k{199}…: the float nan is shown as a string$/);
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

  it('should print a tuple key of millions of characters in runs, escaped as repr escapes it', () => {
    // The key's repr tested every character against a Unicode-class pattern: 3 s for 7 million.
    const started = performance.now();
    const long = readPickle(pk('}', 'X', u32(7_000_000), 'k'.repeat(7_000_000), '\x85Ns.'));
    const keys = long.ok ? Object.keys(pyToJson(long.value) as object) : [];
    expect(keys.map((key) => key.length)).toEqual([7_000_000 + 5]);
    expect(performance.now() - started).toBeLessThan(2000);
    const keyOf = (text: string) => {
      const utf8 = Buffer.from(text, 'utf8').toString('latin1');
      const read = readPickle(pk('}', 'X', u32(utf8.length), utf8, '\x85Ns.'));
      return read.ok ? Object.keys(pyToJson(read.value) as object)[0] : null;
    };
    // As Python 3 prints them: repr(("a'b\x00\u2028 c\\\t",)) and repr(('plain \U0010ffff \xa0',)).
    expect(keyOf("a'b\u0000\u2028 c\\\t")).toBe(`("a'b\\x00\\u2028 c\\\\\\t",)`);
    expect(keyOf('plain \u{10ffff} \u00a0')).toBe("('plain \\U0010ffff \\xa0',)");
  });

  it('should encode a text with a lone surrogate (_codecs.encode) into bytes, not an array of numbers', () => {
    // surrogatepass encoding built a plain array, 8 bytes of heap a byte: 91 MB for these 5 MB, and over the
    // server's 256 MB heap for the 12 MB the input budget allows.
    const text = `\xed\xa0\x80${'k'.repeat(5_000_000)}`;
    const pickle = pk('\x80\x02c_codecs\nencode\nX', u32(text.length), text, 'X', u32(5), 'utf-8', '\x86R.');
    const heapBefore = process.memoryUsage().heapUsed;
    const encoded = readPickle(pickle);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);
    expect(encoded.ok && encoded.value.t === 'bytes' && Buffer.from(encoded.value.v).subarray(0, 4)).toEqual(
      Buffer.from([0xed, 0xa0, 0x80, 0x6b]),
    );
  });

  it('should key dicts and sets by nested tuples and frozensets in time linear in the pickle', () => {
    // Each level's key used to escape the one below it in JSON: 40 bytes of nested tuples made a 2^30
    // character key, and 30 levels of (t, t) shared through the memo one of 2^30 parts.
    const keyed = (key: string) => `}${key}Ns.`;
    const nested = readPickle(pk(keyed(`\x8c\x01a${'\x85'.repeat(60)}`)));
    expect(nested.ok).toBe(true);
    let doubled = '\x8c\x01aq\x000';
    for (let i = 0; i < 30; i++)
      doubled += `h${String.fromCharCode(i)}h${String.fromCharCode(i)}\x86q${String.fromCharCode(i + 1)}0`;
    quick(pk('\x80\x02', keyed(`${doubled}h\x1e`)), 'over-budget');
    let frozen = '\x80\x04\x8c\x01aq\x000';
    for (let i = 0; i < 30; i++) {
      const get = `h${String.fromCharCode(i)}`;
      frozen += `(${get}K\x00\x86${get}K\x01\x86\x91q${String.fromCharCode(i + 1)}0`;
    }
    quick(pk(keyed(`${frozen}h\x1e`)), 'over-budget');
    // Keys that differ deep inside still differ.
    const two = read(pk(`}(\x8c\x01a${'\x85'.repeat(60)}N\x8c\x01b${'\x85'.repeat(60)}Nu.`));
    expect(two.t === 'dict' && two.entries.length).toBe(2);
  });

  it('should key a set by one long string or big int met 20,000 times through the memo once', () => {
    // 100 KB of pickle: each item used to copy the 64 KB string (or print the 4,000-digit int) again.
    const started = performance.now();
    const text = `X${String.fromCharCode(0, 0, 1, 0)}${'x'.repeat(1 << 16)}q\x00`;
    const long = readPickle(pk('\x80\x04\x8f', text, '0(', 'h\x00'.repeat(20_000), '\x90.'));
    expect(long.ok && long.value.t === 'set' && long.value.items).toEqual([str('x'.repeat(1 << 16))]);
    const big = readPickle(
      pk('\x80\x02\x8f\x8b', u32(1700), '\x01'.repeat(1700), 'q\x000(', 'h\x00'.repeat(20_000), '\x90.'),
    );
    expect(big.ok && big.value.t === 'set' && big.value.items.length).toBe(1);
    expect(performance.now() - started).toBeLessThan(2000);
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
