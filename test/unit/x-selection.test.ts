import { describe, expect, it } from 'vitest';
import { rankCandidates, type XCandidate } from '../../src/inventory/x-selection.js';

const c = (number: string, city: string, load: number): XCandidate => ({ number, city, load });

describe('rankCandidates', () => {
  const pool = [
    c('1', '北京', 0),
    c('2', '杭州', 5),
    c('3', '杭州', 1),
    c('4', '上海', 199),
    c('5', '杭州', 200),
  ];

  it('puts the requested city first, least loaded first within each group', () => {
    expect(
      rankCandidates(pool, { city: '杭州', strict: false, maxPairs: 200 }).map((x) => x.number),
    ).toEqual(['3', '2', '1', '4']);
  });

  it('drops numbers at capacity', () => {
    const ranked = rankCandidates(pool, { city: '杭州', strict: false, maxPairs: 200 });
    expect(ranked.map((x) => x.number)).not.toContain('5');
    expect(rankCandidates(pool, { strict: false, maxPairs: 2 }).map((x) => x.number)).toEqual([
      '1',
      '3',
    ]);
  });

  it('keeps only the requested city when strict', () => {
    expect(
      rankCandidates(pool, { city: '北京', strict: true, maxPairs: 200 }).map((x) => x.number),
    ).toEqual(['1']);
    expect(rankCandidates(pool, { city: '广州', strict: true, maxPairs: 200 })).toEqual([]);
  });

  it('without a city, orders by load alone', () => {
    expect(rankCandidates(pool, { strict: false, maxPairs: 200 }).map((x) => x.number)).toEqual([
      '1',
      '3',
      '2',
      '4',
    ]);
  });
});
