import { parentPort, workerData } from 'node:worker_threads';
import { startSimulator } from '../../simulator/server.js';
import type { SimulatorThreadOptions } from './simulator-thread.js';

const sim = await startSimulator({ ...(workerData as SimulatorThreadOptions), port: 0 });
parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void sim.close().then(() => parentPort!.postMessage({ closed: true }));
});
parentPort!.postMessage({ url: sim.url, controlUrl: sim.controlUrl });
