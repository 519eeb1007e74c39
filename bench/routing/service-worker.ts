import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Invalidation } from '../../src/routing/cache-invalidation.js';
import { RouteCache } from '../../src/routing/route-cache.js';
import { startService } from './bench-setup.js';

/**
 * One service instance on its own thread (its own event loop, as another process would have),
 * for benchmarks that need two instances on one database. It records when its routing cache was
 * told of each change (epoch ms, comparable across threads), for routing-invalidation.ts.
 */
const options = workerData as {
  databaseUrl: string;
  providerUrl: string;
  env: Record<string, string>;
};
const { app, url } = await startService(options.databaseUrl, options.providerUrl, options.env);

/** `b<binding id>` / `x<number>` → epoch ms of each invalidation naming it. */
const heard = new Map<string, number[]>();
const cache = app.get(RouteCache);
const invalidate = cache.invalidate.bind(cache);
cache.invalidate = (change: Invalidation) => {
  const at = performance.timeOrigin + performance.now();
  if (change.kind === 'keys') {
    for (const key of [
      ...change.bindings.map((id) => `b${id}`),
      ...change.numbers.map((x) => `x${x}`),
    ]) {
      const times = heard.get(key) ?? [];
      times.push(at);
      heard.set(key, times);
    }
  }
  invalidate(change);
};

parentPort!.on('message', (message: unknown) => {
  if (message === 'heard') parentPort!.postMessage({ heard: Object.fromEntries(heard) });
  if (message !== 'close') return;
  void app.close().then(() => parentPort!.postMessage({ closed: true }));
});
parentPort!.postMessage({ url });
