import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  Validate,
} from 'class-validator';
import { IsProxyList } from './proxy-list.js';

/** Turns "true"/"false"/"1"/"0" into booleans and leaves anything else for the validator to name. */
const toBoolean = () =>
  Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return value;
  });

/** Turns a decimal string into an integer; anything else stays a string so that @IsInt names it. */
const toInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value,
  );

const ROLE = '(order|routing|admin|provider|safety)';
const KEY_ENTRY = `[A-Za-z0-9_.-]{1,64}:${ROLE}(\\+${ROLE})*:axb_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{20,128}(:[A-Za-z0-9_.-]{1,64})?`;
const API_KEYS_PATTERN = new RegExp(`^(${KEY_ENTRY}(,${KEY_ENTRY})*)?$`);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;

/** The message types the consumer understands. */
export const CONSUMED_TYPES = [
  'SecretExceptionPhoneReport',
  'SecretReport',
  'SecretRecording',
  'SecretStartReport',
  'SecretRingReport',
  'SecretPickUpReport',
  'SecretAsrReport',
] as const;
const TYPE = `(${CONSUMED_TYPES.join('|')})`;
const MESSAGE_TYPES_PATTERN = new RegExp(`^(${TYPE}(,${TYPE})*)?$`);

/**
 * Every setting the service reads, validated once at start-up. Each property is one environment
 * variable; `.env.example` documents them all with the same defaults.
 */
export class Environment {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV: string = 'development';

  @toInt() @IsInt() @Min(0) @Max(65535) PORT: number = 3000;
  @IsString() @MinLength(1) HOST: string = '127.0.0.1';
  @IsIn(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';
  /**
   * `json`: one JSON object per line. `pretty`: one readable, coloured line per event (needs the
   * dev dependency pino-pretty; without it JSON, with a warning). `auto`: pretty on a terminal,
   * JSON otherwise.
   */
  @IsIn(LOG_FORMATS) LOG_FORMAT: (typeof LOG_FORMATS)[number] = 'auto';

  /** Largest request body accepted (413 above), bytes. */
  @toInt() @IsInt() @Min(1024) @Max(64 * 1024 * 1024) HTTP_BODY_LIMIT_BYTES: number = 256 * 1024;
  /** Deepest nesting of arrays/objects in a JSON body (400 BODY_TOO_DEEP above). */
  @toInt() @IsInt() @Min(2) @Max(256) HTTP_MAX_BODY_DEPTH: number = 32;
  /** Longest request URL, path and query (414 above). */
  @toInt() @IsInt() @Min(256) @Max(65536) HTTP_MAX_URL_LENGTH: number = 4096;
  /** Largest request line plus headers (431 above), bytes: Node's maxHeaderSize. */
  @toInt() @IsInt() @Min(4096) @Max(262144) HTTP_MAX_HEADER_BYTES: number = 16384;
  /** The request line and headers must arrive within this (408 after), ms. */
  @toInt() @IsInt() @Min(100) HTTP_HEADERS_TIMEOUT_MS: number = 10000;
  /** The whole request, body included, must arrive within this (408 after), ms. */
  @toInt() @IsInt() @Min(100) HTTP_REQUEST_TIMEOUT_MS: number = 30000;
  /** An idle keep-alive connection is closed after this (above a load balancer's idle timeout), ms. */
  @toInt() @IsInt() @Min(100) HTTP_KEEP_ALIVE_TIMEOUT_MS: number = 72000;
  /** A connection with no traffic at all for this long is closed, ms (0: never). */
  @toInt() @IsInt() @Min(0) HTTP_CONNECTION_TIMEOUT_MS: number = 120000;
  /**
   * On SIGTERM/SIGINT, how long requests in flight may take to finish after the listener closed,
   * ms; connections still busy then are closed.
   */
  @toInt() @IsInt() @Min(0) SHUTDOWN_DRAIN_TIMEOUT_MS: number = 20000;
  /**
   * Who may open /docs and /docs/json: `true` anyone (the UI's Authorize button takes a key for
   * "Try it out"), `false` admin keys only, `auto` anyone under NODE_ENV=development only.
   */
  @IsIn(['auto', 'true', 'false']) DOCS_PUBLIC: 'auto' | 'true' | 'false' = 'auto';
  /**
   * Proxies whose `x-forwarded-for` / `x-forwarded-proto` are believed: comma-separated addresses
   * or CIDRs (`10.0.0.0/8`), or `loopback`, `linklocal`, `uniquelocal`. Empty: none, the peer's
   * own address and protocol count (whatever headers a client sends).
   */
  @IsString()
  @Validate(IsProxyList)
  TRUSTED_PROXIES: string = '';

  /** Unset: an embedded Postgres is started with its data under EMBEDDED_PG_DIR. */
  @IsOptional()
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_port: false })
  DATABASE_URL?: string;
  @toInt() @IsInt() @Min(1) @Max(500) DATABASE_POOL_SIZE: number = 10;
  /**
   * Longest wait for a database connection, ms: a pooled one (queued behind others) or a new one
   * being made. 503 DATABASE_UNAVAILABLE after.
   */
  @toInt() @IsInt() @Min(100) DATABASE_CONNECT_TIMEOUT_MS: number = 5000;
  /**
   * Client-side limit of one statement, ms (the driver gives up even when the server does not
   * answer at all, e.g. a frozen host); 503 DATABASE_UNAVAILABLE after. Also the limit of a
   * Prisma interactive transaction, and the budget of a bind's settle retries.
   */
  @toInt() @IsInt() @Min(100) DATABASE_QUERY_TIMEOUT_MS: number = 10000;
  /** Requests waiting for a pooled connection beyond which the next is refused at once (503). */
  @toInt() @IsInt() @Min(1) DATABASE_POOL_MAX_WAITING: number = 1000;
  @toInt() @IsInt() @Min(1000) DATABASE_IDLE_TIMEOUT_MS: number = 30000;
  @toInt() @IsInt() @Min(0) DATABASE_STATEMENT_TIMEOUT_MS: number = 15000;
  /**
   * Connections of the admin history reads' own pool (search, a binding's timeline, the
   * console's inventory lists): a burst of heavy reads waits here, never for the call path's
   * connections. Also how many database cores admin reads can take at once: one by default
   * (on two cores, two connections searched no faster and tripled the lookups' p99).
   */
  @toInt() @IsInt() @Min(1) @Max(100) ADMIN_DATABASE_POOL_SIZE: number = 1;
  /** Admin reads waiting for one of those connections beyond which the next is refused (503). */
  @toInt() @IsInt() @Min(1) ADMIN_DATABASE_POOL_MAX_WAITING: number = 20;
  /** Server-side statement_timeout of the admin reads, ms (504 HISTORY_READ_TIMEOUT after). */
  @toInt() @IsInt() @Min(100) @Max(600000) ADMIN_STATEMENT_TIMEOUT_MS: number = 5000;
  @toBoolean() @IsBoolean() MIGRATE_ON_START: boolean = true;

  @IsString() @MinLength(1) EMBEDDED_PG_DIR: string = '.data/postgres';
  @toInt() @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT: number = 54329;

  /** Unset: the built-in Dyplsapi simulator is started in-process and used over HTTP. */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false })
  PROVIDER_ENDPOINT?: string;
  @IsString() @MinLength(1) PROVIDER_ACCESS_KEY_ID: string = 'sim-access-key-id';
  @IsString() @MinLength(1) PROVIDER_ACCESS_KEY_SECRET: string = 'sim-access-key-secret';
  @IsString() @MinLength(1) PROVIDER_REGION_ID: string = 'cn-hangzhou';
  @toInt() @IsInt() @Min(50) @Max(120000) PROVIDER_TIMEOUT_MS: number = 3000;
  @toInt() @IsInt() @Min(1) @Max(1024) PROVIDER_CONNECTIONS: number = 32;
  @toInt() @IsInt() @Min(0) @Max(10) PROVIDER_READ_RETRIES: number = 2;
  @toInt() @IsInt() @Min(0) @Max(65535) EMBEDDED_SIMULATOR_PORT: number = 0;
  /** Request signature: `v3` (ACS3-HMAC-SHA256, Alibaba's current scheme) or `rpc` (HMAC-SHA1). */
  @IsIn(['v3', 'rpc']) PROVIDER_SIGNATURE: 'v3' | 'rpc' = 'v3';

  @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) DEFAULT_POOL_KEY: string = 'FC100000000000001';
  @IsString() @MaxLength(32) DEFAULT_CITY: string = '杭州';

  /** Longest binding a caller may ask for (expiresAt / ttlSeconds), in seconds. */
  @toInt() @IsInt() @Min(120) BINDING_MAX_TTL_SECONDS: number = 7 * 24 * 3600;
  /**
   * The contact window of POST /v1/bindings/{id}/end-trip when the request names none, seconds
   * (0: ending a trip unbinds at once).
   */
  @toInt() @IsInt() @Min(0) @Max(604800) END_TRIP_CONTACT_WINDOW_SECONDS: number = 3600;
  /** Provider BindAxb attempts per bind when the provider reports a conflict on the chosen X. */
  @toInt() @IsInt() @Min(1) @Max(10) BIND_MAX_ATTEMPTS: number = 3;
  /**
   * Binds that arrive while others are being written are written together, at most this many in
   * one statement and one commit (1: each alone).
   */
  @toInt() @IsInt() @Min(1) @Max(256) BIND_BATCH_SIZE: number = 32;
  /**
   * Such batches (of placements and settles together) written at once, each on its own
   * connection; binds arriving meanwhile wait for the next (see the bind benchmark in the README).
   * One at a time makes bigger batches, fewer commits and less Postgres work a bind than two.
   */
  @toInt() @IsInt() @Min(1) @Max(16) BIND_BATCH_CONCURRENCY: number = 1;
  /** Live AXB pairs one X may carry at once (Dyplsapi's limit is 200). */
  @toInt() @IsInt() @Min(1) @Max(200) X_MAX_PAIRS: number = 200;

  /** Longest a routing lookup waits for QueryCallStatus before deciding locally, ms. */
  @toInt() @IsInt() @Min(20) @Max(10000) ROUTING_BUDGET_MS: number = 300;
  /**
   * How long a cached binding, and a status-1 answer per (binding, caller), is reused without
   * reading the database or asking the provider, ms (changes drop entries at once); 0 disables.
   */
  @toInt() @IsInt() @Min(0) @Max(600000) ROUTING_CACHE_TTL_MS: number = 5000;
  /** Most bindings kept in the routing cache (oldest dropped first). */
  @toInt() @IsInt() @Min(1) ROUTING_CACHE_MAX_ENTRIES: number = 100000;
  /** The cache's invalidation listener checks its connection this often; unanswered → bypass, ms. */
  @toInt() @IsInt() @Min(100) @Max(60000) ROUTING_LISTENER_HEARTBEAT_MS: number = 1000;
  /** Consecutive QueryCallStatus failures or timeouts that open the circuit. */
  @toInt() @IsInt() @Min(1) @Max(1000) ROUTING_BREAKER_FAILURES: number = 5;
  /** How long an open circuit stays open before one trial call (half-open), ms. */
  @toInt() @IsInt() @Min(100) ROUTING_BREAKER_COOLDOWN_MS: number = 10000;
  /** After the provider refuses QueryCallStatus (private action), ask again only after this, ms. */
  @toInt() @IsInt() @Min(1000) ROUTING_REFUSED_RECHECK_MS: number = 600000;
  /** What to dial when X is abnormal and no temporary X is known: the real number, or nothing. */
  @IsIn(['real-number', 'none']) ROUTING_FALLBACK: 'real-number' | 'none' = 'real-number';
  /**
   * Routing decisions are counted in memory and written at most this long after, ms. (Counts are
   * kept per minute; at 100 ms the upserts of a busy cache cost Postgres ten times the rows.)
   */
  @toInt() @IsInt() @Min(1) @Max(5000) ROUTING_COUNTS_FLUSH_MS: number = 1000;
  /** Most (binding, caller, outcome) counts written per statement. */
  @toInt() @IsInt() @Min(1) @Max(5000) ROUTING_COUNTS_BATCH: number = 500;
  /**
   * Most distinct (binding, caller, outcome) counts kept waiting while the database is away;
   * decisions of further keys are dropped (and counted in a metric).
   */
  @toInt() @IsInt() @Min(1) @Max(10000000) ROUTING_COUNTS_MAX_KEYS: number = 100000;

  /**
   * Master switch of the scheduled jobs. `auto`: on, except under NODE_ENV=test (tests call the
   * job handlers directly). A disabled job is not registered at all.
   */
  @IsIn(['auto', 'true', 'false']) SCHEDULER_ENABLED: 'auto' | 'true' | 'false' = 'auto';
  /** Expiry sweep interval, ms; 0 disables the job. */
  @toInt() @IsInt() @Min(0) SCHEDULER_EXPIRY_INTERVAL_MS: number = 10000;
  /** Bindings expired per statement by the sweep. */
  @toInt() @IsInt() @Min(1) @Max(50000) SCHEDULER_EXPIRY_BATCH_SIZE: number = 5000;
  /** Sweep statements run at once (each on its own connection), to use the database's cores. */
  @toInt() @IsInt() @Min(1) @Max(16) SCHEDULER_EXPIRY_WORKERS: number = 2;
  /** Most batches per sweep run, so one run stays bounded; the next run continues. */
  @toInt() @IsInt() @Min(1) SCHEDULER_EXPIRY_MAX_BATCHES: number = 100;
  /** Reconciliation interval, ms; 0 disables the job. */
  @toInt() @IsInt() @Min(0) SCHEDULER_RECONCILE_INTERVAL_MS: number = 60000;
  /** Pending or unknown this long before reconciliation touches it (binds in flight are left alone), s. */
  @toInt() @IsInt() @Min(0) SCHEDULER_RECONCILE_GRACE_SECONDS: number = 60;
  /**
   * First wait after a failed reconciliation attempt of a binding, s; doubled per further failure
   * up to SCHEDULER_RECONCILE_BACKOFF_MAX_SECONDS. Reconciliation never gives up on a binding.
   */
  @toInt() @IsInt() @Min(1) SCHEDULER_RECONCILE_BACKOFF_SECONDS: number = 60;
  /** Longest wait between two reconciliation attempts of one binding, s. */
  @toInt() @IsInt() @Min(1) SCHEDULER_RECONCILE_BACKOFF_MAX_SECONDS: number = 900;
  /** Most bindings settled per reconciliation run. */
  @toInt() @IsInt() @Min(1) @Max(10000) SCHEDULER_RECONCILE_BATCH_SIZE: number = 200;
  /** How often due contact windows are closed (their bindings unbound), ms; 0 disables the job. */
  @toInt() @IsInt() @Min(0) SCHEDULER_CONTACT_WINDOW_INTERVAL_MS: number = 10000;
  /** Contact windows closed per statement. */
  @toInt() @IsInt() @Min(1) @Max(10000) SCHEDULER_CONTACT_WINDOW_BATCH_SIZE: number = 200;
  /** How often the record's month partitions are made ahead and old ones dropped, ms; 0 disables it. */
  @toInt() @IsInt() @Min(0) SCHEDULER_HISTORY_INTERVAL_MS: number = 3600000;
  /**
   * How long the record (bindings, events, calls) is kept, days: a month's partitions are dropped
   * once the whole month is older than this (never while one of its bindings is live).
   */
  @toInt() @IsInt() @Min(1) @Max(36500) HISTORY_RETENTION_DAYS: number = 180;
  /** Months of partitions kept made ahead of the current one (at least 2). */
  @toInt() @IsInt() @Min(2) @Max(24) HISTORY_PARTITIONS_AHEAD_MONTHS: number = 2;
  /**
   * Days after a binding ends when its real numbers (A, B, call records') are replaced by their
   * masked form and a keyed hash (README "Privacy aging"); 0 ages them as soon as they end.
   */
  @toInt() @IsInt() @Min(0) @Max(36500) PHONE_MASK_AFTER_DAYS: number = 30;
  /**
   * The key of the aged numbers' hash (HMAC-SHA256), at least 32 characters; keep it as long as
   * the record. Empty: embedded defaults generate one beside the embedded database, a service on
   * DATABASE_URL ages nothing.
   */
  @IsString()
  @Matches(/^(|.{32,})$/, { message: 'PHONE_HASH_SECRET must be empty or at least 32 characters' })
  PHONE_HASH_SECRET: string = '';
  /** How often ended bindings are looked for to age, ms; 0 disables the job. */
  @toInt() @IsInt() @Min(0) SCHEDULER_PRIVACY_AGING_INTERVAL_MS: number = 60000;
  /** Bindings aged per transaction (three statements whatever its size). */
  @toInt() @IsInt() @Min(1) @Max(20000) PRIVACY_AGING_BATCH_SIZE: number = 5000;
  /** Batches aged at once by one instance, each on its own connection. */
  @toInt() @IsInt() @Min(1) @Max(8) PRIVACY_AGING_WORKERS: number = 2;
  /** Pool replenishment interval, ms; 0 (the default) disables the job. */
  @toInt() @IsInt() @Min(0) SCHEDULER_REPLENISH_INTERVAL_MS: number = 0;
  /** What replenishment watches: comma-separated `poolKey:city:spec`, e.g. FC100000000000001:杭州:2. */
  @IsString()
  @Matches(/^([A-Za-z0-9_-]{1,64}:[^:,]{1,32}:[123])?(,[A-Za-z0-9_-]{1,64}:[^:,]{1,32}:[123])*$/)
  REPLENISH_TARGETS: string = '';
  /** Buy when the free pair capacity of a watched (pool, city, spec) falls under this. */
  @toInt() @IsInt() @Min(0) REPLENISH_WATERMARK_PAIRS: number = 200;
  /** Buy numbers until the free pair capacity reaches this (at least the watermark). */
  @toInt() @IsInt() @Min(1) REPLENISH_TARGET_PAIRS: number = 1000;
  /** Most numbers bought per replenishment run, over all targets. */
  @toInt() @IsInt() @Min(1) @Max(1000) REPLENISH_MAX_PER_RUN: number = 5;

  /**
   * API keys given by configuration, stored hashed at start: comma-separated
   * `name:role+role:key` (roles: order, routing, admin, provider, safety), optionally `:group` (the
   * key's caller group: order keys of one group act on each other's bindings; default the key's
   * own name). Keys can also be created with `npm run apikey -- create`. Empty: only keys created
   * with the CLI.
   */
  @IsString()
  @Matches(API_KEYS_PATTERN, {
    message: 'API_KEYS must be comma-separated name:role+role:axb_<8>_<secret>[:group] entries',
  })
  API_KEYS: string = '';
  /** Shared secret the provider's pushes must carry (x-callback-secret or ?secret=); empty refuses pushes. */
  @IsString() CALLBACK_SECRET: string = '';
  /**
   * Failed authentications (bad API key, bad console sign-in, ended session) one client address
   * may make per AUTH_FAILURE_WINDOW_SECONDS, per instance; then 429 AUTH_THROTTLED, before any
   * database work, until the window ends.
   */
  @toInt() @IsInt() @Min(1) AUTH_FAILURES_PER_ADDRESS: number = 10;
  @toInt() @IsInt() @Min(1) @Max(86400) AUTH_FAILURE_WINDOW_SECONDS: number = 60;
  /**
   * Binding searches by a phone number (`GET /v1/bindings?phone=`) per API key per minute, per
   * instance, masked or not (429 PHONE_SEARCH_RATE_LIMITED beyond): each is recorded in access_log.
   */
  @toInt() @IsInt() @Min(1) @Max(100000) PHONE_SEARCH_PER_MINUTE: number = 30;
  /** Requests per second per API key (token bucket refill), per instance. */
  @toInt() @IsInt() @Min(1) RATE_LIMIT_PER_SECOND: number = 200;
  /** Burst size of the per-key token bucket. */
  @toInt() @IsInt() @Min(1) RATE_LIMIT_BURST: number = 400;

  /** Admin console: a session ends after this long without a request, s. */
  @toInt() @IsInt() @Min(60) @Max(86400) CONSOLE_SESSION_IDLE_SECONDS: number = 1800;
  /** Admin console: a session ends this long after sign-in whatever its use, s. */
  @toInt() @IsInt() @Min(60) @Max(604800) CONSOLE_SESSION_MAX_SECONDS: number = 43200;
  /**
   * Admin console: the session cookie's `Secure` flag. `auto`: set when the request came over
   * HTTPS (directly, or per `x-forwarded-proto` from a TRUSTED_PROXIES proxy), so
   * http://127.0.0.1 still works.
   */
  @IsIn(['auto', 'true', 'false']) CONSOLE_COOKIE_SECURE: 'auto' | 'true' | 'false' = 'auto';
  /**
   * Where the console's audio player may load call recordings from (its Content-Security-Policy
   * media-src): comma-separated origins. Empty: Alibaba's OSS hosts (`https://*.aliyuncs.com`)
   * and the provider endpoint's own origin (the simulator serves its recordings there).
   */
  @IsString()
  @Matches(/^(https?:\/\/[A-Za-z0-9.*-]+(:\d{1,5})?)?(,https?:\/\/[A-Za-z0-9.*-]+(:\d{1,5})?)*$/, {
    message: 'CONSOLE_MEDIA_ORIGINS must be comma-separated origins such as https://*.aliyuncs.com',
  })
  CONSOLE_MEDIA_ORIGINS: string = '';

  /**
   * A recording's download link (QueryRecordFileDownloadUrl, valid 2 hours) is stored and handed
   * out again until this long before it expires, seconds; then a fresh one is asked for.
   */
  @toInt() @IsInt() @Min(0) @Max(7000) RECORDING_LINK_REUSE_MARGIN_SECONDS: number = 600;

  /** Largest provider push accepted (Alibaba batches thousands of records in one POST), bytes. */
  @toInt() @IsInt() @Min(1024) @Max(64 * 1024 * 1024) CALLBACK_BODY_LIMIT_BYTES: number =
    8 * 1024 * 1024;
  /**
   * Accept number-health pushes over HTTP (`POST /v1/callbacks/number-health`). Off: refused with
   * 403 NUMBER_HEALTH_PUSH_DISABLED, nothing changed. On or off, pushed health never makes
   * routing hand out a real number: only the message queue's reports do (their origin is proven).
   */
  @toBoolean() @IsBoolean() CALLBACK_NUMBER_HEALTH_ENABLED: boolean = false;

  /**
   * The account uid in the Alicom queue names (`Alicom-Queue-<uid>-<Type>`); unset, the message
   * consumer is off (the embedded simulator sets it). Number health comes only this way.
   */
  @IsOptional() @IsString() @Matches(/^[0-9A-Za-z_-]{1,64}$/) MNS_ACCOUNT_UID?: string;
  /** Message types consumed, comma-separated. */
  @IsString()
  @Matches(MESSAGE_TYPES_PATTERN, {
    message: `MNS_MESSAGE_TYPES must be comma-separated types of: ${CONSUMED_TYPES.join(', ')}`,
  })
  MNS_MESSAGE_TYPES: string = CONSUMED_TYPES.join(',');
  /** The Alicom queues' MNS endpoint. */
  @IsUrl({ protocols: ['http', 'https'], require_tld: false })
  MNS_ENDPOINT: string = 'https://1943695596114318.mns.cn-hangzhou.aliyuncs.com';
  /** Dybaseapi endpoint for QueryTokenForMnsQueue (temporary queue credentials). */
  @IsUrl({ protocols: ['http', 'https'], require_tld: false })
  DYBASEAPI_ENDPOINT: string = 'https://dybaseapi.aliyuncs.com/';
  /** How long one ReceiveMessage long poll waits for a message, seconds (MNS allows 1-30). */
  @toInt() @IsInt() @Min(1) @Max(30) MNS_WAIT_SECONDS: number = 10;
  /** Deliveries of one message before it is dead-lettered and deleted. */
  @toInt() @IsInt() @Min(1) @Max(100) MNS_MAX_ATTEMPTS: number = 5;
  /** Long polls per queue per instance. */
  @toInt() @IsInt() @Min(1) @Max(16) MNS_CONSUMERS_PER_TYPE: number = 1;
  /** Temporary credentials are renewed this long before their ExpireTime, seconds. */
  @toInt() @IsInt() @Min(0) @Max(3600) MNS_TOKEN_REFRESH_SECONDS: number = 120;
  // ─── events to subscribers (src/webhooks) ────────────────────────────────────────────────────
  /**
   * Accept endpoint URLs on private, loopback or link-local addresses (a receiver on this host or
   * network). `auto`: only on the embedded defaults (the built-in simulator, a local setup);
   * otherwise refused, so an admin key cannot turn the service into a probe of its network (SSRF).
   */
  @IsIn(['auto', 'true', 'false']) WEBHOOKS_ALLOW_PRIVATE_URLS: string = 'auto';
  /** Longest wait for a receiver's answer, ms (Standard Webhooks: 15-30 s). */
  @toInt() @IsInt() @Min(100) @Max(60_000) WEBHOOKS_TIMEOUT_MS: number = 15_000;
  /**
   * Waits before each retry, seconds, comma-separated (the first try is at once): the Standard
   * Webhooks example (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: about 3 days), each
   * with ±20 % jitter, or the receiver's Retry-After. After the last, the delivery is dead.
   */
  @Matches(/^\d+(\.\d+)?(,\d+(\.\d+)?){0,19}$/, {
    message: 'WEBHOOKS_RETRY_SCHEDULE must be up to 20 comma-separated seconds',
  })
  WEBHOOKS_RETRY_SCHEDULE: string = '5,300,1800,7200,18000,36000,50400,72000,86400';
  /**
   * How often the outbox is turned into deliveries, ms (the floor of an event's lag), while fewer
   * than 400 deliveries a second are made; beyond, the interval grows with the rate (bigger
   * batches, fewer passes) up to WEBHOOKS_DISPATCH_INTERVAL_MAX_MS.
   */
  @toInt() @IsInt() @Min(10) @Max(10_000) WEBHOOKS_DISPATCH_INTERVAL_MS: number = 100;
  /** The longest the dispatch interval grows to under load, ms (at least the interval itself). */
  @toInt() @IsInt() @Min(10) @Max(10_000) WEBHOOKS_DISPATCH_INTERVAL_MAX_MS: number = 400;
  /** Tries under way at once per instance (claimed from pg-boss in batches). */
  @toInt() @IsInt() @Min(1) @Max(1024) WEBHOOKS_CONCURRENCY: number = 256;
  /**
   * How often an idle instance looks for jobs, ms: a retry that came due, events another instance
   * dispatched. Its own new events, and a binding's next event once the one before it is settled,
   * are looked for at once.
   */
  @toInt() @IsInt() @Min(500) @Max(60_000) WEBHOOKS_POLL_INTERVAL_MS: number = 500;
  /** Of those, at most this many to one endpoint (across instances): a slow one delays no other. */
  @toInt() @IsInt() @Min(1) @Max(256) WEBHOOKS_ENDPOINT_CONCURRENCY: number = 64;
  /** After a rotation, the previous secret signs too for this long, seconds. */
  @toInt() @IsInt() @Min(0) @Max(7 * 86_400) WEBHOOKS_SECRET_OVERLAP_SECONDS: number = 86_400;
  /** Deliver events from this instance (the outbox is written either way). */
  @toBoolean() @IsBoolean() WEBHOOKS_WORKERS_ENABLED: boolean = true;
  /**
   * Days a settled delivery (delivered, or dead: replayable until then) and its event are kept,
   * counted from its last try; pending ones are never pruned. 30: past the ~3-day retry schedule
   * with weeks to look into or replay a dead delivery, and the outbox stays small.
   */
  @toInt() @IsInt() @Min(1) @Max(3650) WEBHOOK_RETENTION_DAYS: number = 30;
  /** How often settled webhook deliveries past WEBHOOK_RETENTION_DAYS are pruned, ms; 0 disables it. */
  @toInt() @IsInt() @Min(0) SCHEDULER_WEBHOOK_RETENTION_INTERVAL_MS: number = 3600000;
}
