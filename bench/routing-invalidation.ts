import 'reflect-metadata';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import {
  seedBindings,
  startService,
  startServiceThread,
  SIMULATOR,
  type SeededBinding,
} from './routing/bench-setup.js';
import { BENCH_API_KEYS, BENCH_AUTH } from './support/bench-key.js';
import { createBenchDatabase } from './support/bench-database.js';
import { intSetting } from './support/settings.js';
import { startSimulatorThread } from '../simulator/thread.js';

/**
 * How fast a change made through one instance reaches another instance's routing cache. Two
 * instances on one database (DATABASE_URL's server, else embedded): instance 1 on the main thread,
 * instance 2 on a worker thread (its own event loop, as another process), the simulator on a third.
 * Each trial: instance 2 answers a binding from its cache; the change is made through instance 1
 * (unbind, expiry change, or X reported abnormal); instance 2 is then asked back to back until its
 * answer no longer comes from the old entry. The lag is from instance 1's acknowledgement of the
 * change (committed by then) to the first such answer received: an upper bound, by one lookup's
 * round trip, of how long instance 2 kept the old entry. Target: max ≤ 50 ms. Beside it, from
 * instance 2's own record: when its cache was told of the change (the notification processed),
 * relative to the same acknowledgement (negative: before instance 1 had answered).
 *
 *   npm run build && node dist/bench/routing-invalidation.js
 *   BENCH_TRIALS=200 (per change kind) DATABASE_URL=… (optional)
 */

const TRIALS = intSetting('BENCH_TRIALS', 200, 1, 1000);
/** Lookups of instance 2 per trial before giving up (each is a full round trip). */
const MAX_POLLS = 5_000;
const TARGET_MS = 50;
const CALLBACK_SECRET = 'bench-callback-secret';

interface Answer {
  status: number;
  dial: string | null;
  source: string;
}

/** JSON over a keep-alive pool to one loopback instance. */
class Client {
  private readonly pool: Pool;

  constructor(origin: string) {
    if (new URL(origin).hostname !== '127.0.0.1') throw new Error(`loopback only: ${origin}`);
    this.pool = new Pool(origin, { connections: 2 });
  }

  async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.pool.request({
      method: method as 'POST',
      path,
      headers: {
        ...BENCH_AUTH,
        'x-callback-secret': CALLBACK_SECRET,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }

  lookup(b: SeededBinding): Promise<Answer> {
    return this.send('POST', '/v1/routing/lookup', { bindingId: b.id, callerNo: b.phoneA });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

interface Trial {
  lagMs: number;
  /** Answers from the old entry received after the change was acknowledged. */
  staleAfterAck: number;
  /** Epoch ms when the change was sent and acknowledged; the key instance 2 must hear about. */
  sentAt: number;
  ackedAt: number;
  key: string;
}

/** Asks instance 2 until it answers `b` from its cache (bounded). */
async function warm(two: Client, b: SeededBinding): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if ((await two.lookup(b)).source === 'cache') return;
  }
  throw new Error(`instance 2 would not cache ${b.id}`);
}

/** One trial: `change` through instance 1, then instance 2 until `fresh` holds for its answer. */
async function trial(
  two: Client,
  b: SeededBinding,
  key: string,
  change: () => Promise<unknown>,
  fresh: (a: Answer) => boolean,
): Promise<Trial> {
  await warm(two, b);
  const sentAt = performance.timeOrigin + performance.now();
  await change();
  const acked = performance.now();
  const ackedAt = performance.timeOrigin + acked;
  for (let polls = 0; polls < MAX_POLLS; polls += 1) {
    const answer = await two.lookup(b);
    if (fresh(answer)) {
      return { lagMs: performance.now() - acked, staleAfterAck: polls, sentAt, ackedAt, key };
    }
  }
  throw new Error(
    `instance 2 still answered ${b.id} from the old entry after ${MAX_POLLS} lookups`,
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function summarise(name: string, trials: Trial[], heard: Record<string, number[]>): string {
  const lags = trials.map((t) => t.lagMs).sort((a, b) => a - b);
  const max = lags.at(-1)!;
  const stale = trials.reduce((n, t) => n + t.staleAfterAck, 0);
  // The first time instance 2 heard of the key after the change was sent, relative to the
  // acknowledgement.
  const told = trials
    .map((t) => {
      const times = (heard[t.key] ?? []).filter((at) => at > t.sentAt);
      return times.length ? Math.min(...times) - t.ackedAt : NaN;
    })
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const f = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(2));
  return (
    `| ${name} | ${trials.length} | ${f(percentile(lags, 50))} | ${f(percentile(lags, 99))} | ` +
    `${f(max)} | ${stale} | ${max <= TARGET_MS ? 'met' : 'NOT met'} | ` +
    `${f(percentile(told, 50))} / ${f(percentile(told, 99))} / ${f(told.at(-1))} (${told.length}) |`
  );
}

async function main(): Promise<void> {
  const db = await createBenchDatabase('routing');
  const sim = await startSimulatorThread(SIMULATOR);
  const env = {
    ROUTING_CACHE_TTL_MS: '600000',
    API_KEYS: BENCH_API_KEYS,
    CALLBACK_SECRET,
    // Health reports are pushed over HTTP here (off by default: the queue is number health's way).
    CALLBACK_NUMBER_HEALTH_ENABLED: 'true',
  };
  const one = await startService(db.url, sim.url, env);
  const twoThread = await startServiceThread(db.url, sim.url, env);
  const api = new Client(one.url);
  const two = new Client(twoThread.url);
  const simControl = async (path: string, body: unknown) => {
    const res = await fetch(`${sim.controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
  };
  try {
    const seeded = await seedBindings(one.url, 2 * TRIALS);
    const toUnbind = seeded.slice(0, TRIALS);
    const toChange = seeded.slice(TRIALS);
    const results: Record<string, Trial[]> = { unbind: [], 'expiry change': [], 'X abnormal': [] };

    for (const b of toUnbind) {
      results.unbind!.push(
        await trial(
          two,
          b,
          `b${b.id}`,
          () => api.send('DELETE', `/v1/bindings/${b.id}`),
          (a) => a.status === 4,
        ),
      );
    }
    for (const [i, b] of toChange.entries()) {
      // Alternate between two expiries, both far ahead: every PATCH is a real change.
      const ttlSeconds = i % 2 === 0 ? 7_200 : 10_800;
      results['expiry change']!.push(
        await trial(
          two,
          b,
          `b${b.id}`,
          () => api.send('PATCH', `/v1/bindings/${b.id}`, { ttlSeconds }),
          (a) => a.source !== 'cache',
        ),
      );
    }
    let reportAt = Date.now();
    const report = (b: SeededBinding, noStatus: 0 | 1) =>
      api.send('POST', '/v1/callbacks/number-health', [
        { secretNo: b.phoneX, noStatus, timestamp: (reportAt += 1) },
      ]);
    for (const b of toChange) {
      // The provider sees X abnormal (and lends a temporary X); its report reaches instance 1.
      results['X abnormal']!.push(
        await trial(
          two,
          b,
          `x${b.phoneX}`,
          async () => {
            await simControl(`/numbers/${b.phoneX}/health`, { status: 'abnormal' });
            await report(b, 0);
          },
          (a) => a.dial !== b.phoneX,
        ),
      );
      await simControl(`/numbers/${b.phoneX}/health`, { status: 'normal' });
      await report(b, 1);
    }

    console.log(
      `\nRouting cache invalidation across instances — ${cpus().length} cores, ${TRIALS} trials ` +
        `per change, lag from instance 1's acknowledgement to instance 2's first answer not from ` +
        `the old entry (load average at the end: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')})\n`,
    );
    console.log(
      '| change through instance 1 | trials | p50 ms | p99 ms | max ms | stale answers after ack | max ≤ 50 ms | cache told, p50 / p99 / max ms (trials) |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---|---|');
    const heard = await twoThread.heard();
    for (const [name, trials] of Object.entries(results)) {
      console.log(summarise(name, trials, heard));
    }
  } finally {
    await api.close();
    await two.close();
    await twoThread.stop();
    await one.app.close();
    await sim.close();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
