/**
 * How many numbers to buy for one watched (pool, city, spec): none while its free pair capacity
 * is at or above the watermark; below it, enough numbers to reach the target capacity (each adds
 * `pairsPerNumber`), but no more than the run's remaining budget.
 */
export function numbersToBuy(input: {
  freePairs: number;
  watermarkPairs: number;
  targetPairs: number;
  pairsPerNumber: number;
  budget: number;
}): number {
  const { freePairs, watermarkPairs, targetPairs, pairsPerNumber, budget } = input;
  if (freePairs >= watermarkPairs || budget <= 0) return 0;
  const missing = Math.max(targetPairs - freePairs, 0);
  return Math.min(Math.ceil(missing / pairsPerNumber), budget);
}
