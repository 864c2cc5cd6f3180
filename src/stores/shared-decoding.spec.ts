import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGETS } from '../codecs/budgets.ts';
import type { JsonObject } from '../codecs/result.ts';
import { decodeWebpySession, encodeWebpySession } from '../codecs/webpy.ts';
import type { BlobFormat } from './blob-store.ts';
import { decodeFlaskSession, encodeFlaskSession } from './flask/codec.ts';
import { type LaravelStoreConfig, phpConfig, type SymfonyStoreConfig } from './php/config.ts';
import { laravelFormat } from './php/laravel.ts';
import { symfonyFormat } from './php/symfony.ts';

/**
 * A decoding in the cache is shared by every read and update of its blob (src/stores/row-decoder.ts,
 * `decodeForUpdate`): an encoder that changed the decoded state it merges into would change what the next
 * request reads. Each format's encoder runs here over a deep-frozen decoding (a write to it throws in strict
 * mode) and must write what it writes from a fresh one.
 */

function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value) || ArrayBuffer.isView(value)) {
    return value;
  }
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  return Object.freeze(value);
}

const DATA: JsonObject = {
  cart: { items: [1, 2, { sku: 'a', tags: ['x', 'y'] }], total: 3.5 },
  flags: [true, false, null],
  name: 'ada',
  drop: 'me',
};
/** A patch of every kind: a nested value changed, a key added, one removed, an array grown. */
const edit = (full: JsonObject): JsonObject => {
  const { drop: _drop, ...rest } = full;
  return {
    ...rest,
    cart: { items: [1, 2, { sku: 'b', tags: ['x', 'y', 'z'] }], total: 4 },
    flags: [true, false, null, true],
    added: { deep: [{ x: 1 }] },
  };
};

const NOW = new Date('2026-12-07T12:00:00Z');

function formatCase(name: string, format: BlobFormat, blob: string) {
  it(`should leave ${name}'s shared decoding as it was when encoding an edit of it`, () => {
    const fresh = format.decode(blob);
    const shared = format.decode(blob);
    if (!fresh.ok || !shared.ok) throw new Error(`${name}: the sample does not decode`);
    deepFreeze(shared.value);
    const written = format.encode(edit(shared.value.full), shared.value.state, NOW, NOW);
    // Laravel encrypts with a fresh IV: compare what it decodes to.
    const read = (text: string) => {
      const back = format.decode(text);
      if (!back.ok) throw new Error(`${name}: the written blob does not decode`);
      return back.value.full;
    };
    expect(read(written)).toEqual(read(format.encode(edit(fresh.value.full), fresh.value.state, NOW, NOW)));
    expect(read(written)).toMatchObject({ added: { deep: [{ x: 1 }] }, cart: { total: 4 } });
  });
}

describe('a shared decoding', () => {
  const symfony = symfonyFormat(
    phpConfig.parse({ kind: 'php', name: 's', layout: 'symfony' }) as SymfonyStoreConfig,
    DEFAULT_BUDGETS,
  );
  formatCase('Symfony', symfony, symfony.encode(DATA, undefined, NOW, NOW));
  const laravel = laravelFormat(
    phpConfig.parse({
      kind: 'php',
      name: 'l',
      layout: 'laravel',
      appKey: `base64:${Buffer.alloc(32, 7).toString('base64')}`,
      encrypt: true,
    }) as LaravelStoreConfig,
    DEFAULT_BUDGETS,
    (id) => Number(id),
  );
  formatCase('Laravel', laravel, laravel.encode(DATA, undefined, NOW, NOW));

  it('should leave a web.py or Flask tree as it was when merging an edit into it', () => {
    const webpy = decodeWebpySession(encodeWebpySession(DATA));
    const flask = decodeFlaskSession(encodeFlaskSession(DATA, undefined));
    if (!webpy.ok || !flask.ok) throw new Error('the samples do not decode');
    const webpyFresh = encodeWebpySession(edit(webpy.value.data), webpy.value.tree);
    const flaskFresh = encodeFlaskSession(edit(flask.value.data), flask.value.tree);
    deepFreeze(webpy.value);
    deepFreeze(flask.value);
    expect(encodeWebpySession(edit(webpy.value.data), webpy.value.tree)).toBe(webpyFresh);
    expect(encodeFlaskSession(edit(flask.value.data), flask.value.tree)).toBe(flaskFresh);
  });
});
