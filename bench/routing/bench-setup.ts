import { Worker } from 'node:worker_threads';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load-config.js';
import { BaselineModule } from './baseline.module.js';
import { BENCH_AUTH } from '../support/bench-key.js';
import { benchServiceSettings } from '../support/bench-service-settings.js';

export const POOL = 'FCROUTINGBENCH';
const KEY_ID = 'bench-key-id';
const KEY_SECRET = 'bench-key-secret';

/** The simulator the routing benches run on its own thread: one pool, no numbers owned. */
export const SIMULATOR = {
  accessKeyId: KEY_ID,
  accessKeySecret: KEY_SECRET,
  poolKeys: [POOL],
  ownedPerCity: 0,
};

type Stop = () => Promise<void>;

/** A service instance on its own worker thread (see service-worker.ts). */
export async function startServiceThread(
  databaseUrl: string,
  providerUrl: string,
  env: Record<string, string>,
): Promise<{ url: string; heard: () => Promise<Record<string, number[]>>; stop: Stop }> {
  const worker = new Worker(new URL('./service-worker.js', import.meta.url), {
    workerData: { databaseUrl, providerUrl, env },
  });
  const { url } = await new Promise<{ url: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url,
    heard: async () => {
      const reply = new Promise<{ heard: Record<string, number[]> }>((resolve) =>
        worker.once('message', resolve),
      );
      worker.postMessage('heard');
      return (await reply).heard;
    },
    stop: async () => {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

/** The real bootstrap() with the baseline route beside the product's, on a loopback port. */
export async function startService(
  databaseUrl: string,
  providerUrl: string,
  env: Record<string, string>,
): Promise<{ app: NestFastifyApplication; url: string }> {
  const config = loadConfig({
    ...benchServiceSettings({
      databaseUrl,
      providerUrl,
      provider: { accessKeyId: KEY_ID, accessKeySecret: KEY_SECRET },
      poolKey: POOL,
    }),
    ...env,
  });
  const app = await bootstrap(config, { extraModules: [BaselineModule] });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...BENCH_AUTH },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface SeededBinding {
  id: string;
  phoneA: string;
  phoneB: string;
  phoneX: string;
}

/** Buys numbers and binds `count` orders through the API (10 at a time). */
export async function seedBindings(serviceUrl: string, count: number): Promise<SeededBinding[]> {
  const numbers = Math.ceil(count / 150);
  await post(`${serviceUrl}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: numbers });
  const out: SeededBinding[] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, k) => i + k);
    const made = await Promise.all(
      batch.map((n) =>
        post<SeededBinding>(`${serviceUrl}/v1/bindings`, {
          outId: `bench-${n}`,
          phoneA: `1380${String(n).padStart(7, '0')}`,
          phoneB: `1390${String(n).padStart(7, '0')}`,
          ttlSeconds: 86_400,
        }),
      ),
    );
    out.push(...made);
  }
  return out;
}
