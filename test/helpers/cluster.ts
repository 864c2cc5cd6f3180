import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.ts';

/**
 * A private PostgreSQL cluster a test may stop and start at will (the shared server must not be touched:
 * other test files use it at the same time). Needs the server binaries (`npm test` installs them).
 */
export interface Cluster {
  url: string;
  start(): void;
  /** `fast` ends sessions cleanly; `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): void;
}

function binaries(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base).filter((name) => existsSync(join(base, name, 'bin', 'initdb')))
    : [];
  if (versions.length === 0)
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  versions.sort((a, b) => Number(a) - Number(b));
  return join(base, versions.at(-1)!, 'bin');
}

export async function createCluster(): Promise<Cluster> {
  const bin = binaries();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sg-cluster-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root.
  const run = (command: string, args: string[]) => {
    if (asRoot) {
      const line = [command, ...args].map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
      execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', line], { stdio: 'pipe' });
    } else {
      execFileSync(command, args, { stdio: 'pipe' });
    }
  };
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const cluster: Cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']),
    stop: (mode = 'fast') => run(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', 'stop']),
    destroy() {
      try {
        cluster.stop('immediate');
      } catch {
        // not running
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
