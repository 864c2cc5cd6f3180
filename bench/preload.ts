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
prototype.query = function (this: unknown, ...args: unknown[]) {
  statements += 1;
  return original.apply(this, args);
};

const countFile = process.env['BENCH_QUERY_COUNT_FILE'];
if (countFile) process.on('SIGUSR2', () => writeFileSync(countFile, String(statements)));

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
