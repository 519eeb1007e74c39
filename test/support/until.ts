import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `everyMs` until it holds, at most `tries` times (bounded, no sleep that must
 * be "long enough"); throws naming `what` and the last value seen.
 */
export async function until<T>(
  check: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  { tries = 500, everyMs = 20 }: { tries?: number; everyMs?: number } = {},
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i += 1) {
    last = await check();
    if (accept(last)) return last;
    await sleep(everyMs);
  }
  throw new Error(
    `gave up waiting for ${what} after ${tries} tries; last: ${JSON.stringify(last)}`,
  );
}
