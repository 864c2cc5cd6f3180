/**
 * The machine the scale bench shares (src: scale.ts): how much CPU other processes take from it, and waiting
 * until they leave it alone before a measurement. The load average cannot tell once the bench runs (its own
 * servers, PostgreSQL backends and load generator are most of it), so "others" is the machine's busy time
 * minus this bench's: this process and its children (servers included), and PostgreSQL's processes except
 * the backends of other databases (those are someone else's work: another bench, a test suite).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { log, root } from './common.ts';
import { processCpuSeconds } from './cpu.ts';

/** CPU seconds the whole machine has been busy (all cores). */
function busySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]! + fields[7]!) / 100;
}

/** CPU seconds of PostgreSQL's processes that are not backends of another database than `ours` names. */
function postgresSeconds(ours: (database: string) => boolean): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      // A backend's title: "postgres: 15/main: <user> <database> <client> <state>"; others are the postmaster
      // (whose children's time holds exited backends) and background processes, counted as the bench's.
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const database = /^postgres: [^:]+: \S+ (\S+) /.exec(title)?.[1];
      if (database !== undefined && !ours(database)) continue;
      total += processCpuSeconds(pid, true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Measures the cores other processes use, window by window. */
export function otherProcesses(ourPids: () => number[], ourDatabase: (database: string) => boolean) {
  const ours = () =>
    processCpuSeconds(process.pid, true) +
    ourPids().reduce((sum, pid) => sum + processCpuSeconds(pid, true), 0) +
    postgresSeconds(ourDatabase);
  const sample = () => ({ at: performance.now(), busy: busySeconds(), ours: ours() });
  let mark = sample();
  return {
    /** Cores used by other processes since the last call. */
    sinceLast(): number {
      const now = sample();
      const cores = Math.max(0, now.busy - mark.busy - (now.ours - mark.ours)) / ((now.at - mark.at) / 1000);
      mark = now;
      return cores;
    },
  };
}

export type OtherProcesses = ReturnType<typeof otherProcesses>;

/**
 * Waits until other processes used under `cores` over a window of `windowSeconds`, at most `maxMinutes`;
 * returns how long it waited and whether it got quiet.
 */
export async function quietFor(
  others: OtherProcesses,
  options: { cores: number; windowSeconds: number; maxMinutes: number; label: string },
): Promise<{ waitedSeconds: number; quiet: boolean; otherCores: number }> {
  const started = performance.now();
  let lastLine = 0;
  for (;;) {
    others.sinceLast();
    await new Promise((resolve) => setTimeout(resolve, options.windowSeconds * 1000));
    const otherCores = others.sinceLast();
    const waitedSeconds = (performance.now() - started) / 1000;
    if (otherCores < options.cores) return { waitedSeconds, quiet: true, otherCores };
    if (waitedSeconds > options.maxMinutes * 60) {
      log(`  ${options.label}: other processes still use ${otherCores.toFixed(2)} cores; measuring anyway`);
      return { waitedSeconds, quiet: false, otherCores };
    }
    if (performance.now() - lastLine > 30_000) {
      lastLine = performance.now();
      log(
        `  ${options.label}: waiting, other processes use ${otherCores.toFixed(2)} cores (load average ${loadavg()[0]!.toFixed(2)})`,
      );
    }
  }
}

/** What results.json says of the machine, and the code measured. */
export function machine() {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: root }).toString().trim();
    } catch {
      return null;
    }
  };
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    memoryBytes: totalmem(),
    kernel: release(),
    commit: git(['rev-parse', 'HEAD']),
    uncommittedFiles: git(['status', '--porcelain'])?.split('\n').filter(Boolean).length ?? null,
  };
}
