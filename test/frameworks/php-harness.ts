import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Pool } from '../../src/db/pool.ts';

/**
 * Real PHP for test/frameworks/php-*.test.ts: the harness (php/sessions.php: Symfony 5.4's own classes, and
 * Laravel's database driver as Illuminate 8.83 writes it) and short scripts that hold a session open in a
 * request of the real framework while a test acts on it. Debian packages: php8.2-cli php8.2-pgsql
 * php8.2-mbstring php-symfony-http-foundation php-symfony-security-core php-symfony-security-http
 * php-illuminate-session php-illuminate-database php-illuminate-auth.
 */

export const PHP = 'php';
const HARNESS = fileURLToPath(new URL('./php/sessions.php', import.meta.url));

export function requireServer(file: string): string {
  const url = process.env['DATABASE_URL'];
  if (!url) {
    throw new Error(
      `${file} needs a real PostgreSQL that PHP (pdo_pgsql) can reach: run it with ` +
        'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (CI sets it). It is not skipped on purpose.',
    );
  }
  return url;
}

/** The URL of the test app's own database, for PHP. */
export async function databaseUrlOf(pool: Pool, serverUrl: string): Promise<string> {
  const name = (await pool.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function run(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PHP, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) =>
      reject(new Error(`cannot run ${PHP} (install php8.2-cli and the packages above): ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`php ${args.join(' ')} exited with ${code}:\n${stderr}${stdout}`));
      else resolve(stdout);
    });
    child.stdin.end(input);
  });
}

/** One harness command (see the header of php/sessions.php). */
export async function harness<T>(command: string, input: unknown, env: NodeJS.ProcessEnv): Promise<T> {
  return JSON.parse(await run([HARNESS, command], JSON.stringify(input), env)) as T;
}

/**
 * A PHP script that holds a session of the real framework between two steps: it prints `read` once the
 * request has loaded the session, waits for a line on stdin, then saves and prints `saved` (and its
 * answer as JSON on the next line). `script` is the PHP source.
 */
export function holdSession(script: string, env: NodeJS.ProcessEnv) {
  const file = join(
    tmpdir(),
    `sessiongraph-php-hold-${process.pid}-${Math.random().toString(36).slice(2)}.php`,
  );
  writeFileSync(file, script);
  const child: ChildProcessWithoutNullStreams = spawn(PHP, [file], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (expected: string) => {
    const line = await lines.next();
    if (line.done || !line.value.startsWith(expected)) {
      throw new Error(`the PHP script said ${JSON.stringify(line.value)}, not ${expected}:\n${stderr}`);
    }
    return line.value;
  };
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      rmSync(file, { force: true });
      resolve(code);
    }),
  );
  return {
    read: () => next('read'),
    async save<T>(): Promise<T> {
      child.stdin.end('save\n');
      await next('saved');
      const answer = JSON.parse((await lines.next()).value as string) as T;
      await exited;
      return answer;
    },
  };
}

/** PHP source that requires the Symfony components the harness uses. */
export const SYMFONY_AUTOLOAD = `foreach (['HttpFoundation', 'HttpKernel', 'Security/Core', 'Security/Http'] as $c) {
  require_once "/usr/share/php/Symfony/Component/$c/autoload.php";
}`;

/** PHP source that requires Illuminate's session and database components (Debian's php-illuminate-*). */
export const ILLUMINATE_AUTOLOAD = `foreach (['Support', 'Database', 'Session', 'Container', 'Contracts', 'Collections', 'Macroable'] as $c) {
  require_once "/usr/share/php/Illuminate/$c/autoload.php";
}`;
