import type { RoutedCount } from '../api/types.js';
import { formatTime } from '../format.js';

const CALLERS: Record<string, string> = {
  A: 'A (passenger)',
  B: 'B (driver)',
  other: 'someone else',
};

/** What an answer was, in words: "dial X (status 1) from the provider, x-normal". */
export function describeRouted(r: RoutedCount): string {
  if (r.refused) return `refused (${r.reason})`;
  const what =
    r.status === 1
      ? 'dial X'
      : r.status === 2
        ? 'dial a temporary X'
        : r.status === 3
          ? 'dial the real number'
          : 'nothing to dial (ended)';
  return `${what}, status ${String(r.status)} from ${r.source ?? '?'}${r.reason ? `, ${r.reason}` : ''}`;
}

/**
 * The binding's routing lookups, counted per caller and answer: every decision is counted; the
 * timeline shows the first of each kind.
 */
export function RoutingCounts({ counts }: { counts: RoutedCount[] }) {
  if (counts.length === 0) return <p class="muted">No routing lookups.</p>;
  return (
    <div class="table-wrap">
      <table class="stack-on-phone" aria-label="Routing lookups by caller and answer">
        <thead>
          <tr>
            <th scope="col">Caller</th>
            <th scope="col">Answer</th>
            <th scope="col">Lookups</th>
            <th scope="col">First</th>
            <th scope="col">Last</th>
          </tr>
        </thead>
        <tbody>
          {counts.map((r) => (
            <tr key={`${r.caller}/${r.refused}/${r.status}/${r.source}/${r.reason}`}>
              <td data-label="Caller">{CALLERS[r.caller] ?? r.caller}</td>
              <td data-label="Answer">{describeRouted(r)}</td>
              <td data-label="Lookups">{r.count}</td>
              <td data-label="First">{formatTime(r.firstAt)}</td>
              <td data-label="Last">{formatTime(r.lastAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
