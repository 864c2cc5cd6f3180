import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The pieces of configuration that both the core settings (src/config.ts) and each store kind's own settings
 * (src/stores/<kind>/config.ts) are built from, and the resolution of secrets. Stores import these, never
 * config.ts, which imports the store registry.
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a plain SQL identifier');
export const qualifiedName = z
  .string()
  .regex(/^([A-Za-z_][A-Za-z0-9_$]*\.)?[A-Za-z_][A-Za-z0-9_$]*$/, 'must be "table" or "schema.table"');

/**
 * A secret in the config file: the value itself, `{ "env": "NAME" }` or `{ "file": "/run/secrets/x" }`.
 * Resolved at load time, so the rest of the program only ever sees strings.
 */
export const secretSchema = z.union([
  z.string().min(1),
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type Secret = z.infer<typeof secretSchema>;

/** A JSON path into session data: `passport.user` or `["passport", "user"]`. */
export const pathSchema = z.union([
  z
    .string()
    .min(1)
    .transform((path) => path.split('.')),
  z.array(z.string().min(1)).min(1),
]);

/** What every store over a framework's own table is configured with. */
export const frameworkCommon = {
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

export type Env = Record<string, string | undefined>;

/** `FOO_FILE=/run/secrets/foo` stands for `FOO`, so secrets need not sit in the environment. */
export const secretOrFile = (env: Env, name: string): string | undefined => {
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

/** A secret's value; the error names `setting`. */
export function resolveSecret(secret: Secret, env: Env, setting: string): string {
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

/** Resolves the secrets of one store's settings: `resolve(secret, 'secretKey')` names the setting. */
export type SecretResolver = (secret: Secret, setting: string) => string;

/** A secret after configuration resolved it. */
export function secretText(secret: Secret | undefined): string {
  if (typeof secret !== 'string') throw new ConfigError('a secret was used before configuration resolved it');
  return secret;
}

/** The application's users table (`users` in the settings). */
export const usersSchema = z
  .object({
    table: qualifiedName.default('public.users'),
    key: identifier.default('id'),
    /** Columns to expose on `User`; empty means every column that does not look like a secret. */
    columns: z.array(identifier).default([]),
  })
  .strict();

export type UsersConfig = z.infer<typeof usersSchema>;

/** A typed field read from session data, exposed on `Session` and filterable in `sessions(where:)`. */
export const fieldSchema = z
  .object({
    name: z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*$/, 'must be a GraphQL field name'),
    path: pathSchema,
    type: z.enum(['String', 'Int', 'Float', 'Boolean', 'ID', 'DateTime', 'JSON']),
    description: z.string().optional(),
    /** Index the field's projection column, for filters and joins on it. */
    indexed: z.boolean().default(false),
    /** Like a foreign key: a value set through the API must exist in this table's column. */
    references: z.object({ table: qualifiedName, column: identifier }).strict().optional(),
  })
  .strict();

export type FieldConfig = z.infer<typeof fieldSchema>;
