import { describe, expect, it } from 'vitest';
import { formatTimestamp, percentEncode, sign } from '../../src/protocol/signature.js';

describe('Alibaba RPC signature', () => {
  it('matches the documented test vector', () => {
    const params = {
      AccessKeyId: 'testId',
      Action: 'SendSms',
      Format: 'XML',
      OutId: '123',
      PhoneNumbers: '15300000001',
      RegionId: 'cn-hangzhou',
      SignName: '阿里云短信测试专用',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
      SignatureVersion: '1.0',
      TemplateCode: 'SMS_71390007',
      TemplateParam: '{"customer":"test"}',
      Timestamp: '2017-07-12T02:42:19Z',
      Version: '2017-05-25',
    };
    expect(sign('GET', params, 'testSecret')).toBe('zJDF+Lrzhj/ThnlvIToysFRq6t4=');
  });

  it('percent-encodes the characters encodeURIComponent leaves alone', () => {
    expect(percentEncode("a!b'c(d)e*f ~")).toBe('a%21b%27c%28d%29e%2Af%20~');
  });

  it('formats timestamps without milliseconds', () => {
    expect(formatTimestamp(new Date('2026-11-22T12:00:00.123Z'))).toBe('2026-11-22T12:00:00Z');
  });
});
