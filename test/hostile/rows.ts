import { createHash, createHmac, randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/**
 * Hostile stored rows for every store kind, built afresh on each run from a seed (sizes, keys and contents
 * vary; the seed is printed so a failure can be replayed with HOSTILE_SEED). Each class is what the issue of
 * hostile rows names: timestamps at and beyond the ends, NULLs where the framework never writes one, wrong
 * types, keys with SQL metacharacters or padding, empty and 10 MiB blobs, nesting 200,000 deep, memo bombs,
 * zlib bombs, code-executing pickles, truncations, bad signatures. `expect` is the status the framework's own
 * behaviour gives the row (checked against the framework itself in server.test.ts, for the rows it serves).
 *
 * Blobs are built here by hand (signatures, pickles, base64), never with sessiongraph's encoders.
 */

export type Status = 'ACTIVE' | 'EXPIRED' | 'INVALID';

export interface HostileRow {
  store: 'django' | 'webpy' | 'express' | 'cache' | 'flask' | 'native';
  klass: string;
  key: string;
  expect: Status;
  /** A word the problem must contain (INVALID rows). */
  problem?: string;
  /** The user id the session must report (null: none). */
  userId?: string | null;
  /** Values of the row's columns as SQL literals or parameters, by the store's column names. */
  columns: Record<string, unknown>;
  /** Casts for the parameters, by column. */
  casts?: Record<string, string>;
  /** More than a MiB stored: currentSession may take up to 1.5 s. */
  large?: boolean;
}

/** mulberry32: a small seeded generator, so a run can be replayed. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const word = (length: number) =>
    Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[int(0, 35)]).join('');
  const hex = (length: number) => Array.from({ length }, () => '0123456789abcdef'[int(0, 15)]).join('');
  return { next, int, pick, word, hex };
}

// ------------------------------------------------------------------------------------------------ Django

export const DJANGO_SECRET = 'hostile-rows-secret-key-0123456789';
const DJANGO_SALT = 'django.contrib.sessions.SessionStore';

const base62 = (value: number) => {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let out = '';
  let rest = value;
  do {
    out = digits[rest % 62] + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out;
};

/** `django.core.signing.dumps` of a payload's bytes, as Django 3.2 signs a session (FORMATS §1). */
export function djangoSigned(payload: Buffer, compress = false): string {
  const body = compress ? `.${deflateSync(payload).toString('base64url')}` : payload.toString('base64url');
  const value = `${body}:${base62(Math.floor(Date.now() / 1000))}`;
  const key = createHash('sha256').update(`${DJANGO_SALT}signer${DJANGO_SECRET}`).digest();
  return `${value}:${createHmac('sha256', key).update(value).digest('base64url')}`;
}

const djangoData = (userId: string | null, extra: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify(
      userId === null
        ? extra
        : {
            _auth_user_id: userId,
            _auth_user_backend: 'django.contrib.auth.backends.ModelBackend',
            ...extra,
          },
    ),
  );

function djangoRows(rng: ReturnType<typeof random>, userIds: string[]): HostileRow[] {
  const user = () => rng.pick(userIds);
  const key = () => rng.word(32);
  const inAnHour = "now() + interval '1 hour'";
  const row = (
    klass: string,
    expect: Status,
    data: string,
    expire: string,
    extra: Partial<HostileRow> = {},
  ): HostileRow => ({
    store: 'django',
    klass,
    key: extra.key ?? key(),
    expect,
    columns: { session_data: data, expire_date: { sql: expire } },
    ...extra,
  });
  const good = (id: string | null = user()) => djangoSigned(djangoData(id, { cart: [rng.word(5)] }));
  const depth = rng.int(200_000, 220_000);
  const deep = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const megabytes = rng.int(2, 4);
  const id = user();
  return [
    row('expire infinity', 'ACTIVE', good(id), "'infinity'", { userId: id }),
    row('expire -infinity', 'EXPIRED', good(), "'-infinity'"),
    row('expire far past', 'EXPIRED', good(), rng.pick(["'0001-01-01'", "'4714-11-24 00:00:00+00 BC'"])),
    row('expire year 9999', 'ACTIVE', good(), "'9999-12-31 23:59:59+00'"),
    row('expire year 200000', 'INVALID', good(), "'200000-01-01 00:00:00+00'", { problem: 'year 9999' }),
    row('expire NULL', 'INVALID', good(), 'NULL', { problem: 'NULL' }),
    row('nested 200,000 deep', 'INVALID', djangoSigned(Buffer.from(deep), true), inAnHour, {
      problem: 'nesting deeper',
    }),
    row(
      'payload not an object',
      'INVALID',
      djangoSigned(Buffer.from(rng.pick(['[1,2]', '"x"', 'null', '42']))),
      inAnHour,
    ),
    row('key with SQL metacharacters', 'ACTIVE', good(id), inAnHour, {
      key: `${rng.word(6)}';DROP TABLE auth_user;--${rng.word(4)}`,
      userId: id,
    }),
    row('blank-padded key', 'ACTIVE', good(id), inAnHour, { key: ` ${rng.word(20)}  `, userId: id }),
    row('key shorter than 8', 'INVALID', good(), inAnHour, { key: rng.word(rng.int(1, 7)), problem: '8' }),
    row('empty data', 'INVALID', '', inAnHour),
    row(
      '10 MiB of base64',
      'INVALID',
      Buffer.alloc(10 * 1024 * 1024 - rng.int(0, 1000), 0x41).toString('latin1'),
      inAnHour,
      {
        large: true,
      },
    ),
    row('zlib bomb', 'INVALID', djangoSigned(Buffer.alloc(64 * 1024 * 1024, 0x20), true), inAnHour, {
      problem: 'over-budget',
    }),
    row(
      'bad signature',
      'INVALID',
      good().replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      inAnHour,
      {
        problem: 'tampered',
      },
    ),
    row(
      'output over budget',
      'INVALID',
      djangoSigned(Buffer.from(`{"n":[${'9e20,'.repeat(500_000)}1]}`), true),
      inAnHour,
      {
        problem: 'decoded data exceeds',
      },
    ),
    row(
      `${megabytes} MiB of data`,
      'ACTIVE',
      djangoSigned(djangoData(id, { notes: 'n'.repeat(megabytes * 1024 * 1024) }), true),
      inAnHour,
      { large: true, userId: id },
    ),
  ];
}

// ------------------------------------------------------------------------------------------------ web.py

/** A minimal protocol 2 pickle writer for the tests (dicts, lists, str, int, None, memo). */
const u32 = (n: number) => Buffer.from([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
export const pickle = {
  str: (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    return Buffer.concat([Buffer.from('X'), u32(bytes.length), bytes]);
  },
  int: (value: number) => {
    const bytes = Buffer.alloc(5);
    bytes.write('J', 0, 'latin1');
    bytes.writeInt32LE(value, 1);
    return bytes;
  },
  none: Buffer.from('N'),
  true: Buffer.from([0x88]),
  tuple2: (a: Buffer, b: Buffer) => Buffer.concat([a, b, Buffer.from([0x86])]),
  pop: Buffer.from('0'),
  put: (index: number) => Buffer.concat([Buffer.from('r'), u32(index)]),
  get: (index: number) => Buffer.concat([Buffer.from('j'), u32(index)]),
  list: (items: Buffer[]) => Buffer.concat([Buffer.from(']('), ...items, Buffer.from('e')]),
  dict: (entries: [string, Buffer][]) =>
    Buffer.concat([
      Buffer.from('}('),
      ...entries.flatMap(([key, value]) => [pickle.str(key), value]),
      Buffer.from('u'),
    ]),
  program: (body: Buffer) => Buffer.concat([Buffer.from([0x80, 0x02]), body, Buffer.from('.')]),
};

/** `base64.encodebytes`: a newline every 76 characters and at the end, as web.py stores a pickle. */
export const encodebytes = (bytes: Buffer) => `${bytes.toString('base64').replace(/.{76}/g, '$&\n')}\n`;

function webpyRows(rng: ReturnType<typeof random>, userIds: string[]): HostileRow[] {
  const key = () => rng.hex(40);
  const row = (
    klass: string,
    expect: Status,
    data: string | null,
    atime: string,
    extra: Partial<HostileRow> = {},
  ) => {
    const k = extra.key ?? key();
    return {
      store: 'webpy',
      klass,
      key: k,
      expect,
      columns: { data, atime: { sql: atime } },
      ...extra,
    } satisfies HostileRow;
  };
  const session = (k: string, uid: number, extra: [string, Buffer][] = []) =>
    encodebytes(
      pickle.program(
        pickle.dict([['session_id', pickle.str(k)], ['uid', pickle.int(uid)], ['ip', pickle.none], ...extra]),
      ),
    );
  const now = 'now()';
  const id = rng.pick(userIds);
  const built = (
    klass: string,
    expect: Status,
    make: (k: string) => string,
    atime: string,
    extra: Partial<HostileRow> = {},
  ) => {
    const k = extra.key ?? key();
    return row(klass, expect, make(k), atime, { ...extra, key: k });
  };
  // A few KB: one string, then lists that double it through the memo, 24 times (64 M references).
  const doublings = memoDoublings(rng);
  const bomb = (k: string) =>
    encodebytes(
      pickle.program(
        pickle.dict([
          ['session_id', pickle.str(k)],
          ['uid', pickle.int(1)],
          ['blob', doublings],
        ]),
      ),
    );
  // One 64 KiB string shared 200 times: 64 KiB stored, 12.5 MiB as JSON.
  const wide = (k: string) => {
    const shared = [pickle.str('y'.repeat(64 * 1024)), pickle.put(0)];
    const refs = Array.from({ length: 199 }, () => pickle.get(0));
    return encodebytes(
      pickle.program(
        pickle.dict([
          ['session_id', pickle.str(k)],
          ['blob', pickle.list([...shared, ...refs])],
        ]),
      ),
    );
  };
  const evil = (k: string) =>
    encodebytes(
      Buffer.concat([
        Buffer.from([0x80, 0x02]),
        pickle
          .dict([
            ['session_id', pickle.str(k)],
            ['uid', pickle.int(1)],
          ])
          .subarray(0, -1),
        pickle.str('payload'),
        Buffer.from("cos\nsystem\n(S'touch /tmp/sessiongraph-pwned'\ntR"),
        Buffer.from('u.'),
      ]),
    );
  const depth = rng.int(5000, 20_000);
  const deep = (k: string) =>
    encodebytes(
      pickle.program(
        pickle.dict([
          ['session_id', pickle.str(k)],
          ['nest', Buffer.concat([Buffer.from(']('.repeat(depth)), Buffer.from('e'.repeat(depth))])],
        ]),
      ),
    );
  return [
    built('anonymous uid 0', 'ACTIVE', (k) => session(k, 0), now, { userId: null }),
    built('logged in', 'ACTIVE', (k) => session(k, Number(id)), now, { userId: id }),
    built('memo doubling bomb', 'INVALID', bomb, now, { problem: 'decoded data exceeds' }),
    built('one string shared 200 times', 'INVALID', wide, now, { problem: 'decoded data exceeds' }),
    built('code-executing pickle', 'INVALID', evil, now, { problem: 'unsafe' }),
    built(`nested ${depth} deep`, 'INVALID', deep, now, { problem: 'over-budget' }),
    built('atime infinity', 'ACTIVE', (k) => session(k, 0), "'infinity'"),
    built('atime -infinity', 'EXPIRED', (k) => session(k, 0), "'-infinity'"),
    built('atime year 200000', 'INVALID', (k) => session(k, 0), "'200000-01-01'", { problem: 'year 9999' }),
    built('atime far past', 'EXPIRED', (k) => session(k, 0), "'0001-01-01'"),
    built('key not hex', 'INVALID', (k) => session(k, 0), now, {
      key: `${rng.word(8)}'; --`,
      problem: 'hex',
    }),
    built(
      'session_id None',
      'INVALID',
      (k) =>
        encodebytes(
          pickle.program(
            pickle.dict([
              ['session_id', pickle.none],
              ['uid', pickle.int(1)],
            ]),
          ),
        ) + k.slice(0, 0),
      now,
      {
        problem: 'session_id',
      },
    ),
    built(
      'a pickled list',
      'INVALID',
      () => encodebytes(pickle.program(pickle.list([pickle.int(1), pickle.int(2)]))),
      now,
    ),
    built(
      'truncated pickle',
      'INVALID',
      (k) => encodebytes(pickle.program(pickle.dict([['session_id', pickle.str(k)]])).subarray(0, -4)),
      now,
    ),
    built(
      'declared length 2 GiB',
      'INVALID',
      () =>
        encodebytes(Buffer.concat([Buffer.from([0x80, 0x02, 0x58]), u32(0x7fffffff), Buffer.from('abc')])),
      now,
    ),
    built('not base64', 'INVALID', () => '%%% not base64 %%%', now),
    built('empty data', 'INVALID', () => '', now),
    built('NULL data', 'INVALID', () => null as unknown as string, now),
  ];
}

// ------------------------------------------------------------------------------------------------ express

export const EXPRESS_SECRET = 'hostile-express-secret';

function expressRows(rng: ReturnType<typeof random>, userIds: string[]): HostileRow[] {
  const sid = () => rng.word(32);
  const cookie = {
    originalMaxAge: 3_600_000,
    expires: new Date(Date.now() + 3_600_000).toISOString(),
    httpOnly: true,
    path: '/',
  };
  const id = rng.pick(userIds);
  const row = (
    klass: string,
    expect: Status,
    sess: unknown,
    expire: string,
    extra: Partial<HostileRow> = {},
  ): HostileRow => ({
    store: 'express',
    klass,
    key: extra.key ?? sid(),
    expect,
    columns: { sess: sess === undefined ? null : JSON.stringify(sess), expire: { sql: expire } },
    casts: { sess: 'json' },
    ...extra,
  });
  const inAnHour = "now() + interval '1 hour'";
  const depth = rng.int(600, 3000);
  const deepSess = `{"cookie":${JSON.stringify(cookie)},"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  return [
    row('logged in', 'ACTIVE', { cookie, passport: { user: Number(id) } }, inAnHour, { userId: id }),
    row('no cookie', 'INVALID', { passport: { user: Number(id) } }, inAnHour, { problem: 'cookie' }),
    row('cookie null', 'INVALID', { cookie: null }, inAnHour, { problem: 'cookie' }),
    row('cookie a string', 'INVALID', { cookie: rng.word(5) }, inAnHour, { problem: 'cookie' }),
    row('cookie a number', 'INVALID', { cookie: rng.int(1, 99) }, inAnHour, { problem: 'cookie' }),
    row('expires garbage', 'INVALID', { cookie: { ...cookie, expires: rng.word(9) } }, inAnHour, {
      problem: 'expires',
    }),
    row('maxAge a string', 'INVALID', { cookie: { ...cookie, maxAge: 'soon' } }, inAnHour, {
      problem: 'maxAge',
    }),
    row('originalMaxAge a string', 'INVALID', { cookie: { ...cookie, originalMaxAge: 'x' } }, inAnHour, {
      problem: 'originalMaxAge',
    }),
    row('sess an array', 'INVALID', [1, 2], inAnHour),
    row('sess null', 'INVALID', null, inAnHour),
    row('sess a string', 'INVALID', rng.word(6), inAnHour),
    row('expire infinity', 'ACTIVE', { cookie, userId: Number(id) }, "'infinity'", { userId: id }),
    row('expire -infinity', 'EXPIRED', { cookie }, "'-infinity'"),
    row('expire year 200000', 'ACTIVE', { cookie }, "'200000-01-01'"),
    row('expire far past', 'EXPIRED', { cookie }, "'0001-01-01'"),
    row('expire NULL', 'INVALID', { cookie }, 'NULL', { problem: 'NULL' }),
    {
      ...row(`nested ${depth} deep`, 'INVALID', null, inAnHour, { problem: 'nesting deeper' }),
      columns: { sess: deepSess, expire: { sql: inAnHour } },
    },
    row('empty sid', 'INVALID', { cookie }, inAnHour, { key: '' }),
    row('sid with SQL metacharacters', 'ACTIVE', { cookie }, inAnHour, {
      key: `${rng.word(5)}'); DELETE FROM session; --`,
    }),
    row('10 MiB sess', 'INVALID', { cookie, big: 'z'.repeat(10 * 1024 * 1024) }, inAnHour, {
      large: true,
      problem: 'exceeds',
    }),
    row('3 MiB sess', 'ACTIVE', { cookie, notes: 'w'.repeat(3 * 1024 * 1024) }, inAnHour, { large: true }),
  ];
}

// ------------------------------------------------------------------------------------------------ json-cache

function cacheRows(rng: ReturnType<typeof random>, userIds: string[]): HostileRow[] {
  const id = rng.pick(userIds);
  const row = (
    klass: string,
    expect: Status,
    dict: string | null,
    start: string,
    end: string,
    extra: Partial<HostileRow> = {},
  ): HostileRow => ({
    store: 'cache',
    klass,
    key: randomUUID(),
    expect,
    columns: { userdict: dict, session_startutc: { sql: start }, session_endutc: { sql: end } },
    ...extra,
  });
  const now = "(now() AT TIME ZONE 'UTC')";
  const later = "(now() AT TIME ZONE 'UTC') + interval '1 day'";
  const depth = rng.int(600, 100_000);
  return [
    row('valid', 'ACTIVE', JSON.stringify({ user_id: Number(id) }), now, later, { userId: id }),
    row(
      'user id of a wrong type',
      'ACTIVE',
      JSON.stringify({ user_id: rng.pick([{}, [1], true, 'abc', 1e30]) }),
      now,
      later,
    ),
    row('a JSON array', 'INVALID', '[1,2,3]', now, later),
    row('a JSON string', 'INVALID', '"text"', now, later),
    row('not JSON', 'INVALID', `{"user_id": ${rng.word(4)}`, now, later),
    row(`nested ${depth} deep`, 'INVALID', `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`, now, later, {
      problem: 'nesting deeper',
    }),
    row('start and end NULL', 'INVALID', '{}', 'NULL', 'NULL', { problem: 'NULL' }),
    row('end NULL', 'ACTIVE', '{}', now, 'NULL'),
    row('start -infinity', 'EXPIRED', '{}', "'-infinity'", later),
    row('end infinity', 'ACTIVE', '{}', now, "'infinity'"),
    row('NULL dict', 'INVALID', null, now, later),
  ];
}

// ------------------------------------------------------------------------------------------------ Flask

/** Flask-Session's `SESSION_KEY_PREFIX`: the row key is this followed by the sid the cookie carries. */
export const FLASK_PREFIX = 'session:';

/** Memo references that double a few KB 24 times: 64 M references as a tree, a few KB stored. */
function memoDoublings(rng: ReturnType<typeof random>): Buffer {
  const chunk = 'x'.repeat(rng.int(1024, 4096));
  const doublings: Buffer[] = [pickle.str(chunk), pickle.put(0), pickle.pop];
  for (let level = 0; level < 24; level += 1) {
    doublings.push(pickle.list([pickle.get(level), pickle.get(level)]), pickle.put(level + 1));
    if (level < 23) doublings.push(pickle.pop);
  }
  return Buffer.concat(doublings);
}

function flaskRows(rng: ReturnType<typeof random>, userIds: string[]): HostileRow[] {
  const id = rng.pick(userIds);
  const inADay = "(now() AT TIME ZONE 'UTC') + interval '1 day'";
  const row = (
    klass: string,
    expect: Status,
    data: Buffer | null,
    expiry: string,
    extra: Partial<HostileRow> = {},
  ): HostileRow => ({
    store: 'flask',
    klass,
    key: extra.key ?? `${FLASK_PREFIX}${randomUUID()}`,
    expect,
    columns: { data, expiry: { sql: expiry } },
    casts: { data: 'bytea' },
    ...extra,
  });
  /** pickle.dumps(dict(session)) as Flask-Session writes it (protocol 2 here, which Python 3 loads). */
  const session = (entries: [string, Buffer][] = [], userId: string | null = null) =>
    pickle.program(
      pickle.dict([
        ['_permanent', pickle.true],
        ...(userId === null
          ? []
          : ([
              ['_user_id', pickle.str(userId)],
              ['_fresh', pickle.true],
            ] as [string, Buffer][])),
        ...entries,
      ]),
    );
  const shared = [pickle.str('y'.repeat(64 * 1024)), pickle.put(0)];
  const wide = session([
    ['blob', pickle.list([...shared, ...Array.from({ length: 199 }, () => pickle.get(0))])],
  ]);
  const evil = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    pickle.dict([['_permanent', pickle.true]]).subarray(0, -1),
    pickle.str('payload'),
    Buffer.from("cos\nsystem\n(S'touch /tmp/sessiongraph-pwned-flask'\ntR"),
    Buffer.from('u.'),
  ]);
  const depth = rng.int(5000, 20_000);
  const deep = session([
    ['nest', Buffer.concat([Buffer.from(']('.repeat(depth)), Buffer.from('e'.repeat(depth))])],
  ]);
  const megabytes = rng.int(2, 4);
  const py2 = Buffer.from("(dp0\nS'_permanent'\nI01\nsS'name'\nS'Zo\\xc3\\xab'\ns.", 'latin1');
  const pairs = pickle.program(
    pickle.list([
      pickle.tuple2(pickle.str('_permanent'), pickle.true),
      pickle.tuple2(pickle.str('_user_id'), pickle.str('nobody')),
      pickle.tuple2(pickle.str('_user_id'), pickle.str(id)),
    ]),
  );
  return [
    row('logged in (Flask-Login)', 'ACTIVE', session([['cart', pickle.str(rng.word(5))]], id), inADay, {
      userId: id,
    }),
    row('anonymous', 'ACTIVE', session([['cart', pickle.list([pickle.str(rng.word(5))])]]), inADay, {
      userId: null,
    }),
    row('a list of pairs (dict() of it, the later _user_id wins)', 'ACTIVE', pairs, inADay, { userId: id }),
    row('expiry infinity', 'ACTIVE', session([], id), "'infinity'", { userId: id }),
    row('expiry year 9999', 'ACTIVE', session(), "'9999-12-31 23:59:59'"),
    row('expiry -infinity', 'EXPIRED', session(), "'-infinity'"),
    row('expiry far past', 'EXPIRED', session(), "'0001-01-01'"),
    row('expiry year 200000', 'INVALID', session(), "'200000-01-01'", { problem: 'years 1-9999' }),
    row('expiry NULL', 'INVALID', session(), 'NULL', { problem: 'NULL' }),
    row('sid with SQL metacharacters', 'ACTIVE', session([], id), inADay, {
      key: `${FLASK_PREFIX}${rng.word(6)}'OR'1'='1'--${rng.word(4)}`,
      userId: id,
    }),
    row('key without the prefix', 'INVALID', session(), inADay, {
      key: `other:${randomUUID()}`,
      problem: 'keyPrefix',
    }),
    row('empty sid', 'INVALID', session(), inADay, { key: FLASK_PREFIX, problem: 'empty' }),
    row('memo doubling bomb', 'INVALID', session([['blob', memoDoublings(rng)]]), inADay, {
      problem: 'decoded data exceeds',
    }),
    row('one string shared 200 times', 'INVALID', wide, inADay, { problem: 'decoded data exceeds' }),
    row('code-executing pickle', 'INVALID', evil, inADay, { problem: 'unsafe' }),
    row(`nested ${depth} deep`, 'INVALID', deep, inADay, { problem: 'over-budget' }),
    row('a pickled list', 'INVALID', pickle.program(pickle.list([pickle.int(1), pickle.int(2)])), inADay, {
      problem: 'not a dict',
    }),
    row('truncated pickle', 'INVALID', session([['a', pickle.int(1)]]).subarray(0, -4), inADay),
    row(
      'declared length 2 GiB',
      'INVALID',
      Buffer.concat([Buffer.from([0x80, 0x02, 0x58]), u32(0x7fffffff), Buffer.from('abc')]),
      inADay,
    ),
    row('Python 2 non-ASCII byte string', 'INVALID', py2, inADay, { problem: 'Python 2' }),
    row('not a pickle', 'INVALID', Buffer.from(rng.word(20)), inADay),
    row('empty data', 'INVALID', Buffer.alloc(0), inADay),
    row('NULL data', 'INVALID', null, inADay),
    // Over budgets.maxInputBytes (16 MiB): never read. A 10 MiB one (read, as 20 MiB of bytea hex, then refused
    // by the output budget) is left out: with it, paging the flask store took the server to 301-312 MB of RSS.
    row(
      '17 MiB pickled string',
      'INVALID',
      session([['big', pickle.str('z'.repeat(17 * 1024 * 1024 + rng.int(0, 1000)))]], id),
      inADay,
      { large: true, problem: 'stored data exceeds' },
    ),
    row(
      `${megabytes} MiB of data`,
      'ACTIVE',
      session([['notes', pickle.str('n'.repeat(megabytes * 1024 * 1024))]], id),
      inADay,
      { large: true, userId: id },
    ),
  ];
}

export function hostileRows(seed: number, userIds: string[]): HostileRow[] {
  const rng = random(seed);
  return [
    ...djangoRows(rng, userIds),
    ...webpyRows(rng, userIds),
    ...expressRows(rng, userIds),
    ...cacheRows(rng, userIds),
    ...flaskRows(rng, userIds),
  ];
}

/** Native rows written past the API (someone with write access to sessiongraph.sessions). */
export function nativeRows(seed: number): { klass: string; data: string; expires: string; expect: Status }[] {
  const rng = random(seed ^ 0x5eed);
  const depth = rng.int(600, 4000);
  return [
    { klass: 'expires infinity', data: '{"a":1}', expires: "'infinity'", expect: 'ACTIVE' },
    { klass: 'expires -infinity', data: '{"a":1}', expires: "'-infinity'", expect: 'EXPIRED' },
    {
      klass: `jsonb nested ${depth} deep`,
      data: `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      expires: "now() + interval '1 hour'",
      expect: 'INVALID',
    },
  ];
}
