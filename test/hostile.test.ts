import { fc, test } from '@fast-check/vitest';
import { sign, unsign } from 'cookie-signature';
import { describe, expect, it } from 'vitest';
import { expressCookieProblem, parseSess } from '../src/codecs/express-sess.ts';
import { parseUserDict } from '../src/codecs/json-cache.ts';
import { jsonbSafe, jsonbText } from '../src/projection/rows.ts';

/**
 * The JSON stores' decoders (express's `sess`, json-cache's user dict) and express's cookie signature,
 * fed random and hostile input: never a throw, never a session for a forged cookie, and a round trip
 * for every object. (The Django and pickle codecs have their own property tests beside them.)
 */
const jsonObject = fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<Record<string, never>>;

describe('JSON store decoders', () => {
  test.prop([fc.string({ maxLength: 2000 })])('should never throw on any text', (text) => {
    for (const decode of [parseSess, parseUserDict]) {
      const result = decode(text);
      if (result.ok) expect(typeof result.value).toBe('object');
      else expect(result.problem).toBe('corrupt');
    }
  });

  test.prop([jsonObject])('should read back every object written as JSON', (object) => {
    const text = JSON.stringify(object);
    expect(parseSess(text)).toEqual({ ok: true, value: JSON.parse(text) });
    expect(parseUserDict(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  test.prop([fc.integer({ min: 1, max: 5000 })])(
    'should answer, not crash, on very deep nesting',
    (depth) => {
      const text = `{"a":${'['.repeat(depth * 20)}${']'.repeat(depth * 20)}}`;
      for (const decode of [parseSess, parseUserDict]) expect(typeof decode(text).ok).toBe('boolean');
    },
  );

  it('should say why express cannot load a cookie attribute that does not print, never throw', () => {
    // String({"toString":1}) throws, in cookie.serialize as here: the row was INVALID as an internal error.
    for (const attribute of ['domain', 'path', 'priority', 'sameSite']) {
      for (const value of [{ toString: 1 }, { toString: null, valueOf: null }, [{ toString: 1 }]]) {
        const sess = { cookie: { originalMaxAge: null, expires: null, [attribute]: value } };
        expect(expressCookieProblem(sess as never)).toContain(`sess.cookie.${attribute} is not`);
      }
    }
    // cookie.serialize lowercases only strings: ["lax"] prints as "lax" but is refused.
    expect(expressCookieProblem({ cookie: { sameSite: ['lax'] } })).toContain('sess.cookie.sameSite is not');
    expect(expressCookieProblem({ cookie: { priority: ['low'] } })).toContain('sess.cookie.priority is not');
    expect(expressCookieProblem({ cookie: { domain: 'example.com', sameSite: true } })).toBeNull();
    expect(expressCookieProblem({ cookie: { sameSite: 'Lax', priority: 'HIGH' } })).toBeNull();
  });

  test.prop([jsonObject])(
    'should keep jsonb-safe data as it is, and make NUL, lone surrogates and deep data storable',
    (object) => {
      const { json, note } = jsonbText(object);
      expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(object)));
      if (!JSON.stringify(object).includes('\\u0000')) expect(note).toBeNull();
      const hostile = {
        ...object,
        nul: 'a\u0000b',
        lone: ['x\ud800', '\udc00y'],
        '\ud83dkey': 1,
        deep: JSON.parse(`${'{"d":'.repeat(100)}1${'}'.repeat(100)}`),
      };
      const repaired = jsonbSafe(hostile);
      expect(JSON.stringify(repaired.data)).not.toContain('\\u0000');
      // No lone surrogate is left for PostgreSQL to refuse (a key may still spell "\\uDA" in plain text).
      const texts: string[] = [];
      JSON.stringify(repaired.data, (key, value) => {
        texts.push(key);
        if (typeof value === 'string') texts.push(value);
        return value;
      });
      expect(texts.every((text) => text.isWellFormed())).toBe(true);
      expect(jsonbText(hostile).note).not.toBeNull();
      expect(repaired.note).not.toBeNull();
    },
  );
});

describe('express signed cookies', () => {
  const sid = fc.string({ minLength: 1, maxLength: 40 }).filter((value) => !value.includes('.'));
  const secret = fc.string({ minLength: 1, maxLength: 30 });

  test.prop([sid, secret, fc.nat(), fc.integer({ min: 1, max: 25 })])(
    'should refuse any tampered signature',
    (value, key, position, delta) => {
      const signed = sign(value, key);
      const at = value.length + 1 + (position % (signed.length - value.length - 1));
      const tampered =
        signed.slice(0, at) +
        String.fromCharCode(((signed.charCodeAt(at) + delta) % 94) + 33) +
        signed.slice(at + 1);
      if (tampered !== signed) expect(unsign(tampered, key)).toBe(false);
      expect(unsign(signed, key)).toBe(value);
    },
  );

  test.prop([sid, secret, secret])(
    'should refuse a cookie signed with another secret',
    (value, key, other) => {
      fc.pre(key !== other);
      expect(unsign(sign(value, other), key)).toBe(false);
    },
  );
});
