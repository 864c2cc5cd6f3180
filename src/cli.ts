import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { recordAudit } from './auth/audit.sql.ts';
import { createToken, parseScopes, SCOPES } from './auth/tokens.ts';
import { listTokens, revokeToken, type TokenRow } from './auth/tokens.sql.ts';
import {
  type Config,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  withDefaultConfigFile,
} from './config.ts';
import { secretOrFile } from './config-parts.ts';
import { appliedMigrations, latestMigration, migrate } from './db/migrations.ts';
import { createPool, type Pool } from './db/pool.ts';
import { createLogger } from './log.ts';
import { init } from './init/init.ts';
import { progressLine, progressWriter } from './projection/progress.ts';
import { isFrameworkStore, storeTable, uninstall } from './projection/schema.ts';
import { SyncWorker } from './projection/worker.ts';
import { type App, createApp, pipelinesTransactions } from './app.ts';
import type { ProjectableStore } from './projection/projector.ts';
import type { SessionStore } from './stores/types.ts';
import { sweepExpired, sweptTotal } from './sessions/sweep.ts';
import { countedStats } from './db/session-counts.ts';
import { isFrameworkKind } from './stores/registry.ts';
import { readUsersCatalog, UsersTableError } from './users/catalog.ts';

/**
 * `sessiongraph <command>`: operations that run against DATABASE_URL outside the server.
 *   migrate   apply sessiongraph's migrations (idempotent)
 *   sweep     delete expired sessions in bounded batches and report how many
 *   token     create, list and revoke API tokens
 */
const usage = `usage: sessiongraph <command>

commands:
  init                 find the session and users tables in DATABASE_URL, check a sample of rows, and
                       write a commented sessiongraph.jsonc (--out <file>, --force to replace one)
  migrate              apply sessiongraph's migrations to DATABASE_URL (safe to repeat)
  sweep                delete expired sessions in bounded batches and print how many per store
  sync                 run the projection's sync worker in the foreground (backfills first)
  sync --backfill      build the projection of every framework store, with progress; resumable
                       (--restart starts over)
  sync --verify        compare the projection with the stores, repair drift, report what was fixed
  uninstall            remove sessiongraph's triggers and schema; framework tables keep their rows
  token create --name <name> --scopes <scope,...> [--expires-in 30d|12h|90m|3600s]
                       create an API token and print it, once; scopes: ${SCOPES.join(', ')}
  token list           the API tokens: name, scopes, created, expires, status (never the token)
  token revoke <name-or-id>
                       revoke an API token (safe to repeat)
  help                 this text (also --help or -h after any command, for that command)
`;

/** One line typed at the terminal. */
async function ask(question: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await lines.question(question);
  } finally {
    lines.close();
  }
}

/** A command used wrongly, or asked for something that cannot be: the message, and exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        backfill: { type: 'boolean', default: false },
        verify: { type: 'boolean', default: false },
        restart: { type: 'boolean', default: false },
        name: { type: 'string' },
        scopes: { type: 'string' },
        'expires-in': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        yes: { type: 'boolean', default: false },
        out: { type: 'string', default: DEFAULT_CONFIG_FILE },
        force: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

const tokenUsage =
  'usage: sessiongraph token create --name <name> --scopes <scope,...> [--expires-in 30d|12h|90m|3600s]\n' +
  '       sessiongraph token list\n' +
  '       sessiongraph token revoke <name-or-id>\n';

/** Each command's own help (`sessiongraph <command> --help`). */
const commandHelp: Record<string, string> = {
  init: `usage: sessiongraph init [--out <file>] [--force]

Connects to DATABASE_URL and finds, by their columns, the session tables of every supported framework
(Django, web.py, express with connect-pg-simple, Flask-Session, Symfony and Laravel, session_cache tables)
and a users table (auth_user, users). Each store's rows are sampled with its own decoder; a store whose
secret is in the environment (DJANGO_SECRET_KEY, …) reports how many sampled rows verify with it. Writes a
commented configuration (default ${DEFAULT_CONFIG_FILE}, which the server then reads) with secrets referenced by
environment variable, never written out. Changes nothing in the database.
`,
  migrate: `usage: sessiongraph migrate

Applies sessiongraph's migrations to DATABASE_URL: its schema, the native store's table, the projection and
the triggers on the configured framework tables. Safe to repeat, also from several replicas at once. A server
started with migrateOnStart off refuses to start until this has run for its configuration.
`,
  sweep: `usage: sessiongraph sweep

Deletes expired sessions of every configured store in batches sized so that none holds its rows longer than
sweepLockMilliseconds (at most sweepBatchSize rows), resting between batches so that it is busy only
sweepDutyCycle of the time (0.33: writers' commits need the disk too), printing progress, then the count
per store; also prunes expired tombstones and idempotency keys. Ctrl-C stops it after the batch in flight,
with the counts so far (exit code 130; 143 after SIGTERM); a second Ctrl-C stops it at once.
`,
  sync: `usage: sessiongraph sync [--backfill [--restart] | --verify]

  (no option)   run the projection's sync worker in the foreground (backfills first)
  --backfill    build the projection of every framework store, with progress; resumable
  --restart     with --backfill: start over instead of resuming
  --verify      compare the projection with the stores, repair drift, report what was fixed
`,
  uninstall: `usage: sessiongraph uninstall [--yes]

Removes sessiongraph's triggers and its schema; framework tables keep their rows. Asks first on a terminal
(--yes skips the question).
`,
  token: tokenUsage,
  help: usage,
};

/**
 * Bulk work on each framework store in turn, with its progress drawn and its summary line printed; exits 1 at
 * the first store whose secret verified no sampled row, before any work on it.
 */
async function eachFrameworkStore(
  app: App,
  work: (
    store: SessionStore & ProjectableStore,
    progress: (done: number, total: number) => void,
  ) => Promise<string>,
): Promise<number> {
  for (const store of app.frameworkStores.values()) {
    const held = app.projector.held.get(store.name);
    if (held) {
      process.stderr.write(`sessiongraph: ${held}\n`);
      return 1;
    }
    const startedAt = Date.now();
    const bar = progressWriter();
    const summary = await work(store, (done, total) =>
      bar.update(progressLine(store.name, done, total, startedAt)),
    );
    bar.done();
    process.stdout.write(`${summary}\n`);
  }
  return 0;
}

async function runInit(values: { out: string; force: boolean }): Promise<number> {
  const databaseUrl = secretOrFile(process.env, 'DATABASE_URL');
  if (!databaseUrl) {
    process.stderr.write("sessiongraph init: set DATABASE_URL to the application's database first\n");
    return 2;
  }
  const pool = createPool(databaseUrl, 1);
  try {
    const outcome = await init(pool, process.env, values);
    (outcome.written ? process.stdout : process.stderr).write(outcome.report);
    return outcome.written ? 0 : 1;
  } finally {
    await pool.end();
  }
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseCommandLine(argv);
  const command = positionals[0] ?? 'help';
  const help = commandHelp[command];
  if (help === undefined) {
    process.stderr.write(`sessiongraph: unknown command "${command}"\n\n${usage}`);
    return 2;
  }
  if (command === 'help' || values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (command === 'init') return runInit(values);
  const config = loadConfig(withDefaultConfigFile(process.env));
  if (!config.databaseUrl) {
    process.stderr.write(
      'sessiongraph: DATABASE_URL is not set; the command needs a PostgreSQL to work on\n',
    );
    return 2;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  // Pipelined as the server's pool is: a sweep batch's delete leaves with its COMMIT in one write, so its rows
  // are not held across a round trip.
  const pool = createPool(config.databaseUrl, 2, {}, { pipeline: pipelinesTransactions(config) });
  try {
    switch (command) {
      case 'migrate': {
        const before = new Set(await appliedMigrations(pool).catch(() => []));
        // As a server that migrates does at start: the migrations, then what this configuration needs of the
        // database (each framework table's triggers, once its store has checked the table; the fields' columns).
        await createApp(config, { pool, logger, migrate: true });
        const now = await appliedMigrations(pool);
        const applied = now.filter((version) => !before.has(version));
        process.stdout.write(
          applied.length > 0
            ? `applied migrations ${applied.join(', ')}; schema sessiongraph is at version ${latestMigration}\n`
            : `nothing to do; schema sessiongraph is at version ${Math.max(...now)}\n`,
        );
        const tables = config.stores.filter(isFrameworkStore).map(storeTable);
        if (tables.length > 0) process.stdout.write(`projection triggers in place on ${tables.join(', ')}\n`);
        return 0;
      }
      case 'sweep': {
        const app = await createApp(config, { pool, logger, migrate: false });
        // What there is to sweep, from the kept counts (a framework store's from its projection).
        const native = config.stores.find((store) => !isFrameworkKind(store.kind))?.name ?? null;
        const expired = new Map(
          (await countedStats(pool, native, null, 'EXPIRED')).map((row) => [row.store, row.count]),
        );
        const started = new Map<string, number>();
        const progress = progressWriter();
        // Ctrl-C (or SIGTERM) stops the sweep after the batch in flight, whose events go out after its
        // commit, and prints the counts so far; a second signal stops it at once.
        const stopping = new AbortController();
        let exitCode = 0;
        const stop = (signal: NodeJS.Signals) => {
          const code = signal === 'SIGTERM' ? 143 : 130;
          if (stopping.signal.aborted) process.exit(code);
          exitCode = code;
          process.stderr.write('\nstopping after the batch in flight (again to stop at once)\n');
          stopping.abort();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        let deleted: Record<string, number>;
        try {
          deleted = await sweepExpired(
            app,
            app.pool,
            (store, total) => {
              if (!started.has(store)) {
                progress.done();
                started.set(store, Date.now());
              }
              const expected = Math.max(expired.get(store) ?? 0, total);
              progress.update(progressLine(store, total, expected, started.get(store)!));
            },
            stopping.signal,
          );
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        progress.done();
        const total = sweptTotal(deleted);
        for (const [store, count] of Object.entries(deleted))
          process.stdout.write(`${store}: ${count} deleted\n`);
        const sessions = `${total} expired session${total === 1 ? '' : 's'}`;
        if (stopping.signal.aborted) {
          process.stdout.write(`stopped: swept ${sessions}; the rest are left for the next sweep\n`);
          return exitCode;
        }
        process.stdout.write(`swept ${sessions}\n`);
        return 0;
      }
      case 'sync': {
        const app = await createApp(config, { pool, logger, migrate: true });
        // Awaited here, not returned as a promise: the pool closes in this function's finally.
        if (values.backfill) {
          return await eachFrameworkStore(app, async (store, progress) => {
            const startedAt = Date.now();
            const final = await app.projector.backfill(pool, store, {
              restart: values.restart,
              onProgress: ({ rows, total }) => progress(rows, total),
            });
            const seconds = (Date.now() - startedAt) / 1000;
            return (
              `${store.name}: ${final.rows} sessions projected in ${seconds.toFixed(2)}s ` +
              `(${Math.round(final.rows / Math.max(seconds, 0.001))} sessions/s)`
            );
          });
        }
        if (values.verify) {
          return await eachFrameworkStore(app, async (store, progress) => {
            const report = await app.projector.verify(pool, store, undefined, progress);
            return (
              `${store.name}: checked ${report.checked}; repaired ${report.missing} missing, ${report.stale} stale, ` +
              `removed ${report.orphaned} orphaned`
            );
          });
        }
        const worker = new SyncWorker(pool, config.databaseUrl, app.projector, app.frameworkStores, logger, {
          batchSize: config.syncBatchSize,
          onRestart: () => app.metrics.syncWorkerRestarts.inc(),
        });
        worker.start();
        process.stdout.write(
          `sync worker running for ${[...app.frameworkStores.keys()].join(', ') || 'no stores'}\n`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await worker.stop();
        process.stdout.write(`sync worker stopped after applying ${worker.applied} changes\n`);
        return 0;
      }
      case 'uninstall': {
        if (process.stdin.isTTY && !values.yes) {
          const answer = await ask(
            "Remove sessiongraph's schema (native sessions, tokens, audit log, projection) and its triggers? [y/N] ",
          );
          if (!/^y(es)?$/i.test(answer.trim())) {
            process.stdout.write('nothing removed\n');
            return 1;
          }
        }
        const done = await uninstall(pool, config);
        for (const line of done) process.stdout.write(`${line}\n`);
        if (done.length === 0)
          process.stdout.write('nothing to remove: no sessiongraph schema or triggers here\n');
        return 0;
      }
      case 'token':
        return await tokenCommand(pool, config, positionals.slice(1), values);
      default:
        process.stderr.write(`sessiongraph: unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } finally {
    await pool.end();
  }
}

/** `sessiongraph token create|list|revoke`: API tokens, on a schema migrated first (tokens are migration 3). */
async function tokenCommand(
  pool: Pool,
  config: Config,
  args: string[],
  values: { name?: string | undefined; scopes?: string | undefined; 'expires-in'?: string | undefined },
): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(
      `${action ? `unknown token command "${action}"` : 'token needs a command'}\n\n${tokenUsage}`,
    );
  }
  const catalog = await readUsersCatalog(pool, config.users);
  await migrate(pool, { users: catalog });
  const now = new Date();
  switch (action) {
    case 'create': {
      const name = values.name?.trim();
      if (!name) throw new UsageError(`token create needs --name\n\n${tokenUsage}`);
      if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/.test(name)) {
        throw new UsageError(
          `token name "${name}": use letters, digits and . _ : @ - (at most 100, starting with a letter or digit)`,
        );
      }
      if (values.scopes === undefined) {
        throw new UsageError(`token create needs --scopes (any of ${SCOPES.join(', ')})\n\n${tokenUsage}`);
      }
      let scopes: ReturnType<typeof parseScopes>;
      try {
        scopes = parseScopes(values.scopes);
      } catch (error) {
        throw new UsageError(`--scopes: ${(error as Error).message}`);
      }
      const expiresIn = values['expires-in'];
      const expiresAt =
        expiresIn === undefined ? null : new Date(now.getTime() + parseDuration(expiresIn) * 1000);
      const existing = (await listTokens(pool)).find((row) => row.name === name);
      if (existing) throw duplicateName(name, existing, now);
      let created: Awaited<ReturnType<typeof createToken>>;
      try {
        created = await createToken(pool, name, scopes, expiresAt);
      } catch (error) {
        // Another process created the same name between the check and the insert.
        if ((error as { code?: string }).code === '23505') throw duplicateName(name, null, now);
        throw error;
      }
      const { token, row } = created;
      await recordAudit(pool, {
        actor: 'cli',
        action: 'createToken',
        outcome: 'ok',
        detail: { tokenId: row.id, name: row.name, scopes: row.scopes, expiresAt: row.expires_at },
      });
      process.stdout.write(
        `created API token "${row.name}" (id ${row.id})\n` +
          `  scopes:  ${row.scopes.join(',')}\n` +
          `  expires: ${row.expires_at ? timestamp(row.expires_at) : 'never'}\n\n` +
          `${token}\n\n` +
          'This token will not be shown again: sessiongraph stores only its SHA-256. Keep it in a secret store.\n' +
          `Send it with every request as the header:  Authorization: Bearer ${token}\n`,
      );
      return 0;
    }
    case 'list': {
      const rows = await listTokens(pool);
      if (rows.length === 0) {
        process.stdout.write(
          'no API tokens; create one with: sessiongraph token create --name … --scopes …\n',
        );
        return 0;
      }
      process.stdout.write(
        table(
          ['NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'STATUS', 'ID'],
          rows.map((row) => [
            row.name,
            row.scopes.join(','),
            timestamp(row.created_at),
            row.expires_at ? timestamp(row.expires_at) : 'never',
            tokenStatus(row, now),
            row.id,
          ]),
        ),
      );
      return 0;
    }
    case 'revoke': {
      const target = rest[0];
      if (!target || rest.length > 1)
        throw new UsageError(`token revoke needs one name or id\n\n${tokenUsage}`);
      const before = (await listTokens(pool)).find((row) => row.name === target || row.id === target);
      const row = before ? await revokeToken(pool, before.id) : null;
      if (!before || !row) {
        throw new UsageError(`no API token is named or has the id "${target}"; see sessiongraph token list`);
      }
      if (before.revoked_at) {
        process.stdout.write(
          `API token "${row.name}" (id ${row.id}) was already revoked at ${timestamp(before.revoked_at)}\n`,
        );
        return 0;
      }
      await recordAudit(pool, {
        actor: 'cli',
        action: 'revokeToken',
        outcome: 'ok',
        detail: { tokenId: row.id, name: row.name },
      });
      process.stdout.write(
        `revoked API token "${row.name}" (id ${row.id}); requests presenting it are refused from now on\n`,
      );
      return 0;
    }
  }
}

function duplicateName(name: string, existing: TokenRow | null, now: Date): UsageError {
  const status = existing ? ` (${tokenStatus(existing, now)})` : '';
  return new UsageError(
    `an API token named "${name}" already exists${status}; names stay taken after revocation, choose another`,
  );
}

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `30d`, `12h`, `90m`, `3600s` → seconds. */
function parseDuration(text: string): number {
  const match = /^(\d{1,9})([smhd])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * units[match[2]!]! : 0;
  if (!match || seconds <= 0) {
    throw new UsageError(
      `--expires-in: expected a positive duration like 30d, 12h, 90m or 3600s, got "${text}"`,
    );
  }
  if (seconds > 100 * 366 * 86_400) throw new UsageError(`--expires-in: "${text}" is more than 100 years`);
  return seconds;
}

function tokenStatus(row: TokenRow, now: Date): 'active' | 'expired' | 'revoked' {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** UTC to the second: `2026-05-01 12:00:00Z`. */
const timestamp = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`sessiongraph: ${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof ConfigError || error instanceof UsersTableError) {
      process.stderr.write(`sessiongraph: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`sessiongraph: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
