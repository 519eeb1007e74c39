import { ApiProperty } from '@nestjs/swagger';

export class JobStatusView {
  @ApiProperty({ enum: ['expiry', 'reconcile', 'replenish'] }) job!: string;
  @ApiProperty({ description: 'Registered on a timer in this instance' }) scheduled!: boolean;
  @ApiProperty({ description: 'Interval from the settings, ms (0 = off)' }) intervalMs!: number;
  @ApiProperty({ description: 'A run is going now in this instance' }) running!: boolean;
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'Last finished run in this instance: status, counts or error, ms, finishedAt',
  })
  last!: {
    status: 'done' | 'failed';
    counts?: Record<string, number>;
    error?: string;
    ms: number;
    finishedAt: string;
  } | null;
}

export class ReconciliationBacklogView {
  @ApiProperty({ description: 'Bindings the next reconciliation run would take up' })
  awaiting!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) oldestSince!: string | null;
  @ApiProperty({ type: Number, nullable: true }) oldestAgeSeconds!: number | null;
  @ApiProperty({ description: 'Held live until their expiry (SubsId not learnable)' })
  held!: number;
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
