import { Injectable } from '@nestjs/common';
import { EndTripService } from '../bindings/end-trip.service.js';
import { SCHEDULER_ACTOR, type JobCounts, type ScheduledJob } from './scheduled-job.js';

/**
 * Closes the contact windows of ended trips that are due: each binding still live is unbound
 * (EndTripService.closeDueWindows). Instances take disjoint windows (SKIP LOCKED) and each window
 * is taken once, so a binding's window closes exactly once; one left `unbinding` (the provider
 * could not be reached) is finished by reconciliation.
 */
@Injectable()
export class ContactWindowJob implements ScheduledJob {
  readonly name = 'contact-window' as const;

  constructor(private readonly trips: EndTripService) {}

  async run(stopping?: AbortSignal): Promise<JobCounts> {
    return { ...(await this.trips.closeDueWindows(SCHEDULER_ACTOR, stopping)) };
  }
}
