/** CPU time from /proc: of one process, and of every PostgreSQL process on this machine. */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/**
 * User + system CPU seconds of a process (0 once it is gone), from /proc/<pid>/stat; with `children`, also
 * those of its children that have exited.
 */
export function processCpuSeconds(pid: number | string, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (children ? own + Number(fields[13]) + Number(fields[14]) : own) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by every PostgreSQL process on this machine, backends that have exited included
 * (the postmaster reaps them, so their time is in its children's).
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres')
        total += processCpuSeconds(pid, true);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
