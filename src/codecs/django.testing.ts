/**
 * What the django*.spec.ts files share: the corpus real Django wrote (fixtures/django/corpus.json, made by
 * generate.py), the FORMATS.md test vectors, the codec they are read with, and fast-check arbitraries for
 * session dicts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// `fc` is fast-check itself, the very module @fast-check/vitest re-exports: importing @fast-check/vitest costs
// each test file some 2 s, which the spec files that run no `test.prop` need not pay.
import * as fc from 'fast-check';
import { createDjangoCodec, type DjangoCodec } from './django.ts';
import type { JsonObject, JsonValue } from './result.ts';

// ------------------------------------------------------------------------------------------------ fixtures

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'django');

export interface CorpusRow {
  name: string;
  input: JsonObject;
  session_data: string;
  secret: string;
  store: 'default' | 'custom';
  format: 'signed' | 'legacy';
  compressed: boolean;
  signed_at: number | null;
  algorithm: 'sha256' | 'sha1';
  serializer: 'json' | 'pickle';
  loaded?: JsonObject;
  password_hash?: string;
}
export interface Corpus {
  django: string;
  secret: string;
  other_secret: string;
  now: number;
  salts: { default: string; default_legacy: string; custom: string; custom_legacy: string };
  rows: CorpusRow[];
  auth_hashes: Array<{ password_hash: string; secret: string; hash: string }>;
}
export const corpus = JSON.parse(readFileSync(join(FIXTURES, 'corpus.json'), 'utf8')) as Corpus;
export const SECRET = corpus.secret;
export const NOW = new Date(corpus.now * 1000);

export const codecFor = (
  store: 'default' | 'custom',
  options: { secretKey?: string; fallbackKeys?: string[] } = {},
) =>
  createDjangoCodec({
    secretKey: options.secretKey ?? SECRET,
    fallbackKeys: options.fallbackKeys ?? [corpus.other_secret],
    ...(store === 'custom' ? { salt: corpus.salts.custom, legacySalt: corpus.salts.custom_legacy } : {}),
  });
export const codec = codecFor('default');

/** FORMATS.md section 1.4 / 1.5 test vectors (Django 3.2.25, SECRET_KEY="test-secret-key", time 1700000000). */
export const VECTORS = {
  tiny: 'eyJhIjoxfQ:1r31eq:mvqAFpOL1fZXbE9_M4qDR7eYKgZG_5R2MwsvV9eChd8',
  auth:
    '.eJxVjEEOwiAQRe_C2hAg0wIu3XsGMgOMVA1NSrtqvLs06UK3773_dxFwW0vYWl7ClMRVgBGXX0gYX7keJj2xPmYZ57ouE8kjkadt8j6n_L6d7d9B' +
    'wVb6mhkMUwSKUTnM2ptsPYwWB60cZIqePHdiEzLzAD4x2dFoBboD78TnCzACOOU:1r31eq:9eQgMxg26e5CsFzXnH3LMgPoZO6aO9-jCIm0j-EWECk',
  legacy:
    'MTgxNDQ3OWExZTc0NTMzNzgxNGQzYWE2YzkxZDFiYjg2MDQyMDk1Nzp7Il9hdXRoX3VzZXJfaWQiOiI0MiIsIl9hdXRoX3VzZXJfYmFja2VuZCI6' +
    'ImRqYW5nby5jb250cmliLmF1dGguYmFja2VuZHMuTW9kZWxCYWNrZW5kIiwiX2F1dGhfdXNlcl9oYXNoIjoiZmY0MmZiYzRiY2MwOGFlMTkyZTc5NDY3' +
    'YTUxMDg0ZWJjOWI5Zjc5NDdkYWZmZjU0OWRmYjc2MjEwNDFhZmY5OCJ9',
};
export const AUTH: JsonObject = {
  _auth_user_id: '42',
  _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
  _auth_user_hash: 'ff42fbc4bcc08ae192e79467a51084ebc9b9f7947dafff549dfb7621041aff98',
};

// ------------------------------------------------------------------------------------------------ helpers

/** What a value looks like after a trip through JSON (-0 becomes 0); what Django hands back at best. */
export const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function expectOk(result: ReturnType<DjangoCodec['decode']>) {
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}: ${result.detail}`);
  return result.value;
}

/** UTF-16 code units of every kind: ASCII, Latin-1, BMP, astral pairs, lone surrogates, DEL and controls. */
export const anyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', '"', '\\', '/', '\u007f', '\u0000', '\n', '\u2028', 'é', '😀', '\ud800', '\udfff'),
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  ),
  maxLength: 40,
});
/** Keys that are not array indices, so JS keeps them in insertion order exactly like a Python dict. */
export const orderedKey = anyText.filter((key) => !/^(?:0|[1-9]\d*)$/.test(key));
const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    anyText,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(orderedKey, anyText, fc.constantFrom('__proto__', 'constructor', '0', '10')),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;
export const sessionDict: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.oneof(orderedKey, anyText, fc.constantFrom('__proto__', '_auth_user_id', '1')),
  jsonValue,
  { maxKeys: 8 },
);
