import { describe, expect, it } from 'vitest';
import { until } from '../support/until.js';
import {
  bind,
  control,
  expectCode,
  popClient,
  signedRequest,
  useTestSimulator,
} from './helpers.js';

const t = useTestSimulator();

const remain = (opts: { method?: 'GET' | 'POST'; timeout?: number } = {}) =>
  t.client.request('QuerySecretNoRemain', { SpecId: 2, City: '杭州' }, opts);
const pair = { PhoneNoA: '13800000001', PhoneNoB: '13800000002' };

async function stats() {
  return (await control(t.sim).get('/stats')).body as unknown as {
    total: number;
    byAction: Record<string, { calls: number; codes: Record<string, number> }>;
    byCode: Record<string, number>;
  };
}

describe('fault injection', () => {
  it('forces a Code for the next N calls of one action, then behaves again', async () => {
    const added = await control(t.sim).post('/faults', {
      action: 'BindAxb',
      code: 'isv.FLOW_LIMIT',
      count: 2,
    });
    expect(added.status).toBe(200);
    await expect(remain()).resolves.toMatchObject({ Code: 'OK' });
    await expectCode(bind(t.client, t.sim, pair), 'isv.FLOW_LIMIT');
    await expectCode(bind(t.client, t.sim, pair), 'isv.FLOW_LIMIT');
    await expect(bind(t.client, t.sim, pair)).resolves.toBeDefined();
    // Forced failures change nothing: exactly one binding exists.
    expect(((await control(t.sim).get('/bindings')).body as unknown[]).length).toBe(1);
    expect((await stats()).byAction.BindAxb).toEqual({
      calls: 3,
      codes: { 'isv.FLOW_LIMIT': 2, OK: 1 },
    });
  });

  it('forces platform errors on every action with HTTP 500 and a custom message', async () => {
    await control(t.sim).post('/faults', { code: 'isp.SYSTEM_ERROR', message: 'boom', count: 1 });
    const error = await remain().catch((e: { code: string; data: { Message: string } }) => e);
    expect(error).toMatchObject({ code: 'isp.SYSTEM_ERROR', data: { Message: 'boom' } });
    await control(t.sim).post('/faults', { code: 'isp.SYSTEM_ERROR', count: 1 });
    const raw = await signedRequest(t.sim, {
      Action: 'QuerySecretNoRemain',
      SpecId: '1',
      City: '北京',
    });
    expect(raw).toMatchObject({ status: 500, body: { Code: 'isp.SYSTEM_ERROR' } });
  });

  it('adds latency, so a t.client with a short timeout gives up', async () => {
    await control(t.sim).post('/faults', {
      action: 'QuerySecretNoRemain',
      latencyMs: 400,
      count: 1,
    });
    await expect(remain({ timeout: 100 })).rejects.toThrow(/timeout/i);
    await control(t.sim).post('/faults', { latencyMs: 50, count: 1 });
    const started = Date.now();
    await expect(remain()).resolves.toMatchObject({ Code: 'OK' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('holds answers until the fault is ended, the action already done', async () => {
    const added = await control(t.sim).post('/faults', { action: 'BindAxb', hold: true, count: 2 });
    expect(added.status).toBe(200);
    const id = Number(added.body.id);
    let answered = 0;
    const held = [1, 2].map((i) =>
      bind(t.client, t.sim, { PhoneNoA: `1380000010${i}`, PhoneNoB: `1390000010${i}` }).then(
        (r) => {
          answered += 1;
          return r;
        },
      ),
    );
    // Both took their use (the fault is gone from the list) and bound; neither has answered.
    await until(
      async () => (await control(t.sim).get('/faults')).body.length,
      (n) => n === 0,
      'both binds to take the hold',
    );
    await until(
      async () => ((await control(t.sim).get('/bindings')).body as unknown[]).length,
      (n) => n === 2,
      'both binds done at the provider',
    );
    // A call after the hold's uses answers at once.
    await expect(remain()).resolves.toMatchObject({ Code: 'OK' });
    expect(answered).toBe(0);
    expect((await control(t.sim).del(`/faults/${id}`)).status).toBe(200);
    await expect(Promise.all(held)).resolves.toHaveLength(2);
    expect((await control(t.sim).del(`/faults/${id}`)).status).toBe(404);
    expect((await control(t.sim).post('/faults', { hold: false })).status).toBe(400);
  });

  it('a clear of every fault releases held answers too', async () => {
    await control(t.sim).post('/faults', { action: 'QuerySecretNoRemain', hold: true, count: 1 });
    let answered = false;
    const held = remain().then((r) => {
      answered = true;
      return r;
    });
    await until(
      async () => (await control(t.sim).get('/faults')).body.length,
      (n) => n === 0,
      'the call to take the hold',
    );
    expect(answered).toBe(false);
    expect((await stats()).byAction.QuerySecretNoRemain).toBeUndefined();
    await control(t.sim).del('/faults');
    await expect(held).resolves.toMatchObject({ Code: 'OK' });
  });

  it('drops connections without answering, before or after doing the work', async () => {
    await control(t.sim).post('/faults', { action: 'BindAxb', drop: 1 });
    await expect(bind(t.client, t.sim, pair)).rejects.toThrow(/socket hang up|ECONNRESET/i);
    expect(((await control(t.sim).get('/bindings')).body as unknown[]).length).toBe(0);

    await control(t.sim).post('/faults', { action: 'BindAxb', drop: 1, afterProcessing: true });
    await expect(bind(t.client, t.sim, pair)).rejects.toThrow(/socket hang up|ECONNRESET/i);
    // The answer was lost but the binding exists: the outcome was unknown to the t.client.
    expect(((await control(t.sim).get('/bindings')).body as unknown[]).length).toBe(1);
    expect((await stats()).byAction.BindAxb?.codes['(dropped)']).toBe(2);
  });

  it('answers with a non-JSON body and an HTTP error status', async () => {
    await control(t.sim).post('/faults', {
      httpStatus: 502,
      body: '<html>Bad Gateway</html>',
      count: 1,
    });
    // pop-core parses every body as JSON; json-bigint's parse error is a plain object.
    await expect(remain()).rejects.toMatchObject({ name: 'SyntaxError' });
    const response = await fetch(`${t.sim.url}?Action=x`);
    expect(response.status).toBe(400);
    await expect(remain()).resolves.toMatchObject({ Code: 'OK' });
    expect((await stats()).byCode.HTTP_502).toBe(1);
  });

  it('lists and clears faults; rejects malformed ones', async () => {
    await control(t.sim).post('/faults', { latencyMs: 10 });
    await control(t.sim).post('/faults', { action: 'BindAxb', code: 'isv.FLOW_LIMIT', count: 5 });
    expect(((await control(t.sim).get('/faults')).body as unknown[]).length).toBe(2);
    await control(t.sim).del('/faults');
    expect(((await control(t.sim).get('/faults')).body as unknown[]).length).toBe(0);

    expect((await control(t.sim).post('/faults', { code: 'x', drop: 1 })).status).toBe(400);
    expect((await control(t.sim).post('/faults', { action: 'Nope', drop: 1 })).status).toBe(400);
    expect((await control(t.sim).post('/faults', { code: 'x', count: 0 })).status).toBe(400);
  });
});

describe('stats and reset', () => {
  it('counts calls per action and Code, including refused ones', async () => {
    await remain();
    await remain({ method: 'POST' });
    await expectCode(
      popClient(t.sim, { accessKeySecret: 'bad' }).request('BindAxb', {}),
      'SignatureDoesNotMatch',
    );
    const snapshot = await stats();
    expect(snapshot.total).toBe(3);
    expect(snapshot.byAction.QuerySecretNoRemain).toEqual({ calls: 2, codes: { OK: 2 } });
    expect(snapshot.byAction.BindAxb?.codes.SignatureDoesNotMatch).toBe(1);
    await control(t.sim).del('/stats');
    expect((await stats()).total).toBe(0);
  });

  it('a reset ends calls still waiting out injected latency; they count nothing afterwards', async () => {
    await control(t.sim).post('/faults', {
      action: 'QuerySecretNoRemain',
      latencyMs: 60_000,
      count: 1,
    });
    const slow = remain({ timeout: 120_000 }).then(
      () => 'answered',
      () => 'cut',
    );
    // The call has taken its fault (so it is waiting) once the fault list is empty.
    await until(
      async () => (await control(t.sim).get('/faults')).body.length,
      (n) => n === 0,
      'the call to take its latency',
    );
    await control(t.sim).post('/reset');
    expect(await slow).toBe('cut');
    expect((await stats()).total).toBe(0);
  });

  it('reset restores the initial state with the same seed', async () => {
    const first = await bind(t.client, t.sim, pair);
    await t.client.request('BuySecretNo', {
      PoolKey: 'FC100000000000001',
      SpecId: 1,
      City: '杭州',
    });
    await control(t.sim).post('/clock/advance', { ms: 1000 });
    await control(t.sim).post('/private-actions', { queryCallStatus: 'refused' });
    await control(t.sim).post('/faults', { latencyMs: 10 });
    await control(t.sim).post('/reset');

    expect((await control(t.sim).get('/bindings')).body).toEqual([]);
    expect((await control(t.sim).get('/faults')).body).toEqual([]);
    expect((await stats()).total).toBe(0);
    const again = await bind(t.client, t.sim, pair);
    expect(again).toEqual(first);
    await expect(
      t.client.request('QueryCallStatus', { PoolKey: 'FC100000000000001', SubsId: again.SubsId }),
    ).resolves.toMatchObject({ Code: 'OK' });
  });
});
