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

/** Answered calls so far, posted to the parent four times a second for its progress line. */
let answered = 0;
const onAnswer = () => {
  answered += 1;
};

async function run(job: LoadJob) {
  if (job.kind === 'saturate')
    return ready().then(() => saturate(job.target, { ...job.options, onAnswer }));
  if (job.kind === 'fixed') return fixedRate(job.target, { ...job.options, onAnswer }, ready);
  const { createTask } = (await import(job.module)) as { createTask: TaskFactory };
  const { task, close } = await createTask(job.data);
  try {
    await ready();
    if (job.closed) return await closedLoop(task, { ...job.closed, onAnswer });
    if (job.open) return await openLoop(task, { ...job.open, onAnswer });
    throw new Error('a task job needs `closed` or `open` options');
  } finally {
    await close();
  }
}

const ticker = setInterval(() => parentPort!.postMessage({ progress: answered }), 250);
const summary = await run(workerData as LoadJob);
clearInterval(ticker);
parentPort!.postMessage(summary);
parentPort!.close();
