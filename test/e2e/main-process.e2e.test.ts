import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/common/project-root.js';
import { TEST_AUTH_ENV, TEST_KEYS } from '../support/test-keys.js';

/**
 * The built service as a newcomer runs it (`npm start` runs this same file after building):
 * nothing configured, so an embedded Postgres and the built-in simulator. `npm test` builds first.
 */
const MAIN = join(PROJECT_ROOT, 'dist', 'src', 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The environment without anything that configures the service, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return { ...env, ...extra };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
}

function run(env: NodeJS.ProcessEnv, cwd?: string): Run {
  const child = spawn(process.execPath, [MAIN], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (text: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes(text)) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for "${text}"; output so far:\n${output}`));
      }, timeoutMs);
      listeners.add(check);
      void exited.then(() => {
        if (!output.includes(text)) reject(new Error(`exited before "${text}":\n${output}`));
      });
      check();
    });
  return { child, output: () => output, exited, waitFor };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe.skipIf(!existsSync(MAIN))('the built service', () => {
  it('starts with no configuration on an embedded Postgres and the simulator, serves readiness, binds, and stops cleanly', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'axb-main-'));
    dirs.push(dataDir);
    // As root the embedded server runs as the `postgres` user, which must reach the data folder.
    await chmod(dataDir, 0o755);
    const [port, pgPort] = [await freePort(), await freePort()];
    const service = run(
      cleanEnv({
        API_KEYS: TEST_AUTH_ENV.API_KEYS!,
        PORT: String(port),
        EMBEDDED_PG_DIR: join(dataDir, 'pg'),
        EMBEDDED_PG_PORT: String(pgPort),
      }),
      dataDir, // no .env there: nothing configures the service
    );
    try {
      await service.waitFor('Console:', 60_000);
      expect(service.output()).toContain('DATABASE_URL is not set: started an embedded Postgres');
      expect(service.output()).toContain(
        'PROVIDER_ENDPOINT is not set: started the built-in Dyplsapi simulator',
      );
      // A ready pool, said so in the log, so the first bind works.
      expect(service.output()).toMatch(/held no numbers, bought 3 in 杭州/);
      // Not a terminal (a pipe): one log format from the first line, every line a JSON object.
      const lines = service.output().trim().split('\n');
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      // The start-up summary says in words what the service uses.
      const said = lines.map((l) => (JSON.parse(l) as { msg?: string }).msg ?? '');
      expect(said).toContain(`axb-router listening on http://127.0.0.1:${port}`);
      // A new database: its definitions applied for the first time, said so.
      expect(said).toContainEqual(
        expect.stringMatching(
          /^Definitions \(prisma\/sql\) applied, all \d+ in name order \(all of them new or changed\)/,
        ),
      );
      expect(said).toContain(
        `Database: embedded Postgres, data in ${join(dataDir, 'pg')} (127.0.0.1:${pgPort}/axb); ` +
          'set DATABASE_URL to use your own server',
      );
      expect(said.find((m) => m.startsWith('Provider: '))).toMatch(
        /^Provider: built-in Dyplsapi simulator at http:\/\/127\.0\.0\.1:\d+\//,
      );

      const auth = { authorization: `Bearer ${TEST_KEYS.order}` };
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
      // Probes need no key; details only for a keyed caller.
      const probe = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(probe.status).toBe(200);
      expect(await probe.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`, { headers: auth });
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ database: 'up' });
      // Development defaults: the API docs open in a browser.
      expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);
      const bind = await fetch(`http://127.0.0.1:${port}/v1/bindings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({
          outId: 'first-trip',
          phoneA: '13800000001',
          phoneB: '13900000001',
          ttlSeconds: 600,
        }),
      });
      expect(bind.status).toBe(201);
      expect(service.output()).not.toContain('13800000001');
    } finally {
      service.child.kill('SIGTERM');
    }
    // Nest's shutdown hooks close the app, then end the process with the signal it received.
    const exit = await service.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM', JSON.stringify(exit)).toBe(true);
    expect(service.output()).toContain('Embedded Postgres stopped');
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    // An orderly shutdown warns of nothing: every pool is closed before the embedded database
    // stops (a pool still open then had its idle connections cut, and said so at warn level).
    const logged = service
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg?: string });
    const from = logged.findIndex((l) => l.msg?.startsWith('SIGTERM: shutting down'));
    expect(from).toBeGreaterThan(0);
    const warned = logged
      .slice(from)
      .filter((l) => l.level >= 40)
      .map((l) => l.msg);
    expect(warned).toEqual([]);
  }, 120_000); // its own limits inside (60 s to start): initdb and a first start on a busy machine

  it('refuses to start with an invalid setting, naming the key', async () => {
    const service = run(cleanEnv({ PORT: 'eighty', DATABASE_POOL_SIZE: '0' }), tmpdir());
    expect((await service.exited).code).toBe(1);
    const line = JSON.parse(service.output().trim()) as { level: number; problems: string[] };
    expect(line.level).toBe(60);
    expect(line.problems.join('\n')).toContain('PORT="eighty"');
    expect(line.problems.join('\n')).toContain('DATABASE_POOL_SIZE');
  });
});
