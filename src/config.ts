import { existsSync, readFileSync } from 'node:fs';
import stripJsonComments from 'strip-json-comments';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import {
  ConfigError,
  type Env,
  fieldSchema,
  resolveSecret,
  secretOrFile,
  usersSchema,
} from './config-parts.ts';
import { kindOf, STORE_CONFIGS } from './stores/registry.ts';

export { ConfigError, secretText } from './config-parts.ts';

/**
 * Configuration: environment variables over an optional JSON config file, validated once at start.
 * Every message names the setting that is wrong, so a bad deployment fails loudly and says how to fix it.
 */

/**
 * The stores: each kind's settings come from its folder (src/stores/<kind>/config.ts), through the registry.
 */
export const storeSchema = z.discriminatedUnion('kind', STORE_CONFIGS);

/** The limits every stored row is decoded under (src/codecs/budgets.ts); real sessions never reach them. */
const budgetsSchema = z
  .object({
    maxInputBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024),
    maxDepth: z.number().int().min(1).max(1000).default(512),
    maxValues: z.number().int().positive().default(1_000_000),
  })
  .strict();

/** One decode thread per CPU, up to four: the main thread and PostgreSQL need cores too. */
const DEFAULT_DECODE_THREADS = Math.min(availableParallelism(), 4);

export const configSchema = z
  .object({
    databaseUrl: z.string().url().optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4000),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    migrateOnStart: z.boolean().default(true),
    /** GraphiQL on /graphql. Off unless enabled (the embedded demo enables it). */
    graphiql: z.boolean().default(false),
    /** Introspection queries. Off unless enabled (the embedded demo enables it). */
    introspection: z.boolean().default(false),
    /** The sessions console on /console. Off unless enabled (the embedded demo enables it). */
    console: z.boolean().default(false),
    /** Limits on what one request may ask (see src/security/). */
    limits: z
      .object({
        maxDepth: z.number().int().positive().default(12),
        maxAliases: z.number().int().positive().default(20),
        maxTokens: z.number().int().positive().default(3000),
        maxCost: z.number().int().positive().default(20_000),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
        maxBatch: z.number().int().min(0).default(10),
        /** Requests a minute per API token and per client IP (per replica); 0 turns a limit off. */
        perTokenPerMinute: z.number().int().min(0).default(1200),
        perIpPerMinute: z.number().int().min(0).default(600),
        /** Trust `X-Forwarded-For` for the client IP (only behind a proxy that sets it). */
        trustProxy: z.boolean().default(false),
      })
      .strict()
      .default({
        maxDepth: 12,
        maxAliases: 20,
        maxTokens: 3000,
        maxCost: 20_000,
        maxBodyBytes: 256 * 1024,
        maxBatch: 10,
        perTokenPerMinute: 1200,
        perIpPerMinute: 600,
        trustProxy: false,
      }),
    /** Origins allowed to call cross-origin with credentials (CORS); none by default. */
    corsOrigins: z
      .array(
        z
          .string()
          .url()
          // A browser's Origin header is scheme, host and port alone: "https://app.example/" never matches it.
          .refine((origin) => new URL(origin).origin === origin, {
            message: 'must be an origin alone (scheme, host, port), e.g. "https://app.example"',
          }),
      )
      .default([]),
    /** Top-level data keys a browser may change in its own session (`updateCurrentSession`). */
    clientWritableKeys: z.array(z.string().min(1)).default([]),
    /** After a session ends, its key is refused on re-insert for this long (frameworks that upsert). */
    tombstoneSeconds: z.number().int().min(0).default(3600),
    /** Seconds between sweeps of expired sessions inside the server; 0 turns the in-server sweeper off. */
    sweepIntervalSeconds: z.number().int().min(0).default(0),
    /** Expired sessions a sweep finds per search, and its largest delete batch (sized by sweepLockMilliseconds). */
    sweepBatchSize: z.number().int().positive().max(100_000).default(1000),
    /**
     * The longest a sweep batch may hold the rows it deletes (a writer meeting one waits for it): batches
     * aim at a third of it, and PostgreSQL cancels one that reaches it.
     */
    sweepLockMilliseconds: z.number().int().min(10).max(60_000).default(50),
    /**
     * The share of its time a sweep spends in delete batches: after a batch of t ms it rests
     * t × (1 − d) / d ms, so the disk has time for the writers' commits between batches; 1 never rests,
     * and 0.05 (a rest of 19 batches' time) is the least.
     */
    sweepDutyCycle: z.number().min(0.05).max(1).default(0.33),
    maxPageSize: z.number().int().positive().max(1000).default(100),
    defaultPageSize: z.number().int().positive().default(20),
    maxTtlSeconds: z
      .number()
      .int()
      .positive()
      .default(366 * 24 * 3600),
    maxDataBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    /** A read presenting a session key refreshes `lastSeenAt` at most this often. */
    touchIntervalSeconds: z.number().int().min(0).default(60),
    /**
     * Refreshes of `lastSeenAt` are queued and written together at most this long after the read (0: as soon
     * as the event loop turns). Queued refreshes die with the process.
     */
    touchBatchMilliseconds: z.number().int().min(0).max(60_000).default(500),
    poolSize: z.number().int().positive().default(10),
    /**
     * Connections, besides the pool, on which the compiled path's one-statement reads are pipelined
     * (src/db/pipeline.ts); 0 sends them through the pool. Above 0 the pool's connections pipeline too, so a
     * transaction's BEGIN leaves with its first statement (src/db/pool.ts). Behind a pooler, only one that
     * supports pipelining.
     */
    readPipelines: z.number().int().min(0).max(64).default(2),
    /**
     * Send the server's statements as prepared statements (parsed and planned once per connection). Turn off
     * behind a pooler that cannot keep them across transactions (pgbouncer in transaction mode before 1.21).
     */
    preparedStatements: z.boolean().default(true),
    /**
     * Answer plain reads (`session`, `currentSession`, `sessions` pages with their users) on the compiled
     * path (src/fastpath) instead of through GraphQL execution; same answers, a fraction of the CPU.
     */
    compiledReads: z.boolean().default(true),
    /** Longest wait for a database connection (pool exhausted, server slow to accept) before a 503. */
    poolWaitMilliseconds: z.number().int().positive().max(120_000).default(5_000),
    /** PostgreSQL's statement_timeout for every statement the server runs (0: none). */
    statementTimeoutMilliseconds: z.number().int().min(0).max(3_600_000).default(10_000),
    /** How long a mutation's Idempotency-Key is remembered (the sweeper forgets older ones). */
    idempotencyKeySeconds: z
      .number()
      .int()
      .positive()
      .default(24 * 3600),
    /**
     * On SIGTERM, how long to keep accepting (with `/readyz` already failing) before closing the listener:
     * the time a load balancer needs to stop sending, so nothing is refused that it already routed here.
     */
    shutdownDelaySeconds: z.number().min(0).max(120).default(0),
    /** On SIGTERM, how long requests in flight may take to finish before the server exits anyway. */
    shutdownTimeoutSeconds: z.number().int().min(0).max(600).default(20),
    /** `/readyz` fails while the oldest unapplied framework change is older than this. */
    readyMaxLagSeconds: z.number().int().positive().default(30),
    /**
     * A separate port serving only `/metrics`, without authentication (bind it to a private interface).
     * On the main port `/metrics` needs an API token with the `metrics:read` scope.
     */
    metricsPort: z.number().int().min(0).max(65535).nullable().default(null),
    metricsHost: z.string().default('127.0.0.1'),
    /**
     * How long a replica may answer from memory for a valid API token, saving the per-request check.
     * Revocations reach every replica by NOTIFY at once whatever this says; 0 checks every request.
     */
    tokenCacheSeconds: z.number().int().min(0).max(3600).default(30),
    /**
     * Listen on a non-loopback address while no live API token exists (off: the server refuses, since
     * nothing but browsers' own sessions could use it and it would be exposed for no caller).
     */
    allowUnauthenticatedListen: z.boolean().default(false),
    /** Run the projection's sync worker inside the server (off when a separate `sessiongraph sync` runs). */
    syncInServer: z.boolean().default(true),
    syncBatchSize: z.number().int().positive().max(10_000).default(500),
    users: usersSchema.default({ table: 'public.users', key: 'id', columns: [] }),
    fields: z.array(fieldSchema).default([]),
    /**
     * Heap bytes (estimated) of decoded blobs kept in memory, keyed by the stored text, shared among the
     * framework stores (0 turns the cache off).
     */
    decodeCacheBytes: z
      .number()
      .int()
      .min(0)
      .default(64 * 1024 * 1024),
    /**
     * Worker threads that decode rows for the `sessiongraph sync` command's bulk work: the backfill, `--verify`
     * and its large batches (requests decode in-process). 0 decodes everything in-process.
     */
    decodeThreads: z.number().int().min(0).max(64).default(DEFAULT_DECODE_THREADS),
    /**
     * The same inside the server (its start-up backfill and the sync worker's large batches). Off by default:
     * there the other cores serve requests, and the workers' heaps and buffers cost the process about 80–100 MB
     * of resident memory on hostile tables (see the README's Performance section).
     */
    serverDecodeThreads: z.number().int().min(0).max(64).default(0),
    budgets: budgetsSchema.default({
      maxInputBytes: 16 * 1024 * 1024,
      maxOutputBytes: 8 * 1024 * 1024,
      maxDepth: 512,
      maxValues: 1_000_000,
    }),
    stores: z
      .array(storeSchema)
      .min(1)
      .default([
        { name: 'native', kind: 'native', cookieName: 'sg_session', defaultTtlSeconds: 14 * 24 * 3600 },
      ]),
  })
  // A misspelt setting would otherwise fall back to its default without a word.
  .strict();

export type Config = z.infer<typeof configSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;
export type { FieldConfig, Secret, UsersConfig } from './config-parts.ts';

const integer = (env: Env, name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name}: expected an integer, got "${raw}"`);
  return Number(raw);
};

const boolean = (env: Env, name: string): boolean | undefined => {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name}: expected true or false, got "${env[name]}"`);
};

const dropUndefined = (record: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`SESSIONGRAPH_CONFIG: cannot read ${path} (${(error as Error).message})`);
  }
  try {
    // Comments as `sessiongraph init` writes them (// and /* */) and trailing commas become spaces, so
    // positions in JSON.parse's messages hold.
    const parsed: unknown = JSON.parse(stripJsonComments(text, { trailingCommas: true }));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`SESSIONGRAPH_CONFIG: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

function formatIssues(error: z.ZodError, source: string, input: unknown): string {
  const lines = error.issues.flatMap((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code !== 'unrecognized_keys') return [`  ${path}: ${issue.message}`];
    const known = keysAt(configSchema, input, issue.path);
    return issue.keys.map((key) => {
      const near = nearest(key, known);
      return `  ${path}: unknown setting "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
    });
  });
  return `invalid configuration (${source}):\n${lines.join('\n')}`;
}

/**
 * The settings an object at `path` may have, walking the schema alongside the input (a store's by its
 * `kind`).
 */
function keysAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def['type']) {
    case 'object': {
      const shape = def['shape'] as Record<string, z.ZodType>;
      if (path.length === 0) return Object.keys(shape);
      const [head, ...rest] = path;
      const inner = shape[String(head)];
      const value = (input as Record<string, unknown> | null)?.[String(head)];
      return inner ? keysAt(inner, value, rest) : [];
    }
    case 'array': {
      const [head, ...rest] = path;
      return keysAt(def['element'] as z.ZodType, (input as unknown[] | null)?.[Number(head)], rest);
    }
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
      return keysAt(def['innerType'] as z.ZodType, input, path);
    case 'pipe':
      return keysAt(def['in'] as z.ZodType, input, path);
    case 'union': {
      const options = def['options'] as z.ZodType[];
      const kind = (input as Record<string, unknown> | null)?.['kind'];
      const matching = options.filter((option) => {
        const shape = (option as unknown as { _zod: { def: { shape?: Record<string, z.ZodType> } } })._zod.def
          .shape;
        const literal = shape?.['kind'] as unknown as { _zod: { def: { values?: unknown[] } } } | undefined;
        return literal?._zod.def.values?.includes(kind) ?? false;
      });
      return [...new Set((matching.length > 0 ? matching : options).flatMap((o) => keysAt(o, input, path)))];
    }
    default:
      return [];
  }
}

/** The known name closest to `name` (edit distance at most a third of its length, at least 2), or null. */
function nearest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The file `sessiongraph init` writes, read by the server and the CLI when SESSIONGRAPH_CONFIG is unset. */
export const DEFAULT_CONFIG_FILE = 'sessiongraph.jsonc';

/**
 * The environment as the server and the CLI read their settings from: SESSIONGRAPH_CONFIG unset (not empty)
 * names ./sessiongraph.jsonc when there is one.
 */
export function withDefaultConfigFile(env: Env): Env {
  if (env['SESSIONGRAPH_CONFIG'] !== undefined || !existsSync(DEFAULT_CONFIG_FILE)) return env;
  return { ...env, SESSIONGRAPH_CONFIG: DEFAULT_CONFIG_FILE };
}

/**
 * Whether a deployment's database is named: by DATABASE_URL (or its _FILE), or by `databaseUrl` in the config
 * file (SESSIONGRAPH_CONFIG, else ./sessiongraph.jsonc). Only the key is read here, so a default file that is
 * unreadable or names secrets not set (what `init` leaves for a later `npm start` with DATABASE_URL) does not
 * keep the embedded demo from starting; an explicit SESSIONGRAPH_CONFIG that cannot be read is an error.
 */
export function namesDatabase(env: Env): boolean {
  if (secretOrFile(env, 'DATABASE_URL')) return true;
  const path = withDefaultConfigFile(env)['SESSIONGRAPH_CONFIG'];
  if (!path) return false;
  try {
    return readConfigFile(path)['databaseUrl'] !== undefined;
  } catch (error) {
    if (env['SESSIONGRAPH_CONFIG'] !== undefined) throw error;
    return false;
  }
}

/**
 * Reads `SESSIONGRAPH_CONFIG` (JSON, comments allowed), then lets environment variables override single
 * settings.
 */
export function loadConfig(env: Env = process.env, overrides: Record<string, unknown> = {}): Config {
  const configPath = env['SESSIONGRAPH_CONFIG'];
  const fromFile = configPath ? readConfigFile(configPath) : {};
  const usersFromFile = (fromFile['users'] ?? {}) as Record<string, unknown>;
  const usersFromEnv = dropUndefined({
    table: env['USERS_TABLE'] || undefined,
    key: env['USERS_KEY'] || undefined,
    columns: env['USERS_COLUMNS']
      ? env['USERS_COLUMNS'].split(',').map((column) => column.trim())
      : undefined,
  });
  const fromEnv = dropUndefined({
    databaseUrl: secretOrFile(env, 'DATABASE_URL'),
    host: env['HOST'] || undefined,
    port: integer(env, 'PORT'),
    logLevel: env['LOG_LEVEL'] || undefined,
    migrateOnStart: boolean(env, 'MIGRATE_ON_START'),
    graphiql: boolean(env, 'GRAPHIQL'),
    introspection: boolean(env, 'INTROSPECTION'),
    console: boolean(env, 'CONSOLE'),
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS'),
    maxPageSize: integer(env, 'MAX_PAGE_SIZE'),
    defaultPageSize: integer(env, 'DEFAULT_PAGE_SIZE'),
    poolSize: integer(env, 'POOL_SIZE'),
    readPipelines: integer(env, 'READ_PIPELINES'),
    poolWaitMilliseconds: integer(env, 'POOL_WAIT_MILLISECONDS'),
    preparedStatements: boolean(env, 'PREPARED_STATEMENTS'),
    compiledReads: boolean(env, 'COMPILED_READS'),
    statementTimeoutMilliseconds: integer(env, 'STATEMENT_TIMEOUT_MILLISECONDS'),
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS'),
    shutdownDelaySeconds: integer(env, 'SHUTDOWN_DELAY_SECONDS'),
    readyMaxLagSeconds: integer(env, 'READY_MAX_LAG_SECONDS'),
    metricsPort: integer(env, 'METRICS_PORT'),
    metricsHost: env['METRICS_HOST'] || undefined,
    tokenCacheSeconds: integer(env, 'TOKEN_CACHE_SECONDS'),
    syncInServer: boolean(env, 'SYNC_IN_SERVER'),
    decodeThreads: integer(env, 'DECODE_THREADS'),
    serverDecodeThreads: integer(env, 'SERVER_DECODE_THREADS'),
    allowUnauthenticatedListen: boolean(env, 'ALLOW_UNAUTHENTICATED_LISTEN'),
  });
  const merged = {
    ...fromFile,
    ...fromEnv,
    ...overrides,
    users: { ...usersFromFile, ...usersFromEnv, ...((overrides['users'] as object) ?? {}) },
  };
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      formatIssues(result.error, configPath ? `${configPath} and environment` : 'environment', merged),
    );
  }
  const config = result.data;
  const names = new Set<string>();
  for (const store of config.stores) {
    if (names.has(store.name)) throw new ConfigError(`stores: the store name "${store.name}" is used twice`);
    names.add(store.name);
  }
  // Unless it was set, the default page follows a cap below it (MAX_PAGE_SIZE=10 alone is a whole setting).
  if ((merged as Record<string, unknown>)['defaultPageSize'] === undefined) {
    config.defaultPageSize = Math.min(config.defaultPageSize, config.maxPageSize);
  }
  if (config.defaultPageSize > config.maxPageSize) {
    throw new ConfigError('defaultPageSize: must not exceed maxPageSize');
  }
  const fieldNames = new Set<string>();
  for (const field of config.fields) {
    if (fieldNames.has(field.name))
      throw new ConfigError(`fields: the field name "${field.name}" is used twice`);
    fieldNames.add(field.name);
  }
  config.stores = config.stores.map((store) => resolveStoreSecrets(store, env));
  return config;
}

/** Secrets become plain strings here; a store that cannot work without one fails start-up by name. */
function resolveStoreSecrets(store: StoreConfig, env: Env): StoreConfig {
  const kind = kindOf(store.kind);
  if (!kind.resolveSecrets) return store;
  return kind.resolveSecrets(store, (secret, setting) =>
    resolveSecret(secret, env, `stores.${store.name}.${setting}`),
  ) as StoreConfig;
}
