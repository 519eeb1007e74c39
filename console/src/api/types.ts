/** What the console reads from the /v1 API (the shapes the service's views return). */

export type BindingState =
  'pending' | 'active' | 'unknown' | 'unbinding' | 'unbound' | 'expired' | 'failed';
export const BINDING_STATES: readonly BindingState[] = [
  'pending',
  'active',
  'unknown',
  'unbinding',
  'unbound',
  'expired',
  'failed',
];

export interface Binding {
  id: string;
  outId: string;
  poolKey: string;
  phoneA: string;
  phoneB: string;
  phoneX: string | null;
  subsId: string | null;
  state: BindingState;
  expiresAt: string;
  record: boolean;
  city: string | null;
  cityStrict: boolean;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  /** trip, contact-window (the trip ended; the passenger may still call), ended. */
  phase: 'trip' | 'contact-window' | 'ended';
  tripEndedAt: string | null;
  contactUntil: string | null;
  /** The party that may not call X now. */
  callRestrict: 'CONTROL_AX_DISABLE' | 'CONTROL_BX_DISABLE' | null;
  asrStatus: boolean;
}

export interface BindingListItem extends Binding {
  calls: number;
}

export interface BindingPage {
  items: BindingListItem[];
  nextCursor: string | null;
}

export interface BindingEvent {
  kind: string;
  actor: string;
  at: string;
  details: Record<string, unknown> | null;
}

export interface CallRecord {
  callId: string;
  direction: 'A-to-B' | 'B-to-A' | 'intercepted' | 'other';
  callTime: string | null;
  startTime: string | null;
  releaseTime: string | null;
  durationSeconds: number | null;
  releaseDir: number | null;
  releaseCause: number | null;
  unconnectedCause?: number | null;
  controlMsg?: string | null;
  recordUrl: string | null;
  /** A recording can be fetched (GET /v1/calls/{callId}/recording). */
  recordingReadyAt?: string | null;
  /** A transcript is stored. */
  transcriptReady?: boolean;
  receivedAt: string;
}

/** GET /v1/calls/{callId}/recording. */
export interface RecordingLink {
  url: string;
  expiresAt: string;
}

/** GET /v1/calls/{callId}/transcript. */
export interface Transcript {
  callId: string;
  source: string;
  sentences: Array<{ beginTimeMs: number | null; channelId: number | null; text: string | null }>;
}

/** Routing lookups of a binding, counted per caller and answer (GET /v1/bindings/{id}). */
export interface RoutedCount {
  caller: 'A' | 'B' | 'other';
  status: number | null;
  source: string | null;
  reason: string;
  refused: boolean;
  count: number;
  firstAt: string;
  lastAt: string;
}

export interface BindingDetail extends Binding {
  events: BindingEvent[];
  calls: CallRecord[];
  routing: RoutedCount[];
}

export interface Pool {
  poolKey: string;
  cityStrict: boolean;
  createdAt: string;
}

export interface StockRow {
  city: string;
  spec: number;
  numbers: number;
  healthy: number;
  locked?: number;
  livePairs: number;
  freePairs: number;
}

export interface Stock {
  poolKey: string;
  byCityAndSpec: StockRow[];
  totals: { numbers: number; healthy: number; livePairs: number; freePairs: number };
  providerRemaining: Array<{ spec: number; city: string; amount: number | null; error?: string }>;
}

export interface PoolNumber {
  number: string;
  spec: number;
  city: string;
  state: string;
  health: string;
  boughtAt: string;
  releasedAt: string | null;
  liveBindings: number;
  /** LockSecretNo: no new bindings, no calls routed. */
  lockedAt?: string | null;
  lockedBy?: string | null;
}

export interface BuyResult {
  requested: number;
  bought: string[];
  failure: { code: string; providerCode: string | null; message: string } | null;
}

export interface JobStatus {
  job: string;
  scheduled: boolean;
  intervalMs: number;
  running: boolean;
  last: {
    status: 'done' | 'failed';
    counts?: Record<string, number>;
    /** The run found nothing to do (the service's judgement: some counts are bookkeeping). */
    idle?: boolean;
    error?: string;
    ms: number;
    finishedAt: string;
  } | null;
}

export interface Operations {
  at: string;
  jobs: JobStatus[];
  reconciliation: {
    awaiting: number;
    oldestSince: string | null;
    oldestAgeSeconds: number | null;
    due: number;
    binds: number;
    unbinds: number;
    providerChecks: number;
    maxAttempts: number;
    graceSeconds: number;
  };
  provider: { circuit: 'closed' | 'open' | 'half-open' };
}

export interface SessionInfo {
  name: string;
  roles: string[];
  expiresAt: string;
  csrfToken: string;
}

/** GET /v1/webhooks/endpoints (src/webhooks/webhook.views.ts). */
export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  previousSecretUntil: string | null;
  createdAt: string;
  updatedAt: string;
  /** Only on creation and rotation. */
  secret?: string;
}

export interface WebhookDelivery {
  id: string;
  msgId: string;
  type: string;
  bindingId: string | null;
  status: 'pending' | 'succeeded' | 'dead';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt: string | null;
  tries: Array<{
    attempt: number;
    at: string;
    statusCode: number | null;
    error: string | null;
    response: string | null;
    durationMs: number;
  }>;
}
