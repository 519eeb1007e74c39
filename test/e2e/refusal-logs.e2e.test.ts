import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogThrottle } from '../../src/logging/log-throttle.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { TestClock } from '../support/test-clock.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * What the log says about refusals, through the real pipeline: a refusal the service was
 * designed to give (here 503 NO_NUMBERS, which used to write an error line per request) is one
 * warn line at once and one line with the count when the interval ends (the clock is moved, not
 * waited for), its request lines are info and carry every request id, and the metric counts
 * every one; a failure nobody planned (500) is an error line each.
 */
const EMPTY_POOL = 'FCREFUSALLOG';
const REFUSALS = 12;

type LogLine = {
  level: number;
  msg?: string;
  context?: string;
  refusal?: string;
  count?: number;
  reqId?: string;
  code?: string;
  status?: number;
};
const WARN = 40;
const ERROR = 50;

let clock: TestClock;
let t: TestApp;
const lines: LogLine[] = [];

beforeAll(async () => {
  clock = new TestClock();
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = partial + chunk.toString();
      const complete = text.split('\n');
      partial = complete.pop()!;
      for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  t = await startTestApp({ LOG_LEVEL: 'info' }, { clock, logStream: sink });
  expect((await http('PUT', `${t.url}/v1/pools/${EMPTY_POOL}`, {})).status).toBeLessThan(300);
});
afterAll(async () => {
  await t?.close();
});

const since = (mark: number) => lines.slice(mark);

describe('refusal logs', () => {
  it('a designed refusal: one warn line at once, one with the count per interval; info request lines; every one counted', async () => {
    const mark = lines.length;
    const ids: string[] = [];
    for (let i = 0; i < REFUSALS; i += 1) {
      const res = await http<{ code: string; requestId: string }>('POST', `${t.url}/v1/bindings`, {
        poolKey: EMPTY_POOL,
        outId: `refusal-log-${i}`,
        phoneA: `1380027${String(i).padStart(4, '0')}`,
        phoneB: `1390027${String(i).padStart(4, '0')}`,
        ttlSeconds: 3600,
      });
      expect([res.status, res.body.code]).toEqual([503, 'NO_NUMBERS']);
      ids.push(res.body.requestId);
    }
    const during = since(mark);
    expect(during.filter((l) => l.level >= ERROR)).toEqual([]);
    const warned = during.filter((l) => l.level === WARN);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ refusal: 'NO_NUMBERS', count: 1 });
    expect(warned[0]!.msg).toContain(ids[0]);
    // Every request keeps its own line, at info, with its code and verbatim request id.
    const requestLines = during.filter((l) => l.msg === 'request refused');
    expect(requestLines.map((l) => [l.level, l.code, l.reqId])).toEqual(
      ids.map((id) => [30, 'NO_NUMBERS', id]),
    );

    // The interval ends (by the clock): one line sums it up.
    const before = lines.length;
    clock.advance(10_000);
    t.app.get(LogThrottle).flushDue();
    const summary = since(before).filter((l) => l.level === WARN);
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ refusal: 'NO_NUMBERS', count: REFUSALS });
    // (About 10 s: the test clock also moves with real time.)
    expect(summary[0]!.msg).toMatch(
      new RegExp(`^NO_NUMBERS ×${REFUSALS} in the last 1[01] s, last request id ${ids.at(-1)}: `),
    );

    const metrics = await http<string>('GET', `${t.url}/metrics`);
    expect(metrics.body).toContain(
      `axb_http_errors_total{method="POST",route="/v1/bindings",status="503",code="NO_NUMBERS"} ${REFUSALS}`,
    );
  });

  it('a failure nobody planned: an error line each, with its request id', async () => {
    const prisma = t.app.get(PrismaService);
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_pool() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'not planned'; END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_pool BEFORE INSERT ON pools FOR EACH ROW EXECUTE FUNCTION refuse_pool()`,
    );
    const mark = lines.length;
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i += 1) {
        const res = await http<{ code: string; requestId: string }>(
          'PUT',
          `${t.url}/v1/pools/FCUNPLANNED${i}`,
          {},
        );
        expect([res.status, res.body.code]).toEqual([500, 'INTERNAL']);
        ids.push(res.body.requestId);
      }
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER refuse_pool ON pools`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION refuse_pool()`);
    }
    const errors = since(mark).filter((l) => l.level === ERROR);
    const fromFilter = errors.filter((l) => l.context === 'ErrorFilter');
    expect(fromFilter).toHaveLength(3);
    ids.forEach((id, i) => expect(fromFilter[i]!.msg).toContain(id));
    expect(errors.filter((l) => l.msg === 'request failed').map((l) => l.reqId)).toEqual(ids);
    expect(since(mark).filter((l) => l.refusal !== undefined)).toEqual([]);
  });
});
