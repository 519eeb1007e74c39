import { stringifyWithBigIntegers } from '../../src/protocol/json-big-integers.js';

/**
 * Pushes JSON arrays to the account's callback URLs the way Alibaba does: an HTTP POST that counts
 * as delivered only on a 2xx answer whose JSON body has `code` 0; anything else (other status, other
 * body, connection error, timeout) is retried after each of the configured delays, then given up.
 */

export type PushKind = 'callRecord' | 'healthReport';

export interface PushAttempt {
  at: string;
  status: number | null;
  error: string | null;
  ok: boolean;
}

export interface Delivery {
  id: number;
  kind: PushKind;
  url: string;
  payload: unknown[];
  state: 'pending' | 'delivered' | 'failed';
  attempts: PushAttempt[];
}

const ATTEMPT_TIMEOUT_MS = 5_000;
/** Old deliveries are forgotten past this many, so a long-running simulator stays small. */
const MAX_KEPT_DELIVERIES = 1_000;

export class Pusher {
  private deliveries: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private aborter = new AbortController();
  private nextId = 1;

  constructor(private readonly retryDelaysMs: readonly number[]) {}

  push(kind: PushKind, url: string, payload: unknown[]): Delivery {
    const delivery: Delivery = {
      id: this.nextId,
      kind,
      url,
      payload,
      state: 'pending',
      attempts: [],
    };
    this.nextId += 1;
    this.deliveries.push(delivery);
    if (this.deliveries.length > MAX_KEPT_DELIVERIES) this.deliveries.shift();
    void this.attempt(delivery, this.aborter.signal);
    return delivery;
  }

  list(): Delivery[] {
    return structuredClone(this.deliveries);
  }

  /** Stops pending retries and in-flight attempts (reset, close). */
  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.aborter.abort();
    this.aborter = new AbortController();
    this.deliveries = [];
  }

  private async attempt(delivery: Delivery, cancelled: AbortSignal): Promise<void> {
    const result = await post(delivery.url, delivery.payload, cancelled);
    if (cancelled.aborted) return;
    delivery.attempts.push({ at: new Date().toISOString(), ...result });
    if (result.ok) {
      delivery.state = 'delivered';
      return;
    }
    const delay = this.retryDelaysMs[delivery.attempts.length - 1];
    if (delay === undefined) {
      delivery.state = 'failed';
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(delivery, cancelled);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}

async function post(
  url: string,
  payload: unknown[],
  cancelled: AbortSignal,
): Promise<Omit<PushAttempt, 'at'>> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json;charset=utf-8' },
      body: stringifyWithBigIntegers(payload),
      signal: AbortSignal.any([cancelled, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
    });
    const text = await response.text();
    const ok = response.ok && acknowledged(text);
    return {
      status: response.status,
      error: ok ? null : `not acknowledged: ${text.slice(0, 200)}`,
      ok,
    };
  } catch (error) {
    return {
      status: null,
      error: error instanceof Error ? error.message : String(error),
      ok: false,
    };
  }
}

/** The receiver must answer `{"code":0,"msg":"接收成功"}`; only `code` 0 matters. */
function acknowledged(text: string): boolean {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return false;
    const code = (body as { code?: unknown }).code;
    return code === 0 || code === '0';
  } catch {
    return false;
  }
}
