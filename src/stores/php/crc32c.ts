/**
 * PHP's `hash('crc32c', $text)`: CRC-32C (Castagnoli, reflected, as iSCSI and ext4 use it) of the text's
 * bytes, as 8 lowercase hex digits. node:zlib's crc32 is the other CRC-32 (IEEE), hence a table here.
 */
const TABLE = new Uint32Array(256);
for (let byte = 0; byte < 256; byte += 1) {
  let crc = byte;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  TABLE[byte] = crc >>> 0;
}

export function crc32cHex(text: string): string {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}
