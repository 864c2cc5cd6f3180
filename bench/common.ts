/** The bench's settings (environment knobs, documented in run.ts) and the small helpers its modules share. */
import { fileURLToPath } from 'node:url';

export const SECRET = 'bench-secret-key';
const int = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a positive number`);
  return value;
};
export const USERS = int('BENCH_USERS', 10_000);
export const SESSIONS = int('BENCH_SESSIONS', 100_000);
export const ROUND_SECONDS = int('BENCH_ROUND_SECONDS', 10);
export const ROUNDS = int('BENCH_ROUNDS', 3);
export const WARMUP_SECONDS = int('BENCH_WARMUP_SECONDS', Math.min(2, ROUND_SECONDS));
export const CONNECTIONS = int('BENCH_CONNECTIONS', 32);
/**
 * W8's users (after the USERS others), 10 native sessions each while W8 runs: each request ends one user's
 * sessions, so a measurement makes at most this many requests (enough for 4,000 req/s by default).
 */
export const W8_USERS = int('BENCH_W8_USERS', 4000 * Math.max(ROUND_SECONDS, WARMUP_SECONDS));
export const W8_SESSIONS_PER_USER = 10;
export const SAMPLE = 1000;
export const ONLY = process.env['BENCH_ONLY']?.split(',').map((id) => id.trim());

export const root = fileURLToPath(new URL('..', import.meta.url));
export const log = (line: string) => process.stdout.write(`${line}\n`);
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
export const pick = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)]!;
export const sample = <T>(values: readonly T[], count: number): T[] =>
  Array.from({ length: Math.min(count, values.length) }, () => pick(values));
