import { AlicomQueues } from '../mns/alicom-queues.js';
import { TokenBook } from '../mns/token-book.js';
import type { ResolvedOptions } from '../options.js';
import { Pusher } from '../push/pusher.js';
import { RecordingLinks } from '../recordings/recording-links.js';
import { BindingStore } from './bindings.js';
import { BlacklistStore } from './blacklist.js';
import { CallLog } from './call-log.js';
import { SimClock } from './clock.js';
import { FaultBook } from './faults.js';
import { SeededRandom } from './random.js';
import { CallStats } from './stats.js';
import { NumberStock, type SecretNumber } from './stock.js';

export interface CallbackTargets {
  callRecordUrl: string | undefined;
  healthReportUrl: string | undefined;
}

/**
 * Everything the simulated platform remembers. `reset()` rebuilds it from the options and seed, so
 * a reset simulator behaves exactly like a fresh one.
 */
export class SimulatorState {
  readonly clock = new SimClock();
  readonly stats = new CallStats();
  readonly faults = new FaultBook();
  readonly pusher: Pusher;
  random!: SeededRandom;
  stock!: NumberStock;
  bindings!: BindingStore;
  /** The pools' blacklists (AddSecretBlacklist). */
  blacklist!: BlacklistStore;
  /** Simulated calls, for their recordings and transcripts. */
  calls!: CallLog;
  /** Signs and checks recording download links (the simulator serves them itself). */
  readonly recordings: RecordingLinks;
  callbacks!: CallbackTargets;
  /** The account's MNS queues, one per Dyplsapi message type. */
  alicom!: AlicomQueues;
  /** Temporary MNS credentials from QueryTokenForMnsQueue. */
  readonly tokens: TokenBook;
  queryCallStatusAllowed = true;
  private era = new AbortController();
  private callSerial = 0;
  private recordSerial = 0;

  constructor(readonly options: ResolvedOptions) {
    this.pusher = new Pusher(options.callbackRetryDelaysMs);
    this.tokens = new TokenBook(options.mnsTokenTtlMs);
    this.recordings = new RecordingLinks(options.accessKeySecret);
    this.reset();
  }

  /**
   * Aborted by the next reset(): requests still waiting out injected latency belong to the state
   * before it, and end without touching the new one (a fresh simulator has none in flight).
   */
  get resetSignal(): AbortSignal {
    return this.era.signal;
  }

  reset(): void {
    this.era.abort();
    this.era = new AbortController();
    this.clock.reset();
    this.stats.clear();
    this.faults.clear();
    this.pusher.cancelAll();
    this.alicom?.wakeAll();
    this.alicom = new AlicomQueues(this.options.accountUid, this.options.mnsVisibilityTimeoutMs);
    this.tokens.clear();
    this.random = new SeededRandom(this.options.seed);
    this.stock = new NumberStock(this.options.cities, this.options.stockPerCity);
    this.stock.assignInitialOwnership(this.options.poolKeys, this.options.ownedPerCity);
    this.bindings = new BindingStore();
    this.blacklist = new BlacklistStore();
    this.calls = new CallLog();
    this.callbacks = {
      callRecordUrl: this.options.callRecordUrl,
      healthReportUrl: this.options.healthReportUrl,
    };
    this.queryCallStatusAllowed = true;
    this.callSerial = 0;
    this.recordSerial = 0;
  }

  hasPool(poolKey: string): boolean {
    return this.options.poolKeys.includes(poolKey);
  }

  isStrictCity(poolKey: string): boolean {
    return this.options.strictCityPools.includes(poolKey);
  }

  /** A unique, unguessable-looking call id (hex, like the platform's). */
  nextCallId(): string {
    this.callSerial += 1;
    return `${this.random.hex(12)}${this.callSerial.toString(16).padStart(4, '0')}`;
  }

  /** The `id` of a pushed report, unique per simulator run. */
  nextRecordId(): number {
    this.recordSerial += 1;
    return 3_000_000 + this.recordSerial;
  }

  /**
   * Marks X abnormal or normal. A temporary X is lent lazily (on QueryCallStatus) and returned to
   * spare stock when X recovers.
   */
  setHealth(number: SecretNumber, health: 'normal' | 'abnormal'): void {
    number.health = health;
    if (health === 'normal') {
      for (const n of this.stock.all())
        if (n.temporaryFor === number.secretNo) n.temporaryFor = null;
    }
  }

  /** The temporary X lent to an abnormal X, lending one from spare stock if none yet. */
  temporaryNumberFor(number: SecretNumber): SecretNumber | undefined {
    const lent = this.stock.all().find((n) => n.temporaryFor === number.secretNo);
    if (lent) return lent;
    const candidates = this.stock
      .spare(number.specId)
      .filter((n) => n.health === 'normal')
      .sort((a, b) => Number(b.city === number.city) - Number(a.city === number.city));
    const chosen = candidates[0];
    if (chosen) chosen.temporaryFor = number.secretNo;
    return chosen;
  }
}
