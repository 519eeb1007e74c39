/**
 * `npm run bench`: every benchmark, one after the other, each in its own process (as run by
 * hand), with this process's environment (DATABASE_URL and each bench's own settings). A
 * benchmark is any top-level file of bench/ but this one; helpers live in sub-folders. Each is
 * bounded by its own limits and, here, by BENCH_TIMEOUT_S (default 1200 s). Only names given as
 * arguments run when there are any: `npm run bench -- bind-bench expiry-bench`. Between
 * benchmarks it says which one of how many runs and the time so far; at the end, each one's
 * outcome and time.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../src/common/progress/progress.js';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 1200);
const only = process.argv.slice(2).map((name) => name.replace(/\.(js|ts)$/, ''));

const benches = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== self)
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.js$/, '')))
  .sort();

function run(file: string): Promise<number | string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, file)], { stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'unknown');
    });
  });
}

const outcomes: Array<{ file: string; outcome: number | string; ms: number }> = [];
const started = performance.now();
for (const [i, file] of benches.entries()) {
  // Each benchmark owns the terminal while it runs (its own progress lines and tables), so the
  // run's progress is said between them: which one of how many, and the time so far.
  console.log(
    `\n=== [${i + 1}/${benches.length}] ${file} (${formatDuration(performance.now() - started)} so far) ===`,
  );
  const at = performance.now();
  const outcome = await run(file);
  outcomes.push({ file, outcome, ms: performance.now() - at });
}
console.log(`\n=== benchmarks: ${formatDuration(performance.now() - started)} in all ===`);
for (const { file, outcome, ms } of outcomes) {
  const failed = outcome === 0 ? '' : ` (${outcome})`;
  console.log(
    `${outcome === 0 ? 'ok    ' : 'FAILED'} ${file.padEnd(28)} ${formatDuration(ms).padStart(12)}${failed}`,
  );
}
const failures = outcomes.filter(({ outcome }) => outcome !== 0).length;
console.log(`benchmarks: ${outcomes.length - failures} ok, ${failures} failed`);
if (failures > 0) process.exitCode = 1;
