import type { Binding } from '../generated/prisma/client.js';
import type { BindAxbInput } from '../provider/provider.port.js';
import { bindAxbCallControl } from './call-control.js';

/**
 * BindAxb for a binding as written here: its own X pinned, its parties, expiry, city, recording,
 * order id and call control (call-control.ts). The bind sends it first; reconciliation sends
 * exactly the same again to learn the outcome of a first attempt whose answer was lost.
 */
export function bindAxbRequest(binding: Binding): BindAxbInput {
  return {
    poolKey: binding.poolKey,
    phoneA: binding.phoneA,
    phoneB: binding.phoneB,
    expiresAt: binding.expiresAt,
    phoneX: binding.phoneX!,
    expectCity: binding.city ?? undefined,
    record: binding.record,
    outId: binding.outId,
    ...bindAxbCallControl(binding),
  };
}
