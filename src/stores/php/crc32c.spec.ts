import { describe, expect, it } from 'vitest';
import { crc32cHex } from './crc32c.ts';

describe('crc32cHex', () => {
  it("should print what PHP's hash('crc32c', ...) prints", () => {
    // CRC-32C's check value, and a hash-like text as PHP 8.2 printed it.
    expect(crc32cHex('123456789')).toBe('e3069283');
    expect(crc32cHex('$2y$13$abc')).toBe('202939c4');
    expect(crc32cHex('')).toBe('00000000');
  });
});
