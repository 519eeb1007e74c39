import { cleanup, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutedCount } from '../src/api/types.js';
import { describeRouted, RoutingCounts } from '../src/components/routing-counts.js';

const count = (over: Partial<RoutedCount>): RoutedCount => ({
  caller: 'A',
  status: 1,
  source: 'cache',
  reason: 'x-normal',
  refused: false,
  count: 3,
  firstAt: '2026-11-22T10:05:00.000Z',
  lastAt: '2026-11-22T10:06:00.000Z',
  ...over,
});

afterEach(cleanup);

describe('routing lookups of a binding', () => {
  it('says what each answer was, in words', () => {
    expect(describeRouted(count({}))).toBe('dial X, status 1 from cache, x-normal');
    expect(describeRouted(count({ status: 3, source: 'local', reason: 'x-abnormal' }))).toBe(
      'dial the real number, status 3 from local, x-abnormal',
    );
    expect(
      describeRouted(count({ refused: true, status: null, source: null, reason: 'not-a-party' })),
    ).toBe('refused (not-a-party)');
  });

  it('lists each caller and answer with how many lookups, or says there were none', () => {
    render(
      <RoutingCounts
        counts={[
          count({ count: 41 }),
          count({
            caller: 'other',
            refused: true,
            status: null,
            source: null,
            reason: 'not-a-party',
            count: 2,
          }),
        ]}
      />,
    );
    const rows = screen.getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]!.textContent).toContain('A (passenger)');
    expect(rows[1]!.textContent).toContain('41');
    expect(rows[2]!.textContent).toContain('someone else');
    expect(rows[2]!.textContent).toContain('refused (not-a-party)');
    cleanup();
    render(<RoutingCounts counts={[]} />);
    expect(screen.getByText('No routing lookups.')).toBeTruthy();
  });
});
