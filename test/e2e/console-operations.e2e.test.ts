import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { PrismaService } from '../../src/prisma/prisma.service.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';

const POOL = 'FCOPS';
let sim: TestSimulator;
let t: TestApp;

interface Ops {
  jobs: Array<{
    job: string;
    scheduled: boolean;
    intervalMs: number;
    running: boolean;
    last: { status: string; counts?: Record<string, number>; finishedAt: string } | null;
  }>;
  reconciliation: {
    awaiting: number;
    oldestAgeSeconds: number | null;
    due: number;
    binds: number;
    unbinds: number;
    providerChecks: number;
    maxAttempts: number;
    graceSeconds: number;
  };
  provider: { circuit: string };
}

beforeAll(async () => {
  sim = await startTestSimulator({ poolKeys: [POOL], ownedPerCity: 0 });
  t = await startTestApp({ ...sim.env });
  await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, { spec: 2, city: '杭州', count: 1 });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('GET /v1/admin/operations', () => {
  it('reports each job, its last run in this instance, and the provider circuit', async () => {
    const before = await http<Ops>('GET', `${t.url}/v1/admin/operations`);
    expect(before.status).toBe(200);
    expect(before.body.jobs.map((j) => j.job)).toEqual([
      'expiry',
      'reconcile',
      'contact-window',
      'replenish',
      'history',
      'privacy-aging',
      'webhook-retention',
    ]);
    // NODE_ENV=test: the scheduler is off, nothing has run yet.
    expect(before.body.jobs.every((j) => !j.scheduled && j.last === null)).toBe(true);
    expect(before.body.provider.circuit).toBe('closed');

    const run = await http('POST', `${t.url}/v1/admin/jobs/expiry`);
    expect(run.status).toBe(200);
    const after = await http<Ops>('GET', `${t.url}/v1/admin/operations`);
    const expiry = after.body.jobs.find((j) => j.job === 'expiry')!;
    // Nothing was due: the pass ran its (empty) batches and found nothing to do, said so once,
    // by the service (the console shows "nothing to do" from it, whatever the counts hold).
    expect(expiry.last).toMatchObject({ status: 'done', counts: { expired: 0 }, idle: true });
    expect(expiry.last!.counts!.batches).toBeGreaterThan(0);
    expect(after.body.jobs.find((j) => j.job === 'reconcile')!.last).toBeNull();
  });

  it('counts bindings awaiting reconciliation and the oldest wait, as the job would take them', async () => {
    const empty = await http<Ops>('GET', `${t.url}/v1/admin/operations`);
    expect(empty.body.reconciliation).toMatchObject({
      awaiting: 0,
      due: 0,
      oldestAgeSeconds: null,
      maxAttempts: 0,
    });

    const bound = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: 'ops-1',
      phoneA: '13855556666',
      phoneB: '13977778888',
      ttlSeconds: 3600,
    });
    expect(bound.status).toBe(201);
    const pool = t.app.get(PrismaService).pgPool;
    // As if the bind's answer had been lost five minutes ago, and another one just now (in grace).
    await pool.query(
      `UPDATE bindings SET state = 'unknown', updated_at = now() - interval '5 minutes' WHERE id = $1`,
      [bound.body.id],
    );
    const fresh = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: 'ops-2',
      phoneA: '13855550000',
      phoneB: '13977770000',
      ttlSeconds: 3600,
    });
    await pool.query(`UPDATE bindings SET state = 'pending' WHERE id = $1`, [fresh.body.id]);

    const ops = await http<Ops>('GET', `${t.url}/v1/admin/operations`);
    expect(ops.body.reconciliation).toMatchObject({ awaiting: 1, due: 1, binds: 1, unbinds: 0 });
    expect(ops.body.reconciliation.oldestAgeSeconds).toBeGreaterThanOrEqual(299);
    expect(ops.body.reconciliation.graceSeconds).toBe(60);

    // Waiting out a backoff after three failed attempts: still waiting (never dropped), not due.
    await pool.query(
      `UPDATE reconcile_queue SET attempts = 3, next_at = now() + interval '4 minutes'
        WHERE binding_id = $1`,
      [bound.body.id],
    );
    // An unbind to finish at the provider, and a binding that expired while open (to be checked).
    await pool.query(
      `UPDATE bindings SET state = 'unbinding', updated_at = now() - interval '2 minutes'
        WHERE id = $1`,
      [fresh.body.id],
    );
    const third = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
      outId: 'ops-3',
      phoneA: '13855551111',
      phoneB: '13977771111',
      ttlSeconds: 3600,
    });
    await pool.query(`UPDATE bindings SET state = 'expired', ended_at = now() WHERE id = $1;`, [
      third.body.id,
    ]);
    await pool.query(`INSERT INTO reconcile_queue (binding_id, since) VALUES ($1, now())`, [
      third.body.id,
    ]);
    const later = await http<Ops>('GET', `${t.url}/v1/admin/operations`);
    expect(later.body.reconciliation).toMatchObject({
      awaiting: 3,
      due: 2,
      binds: 1,
      unbinds: 1,
      providerChecks: 1,
      maxAttempts: 3,
    });
    // The same backlog as Prometheus gauges.
    const metrics = await http<string>('GET', `${t.url}/metrics`);
    expect(metrics.body).toContain('axb_reconcile_awaiting{kind="bind"} 1');
    expect(metrics.body).toContain('axb_reconcile_awaiting{kind="unbind"} 1');
    expect(metrics.body).toContain('axb_reconcile_awaiting{kind="provider-check"} 1');
    expect(metrics.body).toContain('axb_reconcile_due 2');
    const age = /axb_reconcile_oldest_age_seconds ([\d.]+)/.exec(metrics.body);
    expect(Number(age?.[1])).toBeGreaterThanOrEqual(299);
  });

  it('is for admins only', async () => {
    const res = await http<{ code: string }>('GET', `${t.url}/v1/admin/operations`, undefined, {
      authorization: '',
    });
    expect(res.status).toBe(401);
  });
});

describe('GET /v1/pools', () => {
  it('lists the registered pools', async () => {
    const res = await http<{ items: Array<{ poolKey: string; cityStrict: boolean }> }>(
      'GET',
      `${t.url}/v1/pools`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((p) => p.poolKey)).toContain(POOL);
  });
});

describe('/console', () => {
  it('serves the built console with a strict content security policy', async () => {
    const page = await fetch(`${t.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${t.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await asset.text()).length).toBeGreaterThan(1000);
    // No CDN: everything the page loads comes from this origin.
    expect(html).not.toMatch(/(src|href)="https?:/);

    const bare = await fetch(`${t.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
    await bare.body?.cancel();
  });
});
