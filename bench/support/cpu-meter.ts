import { readFile } from 'node:fs/promises';
import type pg from 'pg';

/**
 * CPU time spent during a phase, which contention does not inflate the way it inflates wall
 * time: this process (every thread: service, simulator and load workers) and the Postgres
 * backends serving the benchmark's database (read from /proc, so only when Postgres runs on this
 * machine; null otherwise).
 */
export class CpuMeter {
  constructor(private readonly sql: pg.Client) {}

  async read(): Promise<{ processMs: number; postgresMs: number | null }> {
    const usage = process.cpuUsage();
    return { processMs: (usage.user + usage.system) / 1000, postgresMs: await this.postgres() };
  }

  private async postgres(): Promise<number | null> {
    const { rows } = await this.sql.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
    );
    let ms = 0;
    for (const { pid } of rows) {
      try {
        ms += await cpuMsOf(`/proc/${pid}/stat`);
      } catch {
        return null;
      }
    }
    return ms;
  }
}

/**
 * CPU ms (user + system) so far of the process or thread whose `stat` file is at `path`
 * (`/proc/<pid>/stat`, `/proc/self/task/<tid>/stat`); throws when it is gone.
 */
export async function cpuMsOf(path: string): Promise<number> {
  const stat = await readFile(path, 'utf8');
  // After the command's name in parentheses (which may hold spaces): utime and stime are the
  // 12th and 13th fields, in clock ticks of 10 ms (USER_HZ = 100 on Linux).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The machine's CPU time so far, busy and in all (every core; /proc/stat's ticks), or null. */
export async function machineTicks(): Promise<{ busy: number; all: number } | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal …: idle and iowait are not busy; steal
    // is (the machine wanted the core, and its host gave it to someone else).
    const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const all = t.reduce((s, x) => s + x, 0);
    return { busy: all - t[3]! - t[4]!, all };
  } catch {
    return null;
  }
}

/** How busy the machine's cores were between two readings, in % of all of them ('n/a': no /proc). */
export function busyShare(
  before: { busy: number; all: number } | null,
  after: { busy: number; all: number } | null,
): string {
  if (!before || !after || after.all === before.all) return 'n/a';
  return `${Math.round((100 * (after.busy - before.busy)) / (after.all - before.all))} %`;
}
