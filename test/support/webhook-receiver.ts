import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got, as it arrived. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: { type: string; timestamp: string; data: Record<string, unknown> };
  answered: number | 'hung';
}

/** What the receiver answers a request: a status (and headers), or nothing at all (it hangs). */
export type Answer = { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1 (an order service), whose answers a test sets per request;
 * it keeps every request, and verifies signatures with the `standardwebhooks` package exactly as
 * a receiver would.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: (r: Omit<Received, 'answered'>) => Answer = () => ({ status: 204 });
  private readonly hung = new Set<ServerResponse>();
  private server: Server | undefined;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
    return this;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += (chunk as Buffer).toString('utf8');
    const header = (name: string) => String(req.headers[name] ?? '');
    const got = {
      id: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      body,
      event: JSON.parse(body) as Received['event'],
    };
    const answer = this.answer(got);
    if (answer === 'hang') {
      this.received.push({ ...got, answered: 'hung' });
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    this.received.push({ ...got, answered: answer.status });
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.status < 300 ? '' : `status ${answer.status}`);
  }

  /** Requests whose answer was 2xx. */
  get delivered(): Received[] {
    return this.received.filter((r) => typeof r.answered === 'number' && r.answered < 300);
  }

  /** Throws unless the request's signature verifies with `secret` (standardwebhooks). */
  static verify(r: Received, secret: string): unknown {
    return new Webhook(secret).verify(r.body, {
      'webhook-id': r.id,
      'webhook-timestamp': r.timestamp,
      'webhook-signature': r.signature,
    });
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
