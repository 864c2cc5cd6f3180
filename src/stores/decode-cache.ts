import { LRUCache } from 'lru-cache';

/**
 * Decoded blobs, keyed by the exact stored text: a row decodes once per change, not once per request.
 * Bounded by bytes of stored text (the key) plus a rough allowance for the decoded value.
 */
export class DecodeCache<V extends object> {
  private readonly cache: LRUCache<string, V> | null;

  constructor(maxBytes: number) {
    this.cache =
      maxBytes > 0
        ? new LRUCache<string, V>({
            maxSize: maxBytes,
            sizeCalculation: (_value, key) => key.length * 3 + 256,
          })
        : null;
  }

  get(blob: string, decode: (blob: string) => V): V {
    if (!this.cache) return decode(blob);
    const hit = this.cache.get(blob);
    if (hit) return hit;
    const value = decode(blob);
    this.cache.set(blob, value);
    return value;
  }
}
