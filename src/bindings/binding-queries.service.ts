import { Injectable } from '@nestjs/common';
import { ApiKeysRepository } from '../auth/api-keys.repository.js';
import { Clock } from '../common/clock/clock.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import { parseApiDate } from '../common/validation/api-date.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { toCallView, type CallView } from './call-record.view.js';
import { BindingSearchRepository } from './binding-search.repository.js';
import {
  maskedBindingView,
  toBindingView,
  toEventView,
  type BindingEventView,
  type BindingView,
} from './binding.view.js';
import { BindingsRepository } from './bindings.repository.js';
import { toRoutedCountView, type RoutedCountView } from './routed-count.view.js';
import type { BindingReadView, SearchBindingsQuery } from './dto/search-bindings.query.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { PhoneSearchLimit } from './phone-search.limit.js';

export type BindingDetail = BindingView & {
  events: BindingEventView[];
  calls: CallView[];
  routing: RoutedCountView[];
};

export interface BindingPage {
  items: Array<BindingView & { calls: number }>;
  nextCursor: string | null;
}

const DEFAULT_PAGE = 20;

/**
 * The admin's reads of binding history: one binding with its events and calls, and the keyset
 * paged search. Every read of full numbers is recorded in the access log (who, what, when); a
 * masked read (`view=masked`: A and B masked, as the console lists them) reveals nothing and is
 * not recorded — except a search by a phone number, masked or not: whether a number finds
 * bindings is itself what a reveal tells, so such a search is recorded (the number masked, with
 * what it found, even nothing) and limited per key (PhoneSearchLimit).
 */
@Injectable()
export class BindingQueriesService {
  constructor(
    private readonly clock: Clock,
    private readonly bindings: BindingsRepository,
    private readonly search: BindingSearchRepository,
    private readonly access: ApiKeysRepository,
    private readonly phoneSearches: PhoneSearchLimit,
  ) {}

  async get(id: string, view: BindingReadView, context: RequestContext): Promise<BindingDetail> {
    const binding = await this.bindings.findWithEvents(id);
    if (!binding) throw new NotFoundError('Binding', { id });
    const now = this.clock.now();
    if (view === 'full') {
      await this.access.recordAccess(
        context.actor,
        'GET /v1/bindings/:id',
        [id],
        context.requestId,
        now,
      );
    }
    const [calls, routing] = await Promise.all([
      this.bindings.findCalls(id),
      this.bindings.findRoutedCounts(id),
    ]);
    const transcribed = await this.bindings.transcribedCalls(calls.map((c) => c.callId));
    const detail = {
      ...toBindingView(binding, now),
      events: binding.events.map(toEventView),
      calls: calls.map((c) => toCallView(c, transcribed.has(c.callId))),
      routing: routing.map(toRoutedCountView),
    };
    return view === 'masked' ? maskedBindingView(detail) : detail;
  }

  async list(query: SearchBindingsQuery, context: RequestContext): Promise<BindingPage> {
    const byPhone = query.phone !== undefined;
    // Before any database work: a refused search costs nothing and reveals nothing.
    if (byPhone) this.phoneSearches.take(context.actor);
    const limit = query.limit ?? DEFAULT_PAGE;
    // One row more than the page tells whether there is a next page.
    const rows = await this.search.search(
      {
        outId: query.outId,
        phone: query.phone,
        phoneX: query.phoneX,
        state: query.state,
        createdFrom: parseApiDate(query.createdFrom) ?? undefined,
        createdTo: parseApiDate(query.createdTo) ?? undefined,
      },
      limit + 1,
      query.cursor ? decodeCursor(query.cursor) : undefined,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const now = this.clock.now();
    const masked = query.view === 'masked';
    if (!masked || byPhone) {
      await this.access.recordAccess(
        context.actor,
        'GET /v1/bindings',
        page.map((b) => b.id),
        context.requestId,
        now,
        byPhone ? searchRecord(query) : undefined,
      );
    }
    const calls = await this.bindings.countCalls(page.map((b) => b.id));
    const view = (b: (typeof page)[number]) =>
      masked ? maskedBindingView(toBindingView(b, now)) : toBindingView(b, now);
    return {
      items: page.map((b) => ({ ...view(b), calls: calls.get(b.id) ?? 0 })),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }
}

/** What a phone search asked for, as access_log keeps it: the number masked, never in clear. */
function searchRecord(query: SearchBindingsQuery): Record<string, string> {
  const record: Record<string, string> = {
    phone: maskPhone(query.phone),
    view: query.view ?? 'full',
  };
  for (const key of ['outId', 'phoneX', 'state', 'createdFrom', 'createdTo'] as const) {
    const value = query[key];
    if (value !== undefined) record[key] = value;
  }
  if (query.cursor) record.page = 'next';
  return record;
}
