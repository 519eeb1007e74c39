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
    let ticks = 0;
    for (const { pid } of rows) {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        return null;
      }
    }
    // Clock ticks of 10 ms (USER_HZ = 100 on Linux).
    return ticks * 10;
  }
}
