import { describe, expect, it } from 'vitest';
import {
  bind,
  control,
  expiresIn,
  HOUR,
  placeCall,
  POOL,
  simulatorNumbers,
  useTestSimulator,
  v3Client,
  v3Code,
} from './helpers.js';

/**
 * LockSecretNo / UnlockSecretNo and AddSecretBlacklist / DeleteSecretBlacklist through Alibaba's
 * V3 client, and what they do to new bindings and simulated calls.
 */
const t = useTestSimulator({ stockPerCity: 4, cities: ['杭州'], ownedPerCity: 2 });
const A = '13800440001';
const B = '13900440001';

const v3 = () => v3Client(t.sim);
const bindOn = async (x: string | undefined, a = A, b = B) =>
  v3().call('BindAxb', {
    PoolKey: POOL,
    PhoneNoA: a,
    PhoneNoB: b,
    Expiration: await expiresIn(t.sim, HOUR),
    ...(x ? { PhoneNoX: x } : {}),
  });
const secretStatus = async (x: string) =>
  (
    (await v3().call('QuerySecretNoDetail', { PoolKey: POOL, SecretNo: x })).SecretNoInfoDTO as {
      SecretStatus: number;
    }
  ).SecretStatus;

describe('number locks', () => {
  it('a locked X takes no new binding, asked for or chosen; its live bindings go on', async () => {
    const [x1, x2] = (await simulatorNumbers(t.sim, POOL)).map((n) => n.secretNo);
    const live = (await bindOn(x1)).SecretBindDTO as { SubsId: string };

    expect(await v3Code(v3().call('LockSecretNo', { PoolKey: POOL, SecretNo: x1! }))).toBe('OK');
    expect(await v3Code(v3().call('LockSecretNo', { PoolKey: POOL, SecretNo: x1! }))).toBe('OK');
    expect(await secretStatus(x1!)).toBe(2);

    const refused = await bindOn(x1, '13800440002', '13900440002');
    expect(refused.Code).toBe('isv.FORBIDDEN_ACTION');
    for (let i = 0; i < 3; i += 1) {
      const chosen = await bindOn(undefined, `1380044100${i}`, `1390044100${i}`);
      expect((chosen.SecretBindDTO as { SecretNo: string }).SecretNo).toBe(x2);
    }
    // Alibaba documents a lock as "not chosen for new bindings": calls on live ones connect.
    expect((await placeCall(t.sim, live.SubsId, 'A')).intercepted).toBe(false);

    await v3().call('LockSecretNo', { PoolKey: POOL, SecretNo: x2! });
    expect((await bindOn(undefined, '13800440009', '13900440009')).Code).toBe(
      'isv.NO_AVAILABLE_NUMBER',
    );

    expect(await v3Code(v3().call('UnlockSecretNo', { PoolKey: POOL, SecretNo: x1! }))).toBe('OK');
    expect(await secretStatus(x1!)).toBe(1);
    expect((await bindOn(x1, '13800440002', '13900440002')).Code).toBe('OK');
  });

  it('refuses numbers the pool does not own and missing parameters', async () => {
    const spare = (await control(t.sim).get('/numbers?spare=true')).body as unknown as {
      secretNo: string;
    }[];
    expect(
      await v3Code(v3().call('LockSecretNo', { PoolKey: POOL, SecretNo: spare[0]!.secretNo })),
    ).toBe('isv.NO_NOT_EXIST');
    expect(await v3Code(v3().call('UnlockSecretNo', { PoolKey: POOL }))).toBe('MissingSecretNo');
    expect(await v3Code(v3().call('LockSecretNo', { PoolKey: 'FC9', SecretNo: '1' }))).toBe(
      'isv.PARTNER_NOT_EXIST',
    );
  });
});

describe('blacklists', () => {
  const add = (params: Record<string, string>) =>
    v3Code(v3().call('AddSecretBlacklist', { PoolKey: POOL, ...params }));
  const remove = (params: Record<string, string>) =>
    v3Code(v3().call('DeleteSecretBlacklist', { PoolKey: POOL, ...params }));

  it('a pool-wide entry intercepts the number as a caller (call_type 4, cause 1) until deleted', async () => {
    const { SubsId } = await bind(t.client, t.sim, { PhoneNoA: A, PhoneNoB: B });
    const entry = { BlackType: 'PARTNER_GLOBAL_NUMBER_BLACK', BlackNo: B, Remark: 'harassment' };
    expect(await add(entry)).toBe('OK');
    expect(await add(entry)).toBe('OK');

    const blocked = await placeCall(t.sim, SubsId, 'B', { durationSeconds: 20 });
    expect(blocked.intercepted).toBe(true);
    expect(blocked.record).toMatchObject({
      call_type: 4,
      control_type: 'REJECT',
      unconnected_cause: 1,
      phone_no: A,
      peer_no: B,
    });
    // The number is blocked as a caller; calls to it still connect.
    expect((await placeCall(t.sim, SubsId, 'A')).intercepted).toBe(false);

    const listed = (await control(t.sim).get(`/blacklist?poolKey=${POOL}`)).body as unknown as {
      blackType: string;
      blackNo: string;
      remark: string;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({ blackType: entry.BlackType, blackNo: B, remark: 'harassment' }),
    ]);

    expect(await remove({ BlackType: entry.BlackType, BlackNo: B })).toBe('OK');
    expect(await remove({ BlackType: entry.BlackType, BlackNo: B })).toBe('OK');
    expect((await placeCall(t.sim, SubsId, 'B')).intercepted).toBe(false);
  });

  it('a point-to-point entry blocks the pair in the WayControl direction only', async () => {
    const { SubsId } = await bind(t.client, t.sim, { PhoneNoA: A, PhoneNoB: B });
    // PHONEA_REJECT: the first (A) may call the second (B); B may not call A.
    const entry = { BlackType: 'POINT_TO_POINT_BLACK', BlackNo: `${A}:${B}` };
    expect(await add({ ...entry, WayControl: 'PHONEA_REJECT' })).toBe('OK');
    expect((await placeCall(t.sim, SubsId, 'A')).intercepted).toBe(false);
    expect((await placeCall(t.sim, SubsId, 'B')).record).toMatchObject({
      call_type: 4,
      unconnected_cause: 1,
    });
    // Added again without WayControl: both ways.
    expect(await add(entry)).toBe('OK');
    expect((await placeCall(t.sim, SubsId, 'A')).intercepted).toBe(true);
    expect(await remove(entry)).toBe('OK');
    expect((await placeCall(t.sim, SubsId, 'A')).intercepted).toBe(false);
    // Another pool's blacklist does not apply here.
    expect(
      await v3Code(
        v3().call('AddSecretBlacklist', {
          PoolKey: 'FC100000000000002',
          BlackType: 'PARTNER_GLOBAL_NUMBER_BLACK',
          BlackNo: A,
        }),
      ),
    ).toBe('OK');
    expect((await placeCall(t.sim, SubsId, 'A')).intercepted).toBe(false);
  });

  it('validates BlackType, BlackNo and WayControl with Alibaba’s values', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ BlackType: 'GLOBAL', BlackNo: A }, 'isv.ILLEGAL_ARGUMENT'],
      [{ BlackType: 'PARTNER_GLOBAL_NUMBER_BLACK', BlackNo: '12' }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [{ BlackType: 'POINT_TO_POINT_BLACK', BlackNo: A }, 'isv.MOBILE_NUMBER_ILLEGAL'],
      [
        { BlackType: 'POINT_TO_POINT_BLACK', BlackNo: `${A}:${B}`, WayControl: 'BOTH' },
        'isv.ILLEGAL_ARGUMENT',
      ],
      [{ BlackNo: A }, 'MissingBlackType'],
      [{ BlackType: 'POINT_TO_POINT_BLACK' }, 'MissingBlackNo'],
    ];
    for (const [params, code] of cases) {
      expect(await add(params), JSON.stringify(params)).toBe(code);
    }
    expect((await control(t.sim).get('/blacklist')).body).toEqual([]);
  });
});
