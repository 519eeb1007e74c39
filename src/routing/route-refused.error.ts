import { DomainError } from '../common/errors/domain-error.js';

/** Why a party of a live binding may not call through it now (routing-target.ts refusalFor). */
export type PartyRefusal = 'restricted' | 'blacklisted' | 'x-locked';

const REFUSALS: Record<PartyRefusal, { code: string; message: string }> = {
  restricted: {
    code: 'CALL_RESTRICTED',
    message: 'This party may not call through this binding now (call restriction)',
  },
  blacklisted: {
    code: 'CALLER_BLACKLISTED',
    message: "This caller is on the pool's blacklist for this call",
  },
  'x-locked': {
    code: 'X_LOCKED',
    message: "The binding's middle number is locked; it routes no call",
  },
};

/**
 * The refusal of a lookup by A or B of a live binding whose call the provider's rules stop
 * (invariant 8): 403 with a stable code per reason and nothing to dial. Only a party of the
 * binding learns it; anyone else gets the one ROUTE_FORBIDDEN.
 */
export class RouteRefusedError extends DomainError {
  constructor(readonly reason: PartyRefusal) {
    super(REFUSALS[reason].code, REFUSALS[reason].message, 403, { reason });
  }
}
