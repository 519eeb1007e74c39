import { describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/common/clock/clock.js';
import { loadConfig } from '../../src/config/load-config.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import type { AdminReadsDatabase } from '../../src/prisma/admin-reads.database.js';

/**
 * axb_routing_decisions_total is tallied in plain counts on the lookup's path and handed to
 * prom-client when read: every read shows every decision counted before it, once, cumulatively.
 */
describe('axb_routing_decisions_total', () => {
  // Only the scrape-time pool gauge reads the database; this test reads the one counter.
  const metrics = new MetricsService({} as AdminReadsDatabase, loadConfig({}), new SystemClock());

  async function values(): Promise<Record<string, number>> {
    const { values } = await metrics.routingDecisions.get();
    return Object.fromEntries(
      values.map((v) => [`${String(v.labels.status)}/${String(v.labels.source)}`, v.value]),
    );
  }

  it('shows every decision counted before a read, and keeps adding across reads', async () => {
    for (let i = 0; i < 5; i += 1) metrics.observeRouting(1, 'cache');
    metrics.observeRouting(3, 'local');
    expect(await values()).toEqual({ '1/cache': 5, '3/local': 1 });
    // A read with nothing new adds nothing.
    expect(await values()).toEqual({ '1/cache': 5, '3/local': 1 });
    metrics.observeRouting(1, 'cache');
    metrics.observeRouting(1, 'provider');
    expect(await values()).toEqual({ '1/cache': 6, '3/local': 1, '1/provider': 1 });
    const text = await metrics.registry.getSingleMetricAsString('axb_routing_decisions_total');
    expect(text).toContain('axb_routing_decisions_total{status="1",source="cache"} 6');
  });
});
