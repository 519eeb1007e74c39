import { describe, expect, it } from 'vitest';
import { parseCallProgress } from '../../src/routing/callbacks/call-progress.parser.js';
import { parseCallRecord } from '../../src/routing/callbacks/call-record.parser.js';
import { parseCallRecording } from '../../src/routing/callbacks/call-recording.parser.js';
import { maskedPayload } from '../../src/routing/callbacks/dead-letters.repository.js';
import {
  HEALTH_CLOCK_SKEW_MS,
  parseHealthReport,
} from '../../src/routing/callbacks/health-report.parser.js';
import { corruptTextAt } from '../../src/routing/callbacks/report-fields.js';

const RECEIVED = new Date('2026-11-22T05:00:00Z');

/** Alibaba's documented SecretReport sample (numbers made up). */
const DOCUMENTED = {
  phone_no: '17100003225',
  city: '北京',
  call_out_time: '2026-11-22 12:11:30',
  ring_time: '2026-11-22 12:11:35',
  record_url: 'https://r.example/1.mp3',
  ring_record_url: 'https://r.example/1-ring.mp3',
  free_ring_time: '2026-11-22 12:11:35',
  control_msg: 'OK',
  id: 1014568510001,
  secret_no: '18600007614',
  call_type: 1,
  control_type: 'CONTINUE',
  release_time: '2026-11-22 12:11:41',
  pool_key: 'FC100000097080001',
  sub_id: 1000043068030001,
  unconnected_cause: 0,
  call_time: '2026-11-22 12:11:29',
  peer_no: '15200001504',
  called_display_no: '15800000000',
  release_dir: 1,
  call_id: '43612633712c0001',
  start_time: '2026-11-22 12:11:38',
  partner_key: 'FC100000097080001',
  out_id: '73681368126210001',
  release_cause: 31,
  sms_number: 0,
};

describe('SecretReport call records', () => {
  it('keeps every documented field, Beijing times as instants, and the raw record', () => {
    const parsed = parseCallRecord(DOCUMENTED, RECEIVED);
    expect(parsed).toEqual({
      ok: true,
      value: {
        callId: '43612633712c0001',
        reportId: '1014568510001',
        subId: '1000043068030001',
        outId: '73681368126210001',
        poolKey: 'FC100000097080001',
        partnerKey: 'FC100000097080001',
        phoneNo: '17100003225',
        peerNo: '15200001504',
        secretNo: '18600007614',
        calledDisplayNo: '15800000000',
        city: '北京',
        callType: 1,
        callTime: new Date('2026-11-22T04:11:29Z'),
        callOutTime: new Date('2026-11-22T04:11:30Z'),
        ringTime: new Date('2026-11-22T04:11:35Z'),
        freeRingTime: new Date('2026-11-22T04:11:35Z'),
        startTime: new Date('2026-11-22T04:11:38Z'),
        releaseTime: new Date('2026-11-22T04:11:41Z'),
        releaseDir: 1,
        releaseCause: 31,
        unconnectedCause: 0,
        smsNumber: 0,
        controlType: 'CONTINUE',
        controlMsg: 'OK',
        recordUrl: 'https://r.example/1.mp3',
        ringRecordUrl: 'https://r.example/1-ring.mp3',
        raw: DOCUMENTED,
      },
    });
  });

  it('understands call_type 4 (intercepted) and its control fields', () => {
    expect(
      parseCallRecord(
        { call_id: 'x1', call_type: 4, control_type: 'REJECT', control_msg: '黑名单拦截' },
        RECEIVED,
      ),
    ).toMatchObject({ ok: true, value: { callType: 4, controlType: 'REJECT' } });
  });

  it('needs a call_id; other malformed fields become null', () => {
    expect(parseCallRecord({ sub_id: 1 }, RECEIVED)).toEqual({
      ok: false,
      problem: 'call_id missing or invalid',
    });
    expect(parseCallRecord('x', RECEIVED)).toEqual({ ok: false, problem: 'not an object' });
    expect(parseCallRecord([], RECEIVED)).toMatchObject({ ok: false });
    expect(parseCallRecord({ call_id: 'y'.repeat(101) }, RECEIVED)).toMatchObject({ ok: false });
    expect(
      parseCallRecord(
        { call_id: 7, call_time: 'yesterday', phone_no: '1'.repeat(30), call_type: 'x' },
        RECEIVED,
      ),
    ).toMatchObject({
      ok: true,
      value: { callId: '7', callTime: null, phoneNo: null, callType: null },
    });
  });

  // The class behind "one malformed record fails the whole push": text the database cannot hold.
  it.each([
    ['NUL in a known field', { call_id: 'c', city: 'a\u0000b' }, '$.city holds NUL'],
    [
      'NUL in an unknown field',
      { call_id: 'c', extra: { deep: ['\u0000'] } },
      '$.extra.deep[0] holds NUL',
    ],
    ['NUL in a key', { call_id: 'c', ['k\u0000']: 1 }, '$ key holds NUL'],
    [
      'a lone high surrogate',
      { call_id: 'c', control_msg: 'ok\uD800' },
      '$.control_msg holds a lone surrogate',
    ],
    ['a lone low surrogate', { call_id: 'c\uDC00' }, '$.call_id holds a lone surrogate'],
  ])('refuses %s, naming where', (_name, record, problem) => {
    expect(parseCallRecord(record, RECEIVED)).toEqual({ ok: false, problem });
  });

  it('accepts paired surrogates (emoji) and other Unicode', () => {
    expect(parseCallRecord({ call_id: 'c', control_msg: '😀 拦截' }, RECEIVED)).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['9999-12-31 23:59:59', 'call_time'],
    ['1970-01-01 08:00:00', 'call_time'],
    ['2026-11-24 12:00:00', 'call_time'],
  ])('refuses an absurd time %s', (value, field) => {
    expect(parseCallRecord({ call_id: 'c', [field]: value }, RECEIVED)).toEqual({
      ok: false,
      problem: `${field} is out of range`,
    });
  });

  it('refuses an absurd time in any time field', () => {
    for (const field of [
      'call_out_time',
      'ring_time',
      'free_ring_time',
      'start_time',
      'release_time',
    ]) {
      expect(parseCallRecord({ call_id: 'c', [field]: '9999-12-31 00:00:00' }, RECEIVED)).toEqual({
        ok: false,
        problem: `${field} is out of range`,
      });
    }
  });
});

describe('SecretExceptionPhoneReport', () => {
  it('reads noStatus 0/1 and the report time in ms, seconds or provider format', () => {
    expect(
      parseHealthReport(
        { secretNo: '13000000001', noStatus: 0, timestamp: 1_700_000_000_000 },
        RECEIVED,
      ),
    ).toEqual({
      ok: true,
      value: {
        secretNo: '13000000001',
        health: 'abnormal',
        at: new Date(1_700_000_000_000),
        clamped: false,
      },
    });
    expect(
      parseHealthReport(
        { secretNo: '13000000001', noStatus: '1', timestamp: '1700000000' },
        RECEIVED,
      ),
    ).toMatchObject({ value: { health: 'normal', at: new Date(1_700_000_000_000) } });
    expect(
      parseHealthReport(
        { secretNo: '13000000001', noStatus: 1, timestamp: '2026-11-22 12:00:00' },
        RECEIVED,
      ),
    ).toMatchObject({ value: { at: new Date('2026-11-22T04:00:00Z'), clamped: false } });
  });

  // The class behind "a report dated 9999-12-31 pins X abnormal": times we cannot believe.
  it.each([
    ['9999-12-31 23:59:59'],
    [253402300799000],
    ['+275760-09-13T00:00:00Z'],
    [Date.parse('2026-11-22T05:00:00Z') + HEALTH_CLOCK_SKEW_MS + 1000],
    ['not a time'],
    [undefined],
  ])('counts a report dated %s as received now', (timestamp) => {
    expect(
      parseHealthReport({ secretNo: '13000000001', noStatus: 0, timestamp }, RECEIVED),
    ).toMatchObject({ ok: true, value: { at: RECEIVED, clamped: true } });
  });

  it('believes a report within the clock skew', () => {
    const slightlyAhead = RECEIVED.getTime() + HEALTH_CLOCK_SKEW_MS - 1000;
    expect(
      parseHealthReport(
        { secretNo: '13000000001', noStatus: 0, timestamp: slightlyAhead },
        RECEIVED,
      ),
    ).toMatchObject({ value: { at: new Date(slightlyAhead), clamped: false } });
  });

  it('refuses reports without a number, a known status, or with corrupt text', () => {
    expect(parseHealthReport({ noStatus: 0 }, RECEIVED)).toMatchObject({ ok: false });
    expect(parseHealthReport({ secretNo: '13000000001', noStatus: 2 }, RECEIVED)).toMatchObject({
      ok: false,
    });
    expect(parseHealthReport(null, RECEIVED)).toMatchObject({ ok: false });
    expect(
      parseHealthReport({ secretNo: '13000000001', noStatus: 0, note: '\u0000' }, RECEIVED),
    ).toEqual({ ok: false, problem: '$.note holds NUL' });
  });
});

describe('recordings and call progress', () => {
  it('reads SecretRecording with its epoch-ms call_time and sub_id or subs_id', () => {
    expect(
      parseCallRecording(
        { pool_key: 'FC1', subs_id: 1000043068030001, call_id: 'c1', call_time: 1763784000000 },
        RECEIVED,
      ),
    ).toEqual({
      ok: true,
      value: {
        callId: 'c1',
        subId: '1000043068030001',
        poolKey: 'FC1',
        outId: null,
        callTime: new Date(1763784000000),
      },
    });
  });

  it('takes the stage time each progress report carries', () => {
    const base = { call_id: 'c1', sub_id: 1, call_time: '2026-11-22 12:00:00' };
    expect(parseCallProgress(base, 'started', RECEIVED)).toMatchObject({
      value: { stage: 'started', at: new Date('2026-11-22T04:00:00Z') },
    });
    expect(
      parseCallProgress({ ...base, ring_time: '2026-11-22 12:00:05' }, 'ringing', RECEIVED),
    ).toMatchObject({ value: { at: new Date('2026-11-22T04:00:05Z') } });
    expect(parseCallProgress({ sub_id: 1 }, 'answered', RECEIVED)).toMatchObject({ ok: false });
  });
});

describe('dead-letter payloads', () => {
  it('mask phone fields and long digit runs, and hold NUL and lone surrogates as escapes', () => {
    const text = maskedPayload({
      phone_no: '13800138000',
      secretNo: 17100000001,
      note: 'call 13912345678 \u0000 \uD800',
    });
    expect(text).not.toMatch(/13800138000|17100000001|13912345678/);
    expect(text).toContain('\\u0000');
    expect(text).toContain('\\ud800');
    expect(corruptTextAt(text)).toBeUndefined();
  });
});
