import { describe, expect, it } from 'vitest';
import {
  toBindAxbResult,
  toCallStatus,
  toSecretNoRemain,
  toSubscriptionDetail,
} from '../../src/provider/dyplsapi/dyplsapi-dto.mapper.js';
import { quoteLargeIntegers } from '../../src/protocol/json-big-integers.js';
import { readEnvelope } from '../../src/provider/dyplsapi/dyplsapi-envelope.js';
import {
  buildSignedParams,
  encodeParams,
} from '../../src/provider/dyplsapi/dyplsapi-request.builder.js';
import { sign } from '../../src/protocol/signature.js';

describe('request builder', () => {
  const built = buildSignedParams({
    method: 'POST',
    action: 'BindAxb',
    params: {
      PoolKey: 'P',
      PhoneNoX: undefined,
      Version: 'evil',
      Signature: 'evil',
      City: '杭 州',
    },
    accessKeyId: 'id',
    accessKeySecret: 'secret',
    regionId: 'cn-hangzhou',
    nonce: 'n-1',
    now: new Date('2026-11-22T04:00:00.456Z'),
  });

  it('adds the common parameters, drops undefined ones and signs last', () => {
    expect(built).toMatchObject({
      Action: 'BindAxb',
      Format: 'JSON',
      Version: '2017-05-25',
      AccessKeyId: 'id',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: 'n-1',
      Timestamp: '2026-11-22T04:00:00Z',
      RegionId: 'cn-hangzhou',
      PoolKey: 'P',
    });
    expect('PhoneNoX' in built).toBe(false);
    expect(Object.keys(built).at(-1)).toBe('Signature');
    const { Signature: signature, ...unsigned } = built;
    expect(signature).toBe(sign('POST', unsigned, 'secret'));
  });

  it('encodes with RFC 3986 percent-encoding', () => {
    expect(encodeParams({ City: '杭 州', X: "a*b'" })).toBe(
      'City=%E6%9D%AD%20%E5%B7%9E&X=a%2Ab%27',
    );
  });
});

describe('envelope', () => {
  it('quotes integers a double cannot hold, outside strings only', () => {
    expect(
      quoteLargeIntegers(
        '{"a":12345678901234567890,"b":"99999999999999999999","c":-9007199254740993,"d":1.5e300,"e":42}',
      ),
    ).toBe(
      '{"a":"12345678901234567890","b":"99999999999999999999","c":"-9007199254740993","d":1.5e300,"e":42}',
    );
    expect(quoteLargeIntegers('{"m":"say \\"12345678901234567890\\" ok"}')).toBe(
      '{"m":"say \\"12345678901234567890\\" ok"}',
    );
  });

  it('classifies bodies as the official clients do', () => {
    expect(readEnvelope(200, '{"Code":"OK","RequestId":"r"}')).toMatchObject({
      kind: 'ok',
      requestId: 'r',
    });
    expect(readEnvelope(400, '{"Code":"isv.BIND_CONFLICT","Message":"m","RequestId":"r"}')).toEqual(
      {
        kind: 'code',
        code: 'isv.BIND_CONFLICT',
        message: 'm',
        requestId: 'r',
      },
    );
    expect(readEnvelope(200, '{"Code":"isv.FLOW_LIMIT"}')).toMatchObject({
      kind: 'code',
      message: '',
    });
    expect(readEnvelope(500, '{"error":"x"}')).toEqual({ kind: 'http', requestId: undefined });
    expect(readEnvelope(200, '{"RequestId":"r"}')).toEqual({ kind: 'no-code', requestId: 'r' });
    expect(readEnvelope(502, '<html>')).toMatchObject({ kind: 'not-json' });
    expect(readEnvelope(200, '[1]')).toMatchObject({ kind: 'not-json' });
    expect(readEnvelope(200, 'null')).toMatchObject({ kind: 'not-json' });
  });
});

describe('DTO mapping', () => {
  it('maps BindAxb, with numeric ids as strings and no empty extension', () => {
    expect(
      toBindAxbResult({ SecretBindDTO: { SubsId: 123, SecretNo: '171', Extension: '' } }),
    ).toEqual({
      subsId: '123',
      phoneX: '171',
    });
    expect(() => toBindAxbResult({})).toThrow(/no SecretBindDTO/);
    expect(() => toBindAxbResult({ SecretBindDTO: { SecretNo: '171' } })).toThrow(/SubsId/);
  });

  it('maps subscription details, string and boolean forms alike', () => {
    const detail = toSubscriptionDetail({
      SecretBindDetailDTO: {
        SubsId: 's',
        PhoneNoA: 'a',
        PhoneNoB: 'b',
        PhoneNoX: 'x',
        GmtCreate: '2026-11-22 12:00:00',
        ExpireDate: '2026-11-22 13:00:00',
        NeedRecord: 'false',
        Status: '0',
      },
    });
    expect(detail).toMatchObject({
      record: false,
      active: false,
      expiresAt: new Date('2026-11-22T05:00:00Z'),
    });
    expect(() =>
      toSubscriptionDetail({ SecretBindDetailDTO: { ...detail, GmtCreate: 'yesterday' } }),
    ).toThrow();
  });

  it('maps call statuses and insists on a temporary number for status 2', () => {
    expect(toCallStatus({ SecretCallStatusDTO: { Status: 3, CalledNo: null } })).toEqual({
      status: 3,
      calledNo: null,
    });
    expect(toCallStatus({ SecretCallStatusDTO: { Status: 1, CalledNo: '' } }).calledNo).toBeNull();
    expect(() => toCallStatus({ SecretCallStatusDTO: { Status: 2 } })).toThrow(/CalledNo/);
    expect(() => toCallStatus({ SecretCallStatusDTO: { Status: 5 } })).toThrow(/1-4/);
  });

  it('maps remaining stock with a plain or wrapped list', () => {
    const plain = toSecretNoRemain({
      SecretRemainDTO: { City: '杭州', Amount: 3, RemainDTOList: [{ City: '杭州', Amount: 3 }] },
    });
    expect(plain).toEqual({ city: '杭州', amount: 3, byCity: [{ city: '杭州', amount: 3 }] });
    expect(toSecretNoRemain({ SecretRemainDTO: { City: 'c', Amount: 0 } }).byCity).toEqual([]);
    expect(() => toSecretNoRemain({ SecretRemainDTO: { City: 'c', Amount: 'x' } })).toThrow(
      /Amount/,
    );
  });
});
