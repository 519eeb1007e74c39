import { parentPort, workerData } from 'node:worker_threads';
import { startService } from './bench-setup.js';

/**
 * One service instance on its own thread (its own event loop, as another process would have),
 * for benchmarks that need two instances on one database.
 */
const options = workerData as {
  databaseUrl: string;
  providerUrl: string;
  env: Record<string, string>;
};
const { app, url } = await startService(options.databaseUrl, options.providerUrl, options.env);
parentPort!.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void app.close().then(() => parentPort!.postMessage({ closed: true }));
});
parentPort!.postMessage({ url });
