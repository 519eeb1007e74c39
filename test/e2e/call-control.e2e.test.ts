import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { http } from '../support/test-app.js';
import { startRoutingFixture, type BindingDetail, type RoutingFixture } from './routing-fixture.js';

/**
 * Requirements 1, 2 and 7 of issue 23 over HTTP against the simulator: every BindAxb parameter
 * accepted, validated and forwarded (the simulator shows what it received), every AXB
 * UpdateSubscription OperateType through PATCH as one change with one event (provider failures
 * in the middle of a change: binding-changes-faults.e2e.test.ts).
 */
const POOL = 'FCCALLCONTROL';
let f: RoutingFixture;
let sql: pg.Client;

beforeAll(async () => {
  f = await startRoutingFixture({ pool: POOL, sim: { cities: ['杭州'] }, buy: 2 });
  sql = new pg.Client({ connectionString: f.t.config.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await f?.close();
});

type SimBinding = {
  subsId: string;
  phoneNoA: string;
  phoneNoB: string;
  outId: string | null;
  needRecord: boolean;
  settings: Record<string, unknown>;
};
const simBinding = async (subsId: string) =>
  (await f.sim.control<SimBinding[]>('GET', `/bindings?poolKey=${POOL}`)).find(
    (b) => b.subsId === subsId,
  )!;
const patch = (id: string, body: Record<string, unknown>) =>
  http<BindingView & { code?: string; fields?: Array<{ field: string }> }>(
    'PATCH',
    `${f.t.url}/v1/bindings/${id}`,
    body,
  );
const events = (d: BindingDetail, kind: string) => d.events.filter((e) => e.kind === kind);
const rowCount = async (table: string) =>
  (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

const CALL_CONTROL = {
  outOrderId: 'ORD-7731',
  callRestrict: 'CONTROL_AX_DISABLE',
  callDisplayType: 1,
  callTimeout: 12,
  ringConfig: { AXBRing_A: '100000001', AXBRing_B: '100000002' },
  dtmfConfig: { step1File: 'menu.wav', validKey: '1,2', endCallIvrPhoneNo: 'B', maxLoop: 2 },
  record: true,
  asrStatus: true,
  asrModelId: '7ee372834d2f4cc7ac0d0ab2d0ae1aac',
};

describe('bind with call control', () => {
  it('forwards every BindAxb parameter, keeps them on the binding and shows them', async () => {
    const b = await f.bind(CALL_CONTROL);
    expect(b).toMatchObject({ ...CALL_CONTROL, phase: 'trip', tripEndedAt: null });
    const sim = await simBinding(b.subsId!);
    expect(sim.settings).toMatchObject({
      outOrderId: 'ORD-7731',
      callRestrict: 'CONTROL_AX_DISABLE',
      callDisplayType: 1,
      callTimeoutSeconds: 12,
      ringConfig: CALL_CONTROL.ringConfig,
      dtmfConfig: CALL_CONTROL.dtmfConfig,
      asrStatus: true,
      asrModelId: CALL_CONTROL.asrModelId,
    });
    const detail = await f.detail(b.id);
    expect(detail).toMatchObject({
      callRestrict: 'CONTROL_AX_DISABLE',
      record: true,
      asrStatus: true,
    });
  });

  it('refuses each bad call-control value with a 400 naming the field, binding nothing', async () => {
    const bindsBefore = await f.sim.calls('BindAxb');
    const rowsBefore = await rowCount('bindings');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ callRestrict: 'CONTROL_ALL_DISABLE' }, 'callRestrict'],
      [{ callRestrict: 'CONTROL_CLEAR_DISABLE' }, 'callRestrict'],
      [{ callDisplayType: 2 }, 'callDisplayType'],
      [{ callTimeout: 4 }, 'callTimeout'],
      [{ callTimeout: 21 }, 'callTimeout'],
      [{ ringConfig: { AXBRing_C: '1' } }, 'ringConfig'],
      [{ dtmfConfig: { step1File: 'menu.wav' } }, 'dtmfConfig'],
      [{ dtmfConfig: { step1File: 'a.wav', validKey: '1', maxLoop: 9 } }, 'dtmfConfig'],
      [{ asrModelId: 'bad id!' }, 'asrModelId'],
      [{ outOrderId: 'x'.repeat(65) }, 'outOrderId'],
      [{ asrStatus: true }, 'asrStatus'], // without record
      [{ record: true, asrModelId: 'm1' }, 'asrModelId'], // without asrStatus
    ];
    for (const [extra, field] of cases) {
      const res = await http<{ code: string; fields: Array<{ field: string }> }>(
        'POST',
        `${f.t.url}/v1/bindings`,
        {
          outId: `bad-cc-${field}`,
          phoneA: '13800990001',
          phoneB: '13900990001',
          ttlSeconds: 3600,
          poolKey: POOL,
          ...extra,
        },
      );
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.fields.map((x) => x.field)).toEqual([field]);
    }
    expect(await f.sim.calls('BindAxb')).toBe(bindsBefore);
    expect(await rowCount('bindings')).toBe(rowsBefore);
  });
});

describe('PATCH covers every AXB OperateType', () => {
  it('changes restriction, display type, order id and recording: one change, one event', async () => {
    const b = await f.bind({ poolKey: POOL });
    const res = await patch(b.id, {
      callRestrict: 'CONTROL_BX_DISABLE',
      callDisplayType: 1,
      outId: `${b.outId}-moved`,
      record: true,
      asrStatus: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      callRestrict: 'CONTROL_BX_DISABLE',
      callDisplayType: 1,
      outId: `${b.outId}-moved`,
      record: true,
      asrStatus: true,
    });
    const sim = await simBinding(b.subsId!);
    expect(sim.outId).toBe(`${b.outId}-moved`);
    expect(sim.needRecord).toBe(true);
    expect(sim.settings).toMatchObject({
      callRestrict: 'CONTROL_BX_DISABLE',
      callDisplayType: 1,
      asrStatus: true,
    });
    const detail = await f.detail(b.id);
    const updated = events(detail, 'updated');
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({
      actor: 'tester',
      details: {
        changed: {
          callRestrict: { from: null, to: 'CONTROL_BX_DISABLE' },
          callDisplayType: { from: null, to: 1 },
          outId: { from: b.outId, to: `${b.outId}-moved` },
          record: { from: false, to: true },
          asrStatus: { from: false, to: true },
        },
        requestId: expect.any(String),
      },
    });

    // CONTROL_CLEAR_DISABLE lifts it; recording off turns ASR off with it.
    const cleared = await patch(b.id, { callRestrict: 'CONTROL_CLEAR_DISABLE', record: false });
    expect(cleared.body).toMatchObject({ callRestrict: null, record: false, asrStatus: false });
    expect((await simBinding(b.subsId!)).settings).toMatchObject({ callRestrict: null });
    // The binding is still found by its new order id.
    const lookup = await f.lookup({ outId: `${b.outId}-moved`, poolKey: POOL, callerNo: b.phoneA });
    expect(lookup.body).toMatchObject({ bindingId: b.id });
  });

  it('refuses an unknown restriction and an order id another live binding holds, changing nothing', async () => {
    const one = await f.bind({ poolKey: POOL });
    const two = await f.bind({ poolKey: POOL });
    const updates = await f.sim.calls('UpdateSubscription');
    const bad = await patch(one.id, { callRestrict: 'CONTROL_ALL_DISABLE' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields?.map((x) => x.field)).toEqual(['callRestrict']);
    const taken = await patch(one.id, { outId: two.outId, callRestrict: 'CONTROL_AX_DISABLE' });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('OUT_ID_CONFLICT');
    expect(await f.sim.calls('UpdateSubscription')).toBe(updates);
    expect(events(await f.detail(one.id), 'updated')).toHaveLength(0);
  });
});
