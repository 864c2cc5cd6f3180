/**
 * The servers the bench measures, each built to plain JavaScript in dist/ and run as a child process with
 * bench/preload.ts preloaded to count SQL statements.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { log, root } from './common.ts';
import { processCpuSeconds } from './cpu.ts';

export interface Server {
  name: string;
  port: number;
  child: ChildProcess;
  /** SQL statements sent so far (through the preload's counter). */
  statements(): Promise<number>;
  /** CPU seconds the server process has used so far (user + system). */
  cpuSeconds(): number;
  /** Peak resident set size in bytes since the last resetPeak (VmHWM). */
  peakRss(): number;
  /** Resident set size now, in bytes (VmRSS). */
  rss(): number;
  resetPeak(): void;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  workDir: string,
): Promise<Server> {
  const port = await freePort();
  const countFile = join(workDir, `${name}.statements`);
  const preload = pathToFileURL(join(root, 'dist/bench/preload.js')).href;
  const profile = name === 'sessiongraph' && process.env['BENCH_PROFILE'];
  // sessiongraph with the flags `npm start` gives it.
  const flags = [
    ...(name === 'sessiongraph'
      ? [
          '--enable-source-maps',
          '--expose-gc',
          `--max-old-space-size=${process.env['HEAP_MB'] ?? 256}`,
          ...(process.env['BENCH_SERVER_FLAGS']?.split(' ').filter(Boolean) ?? []),
        ]
      : []),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
  ];
  const child = spawn(process.execPath, [...flags, '--import', preload, script], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      // BENCH_SERVER_LOGS=<dir>: each server's warnings and errors go to <dir>/<name>-<port>.log.
      LOG_LEVEL: process.env['BENCH_SERVER_LOGS'] ? 'warn' : 'silent',
      // Every server runs as it would in production (graphql-js skips its development-mode checks).
      NODE_ENV: 'production',
      BENCH_QUERY_COUNT_FILE: countFile,
    },
    stdio: [
      'ignore',
      process.env['BENCH_SERVER_LOGS']
        ? openSync(join(process.env['BENCH_SERVER_LOGS'], `${name}-${port}.log`), 'a')
        : 'ignore',
      'pipe',
    ],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  let stopping = false;
  child.once('exit', (code, signal) => {
    exited = true;
    if (!stopping) log(`${name} exited unexpectedly (${code ?? signal}):\n${stderr.slice(-2000)}`);
  });
  const deadline = Date.now() + 120_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`${name} exited at start:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`${name} did not listen within 120 s:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const pid = child.pid!;
  return {
    name,
    port,
    child,
    async statements() {
      rmSync(countFile, { force: true });
      child.kill('SIGUSR2');
      for (let i = 0; i < 200 && !existsSync(countFile); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return existsSync(countFile) ? Number(readFileSync(countFile, 'utf8')) : Number.NaN;
    },
    cpuSeconds: () => processCpuSeconds(pid),
    rss() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      } catch {
        return 0;
      }
    },
    peakRss() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        // not permitted here: the peak then includes start-up (and the projection's backfill)
      }
    },
    async stop() {
      if (exited) return;
      stopping = true;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/**
 * Every server runs as plain JavaScript, built the way `npm start` builds sessiongraph: no TypeScript loader
 * in the measured processes (its hooks thread alone is some 60 MB of RSS).
 */
export function buildServers() {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node20',
    format: 'esm' as const,
    packages: 'external' as const,
    logLevel: 'warning' as const,
    absWorkingDir: root,
  };
  // As `npm run build`: the server and, beside it, the decode worker it starts for bulk decoding (when the
  // sources have one), which dist/main.js loads as dist/decode-worker.js.
  const worker = 'src/projection/decode-worker.ts';
  buildSync({
    ...common,
    entryPoints: {
      main: 'src/main.ts',
      ...(existsSync(join(root, worker)) ? { 'decode-worker': worker } : {}),
    },
    outdir: 'dist',
  });
  buildSync({
    ...common,
    entryPoints: ['bench/preload.ts', 'bench/handwritten.ts', 'bench/postgraphile.ts'],
    outdir: 'dist/bench',
  });
}
