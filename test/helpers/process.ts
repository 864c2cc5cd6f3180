import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A config file (SESSIONGRAPH_CONFIG) of `settings` in a directory of its own; `remove` deletes both. */
export function configFile(settings: Record<string, unknown>): { path: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), 'sg-config-'));
  const path = join(directory, 'config.json');
  writeFileSync(path, JSON.stringify(settings));
  return { path, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/**
 * A real `sessiongraph` server process (src/main.ts) on a free port, for what only a process shows:
 * signals, exit codes, several replicas on one database.
 */
export interface ServerProcess {
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM (or `signal`), then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** How `npm start` runs the built server (package.json), for tests of what it does under that heap cap. */
const NPM_START = ['--enable-source-maps', '--expose-gc', '--max-old-space-size=256', 'dist/main.js'];

/**
 * Starts `src/main.ts` through tsx, or with `built` the built `dist/main.js` exactly as `npm start` runs it
 * (build it first: `npm run build`).
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { built?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const args = options.built ? NPM_START : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      SESSIONGRAPH_CONFIG: '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // 'close', not 'exit': by then the process's last output has been read too.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null) {
      await exited;
      throw new Error(`server exited at start:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not listen within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    url,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
