import { describe, expect, it } from 'vitest';
import {
  CALL_RESTRICTS,
  isCallRestrict,
  isCallRestrictUpdate,
  parseAsrModelId,
  parseBooleanFlag,
  parseCallDisplayType,
  parseCallTimeout,
  parseDtmfConfig,
  parseRingConfig,
  restrictionAfter,
  restrictionBlocks,
} from '../../src/protocol/call-control.js';

describe('CallRestrict', () => {
  it('binds with AX or BX disabled; updates may also clear', () => {
    expect(CALL_RESTRICTS.every(isCallRestrict)).toBe(true);
    expect(isCallRestrict('CONTROL_CLEAR_DISABLE')).toBe(false);
    expect(isCallRestrictUpdate('CONTROL_CLEAR_DISABLE')).toBe(true);
    for (const bad of ['control_ax_disable', 'CONTROL_AB_DISABLE', '', undefined, 1]) {
      expect(isCallRestrict(bad), String(bad)).toBe(false);
      expect(isCallRestrictUpdate(bad), String(bad)).toBe(false);
    }
    expect(restrictionAfter('CONTROL_CLEAR_DISABLE')).toBeNull();
    expect(restrictionAfter('CONTROL_BX_DISABLE')).toBe('CONTROL_BX_DISABLE');
  });

  it('blocks exactly the restricted side', () => {
    const table = [
      [null, 'A', false],
      [null, 'B', false],
      ['CONTROL_AX_DISABLE', 'A', true],
      ['CONTROL_AX_DISABLE', 'B', false],
      ['CONTROL_BX_DISABLE', 'A', false],
      ['CONTROL_BX_DISABLE', 'B', true],
    ] as const;
    for (const [restrict, caller, blocked] of table) {
      expect(restrictionBlocks(restrict, caller), `${restrict} ${caller}`).toBe(blocked);
    }
  });
});

describe('scalar parameters', () => {
  it('CallDisplayType is 1, as a number or its string', () => {
    expect(parseCallDisplayType(1)).toEqual({ ok: true, value: 1 });
    expect(parseCallDisplayType('1')).toEqual({ ok: true, value: 1 });
    for (const bad of [0, 2, '2', 'one', null, 1.5]) {
      expect(parseCallDisplayType(bad).ok, String(bad)).toBe(false);
    }
  });

  it('CallTimeout is a whole number of seconds from 5 to 20', () => {
    for (const good of [5, 12, 20, '5', '20']) {
      expect(parseCallTimeout(good)).toEqual({ ok: true, value: Number(good) });
    }
    for (const bad of [4, 21, 10.5, '4', '1e1', '', -5, null]) {
      const result = parseCallTimeout(bad);
      expect(result.ok, String(bad)).toBe(false);
      if (!result.ok) expect(result.reason).toContain('5 to 20');
    }
  });

  it('ASRStatus and IsRecordingEnabled are true or false', () => {
    expect(parseBooleanFlag(true)).toEqual({ ok: true, value: true });
    expect(parseBooleanFlag('false')).toEqual({ ok: true, value: false });
    expect(parseBooleanFlag('TRUE')).toEqual({ ok: true, value: true });
    for (const bad of ['yes', '1', 1, '', null]) {
      expect(parseBooleanFlag(bad).ok, String(bad)).toBe(false);
    }
  });

  it('ASRModelId is 1-64 id characters', () => {
    expect(parseAsrModelId('7ee372834d2f4cc7ac0d0ab2d0ae1aac').ok).toBe(true);
    for (const bad of ['', 'a b', 'x'.repeat(65), 'id;drop', 7]) {
      expect(parseAsrModelId(bad).ok, String(bad)).toBe(false);
    }
  });
});

describe('RingConfig and DtmfConfig', () => {
  it('RingConfig takes AXBRing_A / AXBRing_B codes, as an object or its JSON', () => {
    const value = { AXBRing_A: '100000001', AXBRing_B: '100000002' };
    expect(parseRingConfig(value)).toEqual({ ok: true, value });
    expect(parseRingConfig(JSON.stringify(value))).toEqual({ ok: true, value });
    const reasons = [
      '{}',
      '{"AXNRing_A":"1"}',
      '{"AXBRing_A":""}',
      '{"AXBRing_A":12}',
      '[1]',
      'not json',
      null,
    ].map((bad) => {
      const result = parseRingConfig(bad);
      expect(result.ok, String(bad)).toBe(false);
      return result.ok ? '' : result.reason;
    });
    expect(reasons[1]).toContain('AXNRing_A');
  });

  it('DtmfConfig follows the SDK example and its documented limits', () => {
    const example = {
      endCallIvrPhoneNo: 'A',
      waitingDtmfTime: 10,
      maxLoop: 3,
      step1File: '62ab72f8-4750-4234-859e-e8d678c0cad3-flow_tts_test_1.wav',
      step2File: '62ab72f8-4750-4234-859e-e8d678c0cad3-flow_tts_test_2.wav',
      validKey: '1,2',
      waitingEndCall: 2,
    };
    expect(parseDtmfConfig(JSON.stringify(example))).toEqual({ ok: true, value: example });
    expect(parseDtmfConfig({ step1File: 'a.wav', validKey: '#' }).ok).toBe(true);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...example, waitingDtmfTime: 31 }, 'waitingDtmfTime'],
      [{ ...example, maxLoop: 6 }, 'maxLoop'],
      [{ ...example, waitingEndCall: 11 }, 'waitingEndCall'],
      [{ ...example, endCallIvrPhoneNo: 'C' }, 'endCallIvrPhoneNo'],
      [{ ...example, validKey: '1,2,3' }, 'validKey'],
      [{ ...example, validKey: undefined }, 'validKey'],
      [{ ...example, step1File: undefined }, 'step1File'],
      [{ ...example, step2File: 'a b.wav' }, 'step2File'],
      [{ ...example, extra: 1 }, 'extra'],
    ];
    for (const [config, field] of cases) {
      const result = parseDtmfConfig(config);
      expect(result.ok, field).toBe(false);
      if (!result.ok) expect(result.reason).toContain(field);
    }
  });
});
