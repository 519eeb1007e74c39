import { Worker } from 'node:worker_threads';
import type { LoadSummary } from './load.js';
import type { LoadJob } from './load-worker.js';

/**
 * Runs one load job on a fresh worker thread and returns its summary. `onReady` runs once the
 * worker is set up (modules loaded, connections made) and before the load starts, so readings
 * taken there (CPU time, event-loop use) leave the thread's start-up out.
 */
export function runLoad(job: LoadJob, onReady?: () => Promise<void> | void): Promise<LoadSummary> {
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.on('message', (message: LoadSummary | 'ready') => {
      if (message !== 'ready') return resolve(message);
      Promise.resolve(onReady?.()).then(
        () => worker.postMessage('go'),
        (error: unknown) => {
          reject(error);
          void worker.terminate();
        },
      );
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}
