import { parentPort, workerData } from 'node:worker_threads';
import { fixedRate, saturate, type LoadTarget } from './load.js';

/** A load job, run on its own thread so the generator does not share the service's event loop. */
export type LoadJob =
  | {
      kind: 'saturate';
      target: LoadTarget;
      options: { connections: number; durationMs: number; maxRequests: number };
    }
  | {
      kind: 'fixed';
      target: LoadTarget;
      options: { rate: number; durationMs: number; connections: number; maxInFlight: number };
    };

const job = workerData as LoadJob;
const summary =
  job.kind === 'saturate'
    ? await saturate(job.target, job.options)
    : await fixedRate(job.target, job.options);
parentPort!.postMessage(summary);
