import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { Binding } from '../../src/generated/prisma/client.js';
import { ProviderCodeError, ProviderTimeoutError } from '../../src/provider/errors/index.js';
import {
  approachFor,
  backoffMs,
  decideFromDetail,
  decideFromRebind,
} from '../../src/scheduler/reconcile-rules.js';
import { numbersToBuy } from '../../src/scheduler/replenish-plan.js';

const now = new Date('2026-11-22T08:00:00Z');
const binding = (over: Partial<Binding>): Binding =>
  ({
    id: 'b',
    poolKey: 'P',
    outId: 'o',
    phoneA: '13800000001',
    phoneB: '13900000001',
    phoneX: '13000000001',
    subsId: null,
    state: 'unknown',
    expiresAt: new Date(now.getTime() + 3600_000),
    ...over,
  }) as Binding;
const bindError = (code: string) =>
  new ProviderCodeError(
    { action: 'BindAxb', mutating: true, attempt: 1 },
    { code, message: 'm', httpStatus: 200 },
  );

describe('reconciliation approach', () => {
  it('asks by SubsId when known, re-binds on the known X otherwise', () => {
    expect(approachFor(binding({ subsId: '1' }), now)).toBe('query');
    expect(approachFor(binding({}), now)).toBe('rebind');
  });
  it('leaves a binding from before X was always ours (no X) to its expiry: a re-bind could land elsewhere', () => {
    expect(approachFor(binding({ phoneX: null }), now)).toBe('wait-for-expiry');
  });
  it('leaves bindings within a minute of expiry to the sweep', () => {
    expect(approachFor(binding({ expiresAt: new Date(now.getTime() + 64_000) }), now)).toBe(
      'wait-for-expiry',
    );
  });
});

describe('backoff between attempts of one binding', () => {
  it('starts at the base, doubles per failure, and stops growing at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 60, 900) / 1000)).toEqual([
      60, 120, 240, 480, 900, 900,
    ]);
    expect(backoffMs(0, 60, 900)).toBe(60_000);
    expect(backoffMs(10_000, 60, 900)).toBe(900_000);
  });
});

describe('decisions', () => {
  it('re-bind accepted: active with the new SubsId', () => {
    expect(decideFromRebind({ bound: { subsId: '7', phoneX: '13000000001' } })).toEqual({
      kind: 'active',
      via: 'rebind',
      subsId: '7',
      phoneX: '13000000001',
    });
  });
  it('re-bind conflict: look the binding up on X (never a final "held")', () => {
    expect(decideFromRebind({ error: bindError('isv.BIND_CONFLICT') }).kind).toBe('look-up');
  });
  it('refusals the first request would have met too: failed', () => {
    expect(decideFromRebind({ error: bindError('isv.NO_NOT_EXIST') }).kind).toBe('failed');
    expect(decideFromRebind({ error: bindError('isv.MOBILE_NUMBER_ILLEGAL') }).kind).toBe('failed');
  });
  it('time-dependent refusals, throttling, faults and timeouts: deferred', () => {
    for (const code of ['isv.EXPIRE_DATE_ILLEGAL', 'isv.FLOW_LIMIT', 'isp.SYSTEM_ERROR']) {
      expect(decideFromRebind({ error: bindError(code) }).kind, code).toBe('deferred');
    }
    const timeout = new ProviderTimeoutError(
      { action: 'BindAxb', mutating: true, attempt: 1 },
      300,
    );
    expect(decideFromRebind({ error: timeout }).kind).toBe('deferred');
  });
  it('detail: in effect → active, expired → expired, unknown SubsId → failed', () => {
    const detail = {
      subsId: '1',
      phoneA: 'a',
      phoneB: 'b',
      phoneX: 'x',
      createdAt: now,
      expiresAt: now,
      record: false,
      callRestrict: null,
      asr: false,
      asrModelId: null,
      groupId: null,
      extension: null,
    };
    expect(decideFromDetail({ detail: { ...detail, active: true } }).kind).toBe('active');
    expect(decideFromDetail({ detail: { ...detail, active: false } }).kind).toBe('expired');
    const gone = new ProviderCodeError(
      { action: 'QuerySubscriptionDetail', mutating: false, attempt: 1 },
      { code: 'isv.SUBS_NOT_EXIST', message: 'm', httpStatus: 200 },
    );
    expect(decideFromDetail({ error: gone }).kind).toBe('failed');
  });
});

describe('replenishment plan', () => {
  const plan = (freePairs: number, budget = 10) =>
    numbersToBuy({
      freePairs,
      watermarkPairs: 300,
      targetPairs: 1000,
      pairsPerNumber: 200,
      budget,
    });
  it('buys nothing at or above the watermark', () => {
    expect(plan(300)).toBe(0);
    expect(plan(999)).toBe(0);
  });
  it('buys enough to reach the target, capped by the budget', () => {
    expect(plan(299)).toBe(4);
    expect(plan(0)).toBe(5);
    expect(plan(0, 2)).toBe(2);
    expect(plan(0, 0)).toBe(0);
  });
});

describe('scheduler settings', () => {
  it('jobs are on by default, off under NODE_ENV=test unless enabled', () => {
    expect(loadConfig({}).scheduler.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).scheduler.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', SCHEDULER_ENABLED: 'true' }).scheduler.enabled).toBe(
      true,
    );
    expect(loadConfig({ SCHEDULER_ENABLED: 'false' }).scheduler.enabled).toBe(false);
  });
  it('parses replenishment targets and rejects malformed ones', () => {
    const config = loadConfig({ REPLENISH_TARGETS: 'FC1:杭州:2,FC2:全国通用:3' });
    expect(config.scheduler.replenish.targets).toEqual([
      { poolKey: 'FC1', city: '杭州', spec: 2 },
      { poolKey: 'FC2', city: '全国通用', spec: 3 },
    ]);
    expect(() => loadConfig({ REPLENISH_TARGETS: 'FC1:杭州:4' })).toThrow(/REPLENISH_TARGETS/);
    expect(() => loadConfig({ REPLENISH_TARGETS: 'FC1-杭州' })).toThrow(/REPLENISH_TARGETS/);
  });
  it('the target is never under the watermark', () => {
    const config = loadConfig({ REPLENISH_WATERMARK_PAIRS: '500', REPLENISH_TARGET_PAIRS: '100' });
    expect(config.scheduler.replenish.targetPairs).toBe(500);
  });
});
