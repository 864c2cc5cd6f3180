import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { appliedMigrations, latestMigration, migrate } from './db/migrations.ts';
import { createPool } from './db/pool.ts';
import { createLogger } from './log.ts';
import { progressLine } from './projection/progress.ts';
import { uninstall } from './projection/schema.ts';
import { SyncWorker } from './projection/worker.ts';
import { createApp } from './app.ts';
import { sweepExpired } from './sessions/service.ts';
import { readUsersCatalog, UsersTableError } from './users/catalog.ts';

/**
 * `sessiongraph <command>`: operations that run against DATABASE_URL outside the server.
 *   migrate   apply sessiongraph's migrations (idempotent)
 *   sweep     delete expired sessions in bounded batches and report how many
 */
const usage = `usage: sessiongraph <command>

commands:
  migrate              apply sessiongraph's migrations to DATABASE_URL (safe to repeat)
  sweep                delete expired sessions in bounded batches and print how many per store
  sync                 run the projection's sync worker in the foreground (backfills first)
  sync --backfill      build the projection of every framework store, with progress; resumable
                       (--restart starts over)
  sync --verify        compare the projection with the stores, repair drift, report what was fixed
  uninstall            remove sessiongraph's triggers and schema; framework tables keep their rows
  help                 this text
`;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      backfill: { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
      restart: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0] ?? 'help';
  if (command === 'help' || command === '--help') {
    process.stdout.write(usage);
    return 0;
  }
  const config = loadConfig();
  if (!config.databaseUrl) {
    process.stderr.write(
      'sessiongraph: DATABASE_URL is not set; the command needs a PostgreSQL to work on\n',
    );
    return 2;
  }
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const pool = createPool(config.databaseUrl, 2);
  try {
    switch (command) {
      case 'migrate': {
        const catalog = await readUsersCatalog(pool, config.users);
        const applied = await migrate(pool, { users: catalog });
        const now = await appliedMigrations(pool);
        process.stdout.write(
          applied.length > 0
            ? `applied migrations ${applied.join(', ')}; schema sessiongraph is at version ${latestMigration}\n`
            : `nothing to do; schema sessiongraph is at version ${Math.max(...now)}\n`,
        );
        return 0;
      }
      case 'sweep': {
        const app = await createApp(config, { pool, logger, migrate: false });
        const deleted = await sweepExpired(app);
        const total = Object.values(deleted).reduce((sum, count) => sum + count, 0);
        for (const [store, count] of Object.entries(deleted))
          process.stdout.write(`${store}: ${count} deleted\n`);
        process.stdout.write(`swept ${total} expired session${total === 1 ? '' : 's'}\n`);
        return 0;
      }
      case 'sync': {
        const app = await createApp(config, { pool, logger, migrate: true });
        if (values.backfill) {
          for (const store of app.frameworkStores.values()) {
            const startedAt = Date.now();
            const final = await app.projector.backfill(pool, store, {
              restart: values.restart,
              onProgress: (progress) => {
                process.stderr.write(
                  `\r${progressLine(store.name, progress.rows, progress.total, startedAt)}`,
                );
              },
            });
            process.stderr.write('\n');
            const seconds = (Date.now() - startedAt) / 1000;
            process.stdout.write(
              `${store.name}: ${final.rows} sessions projected in ${seconds.toFixed(2)}s ` +
                `(${Math.round(final.rows / Math.max(seconds, 0.001))} sessions/s)\n`,
            );
          }
          return 0;
        }
        if (values.verify) {
          for (const store of app.frameworkStores.values()) {
            const report = await app.projector.verify(pool, store);
            process.stdout.write(
              `${store.name}: checked ${report.checked}; repaired ${report.missing} missing, ${report.stale} stale, ` +
                `removed ${report.orphaned} orphaned\n`,
            );
          }
          return 0;
        }
        const worker = new SyncWorker(pool, config.databaseUrl, app.projector, app.frameworkStores, logger, {
          batchSize: config.syncBatchSize,
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
        const done = await uninstall(pool, config);
        for (const line of done) process.stdout.write(`${line}\n`);
        return 0;
      }
      default:
        process.stderr.write(`sessiongraph: unknown command "${command}"\n\n${usage}`);
        return 2;
    }
  } finally {
    await pool.end();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof UsersTableError) {
      process.stderr.write(`sessiongraph: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`sessiongraph: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
