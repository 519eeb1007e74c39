import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/common/project-root.js';

/**
 * The project runs on the Node pinned in .nvmrc (scripts/use-node.sh puts it on PATH, .ci/run
 * too), and `npm ci` under it must not print EBADENGINE: every package the lockfile installs
 * admits that version, and the project's own `engines` promises no Node a dependency refuses.
 */
const read = (file: string) => readFileSync(join(PROJECT_ROOT, file), 'utf8');
const PINNED = read('.nvmrc').trim().replace(/^v/, '');
const DECLARED = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

interface LockEntry {
  version?: string;
  engines?: unknown;
}
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockEntry> };
const nodeRanges = Object.entries(lock.packages).flatMap(([path, entry]) => {
  const node = (entry.engines as { node?: unknown } | undefined)?.node;
  const name = path.replace(/^.*node_modules\//, '') || 'axb-router';
  return typeof node === 'string' ? [{ name: `${name}@${entry.version}`, range: node }] : [];
});

describe('the Node the project runs on', () => {
  it('is pinned to an exact current LTS release, which the project declares', () => {
    expect(semver.valid(PINNED), '.nvmrc').toBe(PINNED);
    expect(semver.major(PINNED)).toBe(24);
    expect(semver.satisfies(PINNED, DECLARED), `engines.node ${DECLARED}`).toBe(true);
    // No end-of-life line: nothing below 22 (Node 20 ended 2026-04-30).
    expect(semver.minVersion(DECLARED)!.major).toBeGreaterThanOrEqual(22);
  });

  it('is the one named by the Dockerfile and the README', () => {
    const major = semver.major(PINNED);
    const froms = [...read('Dockerfile').matchAll(/^FROM node:(\S+)/gm)].map((m) => m[1]!);
    expect(froms.length).toBeGreaterThan(0);
    for (const tag of froms) expect(tag).toMatch(new RegExp(`^${major}(\\.|-)`));
    expect(read('README.md')).toContain(`Node ${major}`);
  });

  it('is admitted by every package the lockfile installs, so npm ci prints no EBADENGINE', () => {
    expect(nodeRanges.length).toBeGreaterThan(50);
    const refusing = nodeRanges.filter(({ range }) => !semver.satisfies(PINNED, range));
    expect(refusing, `refuse Node ${PINNED}`).toEqual([]);
  });

  it('declares only Node versions that every installed package admits', () => {
    // Otherwise a user on a declared version (say the lowest) would see EBADENGINE.
    const narrower = nodeRanges.filter(({ range }) => !semver.subset(DECLARED, range));
    expect(narrower, `narrower than ${DECLARED}`).toEqual([]);
  });
});

/** The pinned Node binary: this process's when it is the pinned one, else use-node.sh's cache. */
function pinnedNode(): string | undefined {
  if (process.versions.node === PINNED) return process.execPath;
  const cached = join(PROJECT_ROOT, '.cache', 'node', PINNED, 'bin', 'node');
  return existsSync(cached) ? cached : undefined;
}

describe('npm ci under the pinned Node', () => {
  const node = pinnedNode();

  // CI runs on the pinned Node (.ci/run sources scripts/use-node.sh), and so do the processes
  // the tests start (they spawn process.execPath).
  it.runIf(process.env.CI)('is the Node this suite runs on in CI', () => {
    expect(process.versions.node).toBe(PINNED);
  });

  it.skipIf(!node)('plans the lockfile install with no engine warning (dry run, offline)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axb-npm-ci-'));
    try {
      for (const f of ['package.json', 'package-lock.json'])
        copyFileSync(join(PROJECT_ROOT, f), join(dir, f));
      // npm's own `#!/usr/bin/env node` finds the pinned binary first. --engine-strict turns an
      // engine mismatch into a failure; --offline keeps the planning from touching the network
      // (the lockfile holds every version, integrity and engines field).
      const result = spawnSync(
        'npm',
        [
          'ci',
          '--dry-run',
          '--offline',
          '--ignore-scripts',
          '--engine-strict',
          '--no-audit',
          '--no-fund',
        ],
        {
          cwd: dir,
          encoding: 'utf8',
          env: { ...process.env, PATH: [dirname(node!), process.env.PATH].join(delimiter) },
          timeout: 60_000,
        },
      );
      const output = `${result.stdout}${result.stderr}`;
      expect(output).not.toContain('EBADENGINE');
      expect(result.status, output.slice(-2000)).toBe(0);
      expect(output).toMatch(/added \d+ packages/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
