// Runs a compiled entry point of dist/ in this process, building first only when dist is missing or older than
// its sources (so `npm run apikey`, `npm start`… take a second on a built project, not a rebuild).
// The build's own output goes to stderr: stdout carries only what the program prints (the key of
// `npm run apikey -- create`, say), so `KEY=$(npm run --silent apikey -- create …)` captures it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-built.mjs dist/<file>.js [args…]');
  process.exit(2);
}
const target = join(root, entry);

/** Newest modification time under the given files/folders (TypeScript sources and build inputs). */
function newest(paths) {
  let latest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== 'generated') visit(join(path, name));
    } else latest = Math.max(latest, stat.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return latest;
}

const inputs = [
  'src',
  'simulator',
  'bench',
  'console',
  'prisma/schema.prisma',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];
const stale = !existsSync(target) || newest(inputs) > statSync(target).mtimeMs;
if (stale) {
  console.error(`${entry} is missing or older than its sources: building (npm run build)…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // The build runs on this same Node (npm and the tools it starts find `node` on PATH).
  const path = [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter);
  const build = spawnSync(npm, ['run', '--silent', 'build'], {
    cwd: root,
    env: { ...process.env, PATH: path },
    stdio: ['ignore', 2, 2],
  });
  if (build.status !== 0) {
    console.error('The build failed.');
    process.exit(build.status ?? 1);
  }
}
// In this process, not a child: signals (SIGTERM from a supervisor, Ctrl-C) reach the program itself.
process.argv = [process.argv[0], target, ...args];
await import(pathToFileURL(target).href);
