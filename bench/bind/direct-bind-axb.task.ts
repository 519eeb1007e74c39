import { Logger } from '@nestjs/common';
import { DyplsapiClient } from '../../src/provider/dyplsapi/dyplsapi.client.js';
import type { TaskFactory } from '../support/load-worker.js';

export interface DirectBindData {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  connections: number;
  poolKey: string;
  /** The pool's numbers: X is pinned round robin, as the service pins the X it chose. */
  numbers: string[];
  expiresAtMs: number;
  /** Distinguishes the parties of one phase from the others'. */
  phase: number;
}

const phone = (prefix: string, n: number) => `${prefix}${String(n).padStart(8, '0')}`;

/** BindAxb straight at the simulator with the service's own client: the provider's own rate. */
export const createTask: TaskFactory = async (raw) => {
  const data = raw as DirectBindData;
  // The client logs every call at debug level; the service under test logs at error level.
  Logger.overrideLogger(['error']);
  const client = new DyplsapiClient({
    endpoint: data.endpoint,
    accessKeyId: data.accessKeyId,
    accessKeySecret: data.accessKeySecret,
    regionId: 'cn-hangzhou',
    timeoutMs: 10_000,
    connections: data.connections,
    readRetries: 0,
  });
  const expiresAt = new Date(data.expiresAtMs);
  return {
    task: async (i) => {
      await client.bindAxb({
        poolKey: data.poolKey,
        phoneA: phone('135', data.phase * 100_000 + i),
        phoneB: phone('136', data.phase * 100_000 + i),
        phoneX: data.numbers[i % data.numbers.length],
        expiresAt,
        outId: `direct-${data.phase}-${i}`,
      });
      return { ok: true };
    },
    close: () => client.close(),
  };
};
