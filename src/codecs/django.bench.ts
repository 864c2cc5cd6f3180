/**
 * Decode throughput of the Django session codec, next to JSON.parse over the same payloads and next to Django's
 * own `SessionStore().decode` on the same rows (when /usr/bin/python3 has Django).
 *
 *   npx tsx src/codecs/django.bench.ts [rows=20000] [seconds=3]
 *
 * The corpus is what a busy `django_session` table holds: mostly logged-in sessions (auth triple, CSRF token,
 * expiry, a few app keys, compressed), some anonymous ones (small, often not compressed), about 5% large
 * (a cart or a wizard of a few KB to 20 KB). Rows are written by our encoder; Django reading them all is part of
 * the check below (its `nonempty` count must equal the row count).
 */
import { spawnSync } from 'node:child_process';
import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { createDjangoCodec, djangoSessionAuthHash, JS_INFLATE_MAX_BYTES } from './django.ts';
import { inflateZlib } from './inflate.ts';
import type { JsonObject, JsonValue } from './result.ts';
import { inflateWhole } from './zlib-handle.ts';

const SECRET = 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz';
const PYTHON = '/usr/bin/python3';
const GENERATOR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'django', 'generate.py');

const rowCount = Number(process.argv[2] ?? 20_000);
const seconds = Number(process.argv[3] ?? 3);
const ROUNDS = 3;

/** mulberry32: a small seeded PRNG so every run benchmarks the same rows. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20240611);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
const token = (length: number) => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[int(0, alphabet.length - 1)];
  return out;
};

function loggedIn(): JsonObject {
  const userId = String(int(1, 2_000_000));
  const session: JsonObject = {
    _auth_user_id: userId,
    _auth_user_backend: pick([
      'django.contrib.auth.backends.ModelBackend',
      'allauth.account.auth_backends.AuthenticationBackend',
    ]),
    _auth_user_hash: djangoSessionAuthHash(`pbkdf2_sha256$260000$${token(22)}$${token(43)}=`, SECRET),
  };
  if (random() < 0.5) session['_csrftoken'] = token(64);
  if (random() < 0.3) session['_session_expiry'] = pick([0, 3600, 86_400, 1_209_600]);
  if (random() < 0.3) session['django_language'] = pick(['en', 'de', 'fr', 'pt-br', 'ja']);
  if (random() < 0.2) session['last_seen'] = new Date(1_700_000_000_000 + int(0, 9e8) * 1000).toISOString();
  if (random() < 0.15) session['_messages'] = `[["__json_message",0,25,"Profile saved for ${userId}"]]`;
  if (random() < 0.1) session['recent_searches'] = Array.from({ length: int(1, 6) }, () => token(int(3, 12)));
  return session;
}

function anonymous(): JsonObject {
  return pick<() => JsonObject>([
    () => ({ testcookie: 'worked' }),
    () => ({ django_language: pick(['en', 'de', 'ñu']) }),
    () => ({ _csrftoken: token(64) }),
    () => ({ next: `/shop/${token(8)}/`, cart: [] }),
  ])();
}

function large(): JsonObject {
  const items: JsonValue[] = Array.from({ length: int(30, 250) }, (_, i) => ({
    sku: `SKU-${int(10_000, 99_999)}`,
    title: pick(['Blue mug', 'Tee — größe M', 'Notebook A5', 'Café beans 1kg', 'USB-C cable']),
    qty: int(1, 5),
    price: int(100, 99_999) / 100,
    line: i,
  }));
  return {
    ...loggedIn(),
    cart: items,
    wizard: { step: int(1, 5), answers: { a: token(200), b: token(200) } },
  };
}

function buildCorpus(count: number): JsonObject[] {
  const sessions: JsonObject[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    sessions.push(roll < 0.05 ? large() : roll < 0.17 ? anonymous() : loggedIn());
  }
  return sessions;
}

/** Best pass of CPU time (user + system) for `budget` seconds, so a busy moment skews the numbers less. */
function rate(run: () => number, budget = seconds / ROUNDS): number {
  run(); // warm up
  let best = 0;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(budget * 1e9));
  do {
    const started = process.cpuUsage();
    const rows = run();
    const used = process.cpuUsage(started);
    best = Math.max(best, rows / ((used.user + used.system) / 1e6));
  } while (process.hrtime.bigint() < deadline);
  return best;
}

function djangoRate(rows: string[]): { rowsPerSec: number; version: string } | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const result = spawnSync(PYTHON, [GENERATOR, '--bench'], {
    input: JSON.stringify({ secret: SECRET, rows, min_seconds: seconds / ROUNDS }),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) return `Django bench failed: ${result.stderr.trim().split('\n').pop()}`;
  const report = JSON.parse(result.stdout) as { rows_per_sec: number; nonempty: number; django: string };
  if (report.nonempty !== rows.length)
    throw new Error(`Django loaded only ${report.nonempty}/${rows.length} rows`);
  return { rowsPerSec: report.rows_per_sec, version: report.django };
}

const codec = createDjangoCodec({ secretKey: SECRET, fallbackKeys: ['an-old-secret'] });

/** The obvious decoder, for scale: createHmac, Buffer.from, inflateSync and JSON.parse per row. */
const naiveKey = createHash('sha256').update(`django.contrib.sessions.SessionStoresigner${SECRET}`).digest();
function naiveDecode(row: string): unknown {
  const sep = row.lastIndexOf(':');
  const value = row.slice(0, sep);
  const expected = Buffer.from(createHmac('sha256', naiveKey).update(value).digest('base64url'));
  const given = Buffer.from(row.slice(sep + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const body = value.slice(0, value.lastIndexOf(':'));
  const bytes = body.startsWith('.')
    ? inflateSync(Buffer.from(body.slice(1), 'base64url'), { maxOutputLength: 1 << 20 })
    : Buffer.from(body, 'base64url');
  return JSON.parse(bytes.toString('latin1'));
}
const now = new Date(1_700_000_000_000);
const allRows = buildCorpus(rowCount).map((session) => codec.encode(session, now));
/** The JSON text Django's serializer parses for a row (after base64 and inflate): the JSON.parse baseline. */
const payloadOf = (row: string) => {
  const body = row.slice(0, row.indexOf(':'));
  const bytes = body.startsWith('.')
    ? inflateSync(Buffer.from(body.slice(1), 'base64url'))
    : Buffer.from(body, 'base64url');
  return bytes.toString('latin1');
};

const LARGE = 1024; // session_data characters
const groups: Array<[string, string[]]> = [
  ['all rows', allRows],
  [`typical (< ${LARGE} chars)`, allRows.filter((row) => row.length < LARGE)],
  [`large (>= ${LARGE} chars)`, allRows.filter((row) => row.length >= LARGE)],
];

const compressedShare = allRows.filter((row) => row.startsWith('.')).length / allRows.length;
const meanJson = allRows.reduce((sum, row) => sum + payloadOf(row).length, 0) / allRows.length;
const meanRow = allRows.reduce((sum, row) => sum + row.length, 0) / allRows.length;
console.log(
  `corpus: ${allRows.length} rows, ${(compressedShare * 100).toFixed(1)}% compressed, ` +
    `mean session_data ${meanRow.toFixed(0)} chars, mean JSON ${meanJson.toFixed(0)} bytes; ` +
    `rates are rows per CPU-second, best pass of ${ROUNDS} alternating rounds per side (${seconds}s in all)`,
);
const format = (value: number) => Math.round(value).toLocaleString('en-US');
const header = [
  'rows',
  'count',
  'ours',
  'naive Node',
  'JSON.parse',
  'parts alone',
  'Django',
  'ours/Django',
  'parts/Django',
];

/** The three steps every decoder must take for a row, prepared so that only they are timed. */
interface Parts {
  signed: Buffer; // inner HMAC block: the padded key, then the signed part's bytes
  stream: Uint8Array | null; // the zlib stream, for compressed rows
  text: string; // the JSON text
}
const innerPad = Buffer.alloc(64, 0x36);
const outerBlock = Buffer.alloc(96, 0x5c);
for (let i = 0; i < 32; i++) {
  innerPad[i]! ^= naiveKey[i]!;
  outerBlock[i]! ^= naiveKey[i]!;
}
const partsOf = (row: string): Parts => {
  const value = row.slice(0, row.lastIndexOf(':'));
  const body = row.slice(0, row.indexOf(':'));
  return {
    signed: Buffer.concat([innerPad, Buffer.from(value, 'latin1')]),
    stream: body.startsWith('.') ? Buffer.from(body.slice(1), 'base64url') : null,
    text: payloadOf(row),
  };
};
function decodeParts(parts: Parts): unknown {
  outerBlock.write(hash('sha256', parts.signed, 'binary'), 64, 'latin1');
  hash('sha256', outerBlock, 'binary');
  const { stream } = parts;
  if (stream !== null) {
    if (stream.length <= JS_INFLATE_MAX_BYTES) inflateZlib(stream);
    else inflateWhole(stream, stream.length, 1 << 20);
  }
  return JSON.parse(parts.text);
}

function countFailures<T>(items: T[], ok: (item: T) => boolean): number {
  let failures = 0;
  for (const item of items) if (!ok(item)) failures++;
  return failures;
}

const table: string[][] = [];
let version = '';
for (const [name, rows] of groups) {
  const payloads = rows.map(payloadOf);
  const parts = rows.map(partsOf);
  const best = { ours: 0, naive: 0, baseline: 0, parts: 0, django: 0 };
  let djangoSkipped = '';
  // Each Node-side workload returns how many rows it failed: a decoder that fails rows is not measured.
  const nodeSide: Array<[Exclude<keyof typeof best, 'django'>, () => number]> = [
    ['ours', () => countFailures(rows, (row) => codec.decode(row).ok)],
    ['naive', () => countFailures(rows, (row) => naiveDecode(row) !== null)],
    ['baseline', () => countFailures(payloads, (text) => JSON.parse(text) !== undefined)],
    ['parts', () => countFailures(parts, (row) => decodeParts(row) !== undefined)],
  ];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [side, run] of nodeSide) {
      let failures = 0;
      const rowsPerSec = rate(() => {
        failures += run();
        return rows.length;
      });
      if (failures > 0) throw new Error(`${failures} rows failed (${side})`);
      best[side] = Math.max(best[side], rowsPerSec);
    }
    const django = djangoRate(rows);
    if (typeof django === 'string') {
      djangoSkipped = django;
      break;
    }
    version = django.version;
    best.django = Math.max(best.django, django.rowsPerSec);
  }
  const ratio = (value: number) => (djangoSkipped ? '-' : `${(value / best.django).toFixed(2)}x`);
  table.push([
    name,
    String(rows.length),
    format(best.ours),
    format(best.naive),
    format(best.baseline),
    format(best.parts),
    djangoSkipped ? '-' : format(best.django),
    ratio(best.ours),
    ratio(best.parts),
  ]);
  if (djangoSkipped) console.log(`Django: skipped (${djangoSkipped})`);
}
const widths = header.map((title, column) =>
  Math.max(title.length, ...table.map((cells) => cells[column]!.length)),
);
const print = (cells: string[]) =>
  console.log(
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!)))
      .join('  '),
  );
print(header);
for (const cells of table) print(cells);
if (version) {
  console.log(`Django ${version} SessionStore().decode, /usr/bin/python3; ours on Node ${process.version}`);
  console.log(
    'parts alone: HMAC + inflate + JSON.parse with nothing around them; parts/Django bounds ours/Django',
  );
}
