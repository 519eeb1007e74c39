import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where recordings live on the simulator's own port, as `/oss/<bucket>/<object>`. */
export const OSS_PATH_PREFIX = '/oss';
export const RECORDING_BUCKET = 'secret-axb-record-files';

export type LinkVerdict =
  { ok: true } | { ok: false; status: 403; code: string; message: string; expiresAt?: number };

/**
 * Signs and checks recording links the way OSS signs a URL (signature V1 in the query string):
 * `Expires` (epoch seconds), `OSSAccessKeyId`, `Signature` = base64(HMAC-SHA1(secret,
 * "GET\n\n\n<Expires>\n/<bucket>/<object>")). The key is the simulator's own, derived from its
 * AccessKeySecret; expiry is judged by the simulated clock.
 */
export class RecordingLinks {
  /** Origin of the simulator's HTTP server, set once it listens. */
  baseUrl = 'http://127.0.0.1';
  readonly accessKeyId = 'LTAI5tSimulatorRecordings';
  private readonly secret: Buffer;

  constructor(accessKeySecret: string) {
    this.secret = createHmac('sha256', accessKeySecret).update('simulated-oss-recordings').digest();
  }

  url(objectName: string, expiresEpochSeconds: number): string {
    const query = new URLSearchParams({
      Expires: String(expiresEpochSeconds),
      OSSAccessKeyId: this.accessKeyId,
      Signature: this.signature(RECORDING_BUCKET, objectName, String(expiresEpochSeconds)),
    });
    return `${this.baseUrl}${OSS_PATH_PREFIX}/${RECORDING_BUCKET}/${objectName}?${query}`;
  }

  verify(
    bucket: string,
    objectName: string,
    query: Record<string, string | undefined>,
    nowMs: number,
  ): LinkVerdict {
    const { Expires: expires, OSSAccessKeyId: keyId, Signature: signature } = query;
    if (expires === undefined || keyId === undefined || signature === undefined) {
      return denied(
        'AccessDenied',
        'You have no right to access this object because of bucket acl.',
      );
    }
    if (!/^\d{1,12}$/.test(expires)) {
      return denied('AccessDenied', 'Invalid argument: Expires.');
    }
    const expiresAt = Number(expires) * 1000;
    if (nowMs > expiresAt) {
      return {
        ok: false,
        status: 403,
        code: 'AccessDenied',
        message: 'Request has expired.',
        expiresAt,
      };
    }
    if (keyId !== this.accessKeyId) {
      return denied(
        'InvalidAccessKeyId',
        'The OSS Access Key Id you provided does not exist in our records.',
      );
    }
    const expected = Buffer.from(this.signature(bucket, objectName, expires));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return denied(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
    }
    return { ok: true };
  }

  private signature(bucket: string, objectName: string, expires: string): string {
    const stringToSign = `GET\n\n\n${expires}\n/${bucket}/${objectName}`;
    return createHmac('sha1', this.secret).update(stringToSign).digest('base64');
  }
}

function denied(code: string, message: string): LinkVerdict {
  return { ok: false, status: 403, code, message };
}
