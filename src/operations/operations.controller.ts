import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { OperationsService } from './operations.service.js';
import { OperationsView } from './operations.view.js';

@ApiTags('admin')
@Roles('admin')
@ApiErrors()
@Controller('v1/admin/operations')
export class OperationsController {
  constructor(private readonly operations: OperationsService) {}

  @Get()
  @ApiOkResponse({ type: OperationsView })
  overview(): Promise<OperationsView> {
    return this.operations.overview();
  }
}
