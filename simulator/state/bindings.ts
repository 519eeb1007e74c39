import type { CallRestrict, DtmfConfig, RingConfig } from '../../src/protocol/call-control.js';

/** The AXB bindings the simulated platform holds, with the per-X rules. */

export interface Binding {
  subsId: string;
  poolKey: string;
  secretNo: string;
  phoneNoA: string;
  phoneNoB: string;
  createdAt: number;
  expireAt: number;
  needRecord: boolean;
  outId: string | null;
  unboundAt: number | null;
  /** Call control and ASR, as BindAxb / UpdateSubscription set them. */
  settings: BindingSettings;
}

export interface BindingSettings {
  outOrderId: string | null;
  callRestrict: CallRestrict | null;
  callDisplayType: number | null;
  callTimeoutSeconds: number | null;
  ringConfig: RingConfig | null;
  dtmfConfig: DtmfConfig | null;
  asrStatus: boolean;
  asrModelId: string | null;
}

export const DEFAULT_SETTINGS: BindingSettings = {
  outOrderId: null,
  callRestrict: null,
  callDisplayType: null,
  callTimeoutSeconds: null,
  ringConfig: null,
  dtmfConfig: null,
  asrStatus: false,
  asrModelId: null,
};

/** One X serves at most this many live pairs at once. */
export const MAX_PAIRS_PER_X = 200;

export function isLive(binding: Binding, now: number): boolean {
  return binding.unboundAt === null && now < binding.expireAt;
}

export class BindingStore {
  private readonly bindings = new Map<string, Binding>();
  private readonly bySecretNo = new Map<string, Set<string>>();
  private nextSubsId = 1_000_000_000_000_001;

  add(fields: Omit<Binding, 'subsId' | 'unboundAt'>): Binding {
    const binding: Binding = { ...fields, subsId: String(this.nextSubsId), unboundAt: null };
    this.nextSubsId += 1;
    this.bindings.set(binding.subsId, binding);
    this.index(binding);
    return binding;
  }

  get(subsId: string): Binding | undefined {
    return this.bindings.get(subsId);
  }

  all(): Binding[] {
    return [...this.bindings.values()];
  }

  liveOn(secretNo: string, now: number): Binding[] {
    const ids = this.bySecretNo.get(secretNo) ?? new Set<string>();
    return [...ids]
      .map((id) => this.bindings.get(id))
      .filter((b): b is Binding => b !== undefined && isLive(b, now));
  }

  /**
   * Why A/B cannot (also) be bound on X right now, or null when they can. `except` leaves out the
   * binding being updated. A number may not be A of two live bindings on one X, nor B of two.
   */
  conflictOn(
    secretNo: string,
    phoneNoA: string,
    phoneNoB: string,
    now: number,
    except?: string,
  ): string | null {
    const live = this.liveOn(secretNo, now).filter((b) => b.subsId !== except);
    if (except === undefined && live.length >= MAX_PAIRS_PER_X) {
      return `secret number already serves ${MAX_PAIRS_PER_X} live pairs`;
    }
    if (live.some((b) => b.phoneNoA === phoneNoA)) return 'PhoneNoA already bound on this number';
    if (live.some((b) => b.phoneNoB === phoneNoB)) return 'PhoneNoB already bound on this number';
    return null;
  }

  private index(binding: Binding): void {
    const ids = this.bySecretNo.get(binding.secretNo) ?? new Set<string>();
    ids.add(binding.subsId);
    this.bySecretNo.set(binding.secretNo, ids);
  }
}
