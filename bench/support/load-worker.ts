import { parentPort, workerData } from 'node:worker_threads';
import {
  closedLoop,
  fixedRate,
  openLoop,
  saturate,
  type ClosedLoopOptions,
  type FixedRateOptions,
  type LoadTarget,
  type Task,
} from './load.js';

/**
 * A load job, run on its own thread (see run-load.ts) so that the generator does not share the
 * measured service's event loop. HTTP targets are built in; any other task comes from a module
 * exporting `createTask(data)` (a provider client calling the simulator directly, say).
 */
export type LoadJob =
  | { kind: 'saturate'; target: LoadTarget; options: ClosedLoopOptions }
  | { kind: 'fixed'; target: LoadTarget; options: FixedRateOptions }
  | {
      kind: 'task';
      /** URL of a module exporting TaskFactory as `createTask`. */
      module: string;
      data: unknown;
      closed?: ClosedLoopOptions;
      open?: FixedRateOptions;
    };

export type TaskFactory = (data: unknown) => Promise<{ task: Task; close: () => Promise<void> }>;

/** Set up, say so ('ready'), wait for 'go': the load starts when the parent has taken its readings. */
async function ready(): Promise<void> {
  const go = new Promise<void>((resolve) =>
    parentPort!.on('message', (m: unknown) => m === 'go' && resolve()),
  );
  parentPort!.postMessage('ready');
  await go;
}

async function run(job: LoadJob) {
  if (job.kind === 'saturate') return ready().then(() => saturate(job.target, job.options));
  if (job.kind === 'fixed') return ready().then(() => fixedRate(job.target, job.options));
  const { createTask } = (await import(job.module)) as { createTask: TaskFactory };
  const { task, close } = await createTask(job.data);
  try {
    await ready();
    if (job.closed) return await closedLoop(task, job.closed);
    if (job.open) return await openLoop(task, job.open);
    throw new Error('a task job needs `closed` or `open` options');
  } finally {
    await close();
  }
}

parentPort!.postMessage(await run(workerData as LoadJob));
parentPort!.close();
