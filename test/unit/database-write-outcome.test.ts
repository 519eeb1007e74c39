import { describe, expect, it } from 'vitest';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  mayHaveBeenApplied,
  POOL_QUEUE_FULL,
} from '../../src/common/errors/database-unavailable.js';

const withCode = (message: string, code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { code, ...extra });

describe('whether a write that met an unavailable database may have been applied', () => {
  it('no: it never left (no connection could be had), or the server refused the statement', () => {
    const notApplied = [
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated due to connection timeout', { cause: new Error('x') }),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('Too many requests waiting for a database connection (9)', POOL_QUEUE_FULL),
      withCode('the database system is starting up', '57P03', { severity: 'FATAL' }),
      withCode('canceling statement due to statement timeout', '57014', { severity: 'ERROR' }),
    ];
    for (const error of notApplied) {
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
      expect(mayHaveBeenApplied(error), error.message).toBe(false);
    }
  });

  it('maybe: the statement was sent and its answer did not come back', () => {
    const maybe = [
      new Error('Query read timeout'),
      new Error('Connection terminated unexpectedly'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('terminating connection due to administrator command', '57P01', {
        severity: 'FATAL',
      }),
      new DatabaseUnavailableError(),
    ];
    for (const error of maybe) {
      expect(isDatabaseUnavailable(error), error.message).toBe(true);
      expect(mayHaveBeenApplied(error), error.message).toBe(true);
    }
  });
});
