import type { Binding, BindingEvent } from '../generated/prisma/client.js';
import { LIVE_STATES } from './binding-states.js';

/** A binding as the API returns it. */
export interface BindingView {
  id: string;
  outId: string;
  poolKey: string;
  phoneA: string;
  phoneB: string;
  phoneX: string | null;
  subsId: string | null;
  /** A live binding past its expiry reads as expired even before the sweep has run. */
  state: string;
  expiresAt: string;
  record: boolean;
  city: string | null;
  cityStrict: boolean;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export interface BindingEventView {
  kind: string;
  actor: string;
  at: string;
  details: unknown;
}

export function effectiveState(binding: Binding, now: Date): string {
  return LIVE_STATES.includes(binding.state) && binding.expiresAt <= now
    ? 'expired'
    : binding.state;
}

export function toBindingView(binding: Binding, now: Date): BindingView {
  return {
    id: binding.id,
    outId: binding.outId,
    poolKey: binding.poolKey,
    phoneA: binding.phoneA,
    phoneB: binding.phoneB,
    phoneX: binding.phoneX,
    subsId: binding.subsId,
    state: effectiveState(binding, now),
    expiresAt: binding.expiresAt.toISOString(),
    record: binding.record,
    city: binding.city,
    cityStrict: binding.cityStrict,
    createdAt: binding.createdAt.toISOString(),
    updatedAt: binding.updatedAt.toISOString(),
    endedAt: binding.endedAt?.toISOString() ?? null,
  };
}

export function toEventView(event: BindingEvent): BindingEventView {
  return {
    kind: event.kind,
    actor: event.actor,
    at: event.at.toISOString(),
    details: event.details,
  };
}
