import { Worker } from 'node:worker_threads';
import type { LoadSummary } from './load.js';
import type { LoadJob } from './load-worker.js';

/** Runs one load job on a fresh worker thread and returns its summary. */
export function runLoad(job: LoadJob): Promise<LoadSummary> {
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', (summary: LoadSummary) => resolve(summary));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}
