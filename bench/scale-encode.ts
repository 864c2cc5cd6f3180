/**
 * One of the scale bench's Django encoders (src: scale-data.ts, which runs several and pipes each into its own
 * `psql -c "COPY django_session … FROM STDIN"`): writes the COPY text of Django sessions start, start+step, …
 * below end to stdout, each `session_data` a signed blob from sessiongraph's own Django encoder (Django's
 * format byte for byte, compressed when shorter), and every 20,000 rows a line `rows <n>` to stderr.
 *
 * Usage: scale-encode.ts <start> <end> <step> <users> <now ms>
 */
import { randomBytes } from 'node:crypto';
import { createDjangoCodec } from '../src/codecs/django.ts';
import { SECRET } from './common.ts';
import { djangoSessionData, isExpired } from './scale-data.ts';

const [start, end, step, users, now] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
  number,
];
const DAY_MS = 86_400_000;
const codec = createDjangoCodec({ secretKey: SECRET });
const signedAt = new Date(now);
let lines: string[] = [];
let written = 0;
let compressed = 0;
const flush = async () => {
  const text = lines.join('');
  lines = [];
  if (!process.stdout.write(text)) await new Promise((resolve) => process.stdout.once('drain', resolve));
};
for (let i = start; i < end; i += step) {
  const key = `${i.toString(36).padStart(8, '0')}${randomBytes(12).toString('hex')}`;
  const userId = 1 + Math.floor(Math.random() * users);
  const blob = codec.encode(djangoSessionData(i, userId), signedAt);
  if (blob.startsWith('.')) compressed += 1;
  const expires = isExpired(i)
    ? now - 60_000 - Math.floor(Math.random() * 30 * DAY_MS)
    : now + 3_600_000 + Math.floor(Math.random() * 14 * DAY_MS);
  lines.push(`${key}\t${blob}\t${new Date(expires).toISOString()}\n`);
  written += 1;
  if (lines.length === 2000) await flush();
  if (written % 20_000 === 0) process.stderr.write(`rows ${written}\n`);
}
await flush();
process.stderr.write(`rows ${written}\ncompressed ${compressed}\n`);
