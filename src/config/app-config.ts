/** The validated, typed configuration the rest of the service receives by injection. */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    maxBodyDepth: number;
    maxUrlLength: number;
    maxHeaderBytes: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    connectionTimeoutMs: number;
    /** Resolved DOCS_PUBLIC: /docs without a key. */
    docsPublic: boolean;
    /** TRUSTED_PROXIES: whose forwarded headers are believed (Fastify's trustProxy); empty: none. */
    trustedProxies: string[];
  };
  /** Graceful shutdown (src/runtime/graceful-shutdown.ts). */
  shutdown: { drainTimeoutMs: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  /** LOG_FORMAT: `auto` follows the terminal (src/logging/log-format.ts). */
  logFormat: 'auto' | 'pretty' | 'json';
  database: {
    /** Undefined means "start an embedded Postgres". */
    url?: string;
    poolSize: number;
    /** Longest wait for a connection (queued for a pooled one, or making a new one). */
    connectTimeoutMs: number;
    /** Client-side limit of one statement (pg query_timeout), and of a Prisma transaction. */
    queryTimeoutMs: number;
    /** Callers waiting for a pooled connection beyond which the next is refused at once. */
    maxWaiting: number;
    idleTimeoutMs: number;
    statementTimeoutMs: number;
    /** The admin history reads' own pool (src/prisma/admin-reads.database.ts). */
    admin: { poolSize: number; maxWaiting: number; statementTimeoutMs: number };
    migrateOnStart: boolean;
    embedded: { dir: string; port: number };
  };
  provider: {
    /** Undefined means "start the built-in simulator". */
    endpoint?: string;
    accessKeyId: string;
    accessKeySecret: string;
    regionId: string;
    timeoutMs: number;
    connections: number;
    readRetries: number;
    signature: 'v3' | 'rpc';
    embeddedSimulatorPort: number;
  };
  pools: { defaultPoolKey: string; defaultCity: string; maxPairsPerX: number };
  bindings: {
    maxTtlSeconds: number;
    maxBindAttempts: number;
    /** Binds placed (and settled) together at most, and such batches under way at once. */
    batchSize: number;
    batchConcurrency: number;
    /** Searches by a phone number per key per minute (per instance). */
    phoneSearchPerMinute: number;
    /** POST /v1/bindings/{id}/end-trip without contactWindowSeconds. */
    endTripContactWindowSeconds: number;
  };
  /** Recordings and transcripts of calls (src/calls). */
  recordings: {
    /** A stored recording link is reused until this long before it expires, ms. */
    linkReuseMarginMs: number;
  };
  routing: {
    budgetMs: number;
    cacheTtlMs: number;
    cacheMaxEntries: number;
    listenerHeartbeatMs: number;
    breakerFailures: number;
    breakerCooldownMs: number;
    refusedRecheckMs: number;
    fallback: 'real-number' | 'none';
    countsFlushMs: number;
    countsBatch: number;
    countsMaxKeys: number;
  };
  auth: {
    configuredKeys: Array<{
      name: string;
      roles: Array<'order' | 'routing' | 'admin' | 'provider' | 'safety'>;
      key: string;
      /** The key's caller group (absent: the key's own name). */
      group?: string;
    }>;
    callbackSecret: string;
    rateLimitPerSecond: number;
    rateLimitBurst: number;
    /** Failed authentications per client address per window before 429 AUTH_THROTTLED. */
    failuresPerAddress: number;
    failureWindowSeconds: number;
  };
  console: {
    sessionIdleSeconds: number;
    sessionMaxSeconds: number;
    cookieSecure: 'auto' | 'always' | 'never';
    /** Origins the console's <audio> may play recordings from (its CSP media-src). */
    mediaOrigins: string[];
  };
  callbacks: {
    bodyLimitBytes: number;
    /** Whether `POST /v1/callbacks/number-health` is accepted (CALLBACK_NUMBER_HEALTH_ENABLED). */
    numberHealthEnabled: boolean;
  };
  /** The MNS message consumer (src/messages). */
  messages: {
    /** Undefined: the consumer is off. */
    accountUid?: string;
    types: Array<
      | 'SecretExceptionPhoneReport'
      | 'SecretReport'
      | 'SecretRecording'
      | 'SecretStartReport'
      | 'SecretRingReport'
      | 'SecretPickUpReport'
      | 'SecretAsrReport'
    >;
    mnsEndpoint: string;
    dybaseapiEndpoint: string;
    waitSeconds: number;
    maxAttempts: number;
    consumersPerType: number;
    tokenRefreshMs: number;
  };
  /** Privacy aging and erasure (src/history/phone-aging.repository.ts). */
  privacy: {
    maskAfterDays: number;
    /** Empty: see PhoneHasher. */
    hashSecret: string;
    agingIntervalMs: number;
    agingBatchSize: number;
    agingWorkers: number;
  };
  /** Events to subscribers: Standard Webhooks (src/webhooks). */
  webhooks: {
    /** Resolved WEBHOOKS_ALLOW_PRIVATE_URLS (`auto` is settled by prepareRuntime). */
    allowPrivateUrls: boolean | 'auto';
    timeoutMs: number;
    /** Waits before each retry, ms; the delivery is dead after the last. */
    retryScheduleMs: number[];
    dispatchIntervalMs: number;
    /** The dispatch interval's ceiling under load (never below dispatchIntervalMs). */
    dispatchIntervalMaxMs: number;
    concurrency: number;
    endpointConcurrency: number;
    pollIntervalMs: number;
    secretOverlapMs: number;
    workersEnabled: boolean;
    /** WEBHOOK_RETENTION_DAYS: settled deliveries and their events are pruned after this. */
    retentionDays: number;
    /** SCHEDULER_WEBHOOK_RETENTION_INTERVAL_MS: how often (0: never by the scheduler). */
    retentionIntervalMs: number;
  };
  scheduler: {
    /** Resolved: SCHEDULER_ENABLED, or on unless NODE_ENV=test. */
    enabled: boolean;
    /** Interval per job in ms; 0 means the job is not registered. */
    expiry: { intervalMs: number; batchSize: number; maxBatches: number; workers: number };
    reconcile: {
      intervalMs: number;
      graceSeconds: number;
      batchSize: number;
      /** Wait after a binding's first failed attempt, doubled per failure up to the maximum. */
      backoffSeconds: number;
      backoffMaxSeconds: number;
    };
    /** Closing of trips' contact windows (src/bindings/end-trip.service.ts). */
    contactWindows: { intervalMs: number; batchSize: number };
    /** The record's month partitions (src/history/history-partitions.repository.ts). */
    history: { intervalMs: number; retentionDays: number; aheadMonths: number };
    replenish: {
      intervalMs: number;
      targets: Array<{ poolKey: string; city: string; spec: 1 | 2 | 3 }>;
      watermarkPairs: number;
      targetPairs: number;
      maxPerRun: number;
    };
  };
}

/** Injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
