import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BindingView } from '../../src/bindings/binding.view.js';
import { formatProviderDate } from '../../src/protocol/provider-dates.js';
import {
  codeError,
  ok,
  okFor,
  startDyplsapiStub,
  type DyplsapiStub,
  type StubRequest,
} from '../provider/support/dyplsapi-stub.js';
import { http, startTestApp, type TestApp } from '../support/test-app.js';
import type { BindingDetail } from './routing-fixture.js';

/**
 * A provider failure in the middle of a change (issue 23, requirement 7): the service against a
 * Dyplsapi stand-in whose UpdateSubscription answers are chosen per OperateType. A change is
 * undone when a step fails (the binding as it was, at the provider too); when undoing fails as
 * well, the record takes what the provider holds (QuerySubscriptionDetail). Never half a change.
 */
const SECRET = 'stub-secret';
const POOL = 'FCCHANGEFAULTS';
let stub: DyplsapiStub;
let t: TestApp;

beforeAll(async () => {
  stub = await startDyplsapiStub(SECRET);
  t = await startTestApp({
    PROVIDER_ENDPOINT: stub.url,
    PROVIDER_ACCESS_KEY_ID: 'stub-key',
    PROVIDER_ACCESS_KEY_SECRET: SECRET,
    DEFAULT_POOL_KEY: POOL,
    PROVIDER_TIMEOUT_MS: '500',
  });
  const bought = await http('POST', `${t.url}/v1/pools/${POOL}/numbers`, {
    spec: 2,
    city: '杭州',
    count: 1,
  });
  expect(bought.status).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await stub?.close();
});
beforeEach(() => stub.reset());

let seq = 0;
async function bind(): Promise<BindingView> {
  seq += 1;
  const res = await http<BindingView>('POST', `${t.url}/v1/bindings`, {
    outId: `fault-${seq}`,
    phoneA: `1380077${String(seq).padStart(4, '0')}`,
    phoneB: `1390077${String(seq).padStart(4, '0')}`,
    ttlSeconds: 3600,
  });
  expect(res.status).toBe(201);
  return res.body;
}

/** UpdateSubscription calls as (OperateType, value) pairs, in order. */
const updates = () =>
  stub.requests
    .filter((r) => r.action === 'UpdateSubscription')
    .map((r) => [
      r.params.OperateType,
      r.params.CallRestrict ?? r.params.OutId ?? r.params.PhoneNoA,
    ]);
const detail = async (id: string) =>
  (await http<BindingDetail>('GET', `${t.url}/v1/bindings/${id}`)).body;

/** Answers UpdateSubscription per call with `reply`, everything else as the stub does. */
function updateReplies(reply: (req: StubRequest, nth: number) => ReturnType<typeof okFor>) {
  let n = 0;
  stub.handle((req) => (req.action === 'UpdateSubscription' ? reply(req, (n += 1)) : okFor(req)));
}

describe('a change that fails midway', () => {
  it('is undone when a later step fails with an unknown outcome: the binding is as it was', async () => {
    const b = await bind();
    // The restriction goes through; the order id change fails with a provider-internal error
    // (it may have taken effect); the undo sets both back.
    updateReplies((req, nth) =>
      req.params.OperateType === 'updateOutId' && nth === 2
        ? codeError('isp.SYSTEM_ERROR', 'internal', 500)
        : ok(),
    );
    const res = await http<{ code: string }>('PATCH', `${t.url}/v1/bindings/${b.id}`, {
      callRestrict: 'CONTROL_BX_DISABLE',
      outId: `${b.outId}-x`,
    });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('CHANGE_UNDONE');
    expect(updates()).toEqual([
      ['updateCallRestrict', 'CONTROL_BX_DISABLE'],
      ['updateOutId', `${b.outId}-x`],
      ['updateOutId', b.outId],
      ['updateCallRestrict', 'CONTROL_CLEAR_DISABLE'],
    ]);
    const after = await detail(b.id);
    expect(after).toMatchObject({ outId: b.outId, callRestrict: null, state: 'active' });
    const failed = after.events.filter((e) => e.kind === 'update_failed');
    expect(failed).toEqual([
      expect.objectContaining({
        actor: 'tester',
        details: expect.objectContaining({
          requested: ['callRestrict', 'outId'],
          change: 'outId',
          outcome: 'unknown',
          left: 'as it was',
        }),
      }),
    ]);
    expect(after.events.filter((e) => e.kind === 'updated')).toEqual([]);
  });

  it('a refused first step changes nothing and undoes nothing', async () => {
    const b = await bind();
    updateReplies(() => codeError('isv.FLOW_LIMIT'));
    const res = await http<{ code: string }>('PATCH', `${t.url}/v1/bindings/${b.id}`, {
      callRestrict: 'CONTROL_AX_DISABLE',
      record: true,
    });
    expect(res.status).toBe(429);
    expect(updates()).toEqual([['updateCallRestrict', 'CONTROL_AX_DISABLE']]);
    expect(await detail(b.id)).toMatchObject({ callRestrict: null, record: false });
  });

  it('takes what the provider holds when undoing fails too', async () => {
    const b = await bind();
    // Restriction applied, order id refused with an unknown outcome, its undo applied, the
    // restriction's undo refused: the provider keeps the restriction, and so does the record.
    const detailHandler = okForDetail(b);
    let n = 0;
    stub.handle((req) => {
      if (req.action === 'UpdateSubscription') {
        n += 1;
        if (n === 2) return codeError('isp.SYSTEM_ERROR', 'internal', 500);
        if (n === 4) return codeError('isv.FLOW_LIMIT');
        return ok();
      }
      return detailHandler(req);
    });
    const res = await http<{ code: string }>('PATCH', `${t.url}/v1/bindings/${b.id}`, {
      callRestrict: 'CONTROL_BX_DISABLE',
      outId: `${b.outId}-y`,
    });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('PROVIDER_OUTCOME_UNKNOWN');
    expect(stub.count('QuerySubscriptionDetail')).toBe(1);
    const after = await detail(b.id);
    expect(after).toMatchObject({ callRestrict: 'CONTROL_BX_DISABLE', outId: b.outId });
    expect(after.events.filter((e) => e.kind === 'update_failed')).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({
          left: 'as the provider holds it',
          changed: { callRestrict: { from: null, to: 'CONTROL_BX_DISABLE' } },
          unconfirmed: [],
        }),
      }),
    ]);
  });

  it('end-trip refused by the provider leaves the trip going: no restriction, no window', async () => {
    const b = await bind();
    updateReplies(() => codeError('isv.FLOW_LIMIT'));
    const res = await http<{ code: string }>('POST', `${t.url}/v1/bindings/${b.id}/end-trip`, {
      contactWindowSeconds: 600,
    });
    expect(res.status).toBe(429);
    expect(await detail(b.id)).toMatchObject({
      phase: 'trip',
      callRestrict: null,
      tripEndedAt: null,
      contactUntil: null,
    });
  });
});

/** QuerySubscriptionDetail answering what the provider holds for `b` after a failed undo. */
function okForDetail(b: BindingView) {
  return (req: StubRequest) =>
    req.action === 'QuerySubscriptionDetail'
      ? ok({
          SecretBindDetailDTO: {
            SubsId: req.params.SubsId,
            PhoneNoA: b.phoneA,
            PhoneNoB: b.phoneB,
            PhoneNoX: req.params.PhoneNoX,
            GmtCreate: formatProviderDate(new Date(b.createdAt)),
            ExpireDate: formatProviderDate(new Date(b.expiresAt)),
            NeedRecord: false,
            Status: 1,
            CallRestrict: 'CONTROL_BX_DISABLE',
          },
        })
      : okFor(req);
}
