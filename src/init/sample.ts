import { type Config, ConfigError, loadConfig } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { ProjectableStore } from '../projection/projector.ts';
import { failsItsSignature, sampleRecords } from '../projection/secret-check.ts';
import { kindOf } from '../stores/registry.ts';
import type { StoreDeps } from '../stores/kind.ts';
import { readUsersCatalog } from '../users/catalog.ts';
import { createUsersQueries } from '../users/users.sql.ts';

export interface SampleReport {
  /** One line for people and for the written config's comment. */
  line: string;
  /** Every sampled row fails its signature: the secret is wrong. */
  wrongSecret: boolean;
}

/**
 * Reads a sample of a proposed store's rows with its own decoder, as the server would: how many decode, how
 * many fail their signature (a wrong secret), and the commonest other problem. A store whose secret's
 * environment variable is unset is not read; the line says which variable to set.
 */
export async function sampleStore(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  users: Record<string, unknown> | null,
  store: Record<string, unknown> & { kind: string; name: string },
  secretNames: readonly string[],
): Promise<SampleReport> {
  let config: Config;
  try {
    config = loadConfig(
      {
        DATABASE_URL: env['DATABASE_URL'],
        // A secret may come as NAME or as a file named by NAME_FILE, as the server reads it.
        ...Object.fromEntries(
          secretNames.flatMap((name) => [
            [name, env[name]],
            [`${name}_FILE`, env[`${name}_FILE`]],
          ]),
        ),
      },
      { ...(users ? { users } : {}), stores: [store] },
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const unset = secretNames.filter((name) => !env[name] && !env[`${name}_FILE`]);
    return {
      line: unset.length
        ? `not checked: set ${unset.join(' and ')} and run init again to check a sample of rows`
        : `not checked: ${error.message}`,
      wrongSecret: false,
    };
  }
  const catalog = await readUsersCatalog(pool, config.users);
  const deps: StoreDeps = {
    catalog,
    users: createUsersQueries(catalog),
    budgets: config.budgets,
    decodeCacheBytes: 1 << 20,
    // Only the native store refreshes lastSeenAt, and init reads no native session.
    touches: { touch() {}, flush: async () => {}, close: async () => {}, backlog: () => 0 },
  };
  const created = await kindOf(store.kind).create(pool, config.stores[0]!, deps);
  if (!('sql' in created)) return { line: 'not a framework table', wrongSecret: false };
  const framework = created as typeof created & ProjectableStore;
  const records = await sampleRecords(pool, framework, new Date());
  if (records.length === 0) return { line: 'empty: nothing to check yet', wrongSecret: false };
  const tampered = records.filter(failsItsSignature).length;
  const others = new Map<string, number>();
  for (const record of records) {
    if (record.status !== 'INVALID' || failsItsSignature(record)) continue;
    const problem = record.problem ?? 'invalid';
    others.set(problem, (others.get(problem) ?? 0) + 1);
  }
  const invalid = [...others.values()].reduce((sum, n) => sum + n, 0);
  const decoding = records.length - tampered - invalid;
  const withSecret = secretNames.length > 0 ? ` with ${secretNames.join(' and ')}` : '';
  const parts = [
    secretNames.length > 0
      ? `${records.length - tampered} of ${records.length} sampled rows verify${withSecret}`
      : `${decoding} of ${records.length} sampled rows decode`,
  ];
  const commonest = [...others].sort((a, b) => b[1] - a[1])[0];
  if (commonest) parts.push(`${invalid} invalid (most: ${commonest[0]})`);
  return { line: parts.join('; '), wrongSecret: tampered === records.length };
}
