import { describe, expect, it } from 'vitest';
import { parseSecretAsrReport } from '../../src/protocol/alicom-messages.js';
import { readAsrSentences } from '../../src/protocol/secret-asr.js';
import {
  blacklistBlocks,
  formatBlackNo,
  isBlackType,
  isWayControl,
  parseBlackNo,
  type BlacklistRule,
} from '../../src/protocol/secret-blacklist.js';

const P = '13800000001';
const Q = '13900000002';
const R = '13700000003';

describe('blacklist values', () => {
  it('knows the two types and three way controls', () => {
    expect(isBlackType('POINT_TO_POINT_BLACK')).toBe(true);
    expect(isBlackType('PARTNER_GLOBAL_NUMBER_BLACK')).toBe(true);
    expect(isBlackType('GLOBAL')).toBe(false);
    for (const way of ['DUPLEX_REJECT', 'PHONEA_REJECT', 'PHONEB_REJECT']) {
      expect(isWayControl(way)).toBe(true);
    }
    expect(isWayControl('REJECT')).toBe(false);
  });

  it('reads BlackNo by type: one number pool-wide, a pair point-to-point', () => {
    expect(parseBlackNo('PARTNER_GLOBAL_NUMBER_BLACK', P)).toEqual({
      ok: true,
      value: { first: P, second: null },
    });
    const pair = parseBlackNo('POINT_TO_POINT_BLACK', `${P}:${Q}`);
    expect(pair).toEqual({ ok: true, value: { first: P, second: Q } });
    if (pair.ok) expect(formatBlackNo(pair.value)).toBe(`${P}:${Q}`);
    for (const bad of [`${P}:${Q}`, '123', '', undefined]) {
      expect(parseBlackNo('PARTNER_GLOBAL_NUMBER_BLACK', bad).ok, String(bad)).toBe(false);
    }
    for (const bad of [P, `${P}:${P}`, `${P}:${Q}:${R}`, `${P}:12`, `${P},${Q}`]) {
      expect(parseBlackNo('POINT_TO_POINT_BLACK', bad).ok, bad).toBe(false);
    }
  });
});

describe('which calls an entry blocks', () => {
  const pair = (wayControl?: BlacklistRule['wayControl']): BlacklistRule => ({
    blackType: 'POINT_TO_POINT_BLACK',
    blackNo: { first: P, second: Q },
    wayControl,
  });

  it('pool-wide: the number as a caller, to anyone', () => {
    const rule: BlacklistRule = {
      blackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
      blackNo: { first: P, second: null },
    };
    expect(blacklistBlocks(rule, P, Q)).toBe(true);
    expect(blacklistBlocks(rule, P, R)).toBe(true);
    expect(blacklistBlocks(rule, Q, P)).toBe(false);
  });

  it('point-to-point: both ways by default, one way with PHONEA_REJECT / PHONEB_REJECT', () => {
    const table: Array<[BlacklistRule['wayControl'], boolean, boolean]> = [
      // wayControl, first → second blocked, second → first blocked
      [undefined, true, true],
      ['DUPLEX_REJECT', true, true],
      ['PHONEA_REJECT', false, true],
      ['PHONEB_REJECT', true, false],
    ];
    for (const [way, forward, backward] of table) {
      expect(blacklistBlocks(pair(way), P, Q), `${way} P→Q`).toBe(forward);
      expect(blacklistBlocks(pair(way), Q, P), `${way} Q→P`).toBe(backward);
      expect(blacklistBlocks(pair(way), P, R), `${way} P→R`).toBe(false);
      expect(blacklistBlocks(pair(way), R, Q), `${way} R→Q`).toBe(false);
    }
  });
});

describe('ASR results', () => {
  // Alibaba's documented SecretAsrReport example (numbers masked there, whole here).
  const documented = {
    callId: '44611dd0c3070000',
    bizDuration: 9140,
    secretNo: '17000000000',
    partnerKey: 'FC100000119880000',
    sentences: [
      {
        beginTime: 640,
        channelId: 1,
        emotionValue: '5.5',
        endTime: 1850,
        silenceDuration: '0',
        speechRate: '148',
        text: '喂，你好。',
      },
      {
        beginTime: 770,
        channelId: 0,
        emotionValue: '5.8',
        endTime: 4480,
        silenceDuration: '0',
        speechRate: '194',
        text: '喂，你好。',
      },
    ],
    statusCode: '21050000',
  };

  it('parses the documented SecretAsrReport, strings to numbers', () => {
    const parsed = parseSecretAsrReport(documented);
    expect(parsed).toEqual({
      ok: true,
      report: {
        callId: '44611dd0c3070000',
        poolKey: 'FC100000119880000',
        secretNo: '17000000000',
        bizDurationMs: 9140,
        statusCode: '21050000',
        sentences: [
          {
            beginTimeMs: 640,
            endTimeMs: 1850,
            channelId: 1,
            text: '喂，你好。',
            emotionValue: 5.5,
            silenceDurationSeconds: 0,
            speechRate: 148,
          },
          {
            beginTimeMs: 770,
            endTimeMs: 4480,
            channelId: 0,
            text: '喂，你好。',
            emotionValue: 5.8,
            silenceDurationSeconds: 0,
            speechRate: 194,
          },
        ],
      },
    });
  });

  it('refuses what cannot be stored, reads other malformed fields as null', () => {
    const reasons = [
      null,
      [],
      { ...documented, callId: '' },
      { ...documented, callId: 'x'.repeat(101) },
      { ...documented, sentences: 'none' },
      { ...documented, sentences: [1] },
    ].map((bad) => {
      const result = parseSecretAsrReport(bad);
      expect(result.ok).toBe(false);
      return result.ok ? '' : result.reason;
    });
    expect(reasons[2]).toContain('callId');
    expect(reasons[4]).toContain('sentences');
    const loose = parseSecretAsrReport({
      callId: 'c1',
      bizDuration: 'long',
      sentences: [{ beginTime: 'soon', text: 5 }],
    });
    expect(loose).toMatchObject({
      ok: true,
      report: {
        poolKey: null,
        bizDurationMs: null,
        statusCode: null,
        sentences: [{ beginTimeMs: null, text: null, channelId: null }],
      },
    });
    expect(parseSecretAsrReport({ callId: 'c2' })).toMatchObject({
      ok: true,
      report: { sentences: [] },
    });
  });

  it('reads GetSecretAsrDetail sentences (PascalCase), also wrapped as XML-derived JSON', () => {
    const sentence = {
      EndTime: 1770,
      SilenceDuration: 0,
      BeginTime: 1020,
      Text: '您好',
      ChannelId: 0,
      SpeechRate: 80,
      EmotionValue: '5.7',
    };
    const expected = [
      {
        beginTimeMs: 1020,
        endTimeMs: 1770,
        channelId: 0,
        text: '您好',
        emotionValue: 5.7,
        silenceDurationSeconds: 0,
        speechRate: 80,
      },
    ];
    expect(readAsrSentences([sentence], 'pascal')).toEqual(expected);
    expect(readAsrSentences({ Sentence: [sentence] }, 'pascal')).toEqual(expected);
    expect(readAsrSentences(undefined, 'pascal')).toEqual([]);
    expect(readAsrSentences('x', 'pascal')).toBeUndefined();
  });
});
