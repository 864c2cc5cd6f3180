import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from '../../codecs/budgets.ts';
import type { JsonObject } from '../../codecs/result.ts';
import { phpConfig, type LaravelStoreConfig, type SymfonyStoreConfig } from './config.ts';
import { laravelFormat } from './laravel.ts';
import { laravelCookie, laravelDecrypt, laravelEncrypt, phpBase64 } from './laravel-crypto.ts';
import { decodeLaravelJson, encodeLaravelJson } from './laravel-json.ts';
import { symfonyFormat } from './symfony.ts';
import { jsonToPhp } from '../../codecs/php/serialize-writer.ts';
import type { PhpArray } from '../../codecs/php/values.ts';

/**
 * The formats alone: what objects and class lists do to Symfony sessions and their tokens, Laravel's JSON
 * payloads against PHP's own json_encode (php on PATH, as in CI), and the Encrypter. The stores against the
 * real frameworks are in test/frameworks/php-*.test.ts.
 */

const bytea = (text: string) => `\\x${Buffer.from(text, 'latin1').toString('hex')}`;
const symfony = (settings: Record<string, unknown> = {}) =>
  symfonyFormat(
    phpConfig.parse({ kind: 'php', name: 's', layout: 'symfony', ...settings }) as SymfonyStoreConfig,
    DEFAULT_BUDGETS,
  );
const USER =
  'O:15:"App\\Entity\\User":2:{s:19:"\0App\\Entity\\User\0id";i:7;s:25:"\0App\\Entity\\User\0password";s:3:"pwd";}';
const TOKEN_CLASS = 'Symfony\\Component\\Security\\Http\\Authenticator\\Token\\PostAuthenticationToken';
const TOKEN = `O:${TOKEN_CLASS.length}:"${TOKEN_CLASS}":2:{i:0;s:4:"main";i:1;a:5:{i:0;${USER}i:1;b:1;i:2;N;i:3;a:0:{}i:4;a:0:{}}}`;
const SESSION = `_sf2_attributes|a:3:{s:1:"c";C:3:"Foo":4:{abcd}s:1:"n";i:1;s:14:"_security_main";s:${TOKEN.length}:"${TOKEN}";}_sf2_meta|a:0:{}`;

describe('the symfony format', () => {
  it('should show C: objects opaque and keep them byte for byte, or refuse the row with objects: invalid', () => {
    const format = symfony();
    const decoded = format.decode(bytea(SESSION));
    if (!decoded.ok) throw new Error(decoded.detail);
    expect(decoded.value.full).toEqual({
      c: { __class: 'Foo', __opaque: true },
      n: 1,
      _security_main: '7',
      '_security_main#password': 'pwd',
    });
    expect(format.userIdOf(decoded.value.full)).toBe('7');
    const written = format.encode(
      { ...decoded.value.full, n: 2 },
      decoded.value.state,
      new Date(),
      new Date(),
    );
    expect(written).toBe(bytea(SESSION.replace('s:1:"n";i:1;', 's:1:"n";i:2;')));
    expect(symfony({ objects: 'invalid' }).decode(bytea(SESSION))).toMatchObject({
      ok: false,
      problem: 'unsupported',
    });
  });

  it('should find no user in a token whose classes are not allowed, as PHP without them finds none', () => {
    const withoutUserClass = symfony({ allowedClasses: [TOKEN_CLASS] }).decode(bytea(SESSION));
    expect(withoutUserClass).toMatchObject({ ok: true, value: { full: { n: 1 } } });
    expect(withoutUserClass.ok && Object.hasOwn(withoutUserClass.value.full, '_security_main')).toBe(false);
    const both = symfony({ allowedClasses: [TOKEN_CLASS, 'app\\entity\\user', 'Foo'] }).decode(
      bytea(SESSION),
    );
    expect(both).toMatchObject({ ok: true, value: { full: { _security_main: '7' } } });
    expect(symfony({ userProperty: 'email' }).decode(bytea(SESSION))).toMatchObject({
      ok: true,
      value: { full: { n: 1 } },
    });
  });

  it('should find no user in a token the firewall drops: a class outside allowedClasses anywhere, an int out of range', () => {
    // ContextListener unserializes the token with a callback that throws for a class PHP cannot find, and
    // an error handler that throws on any warning: either drops the token (checked against Symfony's own).
    const withAttribute = (value: string) => {
      const token = TOKEN.replace('i:3;a:0:{}', `i:3;a:1:{s:1:"x";${value}}`);
      return bytea(SESSION.replace(`s:${TOKEN.length}:"${TOKEN}"`, `s:${token.length}:"${token}"`));
    };
    const listed = symfony({ allowedClasses: [TOKEN_CLASS, 'App\\Entity\\User'] });
    const userOf = (decoded: ReturnType<typeof listed.decode>) =>
      decoded.ok ? (decoded.value.full['_security_main'] ?? null) : decoded.detail;
    expect(userOf(listed.decode(withAttribute('i:5;')))).toBe('7');
    for (const missing of ['O:7:"Missing":0:{}', 'C:7:"Missing":0:{}', 'E:9:"Missing:A";']) {
      expect(userOf(listed.decode(withAttribute(missing))), missing).toBeNull();
      // Without a class list every class is taken to be there.
      expect(userOf(symfony().decode(withAttribute(missing))), missing).toBe('7');
    }
    expect(userOf(symfony().decode(withAttribute('i:9223372036854775807;')))).toBe('7');
    expect(userOf(symfony().decode(withAttribute('i:9223372036854775808;')))).toBeNull();
  });

  it('should carry the password hash the token’s user was serialized with, hidden, for the firewall’s check', () => {
    const withPassword = (value: string | null, property = 'password') => {
      const name = `\0App\\Entity\\User\0${property}`;
      const user = USER.replace(
        's:25:"\0App\\Entity\\User\0password";s:3:"pwd";',
        value === null ? '' : `s:${name.length}:"${name}";${value}`,
      ).replace(':2:{', value === null ? ':1:{' : ':2:{');
      const token = TOKEN.replace(USER, user);
      return bytea(SESSION.replace(`s:${TOKEN.length}:"${TOKEN}"`, `s:${token.length}:"${token}"`));
    };
    const format = symfony();
    const slotOf = (blob: string, settings: Record<string, unknown> = {}) => {
      const decoded = symfony(settings).decode(blob);
      if (!decoded.ok) throw new Error(decoded.detail);
      expect(decoded.value.full['_security_main']).toBe('7');
      return Object.hasOwn(decoded.value.full, '_security_main#password')
        ? decoded.value.full['_security_main#password']
        : 'absent';
    };
    expect(format.hiddenKeys.has('_security_main#password')).toBe(true);
    expect(slotOf(withPassword('s:7:"$2y$13$";'))).toBe('$2y$13$');
    expect(slotOf(withPassword('N;'))).toBeNull();
    // Bytes no users-table text can equal; a property of another type, or none: nothing to judge.
    expect(slotOf(withPassword('s:1:"\xff";'))).toBe(false);
    expect(slotOf(withPassword('i:5;'))).toBe('absent');
    expect(slotOf(withPassword(null))).toBe('absent');
    expect(slotOf(withPassword('s:3:"pwd";', 'hash'))).toBe('absent');
    expect(slotOf(withPassword('s:3:"pwd";', 'hash'), { passwordProperty: 'hash' })).toBe('pwd');
    // Never data, and never written: an update keeps the token byte for byte.
    const decoded = format.decode(withPassword('s:7:"$2y$13$";'));
    if (!decoded.ok) throw new Error(decoded.detail);
    const written = format.encode(
      { ...decoded.value.full, '_security_main#password': 'forged' },
      decoded.value.state,
      new Date(),
      new Date(),
    );
    expect(written).toBe(withPassword('s:7:"$2y$13$";'));
  });

  it('should cut the path in its notes, which repeat it for every lossy value', () => {
    // Two nested 1 MB keys above three strings that are not UTF-8: each note held the 2 MB path.
    const key = `s:1000000:"${'k'.repeat(1_000_000)}";`;
    const bad = 'a:3:{i:0;s:1:"\xff";i:1;s:1:"\xfe";i:2;s:1:"\xfd";}';
    const decoded = symfony().decode(bytea(`_sf2_attributes|a:1:{${key}a:1:{${key}${bad}}}`));
    if (!decoded.ok) throw new Error(decoded.detail);
    expect(decoded.value.note!.length).toBeLessThan(1000);
    expect(decoded.value.note).toMatch(/^\/k{199}…: bytes that are not UTF-8 are shown as base64; /);
  });

  it('should write a new session as Symfony does, and refuse keys of the php handler PHP cannot store', async () => {
    const format = symfony();
    const now = new Date(1_700_000_000_000);
    const full = await format.newSession(null as never, {
      data: { a: 1 },
      userId: null,
      expiresAt: now,
      ip: null,
      userAgent: null,
      key: 'k',
      now,
    });
    expect(Buffer.from(format.encode(full, undefined, now, now).slice(2), 'hex').toString('latin1')).toBe(
      '_sf2_attributes|a:1:{s:1:"a";i:1;}_sf2_meta|a:3:{s:1:"u";i:1700000000;s:1:"c";i:1700000000;s:1:"l";i:0;}',
    );
    expect(format.generateKey()).toMatch(/^[0-9a-v]{32}$/);
    const numeric = format.decode(bytea('5|i:1;_sf2_attributes|a:1:{s:1:"a";i:1;}'));
    if (!numeric.ok) throw new Error(numeric.detail);
    expect(() => format.encode({ a: 2 }, numeric.value.state, now, now)).toThrow(/numeric name/);
  });
});

function phpJsonEncode(values: unknown[]): string[] {
  const script = 'foreach (json_decode(stream_get_contents(STDIN), true) as $v) echo json_encode($v), "\\n";';
  const result = spawnSync('php', ['-r', script], { input: JSON.stringify(values), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trimEnd().split('\n');
}

/** For each text, whether PHP's `json_decode($text, true)` gives an array (what Laravel reads a payload with). */
function phpJsonDecodes(texts: string[]): boolean[] {
  const script =
    'foreach (json_decode(stream_get_contents(STDIN), true) as $t) echo is_array(json_decode(base64_decode($t), true)) ? 1 : 0, "\\n";';
  const input = JSON.stringify(texts.map((text) => Buffer.from(text, 'latin1').toString('base64')));
  const result = spawnSync('php', ['-r', script], { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => line === '1');
}

describe('Laravel JSON payloads', () => {
  it('should write what json_encode writes, and give back untouched text as PHP wrote it', () => {
    const values: JsonObject[] = [
      { a: 'a/b é 😀 \u0001\u007f "q" \\', b: [1, 2.5, null, true], c: { '2': 'two', x: {} } },
      { f: 0.1, g: 1e25, h: 1.5e-7, i: -2.5, j: 123456789012, k: [] },
    ];
    const expected = phpJsonEncode(values);
    // New values (floats without stored text) are printed as PHP prints them.
    expect(values.map((value) => encodeLaravelJson(jsonToPhp(value) as PhpArray))).toEqual(expected);
    for (const text of expected) {
      const decoded = decodeLaravelJson(text, DEFAULT_BUDGETS);
      if (!decoded.ok) throw new Error(decoded.detail);
      expect(encodeLaravelJson(decoded.value)).toBe(text);
    }
    // Text PHP never writes is kept too (a float's digits, key order, a repeated key's first place).
    const odd = decodeLaravelJson('{"b":1.50,"2":1,"b":2.0}', DEFAULT_BUDGETS);
    expect(odd.ok && encodeLaravelJson(odd.value)).toBe('{"b":2.0,"2":1}');
    expect(decodeLaravelJson('[1', DEFAULT_BUDGETS)).toMatchObject({ ok: false, problem: 'corrupt' });
    expect(decodeLaravelJson('5', DEFAULT_BUDGETS)).toMatchObject({ ok: false, problem: 'corrupt' });
  });

  it('should refuse what json_decode refuses and JSON.parse reads: lone surrogates, 512 levels', () => {
    const nested = (levels: number) => `{"a":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`;
    // Was read, "\ud800" as U+FFFD and 512 levels whole, where Laravel starts an empty session.
    const texts = ['{"a":"\\ud800"}', '{"\\udc00":1}', '["x\\udbff"]', nested(512), nested(511)];
    expect(phpJsonDecodes(texts)).toEqual([false, false, false, false, true]);
    expect(texts.map((text) => decodeLaravelJson(text, DEFAULT_BUDGETS).ok)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(decodeLaravelJson('{"a":"\\ud83d\\ude00"}', DEFAULT_BUDGETS)).toMatchObject({ ok: true });
  });

  it('should count a key per item as serialize payloads do, and build strings as views of one buffer', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const list = (count: number) => `{"l":[${Array(count).fill('"a"').join(',')}]}`;
    // A million JSON values, within the JSON budgets, became 330 MB of PHP entries: past the server's heap.
    expect(decodeLaravelJson(list(999_990), DEFAULT_BUDGETS)).toMatchObject({
      ok: false,
      problem: 'over-budget',
      detail: expect.stringContaining('maxValues'),
    });
    const most = list((DEFAULT_BUDGETS.maxValues - 4) / 2);
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = decodeLaravelJson(most, DEFAULT_BUDGETS);
    gc();
    expect(held.ok).toBe(true);
    // 165 MB with a Uint8Array of its own per string.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(145 * 1024 * 1024);
  });
});

describe('the Laravel Encrypter', () => {
  const key = randomBytes(32);

  it('should open what it sealed, and nothing with a changed MAC, value or tag', () => {
    const sealed = laravelEncrypt(key, Buffer.from('s:5:"hello";'));
    expect(laravelDecrypt(key, sealed)).toMatchObject({ ok: true, plain: Buffer.from('s:5:"hello";') });
    const fields = JSON.parse(Buffer.from(sealed, 'base64').toString()) as Record<string, string>;
    const reseal = (change: Record<string, string>) =>
      Buffer.from(JSON.stringify({ ...fields, ...change })).toString('base64');
    expect(laravelDecrypt(key, reseal({ mac: '0'.repeat(64) }))).toMatchObject({
      ok: false,
      why: 'the MAC is invalid',
    });
    // A first character that differs from the sealed one (a random value starts with "A" one time in 64).
    const value = fields['value']!;
    const changed = `${value.startsWith('A') ? 'B' : 'A'}${value.slice(1)}`;
    expect(laravelDecrypt(key, reseal({ value: changed }))).toMatchObject({ ok: false });
    expect(laravelDecrypt(key, reseal({ tag: 'AAAA' }))).toMatchObject({ ok: false });
    expect(laravelDecrypt(randomBytes(32), sealed)).toMatchObject({ ok: false, why: 'the MAC is invalid' });
  });

  it('should refuse an envelope json_decode refuses, or a MAC equal only when cut to Latin-1', () => {
    const sealed = laravelEncrypt(key, Buffer.from('s:5:"hello";'));
    const fields = JSON.parse(Buffer.from(sealed, 'base64').toString()) as Record<string, string>;
    const json = JSON.stringify(fields);
    const withMember = (member: string) => `${json.slice(0, -1)},"x":${member}}`;
    // The MAC covers only iv and value; all of these were opened, where Laravel starts an empty session.
    const refused = [
      Buffer.concat([Buffer.from(withMember('"')), Buffer.from([0xff]), Buffer.from('"}')]).toString(
        'latin1',
      ),
      withMember('"\\ud800"'),
      withMember(`${'['.repeat(511)}${']'.repeat(511)}`),
    ];
    expect(phpJsonDecodes(refused)).toEqual([false, false, false]);
    for (const text of refused) {
      expect(laravelDecrypt(key, Buffer.from(text, 'latin1').toString('base64'))).toMatchObject({
        ok: false,
        why: 'the payload is not JSON',
      });
    }
    const accepted = withMember(`${'['.repeat(510)}${']'.repeat(510)}`);
    expect(phpJsonDecodes([accepted])).toEqual([true]);
    expect(laravelDecrypt(key, Buffer.from(accepted).toString('base64'))).toMatchObject({ ok: true });
    // "ša…" is "a…" cut to Latin-1 (U+0161 → 0x61); PHP's hash_equals sees two UTF-8 bytes.
    const mac = fields['mac']!;
    const at = mac.search(/[a-f]/);
    const forged = `${mac.slice(0, at)}${String.fromCharCode(0x100 + mac.charCodeAt(at))}${mac.slice(at + 1)}`;
    const reseal = Buffer.from(JSON.stringify({ ...fields, mac: forged })).toString('base64');
    expect(laravelDecrypt(key, reseal)).toMatchObject({ ok: false, why: 'the MAC is invalid' });
  });

  it('should parse the envelope under the budgets: it is read before its MAC is checked', () => {
    // 6 million nested arrays: 2 s and 440 MB for JSON.parse before, refused unparsed now.
    const deep = `${'['.repeat(6_000_000)}${']'.repeat(6_000_000)}`;
    const started = performance.now();
    expect(laravelDecrypt(key, Buffer.from(deep).toString('base64'))).toMatchObject({ ok: false });
    expect(performance.now() - started).toBeLessThan(1000);
    const wide = `{"iv":"","value":"","mac":"","x":[${'{},'.repeat(1_100_000)}{}]}`;
    expect(laravelDecrypt(key, Buffer.from(wide).toString('base64'))).toMatchObject({
      ok: false,
      over: { problem: 'over-budget' },
    });
  });

  it("should read base64 as PHP's non-strict base64_decode does, skipping what is not base64", () => {
    const texts = ['YTowOnt9', 'YTow\nOnt9', 'YTo.wOn-t9', 'YTow=Ont9', 'YTowOnt9=', 'YTowOnt9Q', '!!!', ''];
    const script =
      'foreach (json_decode(stream_get_contents(STDIN), true) as $t) echo bin2hex(base64_decode($t)), "\\n";';
    const php = spawnSync('php', ['-r', script], { input: JSON.stringify(texts), encoding: 'utf8' });
    expect(texts.map((text) => phpBase64(text).toString('hex'))).toEqual(php.stdout.split('\n').slice(0, -1));
  });

  it('should bind a session cookie to its name', () => {
    const value = laravelCookie(key, 'laravel_session').encrypt('a'.repeat(40));
    expect(laravelCookie(key, 'laravel_session').decrypt(value)).toBe('a'.repeat(40));
    expect(laravelCookie(key, 'other_session').decrypt(value)).toBeNull();
  });

  it('should refuse a Laravel payload that does not decrypt, and read one that does', () => {
    const config = phpConfig.parse({
      kind: 'php',
      name: 'l',
      layout: 'laravel',
      appKey: `base64:${key.toString('base64')}`,
      encrypt: true,
    }) as LaravelStoreConfig;
    const format = laravelFormat(config, DEFAULT_BUDGETS, (id) => Number(id));
    const payload = format.encode({ a: 1 }, undefined, new Date(), new Date());
    expect(format.decode(payload)).toMatchObject({ ok: true, value: { full: { a: 1 } } });
    expect(format.decode(Buffer.from('a:1:{s:1:"a";i:1;}').toString('base64'))).toMatchObject({
      ok: false,
      problem: 'tampered',
    });
  });
});

describe('the laravel format', () => {
  const laravel = (settings: Record<string, unknown> = {}) =>
    laravelFormat(
      phpConfig.parse({ kind: 'php', name: 'l', layout: 'laravel', ...settings }) as LaravelStoreConfig,
      DEFAULT_BUDGETS,
      (id) => Number(id),
    );
  const LOGIN = 's:50:"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d";i:7;';
  /** A payload after AuthenticateSession's first request: `_token`, the login, `password_hash_web`, data. */
  const payload = (hash: string | null, name = 'password_hash_web', json = false) => {
    if (json) {
      return Buffer.from(
        `{"_token":"t","login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d":7,${hash === null ? '' : `"${name}":${hash},`}"n":1}`,
        'latin1',
      ).toString('base64');
    }
    const entries = hash === null ? '' : `s:${name.length}:"${name}";${hash}`;
    const count = hash === null ? 3 : 4;
    return Buffer.from(`a:${count}:{s:6:"_token";s:1:"t";${LOGIN}${entries}s:1:"n";i:1;}`, 'latin1').toString(
      'base64',
    );
  };
  const carried = (blob: string, settings: Record<string, unknown> = {}, key = 'password_hash_web') => {
    const decoded = laravel(settings).decode(blob);
    if (!decoded.ok) throw new Error(decoded.detail);
    return Object.hasOwn(decoded.value.full, key) ? decoded.value.full[key] : 'absent';
  };

  it('should carry AuthenticateSession’s password_hash_<guard>, hidden, for its check: as stored, or false', () => {
    const format = laravel();
    expect(format.hiddenKeys.has('password_hash_web')).toBe(true);
    expect(carried(payload('s:7:"$2y$10$";'))).toBe('$2y$10$');
    expect(carried(payload('s:0:"";'))).toBe('');
    // null, or no key: Store::has() is false, the middleware stores the current hash rather than judge.
    expect(carried(payload('N;'))).toBe('absent');
    expect(carried(payload(null))).toBe('absent');
    // `!==` against a users-table text: bytes that are not UTF-8, or no string at all, are never equal.
    expect(carried(payload('s:1:"\xff";'))).toBe(false);
    expect(carried(payload('i:5;'))).toBe(false);
    expect(carried(payload('b:0;'))).toBe(false);
    expect(carried(payload('a:0:{}'))).toBe(false);
    // Only the configured guard's (the middleware reads the default guard's); every guard's stays hidden.
    expect(carried(payload('s:3:"pwd";', 'password_hash_admin'))).toBe('absent');
    expect(
      carried(payload('s:3:"pwd";', 'password_hash_admin'), { guard: 'admin' }, 'password_hash_admin'),
    ).toBe('pwd');
    expect(format.hiddenKeys.has('password_hash_admin')).toBe(true);
    // Laravel 9+'s JSON payloads.
    expect(carried(payload('"$2y$10$"', 'password_hash_web', true), { laravelSerialization: 'json' })).toBe(
      '$2y$10$',
    );
    expect(carried(payload('5', 'password_hash_web', true), { laravelSerialization: 'json' })).toBe(false);
    expect(carried(payload('null', 'password_hash_web', true), { laravelSerialization: 'json' })).toBe(
      'absent',
    );
  });

  it('should never show nor write the carried hash: an update keeps the stored one byte for byte', () => {
    const format = laravel();
    const blob = payload('s:7:"$2y$10$";');
    const decoded = format.decode(blob);
    if (!decoded.ok) throw new Error(decoded.detail);
    const written = format.encode(
      { ...decoded.value.full, password_hash_web: 'forged', n: 2 },
      decoded.value.state,
      new Date(),
      new Date(),
    );
    expect(Buffer.from(written, 'base64').toString('latin1')).toBe(
      Buffer.from(blob, 'base64').toString('latin1').replace('s:1:"n";i:1;', 's:1:"n";i:2;'),
    );
    // A new session never gets one, whatever its view holds: the middleware stores it at the first request.
    const fresh = format.encode(
      { n: 1, login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d: 7, password_hash_web: 'forged' },
      undefined,
      new Date(),
      new Date(),
    );
    const text = Buffer.from(fresh, 'base64').toString('latin1');
    expect(text).not.toContain('password_hash_web');
    expect(text).toContain('s:50:"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d";i:7;');
  });
});
