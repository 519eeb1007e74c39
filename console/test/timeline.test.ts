import { describe, expect, it } from 'vitest';
import type { BindingEvent, CallRecord } from '../src/api/types.js';
import { formatDuration, releaseCause } from '../src/format.js';
import { buildTimeline } from '../src/timeline.js';

const call = (over: Partial<CallRecord> = {}): CallRecord => ({
  callId: 'c1',
  direction: 'A-to-B',
  callTime: '2026-11-22T10:05:00.000Z',
  startTime: '2026-11-22T10:05:10.000Z',
  releaseTime: '2026-11-22T10:06:52.000Z',
  durationSeconds: 102,
  releaseDir: 1,
  releaseCause: 16,
  recordUrl: null,
  receivedAt: '2026-11-22T10:07:00.000Z',
  ...over,
});
const event = (
  kind: string,
  at: string,
  details: Record<string, unknown> = {},
  actor = 'order-service',
): BindingEvent => ({
  kind,
  at,
  actor,
  details,
});

describe('buildTimeline', () => {
  it('orders events and calls by time and names who did each', () => {
    const entries = buildTimeline({
      events: [
        event('unbound', '2026-11-22T10:30:00.000Z'),
        event('created', '2026-11-22T10:00:00.000Z'),
        event('bound', '2026-11-22T10:00:01.000Z', { subsId: 'S1', phoneX: '13010000000' }, 'bind'),
        event(
          'routed',
          '2026-11-22T10:04:59.000Z',
          {
            status: 3,
            source: 'local',
            reason: 'circuit-open',
            caller: 'A',
            callerNo: '138****0001',
          },
          'routing-service',
        ),
        event('call_recorded', '2026-11-22T10:07:00.000Z', { callId: 'c1' }, 'provider'),
      ],
      calls: [call()],
    });
    expect(entries.map((e) => e.kind)).toEqual(['created', 'bound', 'routed', 'call', 'unbound']);
    expect(entries.map((e) => e.actor)).toEqual([
      'order-service',
      'bind',
      'routing-service',
      'provider',
      'order-service',
    ]);
    expect(entries[2]!.title).toBe('Call routed: status 3 from local');
    expect(entries[2]!.facts).toContain('reason: circuit-open');
    expect(entries[3]!.title).toBe(`A called B, ${formatDuration(102)}`);
    expect(entries[3]!.facts).toContain(`released: ${releaseCause(16)}`);
  });

  it('shows a call once, and a call without an event from its record alone', () => {
    const entries = buildTimeline({
      events: [event('call_recorded', '2026-11-22T10:07:00.000Z', { callId: 'c1' }, 'provider')],
      calls: [
        call(),
        call({
          callId: 'c2',
          direction: 'B-to-A',
          durationSeconds: 0,
          startTime: null,
          releaseCause: 19,
        }),
      ],
    });
    expect(entries).toHaveLength(2);
    expect(entries.filter((e) => e.title.startsWith('A called B'))).toHaveLength(1);
    const unanswered = entries.find((e) => e.title.startsWith('B called A'))!;
    expect(unanswered.title).toBe('B called A, not answered');
    expect(unanswered.tone).toBe('warn');
    expect(unanswered.facts).toContain('released: 19 no answer');
  });

  it('spells out updates and reconciliation decisions', () => {
    const [updated, reconciled] = buildTimeline({
      events: [
        event('updated', '2026-11-22T10:01:00.000Z', {
          changed: { phoneB: { from: '139****0001', to: '139****0002' } },
        }),
        event(
          'reconciled',
          '2026-11-22T10:02:00.000Z',
          { decision: 'active', from: 'unknown' },
          'scheduler',
        ),
      ],
      calls: [],
    });
    expect(updated!.title).toBe('Updated phoneB');
    expect(updated!.facts).toEqual(['changed: phoneB 139****0001 → 139****0002']);
    expect(reconciled!.title).toBe('Reconciled: unknown → active');
    expect(reconciled!.tone).toBe('good');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [60, '1 min'],
    [185, '3 min 5 s'],
    [7440, '2 h 4 min'],
    [93600, '1 d 2 h'],
  ])('%i s reads %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
