import { Injectable, Logger } from '@nestjs/common';
import { ApiKeysRepository } from '../auth/api-keys.repository.js';
import { Clock } from '../common/clock/clock.js';
import { ConflictError } from '../common/errors/domain-error.js';
import type { RequestContext } from '../common/http/call-context.decorator.js';
import { maskPhone } from '../common/privacy/mask-phone.js';
import type { ErasureView } from './erasure.view.js';
import { LiveBindingsOfPhone, PhoneAgingRepository } from './phone-aging.repository.js';

/**
 * Erasure on request (PIPL Art. 47): every ended record of one number loses it (masked, no hash),
 * in one transaction. A binding of the number that is not over refuses the whole erasure (409
 * naming its orders): nothing changes, and the operator erases once the trips are over. The
 * erasure is recorded in the access log without the number (masked), with the bindings it touched.
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger(ErasureService.name);

  constructor(
    private readonly aging: PhoneAgingRepository,
    private readonly access: ApiKeysRepository,
    private readonly clock: Clock,
  ) {}

  async erase(phone: string, context: RequestContext): Promise<ErasureView> {
    const now = this.clock.now();
    const masked = maskPhone(phone);
    try {
      const erased = await this.aging.erase(phone, now);
      await this.access.recordAccess(
        context.actor,
        'POST /v1/admin/erasures',
        erased.bindingIds,
        context.requestId,
        now,
        { erasure: masked, calls: String(erased.calls) },
      );
      this.logger.log(
        `erasure of ${masked} by ${context.actor}: ${erased.bindingIds.length} binding(s), ${erased.calls} call(s)`,
      );
      return {
        phone: masked,
        bindings: erased.bindingIds.length,
        calls: erased.calls,
        erasedAt: now.toISOString(),
      };
    } catch (error) {
      if (error instanceof LiveBindingsOfPhone) {
        throw new ConflictError(
          'PHONE_HAS_LIVE_BINDING',
          `The number has bindings that are not over (orders ${error.orders
            .map((o) => o.outId)
            .join(', ')}); nothing was erased`,
          { orders: error.orders },
        );
      }
      throw error;
    }
  }
}
