import { Worker } from 'node:worker_threads';
import type { SimulatorOptions } from '../../simulator/server.js';

export type SimulatorThreadOptions = Pick<
  SimulatorOptions,
  'accessKeyId' | 'accessKeySecret' | 'poolKeys'
> &
  Partial<Pick<SimulatorOptions, 'ownedPerCity' | 'stockPerCity'>>;

/**
 * The Dyplsapi simulator on its own worker thread: provider calls then cost the measured
 * service's event loop nothing but the client side of the call.
 */
export async function startSimulatorThread(
  options: SimulatorThreadOptions,
): Promise<{ url: string; controlUrl: string; stop: () => Promise<void> }> {
  const worker = new Worker(new URL('./simulator-worker.js', import.meta.url), {
    workerData: options,
  });
  const { url, controlUrl } = await new Promise<{ url: string; controlUrl: string }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  return {
    url,
    controlUrl,
    stop: async () => {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}
