import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { EmptyBodyDto } from '../common/validation/empty-body.dto.js';
import { validationFailed } from '../common/validation/validation-failed.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { CreateEndpointDto } from './dto/create-endpoint.dto.js';
import { UpdateEndpointDto } from './dto/update-endpoint.dto.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import {
  WebhookDeliveryPageView,
  WebhookEndpointView,
  WebhookEndpointWithSecretView,
} from './webhook.views.js';

const uuid = new ParseUUIDPipe({
  exceptionFactory: () => validationFailed('id', 'must be a UUID'),
});
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw validationFailed('limit', `limit must be 1-${MAX_LIMIT}`);
  return n;
}

/** Events to subscribers: receivers (endpoints), their deliveries, test events, replays. */
@ApiTags('webhooks')
@Roles('admin')
@ApiErrors(400, 404)
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post('endpoints')
  @ApiCreatedResponse({
    type: WebhookEndpointWithSecretView,
    description: 'The secret is shown once',
  })
  create(@Body() dto: CreateEndpointDto): Promise<WebhookEndpointWithSecretView> {
    return this.endpoints.create(dto);
  }

  @Get('endpoints')
  @ApiOkResponse({ type: [WebhookEndpointView] })
  list(): Promise<WebhookEndpointView[]> {
    return this.endpoints.list();
  }

  @Get('endpoints/:id')
  @ApiOkResponse({ type: WebhookEndpointView })
  get(@Param('id', uuid) id: string): Promise<WebhookEndpointView> {
    return this.endpoints.get(id);
  }

  @Patch('endpoints/:id')
  @ApiOkResponse({
    type: WebhookEndpointView,
    description: 'With `secret` (shown once) when rotateSecret was asked',
  })
  update(
    @Param('id', uuid) id: string,
    @Body() dto: UpdateEndpointDto,
  ): Promise<WebhookEndpointView | WebhookEndpointWithSecretView> {
    return this.endpoints.update(id, dto);
  }

  @Delete('endpoints/:id')
  @HttpCode(204)
  async remove(@Param('id', uuid) id: string): Promise<void> {
    await this.endpoints.remove(id);
  }

  @Get('endpoints/:id/deliveries')
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}`,
  })
  @ApiOkResponse({ type: WebhookDeliveryPageView })
  async deliveries(
    @Param('id', uuid) id: string,
    @Query('limit') limit?: string,
  ): Promise<WebhookDeliveryPageView> {
    return { items: await this.endpoints.deliveries(id, parseLimit(limit)) };
  }

  /** Sends a `webhook.test` event to this endpoint (whatever it subscribed to). */
  @Post('endpoints/:id/test')
  @HttpCode(202)
  sendTest(
    @Param('id', uuid) id: string,
    @Body() _body: EmptyBodyDto,
  ): Promise<{ msgId: string; deliveryId: string }> {
    return this.endpoints.sendTest(id);
  }

  @Post('deliveries/:id/replay')
  @HttpCode(202)
  @ApiErrors(409)
  async replay(
    @Param('id', uuid) id: string,
    @Body() _body: EmptyBodyDto,
  ): Promise<{ replayed: true }> {
    await this.endpoints.replay(id);
    return { replayed: true };
  }
}
