import { formatDuration } from '../../src/common/progress/progress.js';
import type { SeedSummary } from './seed-history.js';

/** The end summary of a seed: rows per table, the rate, each phase's time, the size on disk. */
export function seedSummaryLines(s: SeedSummary): string[] {
  const perSecond = (n: number) => Math.round(n / (s.loadMs / 1000)).toLocaleString('en-US');
  const total = Object.values(s.rows).reduce((a, b) => a + b, 0);
  return [
    ...Object.entries(s.rows).map(
      ([table, n]) => `  ${table.padEnd(22)} ${n.toLocaleString('en-US').padStart(14)} rows`,
    ),
    `  load ${formatDuration(s.loadMs)}: ${perSecond(s.rows.bindings)} bindings/s, ` +
      `${perSecond(total)} rows/s (${s.replica ? 'triggers off: replica session' : 'through the triggers'})`,
    `  indexes built after the load: ${formatDuration(s.indexMs)}` +
      (s.builtIndexes.length
        ? ` (${s.builtIndexes.map((i) => `${i.name} ${formatDuration(i.ms)}`).join(', ')})`
        : ' (none deferred: the record was not empty)'),
    `  month partitions made for the seeded months: ${s.partitions}`,
    `  VACUUM ANALYZE: ${formatDuration(s.vacuumMs)}; record on disk ${(s.bytes / 2 ** 30).toFixed(2)} GiB`,
  ];
}
