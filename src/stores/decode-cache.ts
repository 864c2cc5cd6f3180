import { LRUCache } from 'lru-cache';

/** An entry's own heap beyond its key and value: the LRU's slots, the outcome and record shells. */
const ENTRY_BYTES = 512;

/**
 * Decoded blobs, keyed by the exact stored text: a row decodes once per change, not once per request.
 * Bounded by an estimate of the heap each entry holds: the stored text, plus what `valueBytes` says of the
 * decoded value, plus the entry's own overhead. The estimate must hold up, since the heap is capped (npm
 * start) and the cache is most of what the process keeps.
 */
export class DecodeCache<V extends object> {
  private readonly cache: LRUCache<string, V> | null;

  constructor(maxBytes: number, valueBytes: (value: V) => number) {
    this.cache =
      maxBytes > 0
        ? new LRUCache<string, V>({
            maxSize: maxBytes,
            sizeCalculation: (value, key) => key.length + valueBytes(value) + ENTRY_BYTES,
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
