import { createHash } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_BUDGETS, type DecodeBudgets } from '../codecs/budgets.ts';
import { parseJsonValue } from '../codecs/json.ts';
import { parseTimestamptz } from './timestamps.ts';

/**
 * The process-wide pool and the thin layer every store uses to run SQL. Statements are named by a
 * leading comment (`/* findSessionById *\/`), and each request counts what it ran, which is how the
 * batching tests and the benchmarks see round trips.
 */

// int8 and numeric keys stay strings: a JavaScript number would silently round large ids.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, parseTimestamptz);

/**
 * A json or jsonb value that did not parse within the decode budgets (PostgreSQL's jsonb holds nesting
 * 10,000 deep, which JSON.stringify cannot print): whoever reads the column decides what it stands for.
 */
export class UnreadableJson {
  constructor(readonly problem: string) {}
}

let jsonBudgets: DecodeBudgets = DEFAULT_BUDGETS;

/** The budgets json and jsonb columns are parsed under (the process's configuration). */
export function useJsonBudgets(budgets: DecodeBudgets) {
  jsonBudgets = budgets;
}

/** A json or jsonb column's text as every query reads it. */
export const parseJsonColumn = (text: string) => {
  const parsed = parseJsonValue(text, jsonBudgets, 'the stored JSON');
  return parsed.ok ? parsed.value : new UnreadableJson(`${parsed.problem}: ${parsed.detail}`);
};
pg.types.setTypeParser(pg.types.builtins.JSON, parseJsonColumn);
pg.types.setTypeParser(pg.types.builtins.JSONB, parseJsonColumn);

export type Pool = pg.Pool;
export type Row = Record<string, unknown>;

export interface Queryable {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

export type StatementListener = (text: string) => void;

/**
 * Named statements (`/* name *\/ …`) go out as prepared statements, one name per text: PostgreSQL parses and
 * plans each once per connection instead of once per request. The texts are few (built from the config at
 * start); the map is bounded anyway. Off for poolers that cannot keep them (pgbouncer in transaction mode).
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 2000;
let preparing = true;

export function usePreparedStatements(on: boolean) {
  preparing = on;
}

const EACH_RUN = ', planned each run */';

/**
 * A named statement never prepared: PostgreSQL plans it for its tables as they are at every run. A prepared
 * statement settles after five runs on a generic plan, kept until the tables' statistics change (with
 * autovacuum off, never). On a queue that plan is made while it is empty, a scan and a sort, and then reads and
 * sorts the whole queue for every claim once a burst (a sweep, say) fills it.
 */
export const plannedEachRun = (name: string, text: string) => `/* ${name}${EACH_RUN} ${text}`;

function statement(text: string, params: readonly unknown[] | undefined): string | pg.QueryConfig {
  if (!preparing || !text.startsWith('/* ')) return text;
  let name = preparedNames.get(text);
  if (name === undefined) {
    if (preparedNames.size >= MAX_PREPARED) return text;
    // Checked only for texts not prepared yet: a prepared statement's run pays nothing for it.
    if (text.slice(0, text.indexOf('*/') + 2).endsWith(EACH_RUN)) return text;
    name = `sg_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    preparedNames.set(text, name);
  }
  return { name, text, values: params as unknown[] | undefined };
}

/** Runs `text` on a client or pool, prepared when it is a named statement. */
export function run<R extends Row>(
  target: { query: (config: string | pg.QueryConfig, values?: unknown[]) => Promise<pg.QueryResult<R>> },
  text: string,
  params?: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  const config = statement(text, params);
  return typeof config === 'string' ? target.query(config, params as unknown[]) : target.query(config);
}

export interface PoolTimeouts {
  /** Longest wait for a connection, whether the pool is exhausted or the server is slow to accept. */
  connectMilliseconds?: number;
  /** PostgreSQL cancels a statement running longer (statement_timeout); the client gives up a bit later. */
  statementMilliseconds?: number;
}

/** What every connection of the server gets: its timeouts and TCP keep-alive (the pool's, the pipelined ones). */
export function connectionOptions(connectionString: string, timeouts: PoolTimeouts = {}): pg.ClientConfig {
  const statement = timeouts.statementMilliseconds ?? 10_000;
  return {
    connectionString,
    connectionTimeoutMillis: timeouts.connectMilliseconds ?? 5_000,
    ...(statement > 0
      ? {
          statement_timeout: statement,
          // A server that stops answering altogether (a dead host) would otherwise hold the client forever.
          query_timeout: statement + 5_000,
          idle_in_transaction_session_timeout: statement + 5_000,
        }
      : {}),
    keepAlive: true,
  };
}

/**
 * `pipeline`: its connections send a statement without waiting for the one before (pg's pipeline mode), so a
 * transaction's BEGIN leaves with its first statement and a last statement with its COMMIT. Only for a
 * PostgreSQL that serves each connection from its own backend (not PGlite) and no pooler that cannot pipeline.
 */
export function createPool(
  connectionString: string,
  max: number,
  timeouts: PoolTimeouts = {},
  options: { pipeline?: boolean } = {},
): Pool {
  const pool = new pg.Pool({
    ...connectionOptions(connectionString, timeouts),
    pipeline: options.pipeline ?? false,
    max,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, that would kill the process.
  // The pool drops that client by itself, and the next checkout connects afresh.
  pool.on('error', () => {});
  return pool;
}

/** A `Queryable` that reports each statement to a listener (per request: counts, logs, metrics). */
export class CountingDb implements Queryable {
  statements = 0;

  constructor(
    private readonly target: Queryable,
    private readonly listener?: StatementListener,
  ) {}

  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    this.statements += 1;
    this.listener?.(text);
    return this.target instanceof pg.Pool
      ? run<R>(this.target as never, text, params)
      : this.target.query<R>(text, params as unknown[]);
  }
}

export interface TransactionRunner {
  transaction<T>(work: (client: Queryable) => Promise<T | LastStatement<T>>): Promise<T>;
}

/**
 * What a transaction's work may hand back instead of its result: the transaction's last statement, not yet
 * sent. It is sent with the COMMIT right behind it (one round trip for both on a pipelined connection), and
 * the transaction's result is `result` (or what `read` makes of the statement's answer) once both have
 * succeeded; if the statement fails, all is rolled back.
 */
export class LastStatement<T> {
  constructor(
    readonly result: T,
    readonly text: string,
    readonly params: readonly unknown[],
    readonly read?: (answer: pg.QueryResult) => T,
  ) {}

  /** A last statement whose answer is the transaction's result. */
  static reading<T>(text: string, params: readonly unknown[], read: (answer: pg.QueryResult) => T) {
    return new LastStatement<T>(undefined as T, text, params, read);
  }
}

/**
 * Holds a pipelined connection's writes (nothing to hold on another) until the returned function runs, so that the statements sent
 * meanwhile leave in one write (pg corks only each statement's own messages).
 */
function holdWrites(client: pg.PoolClient, pipelined: boolean): () => void {
  if (!pipelined) return () => {};
  const stream = (
    client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } }
  ).connection?.stream;
  const cork = stream?.cork;
  const uncork = stream?.uncork;
  if (typeof cork !== 'function' || typeof uncork !== 'function') return () => {};
  cork.call(stream);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    uncork.call(stream);
  };
}

/**
 * One mutation, one transaction, one client: BEGIN, the work, COMMIT; ROLLBACK on any throw. The
 * callback's client reports to the same statement listener as the request. On a pipelined connection BEGIN
 * is not waited for: it leaves with the work's first statement, one round trip fewer.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: Queryable) => Promise<T | LastStatement<T>>,
  listener?: StatementListener,
  onStatement?: () => void,
): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no 'error' listener (pg-pool listens only while it is idle): a connection lost
  // between two statements would otherwise crash the process. The next statement fails, the transaction
  // rolls back (or cannot), and the client is discarded.
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  const counted: Queryable = {
    query: (text, params) => {
      onStatement?.();
      listener?.(text);
      return run(client as never, text, params);
    },
  };
  const pipelined = (client as { pipeline?: boolean }).pipeline === true;
  let pending: Promise<unknown>[] = [];
  // On a pipelined connection a statement goes out without waiting for the one before; what it answered is
  // waited for before the COMMIT's answer. Elsewhere each is waited for in turn.
  const send = (text: string, params?: readonly unknown[]): Promise<pg.QueryResult> => {
    const sent = counted.query(text, params) as Promise<pg.QueryResult>;
    if (!pipelined) return sent;
    sent.catch(() => {});
    pending.push(sent);
    return sent;
  };
  try {
    // BEGIN and the statement the work starts with (sent before its first await) leave in one write.
    let release = holdWrites(client, pipelined);
    let working: Promise<T | LastStatement<T>>;
    try {
      const begun = send('BEGIN');
      working = pipelined ? work(counted) : begun.then(() => work(counted));
    } finally {
      release();
    }
    const done = await working;
    // The last statement, if the work left one, and the COMMIT: one write too.
    release = holdWrites(client, pipelined);
    let committed: Promise<pg.QueryResult>;
    let answered: Promise<pg.QueryResult> | null = null;
    try {
      if (done instanceof LastStatement) {
        answered = send(done.text, done.params);
        if (!pipelined) await answered;
      }
      committed = counted.query('COMMIT');
    } finally {
      release();
    }
    committed.catch(() => {});
    // A statement sent before COMMIT that failed made PostgreSQL answer the COMMIT with a rollback, so its
    // error is the transaction's.
    for (const sent of pending) await sent;
    pending = [];
    // So does one whose error the work caught and went on from: PostgreSQL rolled everything back.
    if ((await committed).command === 'ROLLBACK') throw new Error('PostgreSQL rolled the transaction back');
    if (!(done instanceof LastStatement)) return done;
    return done.read && answered ? done.read(await answered) : done.result;
  } catch (error) {
    try {
      await Promise.allSettled(pending);
      await client.query('ROLLBACK');
    } catch {
      broken = true;
    }
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/** The per-request database handle: plain queries on the pool, transactions on one client. */
export class RequestDb extends CountingDb implements TransactionRunner {
  constructor(
    private readonly pool: Pool,
    private readonly statementListener?: StatementListener,
  ) {
    super(pool, statementListener);
  }

  transaction<T>(work: (client: Queryable) => Promise<T | LastStatement<T>>): Promise<T> {
    return withTransaction(this.pool, work, this.statementListener, () => {
      this.statements += 1;
    });
  }
}

export const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505';
export const isForeignKeyViolation = (error: unknown) => (error as { code?: string })?.code === '23503';

/** The planner's row estimate for a query: a cheap `estimatedCount`, from statistics, not a scan. */
export async function plannedRows(db: Queryable, text: string, params: readonly unknown[]): Promise<number> {
  const result = await db.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
    `/* estimateRows */ EXPLAIN (FORMAT JSON) ${text}`,
    params,
  );
  const plan = result.rows[0]?.['QUERY PLAN']?.[0]?.Plan;
  return Math.round(plan?.['Plan Rows'] ?? 0);
}
