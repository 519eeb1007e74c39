import { parentPort, workerData } from 'node:worker_threads';
import { startSimulator } from './server.js';
import type { SimulatorThreadAddress, SimulatorThreadOptions } from './thread.js';

/** The simulator's worker thread (see thread.ts): starts it, says where, closes it when told. */
const sim = await startSimulator(workerData as SimulatorThreadOptions);
parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void sim.close().then(() => parentPort!.postMessage({ closed: true }));
});
const address: SimulatorThreadAddress = {
  url: sim.url,
  controlUrl: sim.controlUrl,
  mnsEndpoint: sim.mnsEndpoint,
  accountUid: sim.accountUid,
};
parentPort!.postMessage(address);
