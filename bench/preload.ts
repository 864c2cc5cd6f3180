/**
 * Preloaded (`--import`) into every server the bench starts: counts the SQL statements sent through `pg`
 * and, on SIGUSR2, writes the count to BENCH_QUERY_COUNT_FILE. Also polyfills `Promise.withResolvers`
 * (Node 22), which PostGraphile 5 needs on Node 20.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';

let statements = 0;
type Query = (...args: unknown[]) => unknown;
const prototype = pg.Client.prototype as unknown as { query: Query };
const original = prototype.query;
// BENCH_STATEMENT_TIMES: where a request's wall time goes, per statement text (first 80 characters).
const timed = process.env['BENCH_STATEMENT_TIMES'] ? new Map<string, { count: number; ms: number }>() : null;
prototype.query = function (this: unknown, ...args: unknown[]) {
  statements += 1;
  if (!timed) return original.apply(this, args);
  const first = args[0] as string | { text?: string };
  const text = (typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 80);
  const started = performance.now();
  const record = () => {
    const entry = timed.get(text) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += performance.now() - started;
    timed.set(text, entry);
  };
  // pg-pool passes a callback; direct client use gets a promise.
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (...results: unknown[]) => {
      record();
      return (callback as (...r: unknown[]) => unknown)(...results);
    };
  }
  const result = original.apply(this, args);
  if (result instanceof Promise) void result.then(record, () => {});
  return result;
};

const countFile = process.env['BENCH_QUERY_COUNT_FILE'];
if (countFile) process.on('SIGUSR2', () => writeFileSync(countFile, String(statements)));
if (timed) {
  process.on('exit', () => {
    const lines = [...timed]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([text, { count, ms }]) => `${count}\t${(ms / count).toFixed(2)} ms\t${text}`);
    writeFileSync(process.env['BENCH_STATEMENT_TIMES']!.replace('%p', String(process.pid)), lines.join('\n'));
  });
}

const promise = Promise as unknown as { withResolvers?: () => unknown };
if (typeof promise.withResolvers !== 'function') {
  promise.withResolvers = function withResolvers<T>(this: PromiseConstructor) {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const created = new this<T>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    return { promise: created, resolve, reject };
  };
}
