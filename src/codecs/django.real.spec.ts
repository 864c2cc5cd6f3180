/**
 * The Django codec against real Django 3.2: the corpus it wrote (fixtures/django/corpus.json) read and
 * written byte for byte, and Django itself (`generate.py --decode`, `--encode`) loading what the encoder
 * writes. Shared pieces in django.testing.ts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import * as fc from 'fast-check'; // not @fast-check/vitest: see django.testing.ts
import { describe, expect, it } from 'vitest';
import { createDjangoCodec, djangoEncoderIsByteExact, djangoSessionAuthHash } from './django.ts';
import {
  AUTH,
  anyText,
  type CorpusRow,
  codec,
  codecFor,
  corpus,
  expectOk,
  FIXTURES,
  NOW,
  orderedKey,
  SECRET,
  sessionDict,
  viaJson,
} from './django.testing.ts';
import type { JsonObject, JsonValue } from './result.ts';

const GENERATOR = join(FIXTURES, 'generate.py');
const PYTHON = '/usr/bin/python3';

interface DjangoLoad {
  data: JsonObject;
  corrupted: boolean;
}

/** Real Django 3.2 (`generate.py --decode`): what SessionStore().decode returns for each row. */
function djangoLoads(rows: Array<{ session_data: string; secret?: string; store?: string }>): DjangoLoad[] {
  const result = spawnSync(PYTHON, [GENERATOR, '--decode'], {
    input: rows.map((row) => JSON.stringify(row)).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (result.status !== 0) throw new Error(`generate.py --decode failed: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  expect(lines).toHaveLength(rows.length);
  return lines.map((line) => JSON.parse(line) as DjangoLoad);
}

/**
 * Sessions that Python prints exactly as JS does: keys in insertion order (no integer-like keys) and numbers
 * that are integers or floats between 1e-4 and 1e15 (outside that, Python writes 1e-05 and 1e+16).
 */
const pythonPrintable: fc.Arbitrary<JsonObject> = fc.letrec<{ value: JsonValue; object: JsonObject }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ min: 1e-4, max: 1e15, noNaN: true }),
      anyText,
      fc.array(tie('value'), { maxLength: 5 }),
      tie('object'),
    ),
    object: fc.dictionary(orderedKey, tie('value'), { maxKeys: 6 }),
  }),
).object;

// ------------------------------------------------------------------------------------------------ corpus

describe(`corpus written by Django ${corpus.django}`, () => {
  const jsonRows = corpus.rows.filter((row) => row.serializer === 'json');

  it.each(jsonRows.map((row) => [row.name, row] as const))(
    'should decode %s to what Django loaded',
    (_, row) => {
      const value = expectOk(codecFor(row.store).decode(row.session_data));
      expect(value.data).toEqual(row.loaded);
      expect(value.format).toBe(row.format);
      expect(value.compressed).toBe(row.compressed);
      expect(value.signedAt).toEqual(row.signed_at === null ? null : new Date(row.signed_at * 1000));
      expect(value.keyIndex).toBe(row.secret === SECRET ? 0 : 1);
    },
  );

  it.each(corpus.rows.map((row) => [row.name, row] as const))(
    'should call %s tampered under a wrong key',
    (_, row) => {
      const result = codecFor(row.store, { secretKey: 'not-the-key', fallbackKeys: ['nor-this-one'] }).decode(
        row.session_data,
      );
      expect(result).toMatchObject({ ok: false, problem: 'tampered' });
    },
  );

  it('should not read a custom store with the default salt, nor the default store with a custom salt', () => {
    for (const row of corpus.rows.filter((candidate) => candidate.serializer === 'json')) {
      const other = codecFor(row.store === 'custom' ? 'default' : 'custom');
      expect(other.decode(row.session_data)).toMatchObject({ ok: false, problem: 'tampered' });
    }
  });

  it('should report pickle-serialized rows as unsupported', () => {
    const pickled = corpus.rows.filter((row) => row.serializer === 'pickle');
    expect(pickled.map((row) => row.format).sort()).toEqual(['legacy', 'signed']);
    for (const row of pickled) {
      expect(codec.decode(row.session_data)).toEqual({
        ok: false,
        problem: 'unsupported',
        detail: 'pickle serializer',
      });
    }
  });

  /** The JSON text Django serialized for a row: the payload after base64 (and inflate), or after the legacy hash. */
  const djangoJson = (row: CorpusRow): string => {
    if (row.format === 'legacy') {
      const bytes = Buffer.from(row.session_data.replace(/\s+/g, ''), 'base64');
      return bytes.subarray(bytes.indexOf(0x3a) + 1).toString('latin1');
    }
    const body = row.session_data.slice(0, row.session_data.indexOf(':'));
    return (
      row.compressed ? inflateSync(Buffer.from(body.slice(1), 'base64url')) : Buffer.from(body, 'base64url')
    ).toString('latin1');
  };
  /** JSON as this JS encoder is meant to print it (an independent one-liner from FORMATS.md, plus DEL). */
  const jsJson = (data: JsonObject) =>
    JSON.stringify(data).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  // Python prints some floats its own way (1e-07, 5.0, -0.0); JS reads them fine but prints 1e-7, 5 and 0.
  const samePrint = jsonRows.filter((row) => jsJson(row.input) === djangoJson(row));
  const otherPrint = jsonRows.filter((row) => jsJson(row.input) !== djangoJson(row));

  it('should print JSON like Python except for float formatting', () => {
    expect(samePrint.length).toBeGreaterThan(25);
    expect(otherPrint.map((row) => row.name)).toEqual(['scalars', 'large-cart', 'legacy-large']);
    for (const row of otherPrint)
      expect(JSON.parse(jsJson(row.input))).toEqual(viaJson(JSON.parse(djangoJson(row))));
  });

  it('should encode every current-format row byte for byte as Django did', () => {
    expect(djangoEncoderIsByteExact, 'add "pako": "2.1.0" to package.json').toBe(true);
    const rows = samePrint.filter((row) => row.format === 'signed' && row.algorithm === 'sha256');
    expect(rows.length).toBeGreaterThan(20);
    for (const row of rows) {
      const writer = createDjangoCodec({ secretKey: row.secret, salt: corpus.salts[row.store] });
      expect(writer.encode(row.input, new Date((row.signed_at ?? 0) * 1000)), row.name).toBe(
        row.session_data,
      );
    }
  });

  it('should encode rows with Python-printed floats to the same data', () => {
    for (const row of otherPrint) {
      expect(expectOk(codec.decode(codec.encode(row.input, NOW))).data).toEqual(viaJson(row.loaded));
    }
  });

  it('should encode every legacy JSON row byte for byte when writeLegacy is set', () => {
    const rows = samePrint.filter((row) => row.format === 'legacy' && !row.session_data.includes('\n'));
    expect(rows.length).toBeGreaterThan(4);
    for (const row of rows) {
      const writer = createDjangoCodec({
        secretKey: row.secret,
        legacySalt: corpus.salts[row.store === 'custom' ? 'custom_legacy' : 'default_legacy'],
        writeLegacy: true,
      });
      expect(writer.encode(row.input, NOW), row.name).toBe(row.session_data);
    }
  });

  it('should compute the auth hash Django computes', () => {
    for (const { password_hash, secret, hash } of corpus.auth_hashes) {
      expect(djangoSessionAuthHash(password_hash, secret)).toBe(hash);
    }
    for (const row of corpus.rows.filter((candidate) => candidate.password_hash !== undefined)) {
      expect(djangoSessionAuthHash(row.password_hash!, row.secret)).toBe(row.loaded?.['_auth_user_hash']);
    }
  });
});

// ------------------------------------------------------------------------------------------------ Django reads us

describe('real Django loads what the encoder writes', () => {
  const handPicked: JsonObject[] = [
    {},
    AUTH,
    { name: 'Zoë', emoji: '😀🎉', astral: '𝄞', rtl: 'עברית', cjk: '日本語', '😀': ['ключ'] },
    {
      lone: '\ud800x\udfff',
      del: '\u007f',
      controls: '\u0000\u001f\b\f\n\r\t',
      quote: '"\\/',
      sep: '\u2028\u2029',
    },
    JSON.parse('{"__proto__":{"polluted":true},"constructor":"c","toString":1}') as JsonObject,
    { deep: JSON.parse('['.repeat(200) + ']'.repeat(200)) as JsonValue },
    { numbers: [0, -1, 2 ** 53 - 1, -(2 ** 53), 1.5, 0.1, 1e-7, 1e21, 1.7976931348623157e308, 5e-324] },
    {
      cart: Array.from({ length: 300 }, (_, i) => ({ sku: `SKU-${i}`, qty: i % 7, title: 'Tee — größe M' })),
    },
    { big: 'x'.repeat(200_000) },
    { _session_expiry: 0, _auth_user_id: '1' },
  ];
  const generated = fc.sample(sessionDict, { numRuns: 300, seed: 20240611 });

  it('should load every session with the same data, non-ASCII included', () => {
    const sessions = [...handPicked, ...generated];
    const rows = sessions.map((data) => ({ session_data: codec.encode(data, NOW), secret: SECRET }));
    const loads = djangoLoads(rows);
    loads.forEach((load, index) => {
      expect(load.corrupted, `session ${index}`).toBe(false);
      expect(load.data, `session ${index}`).toEqual(viaJson(sessions[index]));
    });
  });

  it('should write byte for byte what Django writes for the same dict (needs pako 2.1.0)', () => {
    expect(djangoEncoderIsByteExact, 'add "pako": "2.1.0" to package.json').toBe(true);
    const sessions = [AUTH, ...fc.sample(pythonPrintable, { numRuns: 300, seed: 7 })];
    const times = sessions.map((_, index) => 1_600_000_000 + index * 86_413);
    const result = spawnSync(PYTHON, [GENERATOR, '--encode'], {
      input: sessions.map((input, index) => JSON.stringify({ input, at: times[index] })).join('\n') + '\n',
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(result.status, result.stderr).toBe(0);
    const written = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { session_data: string }).session_data);
    expect(written).toHaveLength(sessions.length);
    for (const [index, data] of sessions.entries()) {
      expect(codec.encode(data, new Date(times[index]! * 1000)), JSON.stringify(data)).toBe(written[index]);
    }
  });

  it('should write sessions Django loads in the legacy format too', () => {
    const writer = createDjangoCodec({ secretKey: SECRET, writeLegacy: true });
    const sessions = [...handPicked.slice(0, 5), ...generated.slice(0, 50)];
    const loads = djangoLoads(
      sessions.map((data) => ({ session_data: writer.encode(data, NOW), secret: SECRET })),
    );
    for (const [index, load] of loads.entries()) expect(load.data).toEqual(viaJson(sessions[index]));
  });

  it('should sign with the primary secret only, never a fallback', () => {
    const writer = createDjangoCodec({ secretKey: 'new-secret', fallbackKeys: [SECRET] });
    const row = writer.encode(AUTH, NOW);
    const [underNew, underOld] = djangoLoads([
      { session_data: row, secret: 'new-secret' },
      { session_data: row, secret: SECRET },
    ]);
    expect(underNew).toEqual({ data: AUTH, corrupted: false });
    expect(underOld?.data).toEqual({}); // Django's empty session: the signature did not verify
  });

  it('should write timestamps Django reads, before 1970 too', () => {
    const times = [
      new Date(0),
      new Date(-86_400_000 * 365),
      new Date(4_102_444_800_000),
      new Date(1_700_000_000_999),
    ];
    const rows = times.map((time) => codec.encode({ at: time.toISOString() }, time));
    djangoLoads(rows.map((row) => ({ session_data: row }))).forEach((load, index) => {
      expect(load).toEqual({ data: { at: times[index]!.toISOString() }, corrupted: false });
    });
    rows.forEach((row, index) => {
      expect(expectOk(codec.decode(row)).signedAt).toEqual(
        new Date(Math.trunc(times[index]!.getTime() / 1000) * 1000),
      );
    });
  });
});
