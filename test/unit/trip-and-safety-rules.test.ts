import { describe, expect, it } from 'vitest';
import type { Binding } from '../../src/generated/prisma/client.js';
import {
  inverseOf,
  recordOf,
  subscriptionUpdates,
} from '../../src/bindings/subscription-changes.js';
import { phaseOf } from '../../src/bindings/binding.view.js';
import { blacklistKind, BLACKLIST_DIRECTIONS } from '../../src/inventory/blacklist-direction.js';
import { blacklistBlocks } from '../../src/protocol/secret-blacklist.js';
import { refusalFor, type RoutingTarget } from '../../src/routing/routing-target.js';

const A = '13800000001';
const B = '13900000001';
const OTHER = '13700000001';

const binding = (extra: Partial<Binding> = {}): Binding => ({
  id: 'b1',
  poolKey: 'FC1',
  outId: 'order-1',
  phoneA: A,
  phoneB: B,
  phoneX: '13000000001',
  subsId: 'S1',
  city: null,
  cityStrict: false,
  record: false,
  state: 'active',
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  createdAt: new Date('2029-12-31T00:00:00Z'),
  updatedAt: new Date('2029-12-31T00:00:00Z'),
  endedAt: null,
  outOrderId: null,
  callRestrict: null,
  callDisplayType: null,
  callTimeout: null,
  ringConfig: null,
  dtmfConfig: null,
  asrStatus: false,
  asrModelId: null,
  tripEndedAt: null,
  contactUntil: null,
  owner: 'order-service',
  phoneAHash: null,
  phoneBHash: null,
  agedAt: null,
  erasedAt: null,
  ...extra,
});

describe('the blacklist directions', () => {
  it('map onto BlackType and WayControl so the shared rule blocks exactly that direction', () => {
    // [peer?, direction] → who may not call whom, judged by blacklistBlocks (the simulator's rule).
    const expectations: Array<[boolean, string, Array<[string, string]>, Array<[string, string]>]> =
      [
        [
          false,
          'outgoing',
          [
            [A, B],
            [A, OTHER],
          ],
          [[B, A]],
        ],
        [
          true,
          'outgoing',
          [[A, B]],
          [
            [B, A],
            [A, OTHER],
          ],
        ],
        [true, 'incoming', [[B, A]], [[A, B]]],
        [
          true,
          'both',
          [
            [A, B],
            [B, A],
          ],
          [
            [A, OTHER],
            [OTHER, A],
          ],
        ],
      ];
    for (const [withPeer, direction, blocked, allowed] of expectations) {
      const kind = blacklistKind(A, withPeer ? B : undefined, direction as 'outgoing');
      if (!kind.ok) throw new Error(`${direction} refused`);
      const rule = {
        blackType: kind.blackType,
        blackNo: { first: A, second: withPeer ? B : null },
        wayControl: kind.wayControl,
      };
      for (const [from, to] of blocked)
        expect(blacklistBlocks(rule, from, to), `${direction} ${from}→${to}`).toBe(true);
      for (const [from, to] of allowed)
        expect(blacklistBlocks(rule, from, to), `${direction} ${from}→${to}`).toBe(false);
    }
  });

  it('refuses what the provider cannot enforce, naming the field', () => {
    for (const direction of BLACKLIST_DIRECTIONS.filter((d) => d !== 'outgoing')) {
      expect(blacklistKind(A, undefined, direction)).toMatchObject({
        ok: false,
        field: 'direction',
      });
    }
    expect(blacklistKind(A, A, 'both')).toMatchObject({ ok: false, field: 'peerPhone' });
  });
});

describe('a change of a live binding', () => {
  it('takes only the OperateTypes that change something, in a fixed order', () => {
    const b = binding({ callRestrict: 'CONTROL_AX_DISABLE', record: true });
    expect(
      subscriptionUpdates(b, {
        outId: 'order-1',
        callRestrict: 'CONTROL_AX_DISABLE',
        record: true,
        phoneB: '13900000002',
      }),
    ).toEqual([{ kind: 'phoneB', phoneB: '13900000002' }]);
    expect(
      subscriptionUpdates(b, {
        callRestrict: 'CONTROL_CLEAR_DISABLE',
        asrStatus: true,
        outId: 'o2',
      }),
    ).toEqual([
      { kind: 'callRestrict', callRestrict: 'CONTROL_CLEAR_DISABLE' },
      { kind: 'outId', outId: 'o2' },
      { kind: 'recording', record: true, asr: true, asrModelId: undefined },
    ]);
    // Recording off takes ASR with it.
    expect(
      subscriptionUpdates(binding({ record: true, asrStatus: true, asrModelId: 'm' }), {
        record: false,
      }),
    ).toEqual([{ kind: 'recording', record: false, asr: false, asrModelId: undefined }]);
  });

  it('undoes each OperateType by setting the old value, and records masked changes', () => {
    const b = binding({ callRestrict: null, record: true, asrStatus: true, asrModelId: 'm1' });
    expect(inverseOf(b, { kind: 'callRestrict', callRestrict: 'CONTROL_BX_DISABLE' })).toEqual({
      kind: 'callRestrict',
      callRestrict: 'CONTROL_CLEAR_DISABLE',
    });
    expect(inverseOf(b, { kind: 'recording', record: false, asr: false })).toEqual({
      kind: 'recording',
      record: true,
      asr: true,
      asrModelId: 'm1',
    });
    expect(inverseOf(b, { kind: 'callDisplayType', callDisplayType: 1 })).toBeNull();
    const { data, changed } = recordOf(b, [
      { kind: 'phoneA', phoneA: '13800000002' },
      { kind: 'callRestrict', callRestrict: 'CONTROL_BX_DISABLE' },
    ]);
    expect(data).toEqual({ phoneA: '13800000002', callRestrict: 'CONTROL_BX_DISABLE' });
    expect(changed).toEqual({
      phoneA: { from: '138****0001', to: '138****0002' },
      callRestrict: { from: null, to: 'CONTROL_BX_DISABLE' },
    });
  });

  it('tells the trip phase', () => {
    expect(phaseOf(binding(), 'active')).toBe('trip');
    expect(phaseOf(binding({ tripEndedAt: new Date(), contactUntil: new Date() }), 'active')).toBe(
      'contact-window',
    );
    for (const state of ['unbinding', 'unbound', 'expired', 'failed']) {
      expect(phaseOf(binding({ tripEndedAt: new Date() }), state)).toBe('ended');
    }
  });
});

describe('routing refusals of a party (invariant 8)', () => {
  const target = (extra: Partial<RoutingTarget> = {}): RoutingTarget => ({
    id: 'b1',
    poolKey: 'FC1',
    state: 'active',
    phoneA: A,
    phoneB: B,
    phoneX: '13000000001',
    subsId: 'S1',
    expiresAt: new Date(0),
    xHealth: 'normal',
    xHealthSource: null,
    xLocked: false,
    callRestrict: null,
    blacklist: [],
    ...extra,
  });

  it('refuses the restricted side, a blacklisted caller and both sides of a locked X', () => {
    expect(refusalFor(target(), 'A')).toBeUndefined();
    const afterTrip = target({ callRestrict: 'CONTROL_BX_DISABLE' });
    expect(refusalFor(afterTrip, 'B')).toBe('restricted');
    expect(refusalFor(afterTrip, 'A')).toBeUndefined();
    const listed = target({
      blacklist: [
        { blackType: 'PARTNER_GLOBAL_NUMBER_BLACK', blackNo: { first: B, second: null } },
      ],
    });
    expect(refusalFor(listed, 'B')).toBe('blacklisted');
    expect(refusalFor(listed, 'A')).toBeUndefined();
    const locked = target({ xLocked: true });
    expect([refusalFor(locked, 'A'), refusalFor(locked, 'B')]).toEqual(['x-locked', 'x-locked']);
  });
});
