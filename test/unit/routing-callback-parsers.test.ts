import { describe, expect, it } from 'vitest';
import { parseCallRecord } from '../../src/routing/callbacks/call-record.parser.js';
import { parseHealthReport } from '../../src/routing/callbacks/health-report.parser.js';

describe('SecretReport call records', () => {
  it('reads numbers or strings, Beijing times, and keeps the raw record', () => {
    const raw = {
      call_id: 'abc123',
      sub_id: 1000000000000001,
      out_id: 'order-1',
      call_type: '1',
      call_time: '2026-11-22 12:00:00',
      release_cause: 16,
      record_url: '',
      extra: 'kept',
    };
    const parsed = parseCallRecord(raw);
    expect(parsed).toMatchObject({
      ok: true,
      record: {
        callId: 'abc123',
        subId: '1000000000000001',
        outId: 'order-1',
        callType: 1,
        callTime: new Date('2026-11-22T04:00:00Z'),
        startTime: null,
        releaseCause: 16,
        recordUrl: null,
        raw,
      },
    });
  });

  it('needs a call_id; malformed fields become null', () => {
    expect(parseCallRecord({ sub_id: 1 })).toEqual({
      ok: false,
      problem: 'call_id missing or invalid',
    });
    expect(parseCallRecord('x')).toMatchObject({ ok: false });
    const parsed = parseCallRecord({
      call_id: 7,
      call_time: 'yesterday',
      phone_no: '1'.repeat(30),
    });
    expect(parsed).toMatchObject({
      ok: true,
      record: { callId: '7', callTime: null, phoneNo: null },
    });
  });
});

describe('SecretExceptionPhoneReport', () => {
  it('reads noStatus 0/1 and the report time in ms, seconds or provider format', () => {
    expect(
      parseHealthReport({ secretNo: '13000000001', noStatus: 0, timestamp: 1_700_000_000_000 }),
    ).toEqual({
      ok: true,
      report: { secretNo: '13000000001', health: 'abnormal', at: new Date(1_700_000_000_000) },
    });
    expect(
      parseHealthReport({ secretNo: '13000000001', noStatus: '1', timestamp: '1700000000' }),
    ).toMatchObject({
      report: { health: 'normal', at: new Date(1_700_000_000_000) },
    });
    expect(
      parseHealthReport({ secretNo: '13000000001', noStatus: 1, timestamp: '2026-11-22 12:00:00' }),
    ).toMatchObject({
      report: { at: new Date('2026-11-22T04:00:00Z') },
    });
    expect(parseHealthReport({ secretNo: '13000000001', noStatus: 1 })).toMatchObject({
      report: { at: undefined },
    });
  });

  it('rejects reports without a number or a known status', () => {
    expect(parseHealthReport({ noStatus: 0 })).toMatchObject({ ok: false });
    expect(parseHealthReport({ secretNo: '13000000001', noStatus: 2 })).toMatchObject({
      ok: false,
    });
    expect(parseHealthReport(null)).toMatchObject({ ok: false });
  });
});
