import { ApiProperty } from '@nestjs/swagger';
import { CALL_RESTRICTS } from '../protocol/call-control.js';
import type { Binding, BindingEvent } from '../generated/prisma/client.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { LIVE_STATES } from './binding-states.js';
import { RoutedCountView } from './routed-count.view.js';

/** A binding as the API returns it. */
export class BindingView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() outId!: string;
  @ApiProperty() poolKey!: string;
  @ApiProperty({ example: '13800000001' }) phoneA!: string;
  @ApiProperty({ example: '13900000001' }) phoneB!: string;
  @ApiProperty({ type: String, nullable: true, example: '13010000000' }) phoneX!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Provider SubsId' }) subsId!:
    string | null;
  /** A live binding past its expiry reads as expired even before the sweep has run. */
  @ApiProperty({
    enum: ['pending', 'active', 'unknown', 'unbinding', 'unbound', 'expired', 'failed'],
  })
  state!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty() record!: boolean;
  @ApiProperty({ type: String, nullable: true }) city!: string | null;
  @ApiProperty() cityStrict!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) endedAt!: string | null;

  /**
   * trip: A and B reach each other as the binding allows; contact-window: the trip ended, the
   * passenger (A) can still reach the driver (B), who can no longer call, until `contactUntil`;
   * ended: the binding is no longer live (or is being unbound).
   */
  @ApiProperty({ enum: ['trip', 'contact-window', 'ended'] }) phase!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) tripEndedAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the contact window closes and the binding is unbound',
  })
  contactUntil!: string | null;

  // Call control: what the provider applies to calls through X now.
  @ApiProperty({
    type: String,
    nullable: true,
    enum: CALL_RESTRICTS,
    description: 'The party that may not call X now (AX: A, BX: B); null: both may',
  })
  callRestrict!: string | null;
  @ApiProperty({ type: String, nullable: true }) outOrderId!: string | null;
  @ApiProperty({ type: Number, nullable: true }) callDisplayType!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Seconds' }) callTimeout!:
    number | null;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  ringConfig!: unknown;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true })
  dtmfConfig!: unknown;
  @ApiProperty({ description: 'Recorded calls are transcribed' }) asrStatus!: boolean;
  @ApiProperty({ type: String, nullable: true }) asrModelId!: string | null;

  /**
   * Null while A and B are the real numbers. Otherwise they no longer are, and phoneA/phoneB
   * hold the masked form: PHONE_AGED_OUT (PHONE_MASK_AFTER_DAYS after the binding ended; a
   * search by the full number still finds it) or PHONE_ERASED (an erasure asked for it).
   */
  @ApiProperty({
    type: 'object',
    nullable: true,
    properties: {
      code: { type: 'string', enum: ['PHONE_AGED_OUT', 'PHONE_ERASED'] },
      message: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
    },
  })
  phonesAgedOut!: { code: 'PHONE_AGED_OUT' | 'PHONE_ERASED'; message: string; at: string } | null;
}

export class BindingEventView {
  @ApiProperty({ example: 'bound' }) kind!: string;
  @ApiProperty({ description: 'API key name, or scheduler / bind / provider' }) actor!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Numbers masked' })
  details!: unknown;
}

export class BindingWithEventsView extends BindingView {
  @ApiProperty({ type: [BindingEventView] }) events!: BindingEventView[];
  @ApiProperty({
    type: [RoutedCountView],
    description: 'Routing decisions counted per caller and outcome (the first of each is an event)',
  })
  routing!: RoutedCountView[];
}

export class BindingPageView {
  @ApiProperty({ type: [BindingView] }) items!: BindingView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export function effectiveState(binding: Binding, now: Date): string {
  return LIVE_STATES.includes(binding.state) && binding.expiresAt <= now
    ? 'expired'
    : binding.state;
}

/** Where the binding is in the trip (see BindingView.phase). */
export function phaseOf(binding: Binding, state: string): 'trip' | 'contact-window' | 'ended' {
  if (!['pending', 'active', 'unknown'].includes(state)) return 'ended';
  return binding.tripEndedAt ? 'contact-window' : 'trip';
}

export function toBindingView(binding: Binding, now: Date): BindingView {
  const state = effectiveState(binding, now);
  return {
    id: binding.id,
    outId: binding.outId,
    poolKey: binding.poolKey,
    phoneA: binding.phoneA,
    phoneB: binding.phoneB,
    phoneX: binding.phoneX,
    subsId: binding.subsId,
    state,
    expiresAt: binding.expiresAt.toISOString(),
    record: binding.record,
    city: binding.city,
    cityStrict: binding.cityStrict,
    createdAt: binding.createdAt.toISOString(),
    updatedAt: binding.updatedAt.toISOString(),
    endedAt: binding.endedAt?.toISOString() ?? null,
    phase: phaseOf(binding, state),
    tripEndedAt: binding.tripEndedAt?.toISOString() ?? null,
    contactUntil: binding.contactUntil?.toISOString() ?? null,
    callRestrict: binding.callRestrict,
    outOrderId: binding.outOrderId,
    callDisplayType: binding.callDisplayType,
    callTimeout: binding.callTimeout,
    ringConfig: binding.ringConfig,
    dtmfConfig: binding.dtmfConfig,
    asrStatus: binding.asrStatus,
    asrModelId: binding.asrModelId,
    phonesAgedOut: agedOut(binding),
  };
}

/** What a reveal says when the numbers are no longer the real ones (BindingView.phonesAgedOut). */
function agedOut(binding: Binding): BindingView['phonesAgedOut'] {
  if (binding.erasedAt) {
    return {
      code: 'PHONE_ERASED',
      message: 'A number of this binding was erased on request; only its masked form is kept',
      at: binding.erasedAt.toISOString(),
    };
  }
  if (binding.agedAt) {
    return {
      code: 'PHONE_AGED_OUT',
      message:
        'The real numbers aged out (PHONE_MASK_AFTER_DAYS after the binding ended); only their masked form is kept',
      at: binding.agedAt.toISOString(),
    };
  }
  return null;
}

export function toEventView(event: BindingEvent): BindingEventView {
  return {
    kind: event.kind,
    actor: event.actor,
    at: event.at.toISOString(),
    details: event.details,
  };
}

/** The binding with A and B masked (lists and timelines that need no full numbers). */
export function maskedBindingView<T extends BindingView>(view: T): T {
  return { ...view, phoneA: maskPhone(view.phoneA), phoneB: maskPhone(view.phoneB) };
}
