import { describe, expect, it } from 'vitest';
import { loadSimulatorConfig } from '../../simulator/config.js';

describe('simulator settings', () => {
  it('has working defaults', () => {
    expect(loadSimulatorConfig({})).toMatchObject({
      host: '127.0.0.1',
      port: 7070,
      accessKeyId: 'sim-access-key-id',
      accessKeySecret: 'sim-access-key-secret',
      poolKeys: ['FC100000000000001'],
      strictCityPools: [],
      stockPerCity: 50,
      ownedPerCity: 5,
      callRecordUrl: undefined,
      healthReportUrl: undefined,
    });
  });

  it('reads lists, numbers and URLs', () => {
    const config = loadSimulatorConfig({
      SIMULATOR_PORT: '0',
      SIMULATOR_POOL_KEYS: 'FC1, FC2',
      SIMULATOR_STRICT_CITY_POOLS: 'FC2',
      SIMULATOR_STOCK_PER_CITY: '10',
      SIMULATOR_CALL_RECORD_URL: 'http://127.0.0.1:3000/callbacks/calls',
    });
    expect(config).toMatchObject({
      port: 0,
      poolKeys: ['FC1', 'FC2'],
      strictCityPools: ['FC2'],
      stockPerCity: 10,
      callRecordUrl: 'http://127.0.0.1:3000/callbacks/calls',
    });
  });

  it('names the bad setting', () => {
    expect(() => loadSimulatorConfig({ SIMULATOR_PORT: 'x' })).toThrow(/SIMULATOR_PORT/);
    expect(() => loadSimulatorConfig({ SIMULATOR_STOCK_PER_CITY: '0' })).toThrow(
      /SIMULATOR_STOCK_PER_CITY/,
    );
    expect(() => loadSimulatorConfig({ SIMULATOR_HEALTH_REPORT_URL: 'ftp://x' })).toThrow(
      /SIMULATOR_HEALTH_REPORT_URL/,
    );
    expect(() => loadSimulatorConfig({ SIMULATOR_STRICT_CITY_POOLS: 'FC9' })).toThrow(
      /SIMULATOR_STRICT_CITY_POOLS/,
    );
  });
});
