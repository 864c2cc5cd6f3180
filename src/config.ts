import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Configuration: environment variables over an optional JSON config file, validated once at start.
 * Every message names the setting that is wrong, so a bad deployment fails loudly and says how to fix it.
 */

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain SQL identifier');
const qualifiedName = z
  .string()
  .regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'must be "table" or "schema.table"');

const usersSchema = z.object({
  table: qualifiedName.default('public.users'),
  key: identifier.default('id'),
  /** Columns to expose on `User`; empty means every column that does not look like a secret. */
  columns: z.array(identifier).default([]),
});

const nativeStoreSchema = z.object({
  name: identifier.default('native'),
  kind: z.literal('native'),
  cookieName: z.string().min(1).default('sg_session'),
  defaultTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(14 * 24 * 3600),
});

/**
 * A secret in the config file: the value itself, `{ "env": "NAME" }` or `{ "file": "/run/secrets/x" }`.
 * Resolved at load time, so the rest of the program only ever sees strings.
 */
const secretSchema = z.union([
  z.string().min(1),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

/** A JSON path into session data: `passport.user` or `["passport", "user"]`. */
const pathSchema = z.union([
  z
    .string()
    .min(1)
    .transform((path) => path.split('.')),
  z.array(z.string().min(1)).min(1),
]);

const frameworkCommon = {
  name: identifier,
  table: qualifiedName,
  /** The cookie a browser presents the key in, for `currentSession`. */
  cookieName: z.string().min(1).optional(),
  defaultTtlSeconds: z.number().int().positive().optional(),
  /** Interpret `timestamp without time zone` columns in this zone; by default the connection's TimeZone. */
  timeZone: z.string().min(1).optional(),
  /** User ids that mean "nobody": such sessions have no user (web.py apps start every session at `uid: 0`). */
  anonymousUserIds: z.array(z.union([z.string(), z.number()])).default([]),
};

const djangoStoreSchema = z.object({
  ...frameworkCommon,
  kind: z.literal('django'),
  table: qualifiedName.default('django_session'),
  columns: z
    .object({
      key: identifier.default('session_key'),
      data: identifier.default('session_data'),
      expires: identifier.default('expire_date'),
    })
    .default({ key: 'session_key', data: 'session_data', expires: 'expire_date' }),
  secretKey: secretSchema.optional(),
  fallbackKeys: z.array(secretSchema).default([]),
  salt: z.string().min(1).default('django.contrib.sessions.SessionStore'),
  legacySalt: z.string().min(1).default('django.contrib.sessionsSessionStore'),
  writeLegacy: z.boolean().default(false),
  /** `SESSION_COOKIE_AGE`: the lifetime of a session created without ttlSeconds/expiresAt. */
  cookieAgeSeconds: z.number().int().positive().default(1_209_600),
  authBackend: z.string().min(1).default('django.contrib.auth.backends.ModelBackend'),
  /** The users-table column holding Django's password hash (read for `_auth_user_hash`, never exposed). */
  passwordColumn: identifier.default('password'),
});

const webpyStoreSchema = z.object({
  ...frameworkCommon,
  kind: z.literal('webpy'),
  table: qualifiedName.default('sessions'),
  columns: z
    .object({
      key: identifier.default('session_id'),
      atime: identifier.default('atime'),
      data: identifier.default('data'),
    })
    .default({ key: 'session_id', atime: 'atime', data: 'data' }),
  /** web.py's `session_parameters.timeout`: a session lives this long after its last access. */
  timeoutSeconds: z.number().int().positive().default(86_400),
  userPath: pathSchema.default(['uid']),
  anonymousUserIds: z.array(z.union([z.string(), z.number()])).default([0]),
});

const expressStoreSchema = z.object({
  ...frameworkCommon,
  kind: z.literal('express'),
  table: qualifiedName.default('session'),
  columns: z
    .object({
      key: identifier.default('sid'),
      data: identifier.default('sess'),
      expires: identifier.default('expire'),
    })
    .default({ key: 'sid', data: 'sess', expires: 'expire' }),
  /** express-session's `secret` (first signs, all verify): needed to accept the signed cookie. */
  secrets: z.array(secretSchema).default([]),
  userPaths: z.array(pathSchema).default([['passport', 'user'], ['userId']]),
});

const jsonCacheStoreSchema = z.object({
  ...frameworkCommon,
  kind: z.literal('json-cache'),
  table: qualifiedName.default('session_cache'),
  columns: z
    .object({
      key: identifier.default('sessionid'),
      data: identifier.default('userdict'),
      start: identifier.default('session_startutc'),
      end: identifier.default('session_endutc'),
    })
    .default({ key: 'sessionid', data: 'userdict', start: 'session_startutc', end: 'session_endutc' }),
  /** A session is valid from its start for this long (and never past its end column). */
  windowSeconds: z.number().int().positive().default(3600),
  userPath: pathSchema.default(['user_id']),
});

export const storeSchema = z.discriminatedUnion('kind', [
  nativeStoreSchema,
  djangoStoreSchema,
  webpyStoreSchema,
  expressStoreSchema,
  jsonCacheStoreSchema,
]);

/** A typed field read from session data, exposed on `Session` and filterable in `sessions(where:)`. */
const fieldSchema = z.object({
  name: z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'must be a GraphQL field name'),
  path: pathSchema,
  type: z.enum(['String', 'Int', 'Float', 'Boolean', 'ID', 'DateTime', 'JSON']),
  description: z.string().optional(),
  /** Index the field's projection column, for filters and joins on it. */
  indexed: z.boolean().default(false),
  /** Like a foreign key: a value set through the API must exist in this table's column. */
  references: z.object({ table: qualifiedName, column: identifier }).strict().optional(),
});

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

export const configSchema = z.object({
  databaseUrl: z.string().url().optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(4000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  migrateOnStart: z.boolean().default(true),
  /** GraphiQL on /graphql. Off unless enabled (the embedded demo enables it). */
  graphiql: z.boolean().default(false),
  /** Introspection queries. Off unless enabled (the embedded demo enables it). */
  introspection: z.boolean().default(false),
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
  corsOrigins: z.array(z.string().url()).default([]),
  /** Top-level data keys a browser may change in its own session (`updateCurrentSession`). */
  clientWritableKeys: z.array(z.string().min(1)).default([]),
  /** After a session ends, its key is refused on re-insert for this long (frameworks that upsert). */
  tombstoneSeconds: z.number().int().min(0).default(3600),
  /** Seconds between sweeps of expired sessions inside the server; 0 turns the in-server sweeper off. */
  sweepIntervalSeconds: z.number().int().min(0).default(0),
  sweepBatchSize: z.number().int().positive().max(100_000).default(1000),
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
   * (src/db/pipeline.ts); 0 sends them through the pool. Behind a pooler, only one that supports pipelining.
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
});

export type Config = z.infer<typeof configSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;
export type NativeStoreConfig = z.infer<typeof nativeStoreSchema>;
export type DjangoStoreConfig = z.infer<typeof djangoStoreSchema>;
export type WebpyStoreConfig = z.infer<typeof webpyStoreSchema>;
export type ExpressStoreConfig = z.infer<typeof expressStoreSchema>;
export type JsonCacheStoreConfig = z.infer<typeof jsonCacheStoreSchema>;
export type FieldConfig = z.infer<typeof fieldSchema>;
export type Secret = z.infer<typeof secretSchema>;
export type UsersConfig = z.infer<typeof usersSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

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

/** `FOO_FILE=/run/secrets/foo` stands for `FOO`, so secrets need not sit in the environment. */
const secretOrFile = (env: Env, name: string): string | undefined => {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(`${name}_FILE: cannot read ${file} (${(error as Error).message})`);
    }
  }
  return env[name] || undefined;
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
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`SESSIONGRAPH_CONFIG: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `  ${path}: ${issue.message}`;
  });
  return `invalid configuration (${source}):\n${lines.join('\n')}`;
}

/** Reads `SESSIONGRAPH_CONFIG` (a JSON file), then lets environment variables override single settings. */
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
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS'),
    maxPageSize: integer(env, 'MAX_PAGE_SIZE'),
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
      formatIssues(result.error, configPath ? `${configPath} and environment` : 'environment'),
    );
  }
  const config = result.data;
  const names = new Set<string>();
  for (const store of config.stores) {
    if (names.has(store.name)) throw new ConfigError(`stores: the store name "${store.name}" is used twice`);
    names.add(store.name);
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

function resolveSecret(secret: Secret, env: Env, setting: string): string {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    // `{"env": "NAME"}` also accepts `NAME_FILE`, like every secret read from the environment.
    const value = secretOrFile(env, secret.env);
    if (!value) {
      throw new ConfigError(
        `${setting}: the environment variable ${secret.env} (or ${secret.env}_FILE) is not set`,
      );
    }
    return value;
  }
  try {
    return readFileSync(secret.file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${setting}: cannot read ${secret.file} (${(error as Error).message})`);
  }
}

/** Secrets become plain strings here; a store that cannot work without one fails start-up by name. */
function resolveStoreSecrets(store: StoreConfig, env: Env): StoreConfig {
  const where = `stores.${store.name}`;
  switch (store.kind) {
    case 'django': {
      if (!store.secretKey) {
        throw new ConfigError(
          `${where}.secretKey: the django store "${store.name}" needs the project's SECRET_KEY to verify and ` +
            'sign sessions; set "secretKey" to it, or to {"env": "DJANGO_SECRET_KEY"} or {"file": "/path"}',
        );
      }
      return {
        ...store,
        secretKey: resolveSecret(store.secretKey, env, `${where}.secretKey`),
        fallbackKeys: store.fallbackKeys.map((key, index) =>
          resolveSecret(key, env, `${where}.fallbackKeys.${index}`),
        ),
      };
    }
    case 'express':
      return {
        ...store,
        secrets: store.secrets.map((secret, index) =>
          resolveSecret(secret, env, `${where}.secrets.${index}`),
        ),
      };
    default:
      return store;
  }
}

/** A secret after `loadConfig` resolved it. */
export function secretText(secret: Secret | undefined): string {
  if (typeof secret !== 'string') throw new ConfigError('a secret was used before configuration resolved it');
  return secret;
}
