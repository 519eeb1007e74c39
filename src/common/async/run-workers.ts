/**
 * Runs `count` workers side by side (a job's workers, each taking disjoint batches) and ends only
 * when every one has ended. Once one fails, `failed()` tells the others to take no further batch,
 * and the first failure is thrown after all have stopped. (Promise.all answers at the first
 * failure while the other workers' batches go on: a run reported failed was still writing, and
 * the next run, or a test's repair, met its writes.)
 */
export async function runWorkers(
  count: number,
  work: (failed: () => boolean) => Promise<void>,
): Promise<void> {
  let failed = false;
  const results = await Promise.allSettled(
    Array.from({ length: count }, () =>
      work(() => failed).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
