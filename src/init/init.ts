import { existsSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { findSessionTables, findUsersTable } from './detect.ts';
import { type ProposedStore, renderConfig } from './render.ts';
import { sampleStore } from './sample.ts';

export interface InitOutcome {
  /** What to print: what was found, each sample, and what to do next. */
  report: string;
  written: boolean;
}

/**
 * `sessiongraph init`: finds the session tables of every supported framework and a users table, reads a
 * sample of each store's rows with its own decoder, and writes a commented configuration file.
 */
export async function init(
  pool: Pool,
  env: NodeJS.ProcessEnv,
  options: { out: string; force: boolean },
): Promise<InitOutcome> {
  if (existsSync(options.out) && !options.force) {
    return { report: `${options.out} exists; --force replaces it\n`, written: false };
  }
  const database = (await pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
  const found = await findSessionTables(pool);
  const users = await findUsersTable(pool);
  const usersSettings = users ? { table: users.table, key: users.key } : null;
  const names = new Map<string, number>();
  const stores: ProposedStore[] = [];
  const lines: string[] = [];
  for (const table of found) {
    const seen = names.get(table.kind) ?? 0;
    names.set(table.kind, seen + 1);
    const name = seen === 0 ? table.kind.replace('-', '_') : `${table.kind.replace('-', '_')}_${seen + 1}`;
    const settings = {
      kind: table.kind,
      name,
      ...table.shape.settings,
      table: table.table,
      ...Object.fromEntries(
        (table.shape.secrets ?? []).map((secret) => [secret.setting, { env: secret.env }]),
      ),
    };
    const secretNames = (table.shape.secrets ?? []).map((secret) => secret.env);
    // One store that cannot be read (its table's types, a privilege, no users table) costs only its line.
    const sample = await sampleStore(pool, env, usersSettings, settings, secretNames).catch(
      (error: unknown) => ({ line: `not checked: ${(error as Error).message}`, wrongSecret: false }),
    );
    stores.push({ found: table, settings, sample: sample.line });
    lines.push(`  ${name}: ${table.shape.title} in ${table.table}\n      ${sample.line}`);
    if (sample.wrongSecret) {
      const secret = table.shape.secrets?.[0];
      lines.push(
        `      no row verifies: is ${secret?.env ?? 'the secret'} ${secret?.about ?? ''} of this database?`,
      );
    }
  }
  writeFileSync(options.out, renderConfig({ database, users, stores, at: new Date() }));
  const secrets = [
    ...new Set(
      found.flatMap((table) =>
        (table.shape.secrets ?? []).map((secret) => `${secret.env} (${secret.about})`),
      ),
    ),
  ];
  const report = [
    found.length === 0
      ? 'No session table of a supported framework was found; the native store alone is configured.'
      : `Found ${found.length} session table${found.length === 1 ? '' : 's'}:`,
    ...lines,
    users ? `Users: ${users.table} (key ${users.key})` : 'Users: no users table found (auth_user, users)',
    '',
    `Wrote ${options.out}. Next:`,
    ...(secrets.length ? [`  set ${secrets.join(', ')} in the environment`] : []),
    ...(users ? [] : ['  add "users": {"table", "key"} (the server needs the application\'s users table)']),
    options.out === DEFAULT_CONFIG_FILE
      ? '  npm start      (with DATABASE_URL set, it reads ./sessiongraph.jsonc; without, it starts the demo)'
      : `  SESSIONGRAPH_CONFIG=${options.out} npm start      (with DATABASE_URL set)`,
    '',
  ];
  return { report: report.join('\n'), written: true };
}
