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

export const storeSchema = z.discriminatedUnion('kind', [nativeStoreSchema]);

export const configSchema = z.object({
  databaseUrl: z.string().url().optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(4000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  migrateOnStart: z.boolean().default(true),
  graphiql: z.boolean().default(true),
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
  poolSize: z.number().int().positive().default(10),
  users: usersSchema.default({ table: 'public.users', key: 'id', columns: [] }),
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
    sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS'),
    maxPageSize: integer(env, 'MAX_PAGE_SIZE'),
    poolSize: integer(env, 'POOL_SIZE'),
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
  return config;
}
