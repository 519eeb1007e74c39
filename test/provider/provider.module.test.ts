import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { APP_CONFIG, type AppConfig } from '../../src/config/app-config.js';
import { DyplsapiClient } from '../../src/provider/dyplsapi/dyplsapi.client.js';
import {
  PROVIDER_CALL_OBSERVER,
  type ProviderCallEvent,
} from '../../src/provider/provider-call.observer.js';
import { ProviderModule } from '../../src/provider/provider.module.js';
import { PROVIDER, type ProviderPort } from '../../src/provider/provider.port.js';
import { startDyplsapiStub, type DyplsapiStub } from './support/dyplsapi-stub.js';

const SECRET = 'module-secret';
let stub: DyplsapiStub;

function config(endpoint: string): AppConfig {
  return {
    provider: {
      endpoint,
      accessKeyId: 'module-key',
      accessKeySecret: SECRET,
      regionId: 'cn-hangzhou',
      timeoutMs: 500,
      connections: 2,
      readRetries: 1,
      embeddedSimulatorPort: 0,
    },
  } as AppConfig;
}

/** Stands in for the lead's global config module. */
const configModule = (value: AppConfig, extra: { provide: symbol; useValue: unknown }[] = []) => ({
  module: class TestConfigModule {},
  global: true,
  providers: [{ provide: APP_CONFIG, useValue: value }, ...extra],
  exports: [APP_CONFIG, ...extra.map((e) => e.provide)],
});

beforeAll(async () => {
  Logger.overrideLogger(['error', 'warn']);
  stub = await startDyplsapiStub(SECRET);
});
afterAll(async () => {
  await stub.close();
});

describe('ProviderModule', () => {
  it('provides PROVIDER as the Dyplsapi client built from APP_CONFIG, with an optional observer', async () => {
    const events: ProviderCallEvent[] = [];
    const observer = {
      provide: PROVIDER_CALL_OBSERVER,
      useValue: { onCall: (e: ProviderCallEvent) => events.push(e) },
    };
    const moduleRef = await Test.createTestingModule({
      imports: [configModule(config(stub.url), [observer]), ProviderModule],
    }).compile();
    const app = await moduleRef.init();

    const provider = app.get<ProviderPort>(PROVIDER);
    expect(provider).toBeInstanceOf(DyplsapiClient);
    expect(app.get(DyplsapiClient)).toBe(provider);
    const remain = await provider.querySecretNoRemain({ spec: 2, city: '杭州' });
    expect(remain.amount).toBe(12);
    expect(stub.requests.at(-1)?.accessKeyId).toBe('module-key');
    expect(events).toEqual([
      expect.objectContaining({ action: 'QuerySecretNoRemain', outcome: 'ok' }),
    ]);

    const close = vi.spyOn(DyplsapiClient.prototype, 'close');
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);
    close.mockRestore();
  });

  it('works without an observer and fails clearly without an endpoint', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [configModule(config(stub.url)), ProviderModule],
    }).compile();
    expect(moduleRef.get(PROVIDER)).toBeInstanceOf(DyplsapiClient);
    await moduleRef.close();

    await expect(
      Test.createTestingModule({
        imports: [configModule(config(undefined as unknown as string)), ProviderModule],
      }).compile(),
    ).rejects.toThrow(/provider\.endpoint/);
  });
});
