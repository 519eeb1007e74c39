import { randomBytes } from 'node:crypto';

export interface TemporaryCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  messageType: string;
  queueName: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Temporary MNS credentials handed out by QueryTokenForMnsQueue, each good for one queue until it
 * expires (real time, like the queue API's Date check). Expired ones are forgotten lazily.
 */
export class TokenBook {
  private readonly tokens = new Map<string, TemporaryCredential>();

  constructor(public ttlMs: number) {}

  issue(messageType: string, queueName: string, now: number): TemporaryCredential {
    this.forgetExpired(now);
    const credential: TemporaryCredential = {
      accessKeyId: `STS.${randomBytes(12).toString('hex')}`,
      accessKeySecret: randomBytes(24).toString('base64url'),
      securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
      messageType,
      queueName,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    this.tokens.set(credential.accessKeyId, credential);
    return credential;
  }

  get(accessKeyId: string): TemporaryCredential | undefined {
    return this.tokens.get(accessKeyId);
  }

  /** Makes every issued credential expired now (tests of token refresh). */
  expireAll(now: number): number {
    for (const credential of this.tokens.values()) credential.expiresAt = now;
    return this.tokens.size;
  }

  clear(): void {
    this.tokens.clear();
  }

  private forgetExpired(now: number): void {
    // Kept an hour past expiry so a late request is told "expired", not "unknown key".
    for (const [id, credential] of this.tokens) {
      if (credential.expiresAt + 3_600_000 < now) this.tokens.delete(id);
    }
  }
}
