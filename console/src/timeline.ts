import type { BindingDetail, BindingEvent, CallRecord } from './api/types.js';
import { formatDuration, formatTime, releaseCause } from './format.js';

/** One line of a binding's story. */
export interface TimelineEntry {
  at: string;
  kind: string;
  title: string;
  /** Who or what did it: an API key's name, or scheduler / bind / provider. */
  actor: string;
  facts: string[];
  tone: 'normal' | 'good' | 'warn' | 'bad';
  /** The call a call entry shows (its recording and transcript can be asked for). */
  call?: CallRecord;
}

const TITLES: Record<string, string> = {
  created: 'Created',
  bound: 'Bound at the provider',
  attempt_failed: 'Bind attempt failed, trying another X',
  failed: 'Bind failed',
  outcome_unknown: 'Provider outcome unknown',
  updated: 'Updated',
  update_failed: 'Update failed',
  trip_ended: 'Trip ended: the driver can no longer call',
  unbind_requested: 'Unbind requested',
  unbind_failed: 'Unbind not confirmed by the provider, retried by reconciliation',
  unbound: 'Unbound',
  expired: 'Expired',
  reconciled: 'Reconciled',
  routed: 'Call routed',
  call_recorded: 'Call',
};

const TONES: Record<string, TimelineEntry['tone']> = {
  bound: 'good',
  attempt_failed: 'warn',
  failed: 'bad',
  outcome_unknown: 'warn',
  update_failed: 'bad',
  unbind_failed: 'warn',
  unbound: 'normal',
  expired: 'normal',
};

const TITLE_KEYS: Record<string, string[]> = {
  routed: ['status', 'source', 'refused'],
  reconciled: ['decision', 'from'],
};

const DIRECTIONS: Record<CallRecord['direction'], string> = {
  'A-to-B': 'A called B',
  'B-to-A': 'B called A',
  intercepted: 'Call intercepted by the provider',
  other: 'call',
};

/**
 * The binding's events and calls as one story, oldest first. A call that has a `call_recorded`
 * event is shown once, with the call record's details (duration, release cause); calls recorded
 * before events existed are shown from the record alone.
 */
export function buildTimeline(detail: Pick<BindingDetail, 'events' | 'calls'>): TimelineEntry[] {
  const calls = new Map(detail.calls.map((c) => [c.callId, c]));
  const shown = new Set<string>();
  const entries = detail.events.map((event) => {
    const callId = typeof event.details?.callId === 'string' ? event.details.callId : undefined;
    if (event.kind === 'call_recorded' && callId) {
      shown.add(callId);
      const call = calls.get(callId);
      if (call) return callEntry(call, call.callTime ?? event.at, event.actor);
    }
    return eventEntry(event);
  });
  for (const call of detail.calls) {
    if (!shown.has(call.callId)) entries.push(callEntry(call, call.callTime ?? call.receivedAt));
  }
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}

function callEntry(call: CallRecord, at: string, actor = 'provider'): TimelineEntry {
  const answered = (call.durationSeconds ?? 0) > 0;
  if (call.direction === 'intercepted') {
    return {
      at,
      kind: 'call',
      title: DIRECTIONS.intercepted,
      actor,
      facts: [
        ...(call.controlMsg ? [`why: ${call.controlMsg}`] : []),
        ...(call.unconnectedCause != null ? [`unconnected cause ${call.unconnectedCause}`] : []),
        `call id ${call.callId}`,
      ],
      tone: 'warn',
      call,
    };
  }
  return {
    at,
    kind: 'call',
    title: `${DIRECTIONS[call.direction]}, ${answered ? formatDuration(call.durationSeconds) : 'not answered'}`,
    actor,
    call,
    facts: [
      `released: ${releaseCause(call.releaseCause)}`,
      ...(call.startTime ? [`answered ${formatTime(call.startTime)}`] : []),
      ...(call.releaseTime ? [`ended ${formatTime(call.releaseTime)}`] : []),
      ...(call.recordUrl || call.recordingReadyAt ? ['recorded'] : []),
      ...(call.transcriptReady ? ['transcribed'] : []),
      `call id ${call.callId}`,
    ],
    tone: answered ? 'normal' : 'warn',
  };
}

function eventEntry(event: BindingEvent): TimelineEntry {
  const d = event.details ?? {};
  let title = TITLES[event.kind] ?? event.kind;
  let tone = TONES[event.kind] ?? 'normal';
  if (event.kind === 'routed') {
    if (d.refused) {
      title = 'Lookup refused';
      tone = 'bad';
    } else {
      title = `Call routed: status ${String(d.status)} from ${String(d.source)}`;
      tone = d.status === 1 ? 'normal' : 'warn';
    }
  }
  if (event.kind === 'reconciled' && typeof d.decision === 'string') {
    title = `Reconciled: ${String(d.from ?? '?')} → ${d.decision}`;
    tone = d.decision === 'active' ? 'good' : d.decision === 'failed' ? 'bad' : 'warn';
    if (d.decision === 'gone') {
      title = d.unboundNow
        ? 'Provider side checked: still live there, unbound'
        : 'Provider side checked: nothing live there';
      tone = 'normal';
    }
  }
  if (event.kind === 'updated' && d.changed && typeof d.changed === 'object') {
    title = `Updated ${Object.keys(d.changed).join(', ')}`;
  }
  // What the title already says is not repeated below it.
  const said = TITLE_KEYS[event.kind] ?? [];
  const rest = Object.fromEntries(Object.entries(d).filter(([k]) => !said.includes(k)));
  return { at: event.at, kind: event.kind, title, actor: event.actor, facts: facts(rest), tone };
}

/** The event's details as short `name: value` lines (numbers in them are already masked). */
function facts(details: Record<string, unknown>): string[] {
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key}: ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value && typeof value === 'object' && 'from' in value && 'to' in value) {
    const { from, to } = value as { from: unknown; to: unknown };
    return `${describe(from)} → ${describe(to)}`;
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k} ${describe(v)}`)
      .join('; ');
  }
  return String(value);
}
