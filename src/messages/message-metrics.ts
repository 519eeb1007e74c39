import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service.js';

type TypeLabel = 'type';

/**
 * The consumer's Prometheus metrics, by message type: received, handled (stored and deleted),
 * failed (the handler threw; the message comes back), dead-lettered, and lag (from enqueue at
 * the provider to receipt here).
 */
@Injectable()
export class MessageMetrics {
  readonly received: Counter<TypeLabel>;
  readonly handled: Counter<TypeLabel>;
  readonly failed: Counter<TypeLabel>;
  readonly deadLettered: Counter<TypeLabel>;
  readonly lag: Histogram<TypeLabel>;

  constructor(metrics: MetricsService) {
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['type'] as const, registers: [metrics.registry] });
    this.received = counter('axb_mns_messages_received_total', 'Queue messages received');
    this.handled = counter('axb_mns_messages_handled_total', 'Queue messages handled and deleted');
    this.failed = counter(
      'axb_mns_messages_failed_total',
      'Queue messages whose handling failed (left for redelivery or dead-lettered)',
    );
    this.deadLettered = counter(
      'axb_mns_messages_dead_lettered_total',
      'Queue messages moved to dead_letters and deleted',
    );
    this.lag = new Histogram({
      name: 'axb_mns_message_lag_seconds',
      help: 'From enqueue at the provider to receipt by the consumer',
      labelNames: ['type'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
      registers: [metrics.registry],
    });
  }
}
