/**
 * The event types an endpoint may subscribe to, written by the outbox triggers
 * (prisma/sql/080_webhook_outbox.sql). `webhook.test` is what "send test event" sends; it is
 * delivered to the one endpoint asked, whatever it subscribed to.
 */
export const WEBHOOK_EVENT_TYPES = [
  'binding.created',
  'binding.changed',
  'binding.ended',
  'call.started',
  'call.answered',
  'call.completed',
  'recording.ready',
  'number.health_changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const TEST_EVENT_TYPE = 'webhook.test';

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(value);
}
