import { DomainError } from './domain-error.js';

/** What a caller is told to wait before trying again while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/**
 * The database cannot serve the request now (down, restarting, frozen, out of connections, or
 * slower than the configured timeouts): **503 `DATABASE_UNAVAILABLE`** with `Retry-After`. The
 * request changed nothing that is not recorded (every write is one transaction).
 */
export class DatabaseUnavailableError extends DomainError {
  readonly retryAfterSeconds = DATABASE_RETRY_AFTER_SECONDS;

  constructor(message = 'The database is unavailable; try again shortly') {
    super('DATABASE_UNAVAILABLE', message, 503, {
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    });
  }
}

/** The code our bounded pool gives a request it refuses because too many already wait. */
export const POOL_QUEUE_FULL = 'AXB_POOL_QUEUE_FULL';

/**
 * SQLSTATEs that say the server is unavailable rather than that the statement was wrong:
 * connection exceptions (class 08), admin/crash shutdown, not accepting connections yet, too many
 * connections, and a statement cancelled by statement_timeout.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
const SQLSTATE_CLASSES = ['08'];

/** Socket failures between us and the server. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  POOL_QUEUE_FULL,
]);

/**
 * Prisma's codes for the same: can't reach the server (P1001), timed out reaching it (P1002),
 * operations timed out (P1008), the server closed the connection (P1017), no pooled connection in
 * time (P2024), an interactive transaction that could not start or outlived its timeout (P2028).
 */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);

/** Kinds @prisma/adapter-pg gives the driver's errors. */
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);

/** node-postgres's own messages for a lost, refused or timed-out connection, and our timeouts. */
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Connection ended',
];

const sqlstate = (code: string) =>
  /^[0-9A-Z]{5}$/.test(code) &&
  (SQLSTATES.has(code) || SQLSTATE_CLASSES.some((c) => code.startsWith(c)));

/**
 * The one classification of "the database is unavailable", for every layer's errors: `pg`
 * (socket codes, SQLSTATEs, its connection and timeout messages), Prisma (P-codes) and the pg
 * driver adapter under it (error kinds, wrapped causes). Looks through `cause`, Prisma's
 * `meta.driverAdapterError` and aggregated errors. Anything else is not a database outage (a
 * constraint violation, a bug) and keeps its own mapping.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 6 || error === null || typeof error !== 'object') return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const e = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    name?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: unknown; code?: unknown };
    errors?: unknown;
    originalCode?: unknown;
  };
  for (const code of [e.code, e.originalCode]) {
    if (typeof code !== 'string') continue;
    if (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || sqlstate(code)) return true;
  }
  if (typeof e.kind === 'string') {
    if (ADAPTER_KINDS.has(e.kind)) return true;
    if (e.kind === 'postgres' && typeof e.code === 'string' && sqlstate(e.code)) return true;
  }
  if (e.name === 'PrismaClientInitializationError') return true;
  if (typeof e.message === 'string' && MESSAGES.some((m) => (e.message as string).includes(m))) {
    return true;
  }
  const nested = [
    e.cause,
    e.meta?.driverAdapterError,
    ...(Array.isArray(e.errors) ? e.errors : []),
  ];
  return nested.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/** Unavailability met while getting a connection, before any statement could be sent. */
const BEFORE_SENDING_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  POOL_QUEUE_FULL,
  // The server refused the connection: starting up or shutting down, too many connections.
  '57P03',
  '53300',
]);
/** pg-pool's messages for a connection that could not be had in time (queued, or being made). */
const BEFORE_SENDING_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Cannot use a pool after calling end on the pool',
];

/**
 * Whether a write that failed as unavailability may still have been applied: false only when the
 * statement provably never reached the server (no connection could be had) or the server
 * answered it with an error of its own (a statement that fails is rolled back, e.g. cancelled by
 * statement_timeout). Everything else — a client-side timeout while the statement ran, a
 * connection lost under it, our own deadline — may have committed: a frozen server continues
 * where it stopped, a crash after the commit loses only the answer.
 */
export function mayHaveBeenApplied(error: unknown, depth = 0): boolean {
  if (depth > 6 || error === null || typeof error !== 'object') return true;
  const e = error as { code?: unknown; message?: unknown; severity?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && BEFORE_SENDING_CODES.has(e.code)) return false;
  if (typeof e.message === 'string' && BEFORE_SENDING_MESSAGES.some((m) => e.message === m))
    return false;
  // The server's ERROR for the statement (a FATAL ends the session, maybe after the commit).
  if (e.severity === 'ERROR' && typeof e.code === 'string') return false;
  return e.cause === undefined ? true : mayHaveBeenApplied(e.cause, depth + 1);
}
