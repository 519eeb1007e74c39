import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunningSimulator, SimulatorOptions } from './options.js';

/** What a simulator on a worker thread is started with: its options but a logger (not cloned). */
export type SimulatorThreadOptions = Omit<SimulatorOptions, 'logger'>;

/** The worker's first message: where it listens (RunningSimulator without close). */
export type SimulatorThreadAddress = Omit<RunningSimulator, 'close'>;

/**
 * The Dyplsapi simulator on a worker thread of its own: the process that calls it (the service
 * with the embedded defaults, a benchmark) then spends on each provider call only the client's
 * side, as it would with the real provider, not the provider's side too on the same event loop
 * (a refresh-ahead burst, the message consumer's long polls, the simulator's own timers). The
 * simulator holds its state in memory; nothing but its HTTP endpoints is shared, so it answers
 * the same from a thread as in-process. `onCrash` hears of the thread dying after it started.
 */
export async function startSimulatorThread(
  options: SimulatorThreadOptions,
  onCrash: (error: Error) => void = (error) => console.error(error),
): Promise<RunningSimulator> {
  const worker = new Worker(workerFile(), { workerData: options });
  const address = await new Promise<SimulatorThreadAddress>((resolve, reject) => {
    const failed = (error: Error) => {
      worker.off('message', started);
      worker.off('exit', exited);
      reject(error);
    };
    const exited = (code: number) => failed(new Error(`the simulator thread exited with ${code}`));
    const started = (message: SimulatorThreadAddress) => {
      worker.off('error', failed);
      worker.off('exit', exited);
      resolve(message);
    };
    worker.once('message', started);
    worker.once('error', failed);
    worker.once('exit', exited);
  });
  let closing = false;
  worker.on('error', (error) => {
    if (!closing) onCrash(error);
  });
  let closed: Promise<void> | undefined;
  return {
    ...address,
    close: () => {
      closed ??= (async () => {
        closing = true;
        const done = new Promise((resolve) => {
          worker.once('message', resolve);
          worker.once('exit', resolve);
        });
        worker.postMessage('close');
        await done;
        await worker.terminate();
      })();
      return closed;
    },
  };
}

/**
 * The worker's module: beside this one when built (dist/simulator/), else (this module loaded
 * from its TypeScript source, as the tests do) the built one, which `npm test` builds first:
 * a worker thread loads plain JavaScript, not the sources.
 */
function workerFile(): URL {
  const beside = new URL('./worker.js', import.meta.url);
  // From the sources (simulator/thread.ts), the built copy is dist/simulator/worker.js.
  return existsSync(fileURLToPath(beside))
    ? beside
    : new URL('../dist/simulator/worker.js', import.meta.url);
}
