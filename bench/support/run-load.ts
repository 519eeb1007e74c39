import { Worker } from 'node:worker_threads';
import { Progress, formatDuration } from '../../src/common/progress/progress.js';
import type { LoadSummary } from './load.js';
import type { LoadJob } from './load-worker.js';

/** The summary, 'ready', or a count of calls answered so far. */
type WorkerMessage = LoadSummary | 'ready' | { progress: number };

/**
 * What a load job does, in a few words, and its bounds: a fixed rate knows its count; a closed
 * loop ends at its count or its time, whichever comes first, so only the time is shown.
 */
function describe(job: LoadJob): { label: string; max?: number; durationMs: number } {
  if (job.kind === 'saturate') {
    const { connections, durationMs } = job.options;
    return { label: `load ${job.target.path} ×${connections}`, durationMs };
  }
  if (job.kind === 'fixed') {
    const { rate, durationMs } = job.options;
    const max = Math.floor((rate * durationMs) / 1000);
    return { label: `load ${job.target.path} at ${rate}/s`, max, durationMs };
  }
  const name = job.module.replace(/^.*\//, '').replace(/\.[jt]s$/, '');
  if (job.closed) {
    const { connections, durationMs } = job.closed;
    return { label: `load ${name} ×${connections}`, durationMs };
  }
  const { rate = 0, durationMs = 0 } = job.open ?? {};
  return {
    label: `load ${name} at ${rate}/s`,
    max: Math.floor((rate * durationMs) / 1000),
    durationMs,
  };
}

/**
 * Runs one load job on a fresh worker thread and returns its summary. `onReady` runs once the
 * worker is set up (modules loaded, connections made) and before the load starts, so readings
 * taken there (CPU time, event-loop use) leave the thread's start-up out. While it runs, a
 * progress line (stderr: live on a terminal, a plain line every 10 s elsewhere) shows the calls
 * answered, the rate and the time against the job's bounds.
 */
export function runLoad(job: LoadJob, onReady?: () => Promise<void> | void): Promise<LoadSummary> {
  const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: job });
  const { label, max, durationMs } = describe(job);
  let progress: Progress | undefined;
  const bound = `of ≤ ${formatDuration(durationMs)}`;
  return new Promise<LoadSummary>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (typeof message === 'object' && 'progress' in message) {
        progress?.update(message.progress, bound);
        return;
      }
      if (message !== 'ready') return resolve(message);
      Promise.resolve(onReady?.()).then(
        () => {
          progress = new Progress(label, { total: max, unit: 'calls' });
          worker.postMessage('go');
        },
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
  }).finally(() => progress?.finish());
}
