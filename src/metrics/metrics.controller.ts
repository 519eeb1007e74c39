import { Controller, Get, Header } from '@nestjs/common';
import { Roles } from '../auth/roles.js';
import { MetricsService } from './metrics.service.js';
import { ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-errors.decorator.js';

@ApiTags('operations')
@ApiErrors()
@Controller('metrics')
@Roles('admin')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text exposition (scrape with `authorization: Bearer <admin key>`). */
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
