import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookEventBody } from '../../shared/domain/events';

export interface ReceivedWebhook {
  readonly id: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly event: WebhookEventBody;
  /** What the receiver answered. */
  readonly answered: number;
  readonly at: number;
}

/** An app's webhook endpoint on 127.0.0.1 that records every request and answers `status`. */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  let status = 204;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = status;
      received.push({
        id: String(req.headers['webhook-id']),
        headers: req.headers,
        body,
        event: JSON.parse(body) as WebhookEventBody,
        answered,
        at: Date.now(),
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/oauth`,
    received,
    setStatus(next: number) {
      status = next;
    },
    /** Events the receiver accepted (2xx), in arrival order. */
    delivered(filter: (w: ReceivedWebhook) => boolean = () => true): ReceivedWebhook[] {
      return received.filter((w) => w.answered >= 200 && w.answered < 300 && filter(w));
    },
    /** Verifies a received request with the reference Standard Webhooks library (throws if bad). */
    verify(webhook: ReceivedWebhook, secret: string): unknown {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(webhook.headers)) if (typeof v === 'string') headers[k] = v;
      return new Webhook(secret).verify(webhook.body, headers);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
