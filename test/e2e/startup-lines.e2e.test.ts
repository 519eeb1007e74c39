import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/common/project-root.js';
import { freePort } from '../support/free-port.js';
import { createMigratedDatabase } from '../support/scratch-database.js';
import { TEST_AUTH_ENV, TEST_KEYS } from '../support/test-keys.js';

/**
 * The built service as `npm start` runs it on a terminal: a real pseudo-terminal (util-linux
 * `script`), so stdout is a TTY exactly as in a person's shell. Its start-up lines must be
 * readable lines, not JSON, and say which database and provider it uses without a secret.
 */
const MAIN = join(PROJECT_ROOT, 'dist', 'src', 'main.js');
const hasScript = spawnSync('script', ['--version']).status === 0;
const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex

interface TerminalRun {
  output: () => string;
  /** The output without colours, split into lines (a terminal ends them with \r\n). */
  lines: () => string[];
  waitFor: (text: string, timeoutMs: number) => Promise<void>;
  /** Ctrl-C on the terminal: SIGINT to the service, as a person stops `npm start`. */
  interrupt: () => void;
  exited: Promise<number | null>;
}

/** `node dist/src/main.js` on a pseudo-terminal, with only `env` as its settings. */
function onTerminal(env: Record<string, string>): TerminalRun {
  const child = spawn('script', ['-qfec', 'exec "$AXB_NODE" "$AXB_MAIN"', '/dev/null'], {
    cwd: tmpdir(), // no .env there
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SHELL: '/bin/sh',
      TERM: 'xterm-256color',
      AXB_NODE: process.execPath,
      AXB_MAIN: MAIN,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const l of listeners) l();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    output: () => output,
    lines: () =>
      output
        .replace(ANSI, '')
        .split(/\r?\n/)
        .map((l) => l.replace(/^\^C/, ''))
        .filter((l) => l.trim() !== ''),
    waitFor: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!output.replace(ANSI, '').includes(text)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for "${text}"; output so far:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!output.replace(ANSI, '').includes(text))
            reject(new Error(`exited before "${text}":\n${output}`));
        });
        check();
      }),
    interrupt: () => child.stdin.write('\x03'),
    exited,
  };
}

const isJson = (line: string) => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};

describe.skipIf(!existsSync(MAIN) || !hasScript)('the built service on a terminal', () => {
  const role = `axb_role_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const providerSecret = `provider-secret-${randomBytes(8).toString('hex')}`;
  const callbackSecret = `callback-secret-${randomBytes(8).toString('hex')}`;
  let db: { url: string; drop: () => Promise<void> };
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    // A role with a password of our own, so DATABASE_URL carries one whatever the server's auth.
    admin = new pg.Client({ connectionString: inject('serverUrl') });
    await admin.connect();
    await admin.query(`CREATE ROLE "${role}" LOGIN SUPERUSER PASSWORD '${password}'`);
  });
  afterAll(async () => {
    await db?.drop();
    await admin?.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin?.end();
  });

  it('prints readable, coloured lines naming where it listens, the database and the provider, without secrets', async () => {
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    const [port, providerPort] = [await freePort(), await freePort()];
    const run = onTerminal({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: url.toString(),
      // Nothing listens there: the service does not call the provider to start.
      PROVIDER_ENDPOINT: `http://127.0.0.1:${providerPort}/`,
      PROVIDER_ACCESS_KEY_ID: 'startup-key-id',
      PROVIDER_ACCESS_KEY_SECRET: providerSecret,
      ...TEST_AUTH_ENV,
      CALLBACK_SECRET: callbackSecret,
    });
    try {
      await run.waitFor('Console:', 60_000);
    } finally {
      run.interrupt();
    }
    expect(await run.exited).toBe(0);

    // Colours (the terminal gets them), and no line is JSON.
    expect(run.output()).toMatch(ANSI);
    const lines = run.lines();
    for (const line of lines) {
      expect(isJson(line), line).toBe(false);
      expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /);
    }
    const text = lines.join('\n');
    const database = `${url.hostname}:${url.port || 5432}${url.pathname}`;
    expect(text).toContain(`INFO: [Main] axb-router listening on http://127.0.0.1:${port}`);
    expect(text).toContain(`INFO: [Main] Database: Postgres at ${database}`);
    expect(text).toContain(
      `INFO: [Main] Provider: Alibaba Cloud Dyplsapi at 127.0.0.1:${providerPort} (region cn-hangzhou`,
    );
    expect(text).toContain('npm run apikey -- create --name me --roles order,routing,admin');
    expect(text).toContain(`http://127.0.0.1:${port}/console`);
    expect(text).toContain(`http://127.0.0.1:${port}/docs`);
    // The shutdown on Ctrl-C is told in the same form.
    expect(text).toMatch(/INFO: \[GracefulShutdown\] SIGINT: shutting down/);

    for (const secret of [
      password,
      role,
      providerSecret,
      callbackSecret,
      ...Object.values(TEST_KEYS),
    ])
      expect(run.output(), 'a secret in the logs').not.toContain(secret);
  }, 90_000); // waits up to 60 s for the start, on a busy machine

  it('writes JSON lines on a terminal when LOG_FORMAT=json, and a bad setting readably when not', async () => {
    const bad = { PORT: 'eighty', PROVIDER_ACCESS_KEY_SECRET: providerSecret };

    const json = onTerminal({ ...bad, LOG_FORMAT: 'json' });
    expect(await json.exited).toBe(1);
    const records = json.lines().map((l) => JSON.parse(l) as { level: number; problems: string[] });
    expect(records).toHaveLength(1);
    expect(records[0]!.level).toBe(60);
    expect(records[0]!.problems.join('\n')).toContain('PORT="eighty"');

    const pretty = onTerminal(bad);
    expect(await pretty.exited).toBe(1);
    const lines = pretty.lines();
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] FATAL: Invalid configuration:$/);
    expect(lines.slice(1).join('\n')).toContain('- PORT="eighty": ');
    for (const line of lines) expect(isJson(line), line).toBe(false);
    expect(pretty.output()).not.toContain(providerSecret);
  }, 60_000); // two processes that exit at start-up, on a busy machine
});
