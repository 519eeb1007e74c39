import { JOB_NAMES } from '../scheduler/scheduled-job.js';
import { ApiProperty } from '@nestjs/swagger';

export class JobStatusView {
  @ApiProperty({ enum: JOB_NAMES }) job!: string;
  @ApiProperty({ description: 'Registered on a timer in this instance' }) scheduled!: boolean;
  @ApiProperty({ description: 'Interval from the settings, ms (0 = off)' }) intervalMs!: number;
  @ApiProperty({ description: 'A run is going now in this instance' }) running!: boolean;
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description:
      'Last finished run in this instance: status, counts (and idle: it found nothing to do) or error, ms, finishedAt',
  })
  last!: {
    status: 'done' | 'failed';
    counts?: Record<string, number>;
    idle?: boolean;
    error?: string;
    ms: number;
    finishedAt: string;
  } | null;
}

export class ReconciliationBacklogView {
  @ApiProperty({
    description:
      'Bindings waiting for reconciliation: due now or waiting out a backoff (never dropped)',
  })
  awaiting!: number;
  @ApiProperty({ description: 'Of those, the ones the next run takes up' }) due!: number;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the longest waiting one last changed',
  })
  oldestSince!: string | null;
  @ApiProperty({ type: Number, nullable: true }) oldestAgeSeconds!: number | null;
  @ApiProperty({ description: 'Open bind outcomes (pending past the grace period, unknown)' })
  binds!: number;
  @ApiProperty({ description: 'Unbinding: to be ended at the provider' }) unbinds!: number;
  @ApiProperty({ description: 'Ended while open: the provider side still to be checked' })
  providerChecks!: number;
  @ApiProperty({ description: 'Most failed attempts in a row of any waiting binding' })
  maxAttempts!: number;
  @ApiProperty() graceSeconds!: number;
}

/** GET /v1/admin/operations. */
export class OperationsView {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ type: [JobStatusView] }) jobs!: JobStatusView[];
  @ApiProperty({ type: ReconciliationBacklogView }) reconciliation!: ReconciliationBacklogView;
  @ApiProperty({
    type: 'object',
    properties: { circuit: { type: 'string', enum: ['closed', 'open', 'half-open'] } },
  })
  provider!: { circuit: string };
}
