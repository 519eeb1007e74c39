import { describe, expect, it } from 'vitest';
import {
  answerFromProvider,
  answerLocally,
  cachedAnswer,
  expiredAnswer,
  outcomeOf,
} from '../../src/routing/route-answer.js';
import type { RoutingTarget } from '../../src/routing/routing-target.js';
import { roleOf } from '../../src/routing/routing-target.js';

const target = (
  xHealth: RoutingTarget['xHealth'] = 'normal',
  xHealthSource: RoutingTarget['xHealthSource'] = 'queue',
): RoutingTarget => ({
  id: 'b1',
  poolKey: 'FC1',
  state: 'active',
  phoneA: '13800000001',
  phoneB: '13900000001',
  phoneX: '13000000001',
  subsId: '1',
  expiresAt: new Date(0),
  xHealth,
  xHealthSource,
  xLocked: false,
  callRestrict: null,
  blacklist: [],
});

describe('the routing decision table', () => {
  it('maps the provider statuses: X, temporary X, the other party, nothing', () => {
    const t = target();
    expect(answerFromProvider(t, 'A', { status: 1, calledNo: null }, 'real-number')).toMatchObject({
      action: 'dial',
      dial: '13000000001',
      status: 1,
      source: 'provider',
    });
    expect(
      answerFromProvider(t, 'B', { status: 2, calledNo: '13000000009' }, 'real-number'),
    ).toMatchObject({
      dial: '13000000009',
      status: 2,
    });
    expect(answerFromProvider(t, 'A', { status: 3, calledNo: null }, 'real-number').dial).toBe(
      t.phoneB,
    );
    expect(answerFromProvider(t, 'B', { status: 3, calledNo: null }, 'real-number').dial).toBe(
      t.phoneA,
    );
    expect(answerFromProvider(t, 'A', { status: 3, calledNo: null }, 'none')).toMatchObject({
      action: 'none',
      dial: null,
      status: 3,
    });
    expect(answerFromProvider(t, 'A', { status: 4, calledNo: null }, 'real-number')).toMatchObject({
      action: 'none',
      dial: null,
      status: 4,
    });
  });

  it('decides locally from the health of X', () => {
    expect(answerLocally(target(), 'A', 'circuit-open', 'real-number')).toMatchObject({
      dial: '13000000001',
      status: 1,
      source: 'local',
      reason: 'circuit-open; x-healthy',
    });
    // X not in the inventory any more: nothing says it is unhealthy.
    expect(answerLocally(target(null), 'A', 'budget-exceeded', 'real-number').status).toBe(1);
    expect(answerLocally(target('abnormal'), 'B', 'flow-limit', 'real-number')).toMatchObject({
      dial: '13800000001',
      status: 3,
      reason: 'flow-limit; x-abnormal',
    });
    expect(answerLocally(target('abnormal'), 'B', 'flow-limit', 'none')).toMatchObject({
      action: 'none',
      dial: null,
    });
    expect(answerLocally(target(), 'A', 'unknown-subscription', 'real-number')).toMatchObject({
      dial: '13900000001',
      status: 3,
    });
    expect(expiredAnswer(target(), 'local', 'unbound')).toMatchObject({ status: 4, dial: null });
  });

  it('falls back to a real number only on health whose origin is proven (the queue)', () => {
    // Pushed over HTTP, or of unknown origin: dial X as if no report had come.
    for (const source of ['push', null] as const) {
      expect(
        answerLocally(target('abnormal', source), 'B', 'provider-refused', 'real-number'),
      ).toEqual({
        action: 'dial',
        dial: '13000000001',
        status: 1,
        source: 'local',
        bindingId: 'b1',
        reason: 'provider-refused; x-abnormal-unproven',
      });
    }
    expect(
      answerLocally(target('abnormal', 'queue'), 'B', 'provider-refused', 'real-number'),
    ).toMatchObject({
      dial: '13800000001',
      status: 3,
      reason: 'provider-refused; x-abnormal',
    });
  });

  it('knows only A and B', () => {
    expect(roleOf(target(), '13800000001')).toBe('A');
    expect(roleOf(target(), '13900000001')).toBe('B');
    expect(roleOf(target(), '13000000001')).toBeUndefined();
  });
});

describe('what an answer is counted as', () => {
  it('is `<status>/<source>/<reason>` of the answer itself, a cached one included', () => {
    const t = target();
    for (const answer of [
      cachedAnswer(t),
      answerFromProvider(t, 'A', { status: 1, calledNo: null }, 'real-number'),
      answerLocally(t, 'B', 'circuit-open', 'real-number'),
      expiredAnswer(t, 'local'),
    ]) {
      expect(outcomeOf(answer)).toBe(`${answer.status}/${answer.source}/${answer.reason}`);
    }
    expect(outcomeOf(cachedAnswer(t))).toBe('1/cache/x-normal');
  });
});
