import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/common/project-root.js';
import { benchServiceSettings } from './bench-service-settings.js';

/** A free loopback port (asked of the OS, then released for the child to take). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Pause between two probes of a starting service's health/live, ms. */
const PROBE_PAUSE_MS = 100;
/** Longest wait for one probe's answer: a process that accepted but hangs is probed again. */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * The built service (dist/src/main.js) as a child process, as production runs it, started and
 * waited for (health/live, bounded); its output goes to `log` line by line. With `terminal`, on a
 * terminal of its own (`script`'s pseudo-terminal), as a newcomer's `npm start` runs in one: its
 * log lines then go to a TTY, which Node writes to synchronously, and `auto` means pretty.
 */
export async function startService(
  env: Record<string, string>,
  log: (line: string) => void,
  timeoutMs = 60_000,
  options: { terminal?: boolean } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const main = join(PROJECT_ROOT, 'dist/src/main.js');
  const child = options.terminal
    ? spawn('script', ['-qfec', 'exec "$AXB_NODE" "$AXB_MAIN"', '/dev/null'], {
        env: {
          PATH: process.env.PATH ?? '',
          TERM: 'xterm-256color',
          SHELL: '/bin/sh',
          AXB_NODE: process.execPath,
          AXB_MAIN: main,
          ...env,
        },
        // `script` ends when its input does: kept open, never written.
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, [main], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  for (const stream of [child.stdout, child.stderr]) {
    // Whole lines: a chunk may end inside one, whose rest comes with the next chunk.
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) log(line);
    });
    stream?.on('end', () => {
      if (partial.trim()) log(partial);
    });
  }
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + timeoutMs;
  // Bounded by the deadline alone: a count of tries fixed apart from it (300 × 100 ms) cut every
  // longer timeout a caller gave to about 30 s, which a start on a busy machine can outlast.
  const tries = Math.ceil(timeoutMs / PROBE_PAUSE_MS) + 1;
  for (let attempt = 0; Date.now() < deadline && attempt < tries; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health/live`, {
      signal: AbortSignal.timeout(Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()))),
    }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url };
    await new Promise((r) => setTimeout(r, PROBE_PAUSE_MS));
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not answer within ${timeoutMs} ms`);
}

/** Resolves once the child has exited (after a kill). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * The settings of a benchmark's service process: on `databaseUrl`, against the simulator at
 * `providerUrl` with its keys, `poolKey` as default pool, the bench key, no rate limit, jobs on
 * request only and no reconciliation grace (the benches reconcile after the process they stopped
 * is gone, so no bind of it can still be in flight); `extra` on top.
 */
export async function benchServiceEnv(options: {
  databaseUrl: string;
  providerUrl: string;
  provider: { accessKeyId: string; accessKeySecret: string };
  poolKey: string;
  extra?: Record<string, string>;
}): Promise<Record<string, string>> {
  return {
    ...benchServiceSettings(options),
    LOG_LEVEL: 'warn',
    PORT: String(await freePort()),
    SCHEDULER_RECONCILE_GRACE_SECONDS: '0',
    ...options.extra,
  };
}
