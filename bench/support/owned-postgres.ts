import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../src/common/project-root.js';
import {
  ensureDatabase,
  postgresProcesses,
  serverAnswers,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../../src/prisma/embedded-postgres.js';
import { runMigrations } from '../../src/prisma/migrations/migration-runner.js';
import { freePort } from './child-service.js';

/**
 * A Postgres server of one test or benchmark's own (never the shared server), to take away and
 * give back: `kill()` (SIGKILL to the postmaster and every backend, as a crash; `restart()` runs
 * crash recovery), `freeze()`/`thaw()` (SIGSTOP/SIGCONT: a host that stops answering without
 * closing anything), on an embedded Postgres in a temporary folder.
 */
export class OwnedPostgres {
  private server: EmbeddedDatabase | undefined;
  private frozen: number[] = [];

  private constructor(
    private readonly root: string,
    private readonly port: number,
  ) {}

  static async start(): Promise<OwnedPostgres> {
    const root = await mkdtemp(join(tmpdir(), 'axb-owned-pg-'));
    // Postgres runs as the `postgres` system user when we are root: it must reach its folder.
    await chmod(root, 0o755);
    const owned = new OwnedPostgres(root, await freePort());
    await owned.restart();
    return owned;
  }

  get dir(): string {
    return join(this.root, 'pg');
  }

  get serverUrl(): string {
    return `postgresql://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** A new database on this server with the real migrations applied. */
  async migratedDatabase(name: string): Promise<string> {
    const url = await ensureDatabase(this.serverUrl, name);
    await runMigrations({ connectionString: url, migrationsDir: MIGRATIONS_DIR });
    return url;
  }

  /** Starts the server (again, after kill(): crash recovery), resolving once it accepts. */
  async restart(): Promise<void> {
    this.server = await startEmbeddedPostgres({ dir: this.dir, port: this.port, persistent: true });
  }

  /** SIGKILL to every process of the server: nothing is shut down cleanly. */
  async kill(): Promise<void> {
    for (const pid of await postgresProcesses(this.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (let i = 0; i < 200 && (await this.answers()); i += 1) {
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGSTOP to every process of the server: connections stay open, nothing answers. */
  async freeze(): Promise<void> {
    this.frozen = await postgresProcesses(this.dir);
    for (const pid of this.frozen) process.kill(pid, 'SIGSTOP');
  }

  async thaw(): Promise<void> {
    for (const pid of this.frozen.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
  }

  answers(): Promise<boolean> {
    return serverAnswers(this.serverUrl);
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    await this.thaw();
    await this.server?.stop().catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
  }
}
