import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock } from '../common/clock/clock.js';
import { NotFoundError } from '../common/errors/domain-error.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import type { CreateEndpointDto } from './dto/create-endpoint.dto.js';
import type { UpdateEndpointDto } from './dto/update-endpoint.dto.js';
import {
  endpointUrlProblem,
  systemResolver,
  WEBHOOK_HOST_RESOLVER,
  type HostResolver,
} from './endpoint-url.policy.js';
import { WebhookDeliveryNotDeadError } from './webhook-delivery-not-dead.error.js';
import { WebhookDeliveryRunner } from './webhook-delivery.runner.js';
import { WebhookOutboxRepository } from './webhook-outbox.repository.js';
import { newWebhookSecret } from './webhook-signature.js';
import {
  WebhookDeliveryView,
  WebhookEndpointView,
  WebhookEndpointWithSecretView,
} from './webhook.views.js';

/** Tries listed per delivery (newest first). */
const TRIES_SHOWN = 10;

/** The admin side of events: endpoints, their deliveries, test events and replays. */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly prisma: PrismaService,
    private readonly outbox: WebhookOutboxRepository,
    private readonly runner: WebhookDeliveryRunner,
    @Optional()
    @Inject(WEBHOOK_HOST_RESOLVER)
    private readonly resolver: HostResolver | null = null,
  ) {}

  async create(dto: CreateEndpointDto): Promise<WebhookEndpointWithSecretView> {
    await this.checkUrl(dto.url);
    const now = this.clock.now();
    const endpoint = await this.prisma.webhookEndpoint.create({
      data: {
        id: randomUUID(),
        url: dto.url,
        events: [...new Set(dto.events)],
        description: dto.description ?? null,
        secret: newWebhookSecret(),
        createdAt: now,
        updatedAt: now,
      },
    });
    await this.runner.wake();
    return { ...WebhookEndpointView.of(endpoint, now), secret: endpoint.secret };
  }

  async list(): Promise<WebhookEndpointView[]> {
    const now = this.clock.now();
    const rows = await this.prisma.webhookEndpoint.findMany({ orderBy: { createdAt: 'asc' } });
    return rows.map((e) => WebhookEndpointView.of(e, now));
  }

  async get(id: string): Promise<WebhookEndpointView> {
    return WebhookEndpointView.of(await this.find(id), this.clock.now());
  }

  /** What is given changes; `rotateSecret` answers the new secret (once). */
  async update(
    id: string,
    dto: UpdateEndpointDto,
  ): Promise<WebhookEndpointView | WebhookEndpointWithSecretView> {
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    const current = await this.find(id);
    const now = this.clock.now();
    const rotation = dto.rotateSecret
      ? {
          secret: newWebhookSecret(),
          previousSecret: current.secret,
          previousSecretUntil: new Date(now.getTime() + this.config.webhooks.secretOverlapMs),
        }
      : {};
    const enabling =
      dto.enabled === undefined
        ? {}
        : { enabled: dto.enabled, disabledReason: dto.enabled ? null : 'admin' };
    const updated = await this.prisma.webhookEndpoint.update({
      where: { id },
      data: {
        ...(dto.url !== undefined ? { url: dto.url } : {}),
        ...(dto.events !== undefined ? { events: [...new Set(dto.events)] } : {}),
        ...(dto.description !== undefined ? { description: dto.description } : {}),
        ...enabling,
        ...rotation,
        updatedAt: now,
      },
    });
    const view = WebhookEndpointView.of(updated, now);
    return dto.rotateSecret ? { ...view, secret: updated.secret } : view;
  }

  async remove(id: string): Promise<void> {
    const { count } = await this.prisma.webhookEndpoint.deleteMany({ where: { id } });
    if (count === 0) throw new NotFoundError('Webhook endpoint', { id });
  }

  async deliveries(id: string, limit: number): Promise<WebhookDeliveryView[]> {
    await this.find(id);
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { endpointId: id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
      include: {
        event: { select: { msgId: true, type: true, bindingId: true } },
        tries: { orderBy: { attempt: 'desc' }, take: TRIES_SHOWN },
      },
    });
    // (a successful try is on its delivery's row, shown first: one more than the rows read)
    return rows.map((d) => {
      const view = WebhookDeliveryView.of(d);
      return { ...view, tries: view.tries.slice(0, TRIES_SHOWN) };
    });
  }

  async sendTest(id: string): Promise<{ msgId: string; deliveryId: string }> {
    await this.find(id);
    const sent = await this.outbox.sendTest(id, this.clock.now());
    await this.runner.wake();
    return sent;
  }

  async replay(deliveryId: string): Promise<void> {
    const delivery = await this.prisma.webhookDelivery.findUnique({ where: { id: deliveryId } });
    if (!delivery) throw new NotFoundError('Webhook delivery', { id: deliveryId });
    if (!(await this.outbox.replay(deliveryId, this.clock.now())))
      throw new WebhookDeliveryNotDeadError(deliveryId, delivery.status);
    await this.runner.wake();
  }

  private async find(id: string) {
    const endpoint = await this.prisma.webhookEndpoint.findUnique({ where: { id } });
    if (!endpoint) throw new NotFoundError('Webhook endpoint', { id });
    return endpoint;
  }

  private async checkUrl(url: string): Promise<void> {
    // `auto` left unsettled (a test's app without prepareRuntime): refused, the safe side.
    const resolve = this.resolver ?? systemResolver;
    const problem = await endpointUrlProblem(
      url,
      this.config.webhooks.allowPrivateUrls === true,
      async (host) => (await resolve(host)).map((a) => a.address),
    );
    if (problem) throw validationFailed('url', `url ${problem}`);
  }
}
