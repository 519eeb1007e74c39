import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../simulator/server.js';

export const SIM_KEY_ID = 'test-key-id';
export const SIM_KEY_SECRET = 'test-key-secret';

export interface TestSimulator extends RunningSimulator {
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** BindAxb (or any action) calls so far, by action name. */
  calls(action: string): Promise<number>;
  /** Settings for the service under test to use this simulator. */
  env: Record<string, string>;
  /** Settings that also turn on the message consumer on this simulator's queues. */
  mnsEnv: Record<string, string>;
}

/** The simulator on a random loopback port, with helpers for its control API. */
export async function startTestSimulator(
  options: Partial<SimulatorOptions> = {},
): Promise<TestSimulator> {
  const sim = await startSimulator({
    accessKeyId: SIM_KEY_ID,
    accessKeySecret: SIM_KEY_SECRET,
    poolKeys: ['FC100000000000001'],
    ...options,
  });
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${sim.controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator control ${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    ...sim,
    control,
    calls: async (action) => {
      const stats = await control<{ byAction: Record<string, { calls: number }> }>('GET', '/stats');
      return stats.byAction[action]?.calls ?? 0;
    },
    env: {
      PROVIDER_ENDPOINT: sim.url,
      PROVIDER_ACCESS_KEY_ID: SIM_KEY_ID,
      PROVIDER_ACCESS_KEY_SECRET: SIM_KEY_SECRET,
      DEFAULT_POOL_KEY: options.poolKeys?.[0] ?? 'FC100000000000001',
    },
    mnsEnv: {
      MNS_ACCOUNT_UID: sim.accountUid,
      MNS_ENDPOINT: sim.mnsEndpoint,
      DYBASEAPI_ENDPOINT: sim.url,
      MNS_WAIT_SECONDS: '5',
    },
  };
}
