import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/roles.js';
import { CallContext, type RequestContext } from '../common/http/call-context.decorator.js';
import { ApiErrors } from '../openapi/api-errors.decorator.js';
import { ErasureRequestDto } from './dto/erasure-request.dto.js';
import { ErasureService } from './erasure.service.js';
import { ErasureView } from './erasure.view.js';

/** Erasure of a number's records on request (README "Privacy aging and erasure"). */
@ApiTags('admin')
@Roles('admin')
@Controller('v1/admin/erasures')
export class ErasuresController {
  constructor(private readonly erasures: ErasureService) {}

  /** 200 with what was erased; 409 PHONE_HAS_LIVE_BINDING (orders named) changes nothing. */
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: ErasureView })
  @ApiErrors(400, 409)
  erase(@Body() dto: ErasureRequestDto, @CallContext() ctx: RequestContext): Promise<ErasureView> {
    return this.erasures.erase(dto.phone, ctx);
  }
}
