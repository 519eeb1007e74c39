/**
 * `npm run bench`: every benchmark, one after the other, each in its own process (as run by
 * hand), with this process's environment (DATABASE_URL and each bench's own settings). A
 * benchmark is any top-level file of bench/ but this one; helpers live in sub-folders. Each is
 * bounded by its own limits and, here, by BENCH_TIMEOUT_S (default 1200 s). Only names given as
 * arguments run when there are any: `npm run bench -- bind-bench expiry-bench`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const outcomes: Array<[string, number | string]> = [];
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  outcomes.push([file, await run(file)]);
}
console.log('\n=== benchmarks ===');
for (const [file, outcome] of outcomes) {
  console.log(
    `${outcome === 0 ? 'ok    ' : 'FAILED'} ${file}${outcome === 0 ? '' : ` (${outcome})`}`,
  );
}
if (outcomes.some(([, outcome]) => outcome !== 0)) process.exitCode = 1;
