import { parentPort, workerData } from 'node:worker_threads';
import { startSimulator } from '../../simulator/server.js';

/** The Dyplsapi simulator on its own thread: provider calls then cost the service no CPU time. */
const options = workerData as { accessKeyId: string; accessKeySecret: string; poolKey: string };
const sim = await startSimulator({
  accessKeyId: options.accessKeyId,
  accessKeySecret: options.accessKeySecret,
  poolKeys: [options.poolKey],
  ownedPerCity: 0,
  port: 0,
});
parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void sim.close().then(() => parentPort!.postMessage({ closed: true }));
});
parentPort!.postMessage({ url: sim.url, controlUrl: sim.controlUrl });
